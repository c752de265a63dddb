"""Documentation citations resolve: every ``X.md`` a tracked file cites exists, and every section it names exists.

A citation is a path ending in ``.md`` (``docs/constructions.md``, ``../proofs/lemma2.md``, ``README.md``),
optionally followed by a section: ``§2.3``, ``§§2.1-2.3`` (both ends checked), ``section 4``, a bare
number (``docs/paper.md 1.6``) or a GitHub anchor (``docs/measurement.md#5-float-floor``). A path is
resolved against the citing file's folder, the repository root and ``docs/``; a section must be the number
of a heading of the cited file (``### 2.3 The network`` has number 2.3) and an anchor the GitHub slug of one.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

#: Markdown files that tracked files mention but that are not part of the repository, with the reason.
NOT_IN_REPO: dict[str, str] = {
    "report.md": "written by `polyapprox reproduce` into its output folder",
}
#: (citing file, cited name) pairs that name a temporary file, not a document.
TEMPORARY: set[tuple[str, str]] = {("tests/test_proofs.py", "x.md")}

_NUM = r"\d+(?:\.\d+)*"
CITATION = re.compile(
    r"(?<![\w/.\-])(?P<path>(?:[\w.\-]+/)*[\w.\-]+\.md)(?![\w\-])"
    r"(?:#(?P<anchor>[\w\-]+)"
    rf"|[`'\"]?[ \t]*(?:§§?[ \t]*|sections?[ \t]+)(?P<sec>{_NUM})(?:[ \t]*[-–][ \t]*(?P<sec2>{_NUM}))?"
    rf"|[`'\"]?[ \t]+(?P<bare>{_NUM})(?![\w.]))?"
)
HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$", re.M)
HEADING_NUMBER = re.compile(rf"^({_NUM})\.?(?:\s|$)")


@dataclass(frozen=True)
class Problem:
    where: str
    line: int
    citation: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}:{self.line}: {self.citation}: {self.reason}"


def slug(title: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped (hyphens kept), spaces to hyphens."""
    title = re.sub(r"[`*_]", "", title.strip().lower())
    return re.sub(r"[^\w\- ]", "", title).replace(" ", "-")


@cache
def headings(path: Path) -> tuple[frozenset[str], frozenset[str]]:
    """(section numbers, anchors) of the headings of a Markdown file, code blocks ignored."""
    text = re.sub(r"^```.*?^```", "", path.read_text(encoding="utf-8"), flags=re.M | re.S)
    numbers, anchors = set(), set()
    for m in HEADING.finditer(text):
        title = m.group(2)
        anchors.add(slug(title))
        num = HEADING_NUMBER.match(title)
        if num:
            numbers.add(num.group(1))
    return frozenset(numbers), frozenset(anchors)


def resolve(cited: str, citing: Path, root: Path = ROOT) -> Path | None:
    for base in (citing.parent, root, root / "docs"):
        candidate = (base / cited).resolve()
        if candidate.is_file():
            return candidate
    return None


def check_text(text: str, citing: Path, root: Path = ROOT) -> list[Problem]:
    """Every unresolvable ``.md`` citation, and every section or anchor missing from the cited file."""
    where = citing.relative_to(root).as_posix() if citing.is_relative_to(root) else str(citing)
    problems = []
    for m in CITATION.finditer(text):
        cited = m.group("path")
        name = cited.rsplit("/", 1)[-1]
        if name in NOT_IN_REPO or (where, cited) in TEMPORARY:
            continue
        line = text.count("\n", 0, m.start()) + 1
        target = resolve(cited, citing, root)
        if target is None:
            problems.append(Problem(where, line, m.group(0), "no such file in the repository"))
            continue
        numbers, anchors = headings(target)
        for sec in (m.group("sec"), m.group("sec2"), m.group("bare")):
            if sec is not None and sec not in numbers:
                problems.append(Problem(where, line, m.group(0), f"{cited} has no section {sec}"))
        anchor = m.group("anchor")
        if anchor is not None and anchor not in anchors:
            problems.append(Problem(where, line, m.group(0), f"{cited} has no heading with anchor #{anchor}"))
    return problems


def tracked_text_files(root: Path = ROOT) -> list[Path]:
    """Tracked files (``git ls-files``), or a walk of the tree without git; binaries are skipped later."""
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True, text=True)
        names = [n for n in out.stdout.split("\0") if n]
    except (OSError, subprocess.CalledProcessError):
        skip = {".git", ".venv", "__pycache__", ".pytest_cache"}
        names = [p.relative_to(root).as_posix() for p in root.rglob("*")
                 if p.is_file() and not skip & set(p.parts) and not any(s.endswith(".egg-info") for s in p.parts)]
    return [root / n for n in names if (root / n).is_file()]


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return None


def test_every_md_citation_resolves() -> None:
    problems = []
    for path in tracked_text_files():
        if path == Path(__file__).resolve():
            continue  # this file's examples cite made-up documents on purpose
        text = _read(path)
        if text is not None:
            problems += check_text(text, path)
    assert not problems, "broken documentation citations:\n" + "\n".join(map(str, problems))


def test_docs_exist_and_are_indexed() -> None:
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    pages = sorted(p.name for p in DOCS.glob("*.md") if p.name != "README.md")
    assert pages, "docs/ holds no pages"
    assert [p for p in pages if f"({p})" not in index] == []


def test_docs_sections_are_numbered_and_unique() -> None:
    for page in DOCS.glob("*.md"):
        if page.name == "README.md":
            continue
        text = re.sub(r"^```.*?^```", "", page.read_text(encoding="utf-8"), flags=re.M | re.S)
        titles = [m.group(2) for m in HEADING.finditer(text) if len(m.group(1)) >= 2]
        nums = [HEADING_NUMBER.match(t) for t in titles]
        unnumbered = [t for t, n in zip(titles, nums, strict=True) if not n]
        assert unnumbered == [], f"{page.name}: unnumbered section headings"
        numbers = [n.group(1) for n in nums if n]
        assert len(numbers) == len(set(numbers)), f"{page.name}: duplicate section numbers"


# --------------------------------------------------------------------------- the checker itself


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "docs").mkdir()
    guide = "# Guide\n\n## 1. Intro\n\n### 1.2 Float floor\n\n```\n## 9. Code\n```\n"  # "9." is in a code block
    (tmp_path / "docs" / "guide.md").write_text(guide)
    (tmp_path / "pkg").mkdir()
    return tmp_path


def _problems(text: str, tree: Path) -> list[str]:
    return [p.reason for p in check_text(text, tree / "pkg" / "mod.py", tree)]


def test_checker_reports_a_missing_file(tree: Path) -> None:
    missing = "nonexistent" + ".md"  # built here so that this file does not cite it
    assert _problems(f"see {missing} for details", tree) == ["no such file in the repository"]
    assert _problems(f"see docs/{missing} §1", tree) == ["no such file in the repository"]


def test_checker_resolves_relative_root_and_docs(tree: Path) -> None:
    assert _problems("see docs/guide.md, guide.md and ../docs/guide.md", tree) == []


@pytest.mark.parametrize("cite", ["docs/guide.md §1.2", "guide.md §1", "docs/guide.md section 1",
                                  "`docs/guide.md` §1.2", "docs/guide.md §§1-1.2", "docs/guide.md 1.2",
                                  "docs/guide.md#12-float-floor"])
def test_checker_accepts_existing_sections(tree: Path, cite: str) -> None:
    assert _problems(f"({cite})", tree) == []


@pytest.mark.parametrize(("cite", "missing"), [
    ("docs/guide.md §2.1", "section 2.1"), ("guide.md §1.2–1.3", "section 1.3"), ("docs/guide.md §9", "section 9"),
    ("docs/guide.md 5.4", "section 5.4"), ("docs/guide.md#float-floor", "#float-floor"),
])
def test_checker_reports_a_missing_section(tree: Path, cite: str, missing: str) -> None:
    problems = _problems(f"({cite})", tree)
    assert len(problems) == 1 and missing in problems[0]


def test_checker_ignores_urls_and_generated_reports(tree: Path) -> None:
    assert _problems("https://github.com/org/repo/blob/main/" + "missing" + ".md and out/report.md", tree) == []


def test_slug_matches_github() -> None:
    assert slug("5. Float floor") == "5-float-floor"
    assert slug("2.4.3 PUT-ReLU: the coupling rule and sizes") == "243-put-relu-the-coupling-rule-and-sizes"
