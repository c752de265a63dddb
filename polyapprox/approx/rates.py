"""Fitting approximation rates with confidence intervals (docs/measurement.md §6). Pure functions.

``fit_rate(params, errors)`` fits ``log e = c + s log W`` by OLS on the *asymptotic window*: the longest
suffix of at least ``MIN_WINDOW`` = 4 points (after removing points at the float floor, error < 10 x floor)
whose local slopes ``s_i = d log e / d log W`` lie within ``max(0.1 |s_th|, 0.05)`` of their median (the
median slope stands in for s_th when no theory slope is given). With fewer than 4 such points the fit is
reported as "not asymptotic" (neither pass nor fail). The CI is the t-based OLS interval and a pairs
bootstrap percentile interval (B = 2000, seeded); the data are deterministic, so both describe model
misfit, not sampling noise.

``log_factor_test(params, errors, n, d)`` looks for a ln(1/eps) factor: the slope of log(e W^{n/d}) against
log log W (about n/d for Yarotsky-type ReLU nets, <= 0 for PUT-PolyReLU), and the log-corrected slope of
log e against log(W / log W).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from polyapprox.errors import InvalidDataError

MIN_WINDOW = 4
FLOOR_FACTOR = 10.0
BOOTSTRAP = 2000


@dataclass(frozen=True)
class RateFit:
    """A log-log rate fit. ``window``: indices (into the input) used; ``ci``: bootstrap 95 %; ``ols_ci``: t-based."""

    slope: float
    intercept: float
    ci: tuple[float, float]
    ols_ci: tuple[float, float]
    se: float
    window: tuple[int, ...]
    n_used: int
    excluded_floor: tuple[int, ...]
    local_slopes: tuple[float, ...]
    theory_slope: float | None
    asymptotic: bool
    status: str
    theory_gap: float | None
    agrees_with_theory: bool | None
    tolerance: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _ols(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """(slope, intercept, standard error of the slope); se = nan with fewer than 3 points."""
    xm, ym = x.mean(), y.mean()
    sxx = float(np.sum((x - xm) ** 2))
    slope = float(np.sum((x - xm) * (y - ym)) / sxx)
    intercept = float(ym - slope * xm)
    k = len(x)
    if k < 3:
        return slope, intercept, math.nan
    resid = y - (intercept + slope * x)
    return slope, intercept, math.sqrt(float(np.sum(resid ** 2)) / (k - 2) / sxx)


def _t_ci(slope: float, se: float, k: int) -> tuple[float, float]:
    if k < 3 or not math.isfinite(se):
        return (math.nan, math.nan)
    from scipy.stats import t

    half = float(t.ppf(0.975, k - 2)) * se
    return (slope - half, slope + half)


def _bootstrap_ci(x: np.ndarray, y: np.ndarray, seed: int, b: int = BOOTSTRAP) -> tuple[float, float]:
    """Pairs bootstrap percentile 95 % CI of the OLS slope (resamples with one distinct x are redrawn)."""
    k = len(x)
    if k < 3:
        return (math.nan, math.nan)
    rng = np.random.default_rng(seed)
    slopes = []
    while len(slopes) < b:
        idx = rng.integers(0, k, size=(b, k))
        xs, ys = x[idx], y[idx]
        xm = xs.mean(axis=1, keepdims=True)
        sxx = np.sum((xs - xm) ** 2, axis=1)
        ok = sxx > 1e-12 * max(float(np.ptp(x)) ** 2, 1e-300)
        s = np.sum((xs - xm) * (ys - ys.mean(axis=1, keepdims=True)), axis=1)[ok] / sxx[ok]
        slopes.extend(s.tolist())
    arr = np.array(slopes[:b])
    return (float(np.percentile(arr, 2.5)), float(np.percentile(arr, 97.5)))


def _clean(params: Sequence[float], errors: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    w = np.asarray(params, dtype=np.float64).ravel()
    e = np.asarray(errors, dtype=np.float64).ravel()
    if w.shape != e.shape:
        raise InvalidDataError(f"errors: {e.size} values for {w.size} sizes")
    if w.size and (np.any(~np.isfinite(w)) or np.any(w <= 0)):
        raise InvalidDataError("params: sizes must be positive and finite")
    if np.any(np.isnan(e)) or np.any(e < 0):
        raise InvalidDataError("errors: must be non-negative numbers")
    return w, e


def asymptotic_window(log_w: np.ndarray, log_e: np.ndarray, theory_slope: float | None) -> tuple[int, np.ndarray]:
    """(start, local slopes): the longest suffix [start:] of >= MIN_WINDOW points with consistent local slopes.

    start = -1 when no such suffix exists.
    """
    local = np.diff(log_e) / np.diff(log_w)
    k = len(log_w)
    for start in range(0, k - MIN_WINDOW + 1):
        s = local[start:]
        med = float(np.median(s))
        ref = theory_slope if theory_slope is not None else med
        tol = max(0.1 * abs(ref), 0.05)
        if np.all(np.abs(s - med) <= tol):
            return start, local
    return -1, local


def fit_rate(params: Sequence[float], errors: Sequence[float], floor: float | Sequence[float] | None = None,
             theory_slope: float | None = None, seed: int = 0, tolerance: float = 0.1) -> RateFit:
    """Fit the rate s in e ~ C W^s on the asymptotic window (module docstring); flag the theory comparison.

    ``floor``: precision floor (scalar or per point); points with error < 10 x floor (or error 0) are
    excluded. ``agrees_with_theory``: |slope - theory_slope| <= tolerance (None without a theory slope or
    outside the asymptotic regime).
    """
    w, e = _clean(params, errors)
    order = np.argsort(w, kind="stable")
    fl = np.zeros_like(e) if floor is None else np.broadcast_to(np.asarray(floor, dtype=np.float64), e.shape)
    at_floor = tuple(int(i) for i in order if e[i] <= 0 or e[i] < FLOOR_FACTOR * fl[i])
    usable = np.array([i for i in order if i not in at_floor], dtype=np.intp)
    if usable.size < 2 or np.ptp(w[usable]) == 0:
        nan2 = (math.nan, math.nan)
        return RateFit(math.nan, math.nan, nan2, nan2, math.nan, tuple(int(i) for i in usable), int(usable.size),
                       at_floor, (), theory_slope, False, "insufficient data", None, None, tolerance)
    lw, le = np.log(w[usable]), np.log(e[usable])
    start, local = asymptotic_window(lw, le, theory_slope)
    asymptotic = start >= 0
    sel = np.arange(start, len(lw)) if asymptotic else np.arange(max(0, len(lw) - MIN_WINDOW), len(lw))
    slope, intercept, se = _ols(lw[sel], le[sel])
    gap = slope - theory_slope if theory_slope is not None else None
    agrees = (abs(gap) <= tolerance) if (gap is not None and asymptotic) else None
    return RateFit(
        slope=slope, intercept=intercept, ci=_bootstrap_ci(lw[sel], le[sel], seed),
        ols_ci=_t_ci(slope, se, len(sel)), se=se, window=tuple(int(usable[i]) for i in sel), n_used=int(len(sel)),
        excluded_floor=at_floor, local_slopes=tuple(float(v) for v in local), theory_slope=theory_slope,
        asymptotic=asymptotic, status="asymptotic" if asymptotic else "not asymptotic",
        theory_gap=gap, agrees_with_theory=agrees, tolerance=tolerance)


@dataclass(frozen=True)
class LogFactorTest:
    """Log-factor diagnostics: slope of log(e W^{n/d}) vs log log W (+ t CI) and the log-corrected slope."""

    loglog_slope: float
    loglog_ci: tuple[float, float]
    corrected_slope: float
    plain_slope: float
    expected_without_log: float
    verdict: str
    n_used: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def log_factor_test(params: Sequence[float], errors: Sequence[float], n: int, d: int,
                    floor: float | Sequence[float] | None = None) -> LogFactorTest:
    """Detect e ~ (W / log W)^{-n/d} (a ln(1/eps) factor in W(eps)) against e ~ W^{-n/d} (docs/measurement.md §6.5).

    verdict: "log factor" when the log log W slope's CI lies above 0, "no log factor" when its CI lies
    below n/(2d), else "inconclusive".
    """
    w, e = _clean(params, errors)
    fl = np.zeros_like(e) if floor is None else np.broadcast_to(np.asarray(floor, dtype=np.float64), e.shape)
    keep = (e > 0) & (e >= FLOOR_FACTOR * fl) & (w > math.e)
    w, e = w[keep], e[keep]
    if w.size < 3:
        raise InvalidDataError(f"log_factor_test: {w.size} usable points, need >= 3")
    r = n / d
    y = np.log(e) + r * np.log(w)
    x = np.log(np.log(w))
    s, _, se = _ols(x, y)
    ci = _t_ci(s, se, len(x))
    corrected, _, _ = _ols(np.log(w / np.log(w)), np.log(e))
    plain, _, _ = _ols(np.log(w), np.log(e))
    if ci[0] > 0:
        verdict = "log factor"
    elif ci[1] < r / 2:
        verdict = "no log factor"
    else:
        verdict = "inconclusive"
    return LogFactorTest(loglog_slope=s, loglog_ci=ci, corrected_slope=corrected, plain_slope=plain,
                         expected_without_log=-r, verdict=verdict, n_used=int(w.size))
