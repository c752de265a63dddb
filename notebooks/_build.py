"""The notebooks of this folder are written from their plain-text sources ``NN_name.py`` (jupytext *percent*
format: ``# %%`` starts a code cell, ``# %% [markdown]`` a Markdown cell whose lines are commented out),
without outputs (reproducible files). The ``.py`` files are the source of truth (see README.md).

Run from the repository root:

    python notebooks/_build.py            # NN_name.py -> NN_name.ipynb, for every source
    python notebooks/_build.py --check    # exit 1 naming every .ipynb that disagrees with its .py
    python notebooks/_build.py --to-py    # NN_name.ipynb -> NN_name.py (after editing in Jupyter without jupytext)

The reader and writer below handle the subset of the percent format these files use (no cell titles or
cell metadata); ``tests/test_notebooks.py`` checks each ``.ipynb`` against its ``.py`` (cell kinds and
sources), that writing a source back reproduces it byte for byte, and, where jupytext is installed, that
jupytext reads the same cells.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
CODE, MARKDOWN = "# %%", "# %% [markdown]"
#: the text header: jupytext reads it as the notebook's metadata (pairing with the .ipynb, kernel)
HEADER = """# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---
"""
METADATA = {"jupytext": {"formats": "ipynb,py:percent"},
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"}}
#: an IPython magic (``%matplotlib inline``): commented out in the .py, as jupytext does
MAGIC = re.compile(r"^%{1,2}[A-Za-z]")

Cell = tuple[str, str]  # (kind "code" | "markdown", source)


class FormatError(ValueError):
    """A source file outside the supported subset of the percent format."""


def _strip_blank(lines: list[str]) -> list[str]:
    while lines and not lines[0].strip():
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines


def _markdown_line(line: str, where: str) -> str:
    if line in ("#", ""):  # an empty Markdown line, or the blank line before the next cell
        return ""
    if not line.startswith("# "):
        raise FormatError(f"{where}: a Markdown line must start with '# ': {line!r}")
    return line[2:]


def _code_line(line: str) -> str:
    return line[2:] if line.startswith("# ") and MAGIC.match(line[2:]) else line


def read_percent(text: str, name: str = "source") -> list[Cell]:
    """The cells of a percent-format text (header skipped; blank lines around each cell dropped)."""
    lines = text.splitlines()
    if lines and lines[0] == "# ---":
        if "# ---" not in lines[1:]:
            raise FormatError(f"{name}: the '# ---' header is not closed")
        lines = lines[lines.index("# ---", 1) + 1:]
    cells: list[tuple[str, list[str]]] = []
    for n, line in enumerate(lines, 1):
        if line.startswith("# %%"):
            if line not in (CODE, MARKDOWN):
                raise FormatError(f"{name}:{n}: only '{CODE}' and '{MARKDOWN}' start cells: {line!r}")
            cells.append(("markdown" if line == MARKDOWN else "code", []))
        elif cells:
            kind, body = cells[-1]
            body.append(_markdown_line(line, f"{name}:{n}") if kind == "markdown" else _code_line(line))
        elif line.strip():
            raise FormatError(f"{name}:{n}: text before the first cell: {line!r}")
    return [(kind, "\n".join(_strip_blank(body))) for kind, body in cells]


def write_percent(cells: list[Cell]) -> str:
    """The percent-format text of ``cells`` (the inverse of ``read_percent`` on its own output)."""
    blocks = []
    for kind, source in cells:
        if kind == "markdown":
            body = ["#" if not line else f"# {line}" for line in source.splitlines()]
        else:
            body = [f"# {line}" if MAGIC.match(line) else line for line in source.splitlines()]
        blocks.append("\n".join([MARKDOWN if kind == "markdown" else CODE, *body]))
    return HEADER + "\n" + "\n\n".join(blocks) + "\n"


def notebook(cells: list[Cell]) -> nbformat.NotebookNode:
    """An nbformat 4.4 notebook (no cell ids, no outputs) holding ``cells``."""
    nb = nbformat.v4.new_notebook()
    nb.nbformat_minor = 4  # no cell ids (reproducible files)
    nb.metadata = METADATA
    out = []
    for kind, src in cells:
        cell = nbformat.v4.new_markdown_cell(src) if kind == "markdown" else nbformat.v4.new_code_cell(src)
        cell.pop("id", None)
        out.append(cell)
    nb.cells = out
    return nb


def notebook_cells(nb: nbformat.NotebookNode) -> list[Cell]:
    """(kind, source) of every cell of a notebook (raw cells are not used here)."""
    return [(c.cell_type, c.source if isinstance(c.source, str) else "".join(c.source)) for c in nb.cells]


def sources() -> list[Path]:
    """The notebook sources of this folder: NN_name.py."""
    return sorted(p for p in HERE.glob("[0-9][0-9]_*.py"))


def build(source: Path) -> str:
    """The .ipynb text generated from ``source``."""
    nb = notebook(read_percent(source.read_text(encoding="utf-8"), source.name))
    nbformat.validate(nb)
    return nbformat.writes(nb)


def disagreements(source: Path) -> list[str]:
    """How ``source``'s .ipynb differs from it: missing, cell count, each cell's kind / source, other bytes."""
    target = source.with_suffix(".ipynb")
    if not target.is_file():
        return [f"{target.name}: missing (run python notebooks/_build.py)"]
    want = read_percent(source.read_text(encoding="utf-8"), source.name)
    have = notebook_cells(nbformat.reads(target.read_text(encoding="utf-8"), as_version=4))
    if len(want) != len(have):
        return [f"{target.name}: {len(have)} cells, {source.name} has {len(want)}"]
    out = [f"{target.name}: cell {i} is {h[0]}, {source.name} has {w[0]}" if h[0] != w[0] else
           f"{target.name}: cell {i} source differs from {source.name}"
           for i, (w, h) in enumerate(zip(want, have, strict=True)) if w != h]
    if not out and target.read_text(encoding="utf-8") != build(source):
        out.append(f"{target.name}: metadata, outputs or layout differ from the generated file")
    return out


def main(argv: list[str]) -> int:
    if argv == ["--check"]:
        problems = [line for source in sources() for line in disagreements(source)]
        sys.stderr.write("".join(f"{line}\n" for line in problems))
        return 1 if problems else 0
    if argv == ["--to-py"]:
        for nb_path in sorted(HERE.glob("[0-9][0-9]_*.ipynb")):
            cells = notebook_cells(nbformat.read(nb_path, as_version=4))
            nb_path.with_suffix(".py").write_text(write_percent(cells), encoding="utf-8")
        return 0
    if argv:
        sys.stderr.write("usage: python notebooks/_build.py [--check | --to-py]\n")
        return 2
    for source in sources():
        source.with_suffix(".ipynb").write_text(build(source), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
