"""`check --timeout T` holds end to end (the sympy build included): status unknown, detail "timeout after
T s", exit 1, within T + 2 s; prove_equal(timeout=T) stops between layers; the worker's failure paths."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import sympy

from polyapprox.cli.main import build_parser, main
from polyapprox.construct.relu_nets import random_relu_net
from polyapprox.core import netjson
from polyapprox.errors import PolyapproxError
from polyapprox.symbolic import prove_equal
from polyapprox.symbolic import prover as prover_module
from polyapprox.symbolic.worker import prove_in_worker

ROOT = Path(__file__).resolve().parents[2]
X, Y = sympy.symbols("x y", real=True)
pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def deep_net():
    """200 ReLU layers of width 4 on R^2: its sympy build alone takes far longer than any timeout below
    (before the fix, `check --timeout 5` on such a net was still running at 60 s)."""
    return random_relu_net(np.random.default_rng(0), 2, [4] * 200)


def test_cli_timeout_in_process(deep_net, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "deep.json"
    netjson.save(deep_net, path)
    build_parser()  # the parser's imports (torch for `train`) are start-up, not part of --timeout
    t0 = time.perf_counter()
    code = main(["check", str(path), "--equals", "x + y", "--timeout", "1.5"])
    seconds = time.perf_counter() - t0
    out = capsys.readouterr().out
    assert code == 1 and out.startswith("unknown") and "timeout after 1.5 s" in out, out
    assert seconds < 1.5 + 2, seconds


def test_cli_timeout_real_process(deep_net, tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    netjson.save(deep_net, path)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "polyapprox", "check", str(path), "--equals", "x + y",
                           "--timeout", "1", "--json"], env=env, capture_output=True, text=True, timeout=30,
                          check=False)
    seconds = time.perf_counter() - t0
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert '"status": "unknown"' in proc.stdout and "timeout after 1 s" in proc.stdout, proc.stdout
    assert not proc.stderr.strip()
    assert seconds < 1 + 2 + 4, seconds  # + interpreter start-up (imports) on a slow shared machine


def test_prove_equal_timeout_checks_between_layers(deep_net) -> None:
    t0 = time.perf_counter()
    cert = prove_equal(deep_net, X + Y, timeout=0.5)
    seconds = time.perf_counter() - t0
    assert cert.status == "unknown" and cert.detail == "timeout after 0.5 s", cert
    assert seconds < 0.5 + 2, seconds


def test_worker_answers_like_prove_equal() -> None:
    from polyapprox.construct.blocks import power_block

    cert = prove_in_worker(power_block(3), X ** 3, timeout=30, symbols=(X,))
    direct = prove_equal(power_block(3), X ** 3, symbols=(X,))
    assert (cert.status, cert.method, cert.detail) == (direct.status, direct.method, direct.detail) == (
        "proved", direct.method, direct.detail) and direct.status == "proved"
    refuted = prove_in_worker(power_block(3), X ** 3 + 1, timeout=30, symbols=(X,))
    assert refuted.status == "refuted" and refuted.counterexample is not None


def test_worker_failures(monkeypatch: pytest.MonkeyPatch) -> None:
    from polyapprox.construct.blocks import power_block

    def boom(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(prover_module, "prove_equal", boom)  # the forked worker sees the same module
    cert = prove_in_worker(power_block(2), X ** 2, timeout=30, symbols=(X,))
    assert cert.status == "unknown" and cert.detail.startswith("prover failed: RecursionError"), cert

    def bad_input(*args, **kwargs):
        raise PolyapproxError("expr: unknown variable 'z'")

    monkeypatch.setattr(prover_module, "prove_equal", bad_input)
    with pytest.raises(PolyapproxError, match="unknown variable 'z'"):
        prove_in_worker(power_block(2), X ** 2, timeout=30, symbols=(X,))
