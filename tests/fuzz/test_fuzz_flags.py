"""Hostile numeric flags: every bad value is exit 2 with one line, before any work; the one reader
``parse_number`` is exact on good values and refuses the rest with ConfigError/LimitError."""

from __future__ import annotations

import time
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polyapprox.cli._io import SEED_MAX, parse_int, parse_number
from polyapprox.cli.main import main
from polyapprox.construct.blocks import product_block
from polyapprox.core import netjson
from polyapprox.core.limits import LimitError
from polyapprox.errors import ConfigError

BAD_NUMBERS = ["inf", "-inf", "nan", "NaN", "1e999999999", "-1e999999999", "1e-999999999", "9" * 5000, "1/0",
               "", " ", "abc", "0x10", "1_000", "1.5/2", "--1", "1e", "e5", ".", "1..2", "½", "1,5"]


def _main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse type errors
        code = int(exc.code or 0)
    return code, capsys.readouterr().err


def _refused(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    start = time.monotonic()
    code, err = _main(capsys, *argv)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2, (argv[:6], err)
    assert len(lines) == 1 and lines[0].startswith("polyapprox:") and "Traceback" not in err, err
    assert len(lines[0]) < 300, lines[0]
    assert time.monotonic() - start < 5, argv[:6]
    return lines[0]


@pytest.fixture
def net_file(tmp_path: Path) -> Path:
    path = tmp_path / "product.json"
    netjson.save(product_block(), path)
    return path


def test_domain(capsys, net_file: Path) -> None:
    for value in BAD_NUMBERS:
        _refused(capsys, "check", str(net_file), "--equals", "x*y", "--vars", "x,y", f"--domain=0,{value}")
    assert "must be" not in _refused(capsys, "check", str(net_file), "--equals", "x*y", "--domain=1,0")
    assert _main(capsys, "check", str(net_file), "--equals", "x*y", "--domain=-1/2,1.5e0")[0] == 0


def test_sigma(capsys, net_file: Path) -> None:
    for value in (v for v in BAD_NUMBERS if "," not in v):  # '1,5' is two good coefficients here
        _refused(capsys, "construct", "shared", str(net_file), "--sigma", f"0,{value},1")
    assert "POLYAPPROX_MAX_DEGREE" in _refused(capsys, "construct", "shared", str(net_file), "--sigma",
                                               ",".join(["1"] * 100_000))


@pytest.mark.parametrize("argv", [
    ["rates", "--target", "sin1", "--order", "2", "--seeds"],
    ["reproduce", "--seeds"],
    ["train", "lm", "--seeds"],
    ["train", "ffn", "--seeds"],
    ["construct", "relu-net", "--seeds"],
    ["train", "lm", "--seed"],  # the deprecated spelling is checked the same way
])
def test_seed(capsys, argv: list[str]) -> None:
    for value in ["-1", "1.5", "1e3", "nan", str(SEED_MAX + 1), "9" * 5000, "", "1,,2", "1,1"]:
        assert "seed" in _refused(capsys, *argv, value)


@pytest.mark.parametrize("argv", [["train", "lm", "--lr"], ["train", "ffn", "--lr"]])
def test_learning_rate(capsys, argv: list[str]) -> None:
    for value in [*BAD_NUMBERS, "0", "-0.1", "11", "1e3"]:
        assert "lr" in _refused(capsys, *argv, value)


@pytest.mark.parametrize(("flag", "bad"), [("--eval-every", "0"), ("--patience", "-1"), ("--lbfgs-steps", "-1")])
def test_train_ffn_counts(capsys, flag: str, bad: str) -> None:
    for value in [bad, "1.5", "inf", "9" * 5000]:
        _refused(capsys, "train", "ffn", flag, value)


def test_parse_number_exact_and_ranged() -> None:
    assert parse_number("-1/2", "f") == Fraction(-1, 2)
    assert parse_number(" 1.5e-3 ", "f") == Fraction(3, 2000)
    assert parse_number(".5", "f") == parse_number("5e-1", "f") == Fraction(1, 2)
    with pytest.raises(ConfigError, match="must be > 0"):
        parse_number("0", "lr", 0, 10, above=True)
    with pytest.raises(ConfigError, match="must be <= 10"):
        parse_number("10.5", "lr", 0, 10)
    with pytest.raises(LimitError, match="POLYAPPROX_MAX_NUMBER_DIGITS"):  # flags share core.rational's reader
        parse_number("1e999999999", "f")
    assert parse_int("0", "seed", 0) == 0
    with pytest.raises(ConfigError, match="must be <= 3"):
        parse_int("4", "n", 0, 3)


@settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.fractions(max_denominator=10 ** 30))
def test_parse_number_round_trips(value: Fraction) -> None:
    assert parse_number(str(value), "f") == value


@settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.decimals(allow_nan=False, allow_infinity=False, places=None).filter(lambda d: abs(d.adjusted()) < 300))
def test_parse_number_reads_decimals_exactly(value) -> None:
    assert parse_number(str(value), "f") == Fraction(value)


@settings(max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.text(alphabet="0123456789+-./eEinfaxj_ \t", max_size=40) | st.text(max_size=20))
def test_fuzz_parse_number(text: str) -> None:
    start = time.monotonic()
    try:
        value = parse_number(text, "f", -10 ** 6, 10 ** 6)
    except (ConfigError, LimitError) as exc:
        assert "\n" not in str(exc)
    else:
        assert isinstance(value, Fraction) and -10 ** 6 <= value <= 10 ** 6
    assert time.monotonic() - start < 1
