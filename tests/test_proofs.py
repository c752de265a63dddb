"""proofs/: every proof file cites checks (syntax in proofs/README.md) that exist in the registry and pass."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest

from polyapprox.verify.registry import CheckResult, load_checks, run_check

PROOFS = Path(__file__).resolve().parent.parent / "proofs"
RESULTS = ("lemma1", "theorem1", "lemma2", "theorem2", "theorem3", "shared_coefficients", "polynorm_gradient")
CHECK_LINE = re.compile(r"^Check: (`[a-z0-9_.]+`(?:, `[a-z0-9_.]+`)*)\s*$")
CHECK_ID = re.compile(r"`([^`]+)`")


def proof_files() -> list[Path]:
    return sorted(p for p in PROOFS.glob("*.md") if p.name != "README.md")


def citations(path: Path) -> list[str]:
    """The check ids cited on ``Check:`` lines of ``path``, in order (duplicates kept)."""
    ids: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        m = CHECK_LINE.match(line)
        if m:
            ids.extend(CHECK_ID.findall(m.group(1)))
    return ids


def malformed_check_lines(path: Path) -> list[str]:
    """Lines that look like a citation (start with 'Check') but do not follow the syntax."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [ln for ln in lines if ln.lstrip().lower().startswith("check") and not CHECK_LINE.match(ln)]


def all_cited() -> list[str]:
    return sorted({cid for p in proof_files() for cid in citations(p)})


@functools.cache
def result_of(check_id: str) -> CheckResult:
    """Run a registered check once per session (several proofs cite the same check)."""
    return run_check(load_checks()[check_id])


def test_proof_files_cover_the_seven_results() -> None:
    assert {p.stem for p in proof_files()} == set(RESULTS)
    assert (PROOFS / "README.md").is_file()


@pytest.mark.parametrize("name", RESULTS)
def test_proof_cites_at_least_one_check(name: str) -> None:
    assert citations(PROOFS / f"{name}.md"), f"proofs/{name}.md cites no check"


@pytest.mark.parametrize("name", RESULTS)
def test_citation_lines_are_well_formed(name: str) -> None:
    assert malformed_check_lines(PROOFS / f"{name}.md") == []


@pytest.mark.parametrize("name", RESULTS)
def test_cited_checks_exist(name: str) -> None:
    registry = load_checks()
    assert [cid for cid in citations(PROOFS / f"{name}.md") if cid not in registry] == []


@pytest.mark.parametrize("check_id", all_cited())
def test_cited_check_passes(check_id: str) -> None:
    registry = load_checks()
    if check_id not in registry:
        pytest.fail(f"{check_id}: not registered")
    res = result_of(check_id)
    assert res.status == "proved", f"{check_id}: {res.status} ({res.detail})"


def test_parser_reads_the_documented_syntax(tmp_path: Path) -> None:
    p = tmp_path / "x.md"
    p.write_text("text\nCheck: `a.b`, `c.d_2`\nCheck: a.b\n  Check: `e.f`\nNot machine-checked: g\n", encoding="utf-8")
    assert citations(p) == ["a.b", "c.d_2"]
    assert malformed_check_lines(p) == ["Check: a.b", "  Check: `e.f`"]
