"""The ``reproduce`` report: Markdown, and a self-contained HTML page (figures embedded as base64).

The report is data (``Report``: meta, the claims table, sections); ``render_markdown`` and ``render_html``
are pure renderers. The HTML converter handles exactly the Markdown subset the report uses: headings,
paragraphs, bullet lists, pipe tables, fenced code, images, inline code and bold.
"""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass, field
from pathlib import Path

VERDICTS = ("holds", "does not hold", "inconclusive", "within noise", "not checked at this size", "not run")


@dataclass(frozen=True)
class Claim:
    """One row of the claims table: computed from results, never typed in."""

    claim: str
    source: str
    command: str
    measured: str
    verdict: str

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict: {self.verdict!r} not in {VERDICTS}")


@dataclass(frozen=True)
class Section:
    title: str
    body: str  # Markdown; figures referenced as ![caption](relative/path.png)


@dataclass(frozen=True)
class Report:
    title: str
    meta: dict[str, str]
    claims: tuple[Claim, ...]
    sections: tuple[Section, ...] = field(default=())
    rules: tuple[str, ...] = field(default=())  # the verdict rules, printed under the claims table


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown_table(header: list[str], rows: list[list[object]]) -> str:
    """A pipe table."""
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(str(c)) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def render_markdown(report: Report) -> str:
    out = [f"# {report.title}", ""]
    out += [f"- **{k}**: {v}" for k, v in report.meta.items()]
    counts = {v: sum(c.verdict == v for c in report.claims) for v in VERDICTS}
    out += ["", "## Claims", "", ", ".join(f"{n} {v}" for v, n in counts.items() if n) + ".", ""]
    out.append(markdown_table(["claim", "source", "command", "measured", "verdict"],
                              [[c.claim, c.source, f"`{c.command}`", c.measured, f"**{c.verdict}**"]
                               for c in report.claims]))
    if report.rules:
        out += ["", "Verdict rules:", ""] + [f"- {r}" for r in report.rules]
    for s in report.sections:
        out += ["", f"## {s.title}", "", s.body.strip()]
    return "\n".join(out) + "\n"


_INLINE = [
    (re.compile(r"`([^`]+)`"), lambda m: f"<code>{m.group(1)}</code>"),
    (re.compile(r"\*\*([^*]+)\*\*"), lambda m: f"<strong>{m.group(1)}</strong>"),
]


def _inline(text: str, root: Path | None) -> str:
    def image(m: re.Match[str]) -> str:
        alt, src = m.group(1), m.group(2)
        path = (root / src) if root is not None else Path(src)
        if path.suffix.lower() == ".png" and path.exists():
            data = base64.b64encode(path.read_bytes()).decode()
            src = f"data:image/png;base64,{data}"
        elif path.suffix.lower() == ".svg" and path.exists():
            data = base64.b64encode(path.read_bytes()).decode()
            src = f"data:image/svg+xml;base64,{data}"
        return f'<figure><img alt="{alt}" src="{src}"><figcaption>{alt}</figcaption></figure>'

    parts = re.split(r"(!\[[^\]]*\]\([^)]+\))", text)
    out = []
    for p in parts:
        m = re.fullmatch(r"!\[([^\]]*)\]\(([^)]+)\)", p)
        if m:
            out.append(image(m))
            continue
        s = html.escape(p, quote=False)
        for rx, fn in _INLINE:
            s = rx.sub(fn, s)
        out.append(s)
    return "".join(out)


def markdown_to_html(md: str, root: Path | None = None) -> str:
    """Convert the report's Markdown subset to HTML (images under ``root`` embedded)."""
    lines = md.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            j = i + 1
            while j < len(lines) and not lines[j].startswith("```"):
                j += 1
            out.append("<pre><code>" + html.escape("\n".join(lines[i + 1:j])) + "</code></pre>")
            i = j + 1
        elif m := re.match(r"(#{1,6}) (.*)", line):
            n = len(m.group(1))
            out.append(f"<h{n}>{_inline(m.group(2), root)}</h{n}>")
            i += 1
        elif line.startswith("|"):
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(lines[i])
                i += 1
            cells = [[c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", r.strip())[1:-1]]
                     for r in rows if not re.fullmatch(r"\|(-+\|)+", r.strip())]
            head, body = cells[0], cells[1:]
            out.append("<table><thead><tr>" + "".join(f"<th>{_inline(c, root)}</th>" for c in head)
                       + "</tr></thead><tbody>" + "".join(
                           "<tr>" + "".join(f"<td>{_inline(c, root)}</td>" for c in r) + "</tr>" for r in body)
                       + "</tbody></table>")
        elif line.startswith("- "):
            items = []
            while i < len(lines) and lines[i].startswith("- "):
                items.append(f"<li>{_inline(lines[i][2:], root)}</li>")
                i += 1
            out.append("<ul>" + "".join(items) + "</ul>")
        elif not line.strip():
            i += 1
        else:
            para = []
            while i < len(lines) and lines[i].strip() and not re.match(r"(#|\||- |```)", lines[i]):
                para.append(lines[i])
                i += 1
            out.append("<p>" + _inline(" ".join(para), root) + "</p>")
    return "\n".join(out)


_CSS = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;line-height:1.45}
table{border-collapse:collapse;margin:1em 0;font-size:.9em}td,th{border:1px solid #ccc;padding:.3em .5em;
vertical-align:top}th{background:#f3f3f3}code{background:#f6f6f6;padding:0 .2em}pre{background:#f6f6f6;
padding:.6em;overflow-x:auto}img{max-width:100%}figure{margin:1em 0}figcaption{font-size:.85em;color:#555}"""


def render_html(report: Report, root: Path | None = None) -> str:
    """A self-contained HTML page (no external resources)."""
    body = markdown_to_html(render_markdown(report), root)
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{html.escape(report.title)}</title>"
            f"<style>{_CSS}</style></head><body>\n{body}\n</body></html>\n")
