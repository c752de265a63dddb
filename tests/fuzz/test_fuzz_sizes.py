"""Sizes asked for on the command line (construct, rates): refused with exit 2 and one line naming the limit
before any work, in-process, for hypothesis-drawn huge values and the issue's reproducers."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polyapprox.approx.sweeps import estimate_bytes
from polyapprox.cli.main import main
from polyapprox.core.limits import limit

CASE_SECONDS = 5.0


def _refused(argv: list[str], capsys: pytest.CaptureFixture[str], env_var: str) -> None:
    t0 = time.perf_counter()
    code = main(argv)
    seconds = time.perf_counter() - t0
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert code == 2, (argv, err)
    assert len(err) == 1 and err[0].startswith("polyapprox: error: ") and env_var in err[0], err
    assert seconds < CASE_SECONDS, (argv, seconds)


REPRODUCERS = [
    (["construct", "power", "1000000000"], "POLYAPPROX_MAX_POWER"),
    (["rates", "--target", "sin1", "--order", "2", "--grids", "1000000000"], "POLYAPPROX_MAX_GRID"),
    (["rates", "--target", "exp2", "--order", "2", "--grids", "8,4000"], "POLYAPPROX_MAX_MEMORY_MB"),
    (["rates", "--target", "sin1", "--order", "1000000", "--grids", "8"], "POLYAPPROX_MAX_MEMORY_MB"),
    (["rates", "--target", "x1", "--dim", "1000000000", "--order", "2"], "POLYAPPROX_MAX_DIM"),
    (["construct", "monomial", "4000,4000"], "POLYAPPROX_MAX_POWER"),
    (["construct", "monomial", ",".join(["1"] * 40)], "POLYAPPROX_MAX_NONZEROS"),
    (["construct", "relu-net", "--widths", "100000,100000"], "POLYAPPROX_MAX_NONZEROS"),
    (["construct", "relu-net", "--widths", "3", "--dim", "1000000000"], "POLYAPPROX_MAX_DIM"),
    (["construct", "relu-net", "--widths", ",".join(["1"] * 20000)], "POLYAPPROX_MAX_LAYERS"),
    (["construct", "relu", "--no-prove"], None),  # a control: accepted
]


@pytest.mark.parametrize(("argv", "env_var"), REPRODUCERS, ids=[" ".join(a)[:40] for a, _ in REPRODUCERS])
def test_size_reproducers(argv: list[str], env_var: str | None, capsys: pytest.CaptureFixture[str]) -> None:
    if env_var is None:
        assert main(argv) == 0
        return
    _refused(argv, capsys, env_var)


def test_memory_estimate_is_in_the_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rates", "--target", "exp2", "--order", "2", "--grids", "4000"]) == 2
    err = capsys.readouterr().err
    mb = -(-estimate_bytes(2, 2, "polyrelu", 4000) // 2**20)
    assert "N=4000" in err and f"{mb} is over the limit {limit('memory_mb')}" in err, err


def test_limits_can_be_raised_or_lowered(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYAPPROX_MAX_POWER", "8")
    assert main(["construct", "power", "8", "--no-prove"]) == 0
    _refused(["construct", "power", "9", "--no-prove"], capsys, "POLYAPPROX_MAX_POWER")
    monkeypatch.setenv("POLYAPPROX_MAX_GRID", "16")
    _refused(["rates", "--target", "sin1", "--order", "2", "--grids", "8,17"], capsys, "POLYAPPROX_MAX_GRID")


def test_sigma_numbers_are_bounded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "net.json"
    assert main(["construct", "relu", "--no-prove", "--out", str(src), "--quiet"]) == 0
    _refused(["construct", "shared", str(src), "--sigma", "0,1e99999999"], capsys, "POLYAPPROX_MAX_NUMBER_DIGITS")
    _refused(["construct", "shared", str(src), "--sigma", ",".join(["1"] * 5000)], capsys, "POLYAPPROX_MAX_DEGREE")


HUGE = st.integers(min_value=10**5 + 1, max_value=10**40).map(str)  # over every default limit they meet
FLAGS = st.sampled_from([
    (lambda v: ["construct", "power", v], "POLYAPPROX_MAX_POWER"),
    (lambda v: ["construct", "monomial", f"1,{v}"], "POLYAPPROX_MAX_POWER"),
    (lambda v: ["construct", "relu-net", "--widths", f"2,{v}", "--no-prove"], "POLYAPPROX_MAX_"),
    (lambda v: ["construct", "relu-net", "--dim", v, "--no-prove"], "POLYAPPROX_MAX_DIM"),
    (lambda v: ["rates", "--target", "sin1", "--order", "2", "--grids", f"8,{v}"], "POLYAPPROX_MAX_GRID"),
    (lambda v: ["rates", "--target", "sin1", "--order", v, "--grids", "8"], "POLYAPPROX_MAX_MEMORY_MB"),
])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flag=FLAGS, value=HUGE)
def test_huge_sizes_are_refused(flag, value: str, capsys: pytest.CaptureFixture[str]) -> None:
    build, env_var = flag
    _refused(build(value), capsys, env_var)
