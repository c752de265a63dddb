"""The limits table: defaults, environment overrides, and refusals that say how to raise the limit."""

from __future__ import annotations

import pytest

from polyapprox.core.limits import LIMITS, LimitError, check, limit
from polyapprox.errors import PolyapproxError


def test_defaults_and_override(monkeypatch: pytest.MonkeyPatch) -> None:
    assert limit("expr_chars") == LIMITS["expr_chars"].default
    monkeypatch.setenv("POLYAPPROX_MAX_EXPR_CHARS", "12")
    assert limit("expr_chars") == 12
    assert check("expr_chars", 12) == 12
    with pytest.raises(LimitError, match=r"13 is over the limit 12 \(set POLYAPPROX_MAX_EXPR_CHARS"):
        check("expr_chars", 13)


@pytest.mark.parametrize("raw", ["abc", "0", "-5", "1e3"])
def test_bad_override_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("POLYAPPROX_MAX_DEGREE", raw)
    with pytest.raises(LimitError, match="POLYAPPROX_MAX_DEGREE"):
        limit("degree")


def test_limit_errors_are_bad_input() -> None:
    assert issubclass(LimitError, PolyapproxError)
    assert all(lim.default >= 1 and lim.meaning for lim in LIMITS.values())
