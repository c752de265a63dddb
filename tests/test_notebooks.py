"""notebooks/: each NN_name.ipynb is generated from its jupytext percent source NN_name.py (the source of truth),
stored without outputs, agrees with it cell by cell, and runs top to bottom in quick mode."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import re
import shlex
import time
from pathlib import Path
from types import ModuleType

import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
ROOT = NOTEBOOKS.parent
#: Per-notebook wall-clock limit (seconds): quick mode is sized for < 60 s on 2 cores; the limit leaves room
#: for a loaded CI machine.
CELL_TIMEOUT = 300


def notebook_names() -> list[str]:
    return sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))


def _build() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_nb_build", NOTEBOOKS / "_build.py")
    assert spec is not None and spec.loader is not None
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    return build


def _needs(name: str) -> str | None:
    """A module the notebook needs that may be missing on this branch (notebook 3 needs the FFN trainer)."""
    return "polyapprox.train.ffn" if name.startswith("03_") else None


def test_expected_notebooks_present() -> None:
    stems = {n.split("_", 1)[0] for n in notebook_names()}
    assert {"01", "02", "04"} <= stems
    assert sorted(p.stem for p in _build().sources()) == sorted(Path(n).stem for n in notebook_names())


@pytest.mark.parametrize("name", notebook_names())
def test_stored_without_outputs(name: str) -> None:
    nb = json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code, f"{name}: no code cells"
    assert [c["execution_count"] for c in code] == [None] * len(code)
    assert [c["outputs"] for c in code] == [[]] * len(code)
    assert "QUICK = True" in "".join(code[0]["source"])


def test_notebooks_match_their_sources() -> None:
    """Cell kinds and sources (then every byte) of each .ipynb equal what its .py generates."""
    build = _build()
    assert [line for source in build.sources() for line in build.disagreements(source)] == []


def test_a_disagreement_is_named(tmp_path: Path) -> None:
    """The check above can fail: a changed cell source, a changed kind, a missing cell, a missing notebook."""
    build = _build()
    cells = [("markdown", "# Title"), ("code", "QUICK = True\n%matplotlib inline"), ("code", "print(1)")]
    source = tmp_path / "01_x.py"
    source.write_text(build.write_percent(cells), encoding="utf-8")
    assert build.disagreements(source) == ["01_x.ipynb: missing (run python notebooks/_build.py)"]
    target = source.with_suffix(".ipynb")
    target.write_text(build.build(source), encoding="utf-8")
    assert build.disagreements(source) == []
    for changed, problem in [
        ([cells[0], cells[1], ("code", "print(2)")], "cell 2 source differs"),
        ([("code", "# Title"), *cells[1:]], "cell 0 is code, 01_x.py has markdown"),
        (cells[:2], "2 cells, 01_x.py has 3"),
    ]:
        target.write_text(build.nbformat.writes(build.notebook(changed)), encoding="utf-8")
        assert any(problem in line for line in build.disagreements(source)), problem


@pytest.mark.parametrize("name", notebook_names())
def test_sources_are_canonical_percent_format(name: str) -> None:
    """Writing the cells back reproduces the .py byte for byte (so the .ipynb -> .py direction is lossless)."""
    build = _build()
    text = (NOTEBOOKS / name).with_suffix(".py").read_text(encoding="utf-8")
    cells = build.read_percent(text, name)
    assert build.write_percent(cells) == text
    assert "%matplotlib inline" in cells[1][1]  # the magic is commented out in the .py and restored here


@pytest.mark.parametrize(("text", "message"), [
    ("# %% Setup\nx = 1\n", "only '# %%' and '# %% [markdown]' start cells"),
    ("x = 1\n# %%\ny = 2\n", "text before the first cell"),
    ("# ---\n# jupyter:\n# %%\n", "header is not closed"),
    ("# %% [markdown]\nplain text\n", "a Markdown line must start with '# '"),
])
def test_reader_rejects_what_it_does_not_support(text: str, message: str) -> None:
    build = _build()
    with pytest.raises(build.FormatError, match=re.escape(message)):
        build.read_percent(text)


@pytest.mark.parametrize("name", notebook_names())
def test_jupytext_reads_the_same_cells(name: str) -> None:
    """Where jupytext is installed (the dev extra), it pairs the files the same way as _build.py does."""
    jupytext = pytest.importorskip("jupytext")
    build = _build()
    text = (NOTEBOOKS / name).with_suffix(".py").read_text(encoding="utf-8")
    nb = jupytext.reads(text, fmt="py:percent")
    assert build.notebook_cells(nb) == build.read_percent(text, name)
    # and jupytext writes the stored notebook as this very text, but for its version stamp in the header
    import nbformat

    written = jupytext.writes(nbformat.read(NOTEBOOKS / name, as_version=4), fmt="py:percent")
    stamp = re.compile(r"^#     text_representation:\n(?:#       .*\n)+", re.MULTILINE)
    assert stamp.sub("", written) == text


def _cli_commands(name: str) -> list[str]:
    build = _build()
    cells = build.read_percent((NOTEBOOKS / name).with_suffix(".py").read_text(encoding="utf-8"), name)
    text = " ".join(src.replace("\n", " ") for kind, src in cells if kind == "markdown")
    return re.findall(r"`(polyapprox [^`]+)`", text)


@pytest.mark.parametrize("name", notebook_names())
def test_cli_commands_use_the_current_flags(name: str) -> None:
    """Every `polyapprox ...` command quoted in a notebook parses, without a deprecated spelling."""
    from polyapprox.cli.main import build_parser

    commands = _cli_commands(name)
    assert commands, f"{name}: quotes no polyapprox command"
    for command in commands:
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            build_parser().parse_args(shlex.split(command)[1:])
        assert "deprecated" not in err.getvalue(), command


@pytest.mark.parametrize("name", notebook_names())
def test_notebook_runs_in_quick_mode(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    need = _needs(name)
    if need is not None and importlib.util.find_spec(need) is None:
        pytest.skip(f"{need} is not on this branch")
    import nbformat
    from nbclient import NotebookClient

    # the kernel inherits this environment: it imports the package from the repository
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(nb, kernel_name="python3", timeout=CELL_TIMEOUT,
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    t0 = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - t0
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors == []
    assert seconds < CELL_TIMEOUT
