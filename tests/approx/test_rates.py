"""Rate fits on synthetic data with known slopes, kinks, floors and log factors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from polyapprox.approx.rates import (
    asymptotic_window,
    enclosure,
    fit_enclosure,
    fit_rate,
    local_trend,
    log_factor_test,
)
from polyapprox.errors import InvalidDataError


def _power_law(slope: float, c: float = 3.0, k: int = 8) -> tuple[np.ndarray, np.ndarray]:
    w = 100.0 * 2.0 ** np.arange(k)
    return w, c * w ** slope


@pytest.mark.parametrize("slope", [-0.5, -1.0, -2.0, -4.0], ids=lambda s: f"s{s}")
def test_exact_power_law_recovered(slope: float) -> None:
    w, e = _power_law(slope)
    fit = fit_rate(w, e, theory_slope=slope)
    # exact data: the OLS slope is exact up to float rounding of the logs (~1e-15 relative per log).
    assert fit.slope == pytest.approx(slope, abs=1e-12)
    assert fit.asymptotic and fit.status == "asymptotic" and fit.n_used == 8
    assert fit.agrees_with_theory is True
    assert fit.local_range == pytest.approx((slope, slope), abs=1e-9)
    assert fit.trend == "within tol"
    assert fit.window == tuple(range(8))


def test_local_range_is_min_max_of_window_local_slopes() -> None:
    """The reported interval is the range of the local slopes inside the window (not a bootstrap 'CI')."""
    w = 100.0 * 2.0 ** np.arange(6)
    e = np.exp(-2.0 * np.log(w) + np.array([0.0, 0.02, -0.01, 0.03, 0.0, 0.01]))
    fit = fit_rate(w, e, theory_slope=-2.0)
    local = np.diff(np.log(e)) / np.diff(np.log(w))
    assert fit.window == tuple(range(6))
    assert fit.local_range == pytest.approx((local.min(), local.max()), abs=1e-12)


def test_local_trend_rule() -> None:
    assert local_trend([-1.7, -1.95], -2.0) == "toward"
    assert local_trend([-1.95, -1.7], -2.0) == "away"
    assert local_trend([-1.95, -2.05], -2.0) == "within tol"
    assert local_trend([-2.0], -2.0) == "too few" and local_trend([-1.0, -2.0], None) == "-"


def test_enclosure_falls_back_and_fits_both_ends() -> None:
    assert enclosure({"sup_error": 0.5}) == (0.5, 0.5)
    assert enclosure({"sup_error": 0.5, "sup_error_lower": 0.4, "sup_error_upper": 0.6}) == (0.4, 0.6)
    assert enclosure({"sup_error": 0.5, "sup_error_lower": 0.4, "sup_error_upper": None}) == (0.4, 0.5)
    w = 100.0 * 2.0 ** np.arange(5)
    pts = [{"params": x, "sup_error": x ** -2.0, "sup_error_lower": x ** -2.0, "sup_error_upper": 3 * x ** -1.5,
            "excluded_reason": "at floor" if k == 4 else None} for k, x in enumerate(w)]
    fit = fit_enclosure(pts, -2.0)
    assert fit.certified and fit.lower.slope == pytest.approx(-2.0) and fit.upper.slope == pytest.approx(-1.5)
    assert fit.lower.excluded_floor == (4,) and 4 not in fit.upper.window
    plain = fit_enclosure([{k: v for k, v in p.items() if k == "params" or k == "sup_error"} for p in pts], -2.0)
    assert not plain.certified and plain.lower.slope == plain.upper.slope


def test_kink_restricts_window_to_suffix() -> None:
    """Slope -1 for the first 4 points, then -3: the window must be the -3 suffix only."""
    w = 10.0 * 2.0 ** np.arange(9)
    le = np.concatenate([-1.0 * np.log(w[:4]), -1.0 * np.log(w[3]) - 3.0 * (np.log(w[4:]) - np.log(w[3]))])
    fit = fit_rate(w, np.exp(le))
    assert fit.window == (3, 4, 5, 6, 7, 8)
    assert fit.slope == pytest.approx(-3.0, abs=1e-12)


def test_too_few_consistent_points_is_not_asymptotic() -> None:
    w = 10.0 * 2.0 ** np.arange(5)
    e = np.exp(np.array([0.0, -1.0, -3.0, -3.5, -6.0]))  # local slopes all over the place
    fit = fit_rate(w, e, theory_slope=-2.0)
    assert not fit.asymptotic and fit.status == "not asymptotic" and fit.agrees_with_theory is None
    w3, e3 = _power_law(-1.0, k=3)
    assert fit_rate(w3, e3).status == "not asymptotic"


def test_far_from_theory_is_flagged() -> None:
    w, e = _power_law(-1.5)
    fit = fit_rate(w, e, theory_slope=-2.0)
    assert fit.asymptotic and fit.agrees_with_theory is False
    assert fit.theory_gap == pytest.approx(0.5, abs=1e-12)


def test_floor_points_excluded() -> None:
    w, e = _power_law(-2.0, k=8)
    floor = e[5] / 20  # points 6, 7 are set below 10 x floor
    e = e.copy()
    e[6:] = floor * 2
    fit = fit_rate(w, e, floor=floor, theory_slope=-2.0)
    assert fit.excluded_floor == (6, 7)
    assert fit.window == tuple(range(6))
    assert fit.slope == pytest.approx(-2.0, abs=1e-12)


def test_insufficient_and_bad_input() -> None:
    assert fit_rate([10.0], [1.0]).status == "insufficient data"
    with pytest.raises(InvalidDataError):
        fit_rate([1.0, 2.0], [1.0])
    with pytest.raises(InvalidDataError):
        fit_rate([1.0, -2.0], [1.0, 1.0])


def test_window_rule_directly() -> None:
    lw = np.log(np.array([1, 2, 4, 8, 16.0]))
    start, local = asymptotic_window(lw, -2 * lw, -2.0)
    assert start == 0 and np.allclose(local, -2.0)


def test_log_factor_detected_and_absent() -> None:
    n, d = 2, 1
    w = 200.0 * 2.0 ** np.arange(10)
    with_log = (w / np.log(w)) ** (-n / d)
    plain = 5.0 * w ** (-n / d)
    t_log = log_factor_test(w, with_log, n, d)
    t_plain = log_factor_test(w, plain, n, d)
    assert t_log.verdict == "log factor" and t_log.loglog_slope == pytest.approx(n / d, rel=1e-9)
    assert t_log.corrected_slope == pytest.approx(-n / d, abs=1e-9)
    assert t_plain.verdict == "no log factor" and abs(t_plain.loglog_slope) < 1e-9
    assert t_plain.plain_slope == pytest.approx(-2.0, abs=1e-12)
    assert math.isclose(t_plain.expected_without_log, -2.0)


def test_to_dict_keys() -> None:
    w, e = _power_law(-1.0)
    d = fit_rate(w, e, theory_slope=-1.0).to_dict()
    assert {"slope", "local_range", "trend", "window", "excluded_floor", "status", "theory_slope"} <= set(d)
    assert "ci" not in d  # deterministic points: no interval is called a confidence interval
