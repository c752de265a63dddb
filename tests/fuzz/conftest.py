"""Harness for the hostile-input suite: run the real ``polyapprox`` command on one input and check that it
is refused the way every bad input must be: exit 2 (or the stated code), one line on stderr, no traceback,
bounded time, and no file written outside the run's own folder."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: seconds one hostile case may take (start-up included; the issue asks for a few seconds per case)
CASE_SECONDS = 20


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str
    created: frozenset[str]


def run_cli(args: list[str], cwd: Path, env: dict[str, str] | None = None, stdin: str | None = None,
            timeout: float = CASE_SECONDS) -> Outcome:
    """Run ``python -m polyapprox ARGS`` in ``cwd``; records every file created under ``cwd``."""
    before = {str(p) for p in cwd.rglob("*")}
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    proc = subprocess.run([sys.executable, "-m", "polyapprox", *args], cwd=cwd, env=full_env, input=stdin,
                          capture_output=True, text=True, timeout=timeout, check=False)
    after = {str(p) for p in cwd.rglob("*")}
    return Outcome(proc.returncode, proc.stdout, proc.stderr, frozenset(after - before))


def assert_refused(out: Outcome, code: int = 2, allowed: tuple[str, ...] = ()) -> None:
    """Exit ``code``, exactly one line on stderr starting ``polyapprox:``, no traceback, no stray files."""
    lines = [ln for ln in out.stderr.splitlines() if ln.strip()]
    assert out.code == code, (out.code, out.stderr[-2000:])
    assert "Traceback" not in out.stderr, out.stderr[-2000:]
    assert len(lines) == 1, out.stderr[-2000:]
    assert lines[0].startswith("polyapprox:"), lines[0]
    assert len(lines[0]) < 400, lines[0]
    stray = sorted(p for p in out.created if not any(a in p for a in allowed))
    assert not stray, f"files written: {stray}"


@pytest.fixture
def cli(tmp_path: Path):
    """``cli(*args)`` runs the command in a fresh folder and returns the ``Outcome``."""
    def run(*args: str, **kw) -> Outcome:
        return run_cli(list(args), tmp_path, **kw)
    return run
