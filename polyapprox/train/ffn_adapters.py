"""The FFN sweep's only contact points with targets, measurement, rate fits and the Theorem 3 construction.

Each function is a thin call into the shared module (``polyapprox.targets``, ``polyapprox.approx.measure``,
``polyapprox.approx.rates``, ``polyapprox.construct.sobolev``), so trained and constructed networks are measured
and fitted by the same code; an API change there is a one-file edit here.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

VectorFn = Callable[[np.ndarray], np.ndarray]  # x (P, d) -> (P,)


def resolve_target(name_or_expr: str, dim: int | None) -> Any:
    """A catalogue target by name, else a user expression in x1..xd (or x, y, z) on [0,1]^dim."""
    from polyapprox.targets.catalogue import resolve_target as _resolve

    return _resolve(name_or_expr, dim)


def target_values(target: Any, x: np.ndarray) -> np.ndarray:
    """f(x) for x (P, d) -> (P,) float64."""
    return np.asarray(target.f(x), dtype=np.float64).reshape(-1)


def _report(rep: Any) -> dict[str, Any]:
    return {"sup_error": float(rep.sup_error), "l2_error": float(rep.l2_error), "how": rep.how,
            "floor": rep.floor}


def measure(fn: VectorFn, target: Any, seed: int = 0) -> dict[str, Any]:
    """sup and L2 errors of a vectorised callable against ``target`` (``measure_errors``), with how."""
    from polyapprox.approx.measure import measure_errors

    return _report(measure_errors(fn, target, seed=seed))


def measure_net(net: Any, target: Any, grid_cells: int | None = None) -> dict[str, Any]:
    """sup and L2 errors of an exact ``Net`` (breakpoint-aligned when ``grid_cells`` = N is given)."""
    from polyapprox.approx.measure import measure_errors

    return _report(measure_errors(net, target, grid_cells=grid_cells))


def fit(params: Sequence[float], errors: Sequence[float], floor: Sequence[float] | None = None) -> dict[str, Any]:
    """``fit_rate`` of log error vs log params: {"slope", "local_range" (min, max local slope in the
    fit window: a range, not a confidence interval), "trend", "status", ...}.

    Several points with the same ``params`` (seeds) are first reduced to their geometric mean, since the
    window rule of ``fit_rate`` works on distinct sizes.
    """
    from polyapprox.approx.rates import fit_rate

    by_size: dict[float, list[float]] = {}
    for p, e in zip(params, errors, strict=True):
        by_size.setdefault(float(p), []).append(float(e))
    sizes = sorted(by_size)
    if len(sizes) < 2:
        return {"slope": None, "local_range": None, "status": "insufficient data", "sizes": sizes}
    errs = [float(np.exp(np.mean(np.log(np.maximum(by_size[s], 1e-300))))) for s in sizes]
    r = fit_rate(sizes, errs, floor=floor)
    return {"slope": _num(r.slope), "local_range": [_num(v) for v in r.local_range], "trend": r.trend,
            "status": r.status, "window_params": [sizes[i] for i in r.window],
            "local_slopes": [_num(v) for v in r.local_slopes], "errors": errs, "sizes": sizes}


def _num(v: float) -> float | None:
    return float(v) if np.isfinite(v) else None


def construction_net(target: Any, n: int, N: int) -> Any:
    """The Theorem 3 construction ``sobolev_net(target, n, N)`` (a ``Net``); None if not in this checkout."""
    if importlib.util.find_spec("polyapprox.construct.sobolev") is None:
        return None
    from polyapprox.construct.sobolev import sobolev_net

    return sobolev_net(target, n, N)
