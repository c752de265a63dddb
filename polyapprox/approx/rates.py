"""Fitting approximation rates (docs/measurement.md §6). Pure functions.

``fit_rate(params, errors)`` fits ``log e = c + s log W`` by OLS on the *asymptotic window*: the longest
suffix of at least ``MIN_WINDOW`` = 4 points (after removing points at the float floor, error < 10 x floor)
whose local slopes ``s_i = d log e / d log W`` lie within ``max(0.1 |s_th|, 0.05)`` of their median (the
median slope stands in for s_th when no theory slope is given). With fewer than 4 such points the fit is
reported as "not asymptotic" (neither pass nor fail). The data are deterministic (no seeds, no sampling),
so no confidence interval is reported: a fit gives the *range* of its local (consecutive) slopes in the
window and their *trend* (``local_trend``: do the last two local slopes move toward the theory slope?).

``fit_enclosure(params, lower, upper, ...)`` fits the lower and the upper end of each point's error
enclosure separately (``enclosure(point)`` reads ``sup_error_lower`` / ``sup_error_upper`` and falls back
to ``sup_error`` for both ends when a point has no enclosure).

``log_factor_test(params, errors, n, d)`` looks for a ln(1/eps) factor: the slope of log(e W^{n/d}) against
log log W (about n/d for Yarotsky-type ReLU nets, <= 0 for PUT-PolyReLU), and the log-corrected slope of
log e against log(W / log W).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from polyapprox.errors import InvalidDataError

MIN_WINDOW = 4
FLOOR_FACTOR = 10.0
TREND_TOL = 0.1


@dataclass(frozen=True)
class RateFit:
    """A log-log rate fit. ``window``: indices (into the input) used; ``local_range``: (min, max) of the local
    slopes inside the window (a range, not a confidence interval); ``trend``: ``local_trend`` of them."""

    slope: float
    intercept: float
    local_range: tuple[float, float]
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
    trend: str = "-"

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
    """The t interval of an OLS slope (model: independent normal residuals)."""
    if k < 3 or not math.isfinite(se):
        return (math.nan, math.nan)
    from scipy.stats import t

    half = float(t.ppf(0.975, k - 2)) * se
    return (slope - half, slope + half)


def local_trend(local: Sequence[float], theory: float | None, tol: float = TREND_TOL) -> str:
    """How the last two local slopes sit against ``theory``: "within tol" (both within ``tol``), "toward"
    (the last is at least as close as the one before), "away", "too few" (< 2 slopes) or "-" (no theory)."""
    if theory is None:
        return "-"
    if len(local) < 2:
        return "too few"
    before, last = abs(local[-2] - theory), abs(local[-1] - theory)
    if max(before, last) <= tol:
        return "within tol"
    return "toward" if last <= before else "away"


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
             theory_slope: float | None = None, tolerance: float = 0.1,
             exclude: Sequence[int] = ()) -> RateFit:
    """Fit the rate s in e ~ C W^s on the asymptotic window (module docstring); flag the theory comparison.

    ``floor``: precision floor (scalar or per point); points with error < 10 x floor (or error 0) are
    excluded, and so are the indices in ``exclude`` (points excluded upstream, with a reason).
    ``agrees_with_theory``: |slope - theory_slope| <= tolerance (None without a theory slope or
    outside the asymptotic regime).
    """
    w, e = _clean(params, errors)
    order = np.argsort(w, kind="stable")
    fl = np.zeros_like(e) if floor is None else np.broadcast_to(np.asarray(floor, dtype=np.float64), e.shape)
    dropped = {int(i) for i in exclude}
    at_floor = tuple(int(i) for i in order if e[i] <= 0 or e[i] < FLOOR_FACTOR * fl[i] or int(i) in dropped)
    usable = np.array([i for i in order if i not in at_floor], dtype=np.intp)
    if usable.size < 2 or np.ptp(w[usable]) == 0:
        nan2 = (math.nan, math.nan)
        return RateFit(math.nan, math.nan, nan2, math.nan, tuple(int(i) for i in usable), int(usable.size),
                       at_floor, (), theory_slope, False, "insufficient data", None, None, tolerance)
    lw, le = np.log(w[usable]), np.log(e[usable])
    start, local = asymptotic_window(lw, le, theory_slope)
    asymptotic = start >= 0
    sel = np.arange(start, len(lw)) if asymptotic else np.arange(max(0, len(lw) - MIN_WINDOW), len(lw))
    slope, intercept, se = _ols(lw[sel], le[sel])
    gap = slope - theory_slope if theory_slope is not None else None
    agrees = (abs(gap) <= tolerance) if (gap is not None and asymptotic) else None
    in_window = local[sel[0]:sel[-1]]
    return RateFit(
        slope=slope, intercept=intercept, local_range=(float(in_window.min()), float(in_window.max())),
        se=se, window=tuple(int(usable[i]) for i in sel), n_used=int(len(sel)),
        excluded_floor=at_floor, local_slopes=tuple(float(v) for v in local), theory_slope=theory_slope,
        asymptotic=asymptotic, status="asymptotic" if asymptotic else "not asymptotic",
        theory_gap=gap, agrees_with_theory=agrees, tolerance=tolerance,
        trend=local_trend([float(v) for v in in_window], theory_slope))


def enclosure(point: Mapping[str, Any]) -> tuple[float, float]:
    """(lower, upper) sup error of a sweep point: ``sup_error_lower`` / ``sup_error_upper`` when present (and
    not null), else ``sup_error`` for that end (a sampled error, not certified)."""
    e = point.get("sup_error")
    lo, hi = (point.get(key) if point.get(key) is not None else e for key in ("sup_error_lower", "sup_error_upper"))
    if lo is None or hi is None:
        raise InvalidDataError("point: no sup_error, sup_error_lower or sup_error_upper")
    return float(lo), float(hi)


def point_floor(point: Mapping[str, Any]) -> float:
    """The precision floor of a sweep point: the tight ``float_floor`` when present, else ``floor`` (or 0)."""
    value = point.get("float_floor", point.get("floor"))
    return float(value) if value is not None else 0.0


@dataclass(frozen=True)
class EnclosureFit:
    """Rate fits of the lower and of the upper end of the error enclosures; ``certified``: the points carried
    their own upper bounds (else both fits use the sampled sup error)."""

    lower: RateFit
    upper: RateFit
    certified: bool

    def to_dict(self) -> dict[str, Any]:
        return {"lower": self.lower.to_dict(), "upper": self.upper.to_dict(), "certified": self.certified}


def fit_enclosure(points: Sequence[Mapping[str, Any]], theory_slope: float | None, x: str = "params",
                  tolerance: float = 0.1) -> EnclosureFit:
    """``fit_rate`` of each enclosure end against ``x`` (``params`` or ``N``) for sweep point dicts; points
    with an ``excluded_reason`` and points under 10 x their floor (``point_floor``) are left out.

    The upper end is fitted over the points that carry a certified ``sup_error_upper`` only: a sampled sup
    error is a lower bound, so it cannot stand in for an upper end next to certified ones. Where no point
    carries one, both fits use the sampled sup error (``certified`` False)."""
    w = [float(p[x]) for p in points]
    ends = [enclosure(p) for p in points]
    floors = [point_floor(p) for p in points]
    skip = [i for i, p in enumerate(points) if p.get("excluded_reason")]
    bare = [i for i, p in enumerate(points) if p.get("sup_error_upper") is None]
    partly = 0 < len(bare) < len(points)
    fits = [fit_rate(w, [e[k] for e in ends], floor=floors, theory_slope=theory_slope, tolerance=tolerance,
                     exclude=sorted(set(skip) | set(bare)) if k == 1 and partly else skip) for k in (0, 1)]
    return EnclosureFit(fits[0], fits[1], not bare)


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


def equal_error_ratio(poly: Mapping[str, Any], relu: Mapping[str, Any]) -> list[tuple[float, float]]:
    """For each ReLU point (W_relu, e): W_relu / W_poly(e), W_poly(e) interpolated log-log on the PolyReLU
    sweep (within its measured error range only). Returns [(e, ratio)] with e decreasing."""
    pw = np.log([p["params"] for p in poly["points"]])
    pe = np.log([enclosure(p)[1] for p in poly["points"]])
    order = np.argsort(pe)
    out = []
    for p in relu["points"]:
        e = enclosure(p)[1]
        le = math.log(e)
        if pe.min() <= le <= pe.max():
            w_poly = math.exp(float(np.interp(le, pe[order], pw[order])))
            out.append((e, p["params"] / w_poly))
    return sorted(out, reverse=True)
