"""Sup and L2 errors of an approximant against a target, with how each was measured (docs/measurement.md §2, §3, §5).

``measure_errors(model, target, grid_cells=N)`` accepts a ``Net`` (evaluated by the sparse ``FloatNet``) or
any vectorised callable ``x (P, d) -> (P,)`` (a trained torch network wrapped in numpy, a closed form).

* **Sup norm.** A tensor grid aligned with the breakpoints k/(3N) of the PUT constructions (every
  sub-interval sampled at ``per_cell`` points, endpoints included), or a uniform grid when N is unknown;
  random points when the grid would be too large (d = 4). The ``refine`` worst grid points are then
  maximised locally with scipy L-BFGS-B (central-difference gradients, one batched call per step) inside
  their grid cell. Any sampled maximum is a *lower* bound on the sup; the gain of refinement is recorded.
* **L2.** Composite Gauss-Legendre with ``p`` nodes per sub-interval of the 3N-grid, tensorised (d <= 3), with
  a second run at p + 2 as the quadrature-error estimate; scrambled Sobol (2^k points, 8 randomisations,
  mean +- standard error) for d = 4, for unknown N, or when the tensor rule is too large.
* **Floor.** For a ``Net``: ``floor`` is the rigorous worst-case float64 rounding bound ``float_error_bound``
  at the sampled worst points and a subsample of the grid (often 10^3-10^9 above the real rounding);
  ``float_floor`` is the rounding actually incurred, max |float64 value - exact value| over the argmax, the
  refined points and a grid subsample (exact value: the net in arb balls at 128 bits, ``backends.arbnet``;
  for a callable, the ``exact`` function given). ``float_floor`` is what points are excluded by.
* **Lower bound.** ``sup_error_lower`` = |net(argmax) - f(argmax)| with the net evaluated exactly (arb
  balls) and f in arb (``arbexpr``): a true lower bound of the sup of the exact net's error (None when f
  has no ball-arithmetic form, e.g. Piecewise targets).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from polyapprox.core.net import Net
from polyapprox.errors import ConfigError
from polyapprox.targets.catalogue import Target

Model = Net | Callable[[np.ndarray], np.ndarray]

#: Largest number of sample points of one sup grid / one tensor quadrature rule.
MAX_GRID_POINTS = 400_000
MAX_QUAD_POINTS = 400_000


@dataclass(frozen=True)
class ErrorReport:
    """Measured errors of one approximant: sup (lower estimate), L2, precision floor, and how."""

    sup_error: float
    l2_error: float
    l2_stderr: float | None
    floor: float | None
    argmax: tuple[float, ...]
    how: dict[str, Any] = field(default_factory=dict)
    float_floor: float | None = None
    sup_error_lower: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def as_callable(model: Model, d: int) -> Callable[[np.ndarray], np.ndarray]:
    """A float64 function x (P, d) -> (P,) for a Net (sparse FloatNet) or a vectorised callable."""
    if isinstance(model, Net):
        from polyapprox.backends.floats import FloatNet

        if model.in_dim != d or model.out_dim != 1:
            raise ConfigError(f"model: network maps R^{model.in_dim} -> R^{model.out_dim}, target needs R^{d} -> R")
        fnet = FloatNet(model)
        return lambda x: fnet(x)[:, 0]
    if not callable(model):
        raise ConfigError(f"model: {type(model).__name__} is neither a Net nor callable")
    return lambda x: np.asarray(model(x), dtype=np.float64).reshape(x.shape[0])


def _chunked(fn: Callable[[np.ndarray], np.ndarray], x: np.ndarray, chunk: int = 1 << 16) -> np.ndarray:
    return np.concatenate([fn(x[s:s + chunk]) for s in range(0, x.shape[0], chunk)]) if len(x) else np.zeros(0)


def breakpoint_axis(grid_cells: int | None, per_cell: int, points: int) -> np.ndarray:
    """1-D sample axis: each sub-interval of the 3N-grid at ``per_cell`` points (ends included), or uniform."""
    if grid_cells is None:
        return np.linspace(0.0, 1.0, points)
    k = 3 * grid_cells
    base = np.arange(k)[:, None] + np.arange(per_cell)[None, :] / per_cell
    return np.append(base.ravel() / k, 1.0)


def _grid(d: int, grid_cells: int | None, per_cell: int | None, rng: np.random.Generator,
          random_points: int) -> tuple[np.ndarray, dict[str, Any]]:
    """The sup sample: tensor grid if it fits in MAX_GRID_POINTS, else uniform random points."""
    if per_cell is None:
        per_cell = {1: 16, 2: 6, 3: 3}.get(d, 2)
    if grid_cells is not None:
        while per_cell > 1 and (3 * grid_cells * per_cell + 1) ** d > MAX_GRID_POINTS:
            per_cell -= 1
        axis = breakpoint_axis(grid_cells, per_cell, 0)
    else:
        g = int(MAX_GRID_POINTS ** (1.0 / d))
        axis = breakpoint_axis(None, 0, max(g, 2))
    if axis.size ** d <= MAX_GRID_POINTS:
        pts = np.stack(np.meshgrid(*([axis] * d), indexing="ij"), axis=-1).reshape(-1, d)
        kind = "breakpoint-aligned grid" if grid_cells is not None else "uniform grid"
        return pts, {"kind": kind, "per_axis": int(axis.size), "per_cell": per_cell if grid_cells else None,
                     "points": int(pts.shape[0]), "spacing": float(np.max(np.diff(axis)))}
    pts = rng.random((random_points, d))
    return pts, {"kind": "uniform random points", "points": random_points,
                 "spacing": float(random_points ** (-1.0 / d))}


def _refine(err: Callable[[np.ndarray], np.ndarray], starts: np.ndarray, radius: float,
            maxiter: int = 50) -> np.ndarray:
    """Local maximisation of err from each start (L-BFGS-B in the box start +- radius, clipped to [0,1]^d)."""
    from scipy.optimize import minimize

    d = starts.shape[1]
    h = max(radius * 1e-4, 1e-9)
    out = []
    for x0 in starts:
        lo, hi = np.clip(x0 - radius, 0, 1), np.clip(x0 + radius, 0, 1)

        def fun(p: np.ndarray, lo: np.ndarray = lo, hi: np.ndarray = hi) -> tuple[float, np.ndarray]:
            stencil = np.repeat(p[None, :], 2 * d + 1, axis=0)
            for k in range(d):
                stencil[1 + 2 * k, k] = min(p[k] + h, hi[k])
                stencil[2 + 2 * k, k] = max(p[k] - h, lo[k])
            v = err(stencil)
            grad = np.array([(v[1 + 2 * k] - v[2 + 2 * k]) / max(stencil[1 + 2 * k, k] - stencil[2 + 2 * k, k], 1e-300)
                             for k in range(d)])
            return -float(v[0]), -grad

        res = minimize(fun, x0, jac=True, method="L-BFGS-B", bounds=list(zip(lo, hi, strict=True)),
                       options={"maxiter": maxiter})
        out.append(np.clip(res.x, lo, hi))
    return np.array(out)


def _gauss_rule(d: int, grid_cells: int, p: int) -> tuple[np.ndarray, np.ndarray]:
    """Tensor composite Gauss-Legendre rule on the 3N-grid: (nodes (P, d), weights (P,))."""
    t, w = np.polynomial.legendre.leggauss(p)
    k = 3 * grid_cells
    nodes = ((np.arange(k)[:, None] + (t[None, :] + 1) / 2) / k).ravel()
    weights = np.tile(w / (2 * k), k)
    grids = np.meshgrid(*([nodes] * d), indexing="ij")
    wgrids = np.meshgrid(*([weights] * d), indexing="ij")
    return np.stack(grids, axis=-1).reshape(-1, d), np.prod(np.stack(wgrids, axis=-1), axis=-1).ravel()


def _l2(err: Callable[[np.ndarray], np.ndarray], d: int, grid_cells: int | None, p: int,
        rng: np.random.Generator, sobol_log2: int, check: bool = True) -> tuple[float, float | None, dict[str, Any]]:
    if grid_cells is not None and d <= 3 and (3 * grid_cells * (p + 2)) ** d <= MAX_QUAD_POINTS:
        vals = []
        for q in ((p, p + 2) if check else (p,)):
            x, w = _gauss_rule(d, grid_cells, q)
            vals.append(math.sqrt(float(np.dot(w, _chunked(err, x) ** 2))))
        return vals[0], abs(vals[1] - vals[0]) if check else None, {
            "kind": "composite Gauss-Legendre on the 3N-grid", "nodes_per_interval": p,
            "points": (3 * grid_cells * p) ** d, "check_nodes_per_interval": p + 2 if check else None}
    from scipy.stats import qmc

    reps = []
    for _ in range(8):
        sob = qmc.Sobol(d, scramble=True, seed=rng)
        x = sob.random_base2(sobol_log2)
        reps.append(float(np.mean(_chunked(err, x) ** 2)))
    l2s = np.sqrt(reps)
    return float(np.mean(l2s)), float(np.std(l2s, ddof=1) / math.sqrt(len(l2s))), {
        "kind": "scrambled Sobol", "points": 2 ** sobol_log2, "randomisations": 8}


def measure_errors(model: Model, target: Target, *, grid_cells: int | None = None, per_cell: int | None = None,
                   refine: int = 12, l2_nodes: int = 5, sobol_log2: int = 14, random_points: int = 200_000,
                   floor_points: int = 2048, seed: int = 0, floor: float | None = None,
                   refine_iter: int = 50, l2_check: bool = True,
                   exact: Callable[[tuple[float, ...]], Any] | None = None) -> ErrorReport:
    """Sup and L2 errors of ``model`` against ``target`` on [0,1]^d (see the module docstring).

    ``grid_cells``: N of a PUT construction (aligns samples with its breakpoints); ``floor``: a precision
    floor to report for callables (for a ``Net`` it is computed with ``float_error_bound``); ``exact``: the
    exact value of a callable at a point (a Fraction or an arb ball), for ``float_floor`` and
    ``sup_error_lower`` (a ``Net`` is evaluated exactly by ``evaluate_arb``).
    """
    d = target.dim
    rng = np.random.default_rng(seed)
    g = as_callable(model, d)

    def err(x: np.ndarray) -> np.ndarray:
        return np.abs(target.f(x) - g(x))

    pts, grid_how = _grid(d, grid_cells, per_cell, rng, random_points)
    e = _chunked(err, pts)
    if not np.all(np.isfinite(e)):
        raise ConfigError("model: non-finite values on [0,1]^d")
    grid_max = float(e.max())
    top = np.argsort(e)[::-1][:max(refine, 1)]
    refined = _refine(err, pts[top], grid_how["spacing"], refine_iter) if refine else pts[top]
    re = err(refined) if refine else e[top]
    best = int(np.argmax(re))
    sup = max(grid_max, float(re[best]))
    argmax = refined[best] if re[best] >= grid_max else pts[top[0]]
    grid_how.update({"grid_max": grid_max, "refined_starts": int(refine),
                     "refinement_gain": (sup - grid_max) / grid_max if grid_max > 0 else 0.0})
    l2, l2_se, l2_how = _l2(err, d, grid_cells, l2_nodes, rng, sobol_log2, l2_check)
    floor_how: dict[str, Any] = {"kind": "given" if floor is not None else "none"}
    if isinstance(model, Net):
        from polyapprox.backends.arbnet import evaluate_arb
        from polyapprox.backends.errorbound import float_error_bound

        sub = pts[rng.choice(pts.shape[0], size=min(floor_points, pts.shape[0]), replace=False)]
        probe = np.vstack([sub, refined, argmax[None, :]])
        _, bounds = float_error_bound(model, probe)
        floor = float(bounds.max())
        floor_how = {"kind": "float_error_bound (rigorous, float64)", "points": int(probe.shape[0])}
        exact = exact or (lambda p: evaluate_arb(model, list(p))[0])
    lower, ffloor, ff_how = None, None, None
    if exact is not None:
        probes = exact_probes(argmax, refined, pts, _probe_count(model), rng)
        ffloor, ff_how = float_floor(g, exact, probes)
        lower = exact_error_at(exact, target, argmax)
    return ErrorReport(sup_error=sup, l2_error=l2, l2_stderr=l2_se, floor=floor,
                       argmax=tuple(float(v) for v in argmax),
                       how={"sup": grid_how, "l2": l2_how, "floor": floor_how, "float_floor": ff_how,
                            "model": "Net (FloatNet, sparse)" if isinstance(model, Net) else "callable"},
                       float_floor=ffloor, sup_error_lower=lower)


#: work budget of the exact probes: about this many (weight x point) ball operations (~1.5 s)
PROBE_WORK = 200_000


def _probe_count(model: Model) -> int:
    """How many exact probes to spend: 4 .. 64, fewer for large nets (each costs ~params ball operations)."""
    if not isinstance(model, Net):
        return 64
    params = sum(layer.weight.nnz + len(layer.bias) for layer in model.layers)
    return max(4, min(64, PROBE_WORK // max(params, 1)))


def exact_probes(argmax: np.ndarray, refined: np.ndarray, pts: np.ndarray, count: int,
                 rng: np.random.Generator) -> np.ndarray:
    """The points where the rounding is measured: the argmax, the refined maxima, then grid points (count in all)."""
    head = np.vstack([argmax[None, :], refined])[:count]
    rest = max(count - head.shape[0], 0)
    sub = pts[rng.choice(pts.shape[0], size=min(rest, pts.shape[0]), replace=False)] if rest else pts[:0]
    return np.vstack([head, sub])


def _as_ball(v: Any) -> Any:
    from polyapprox.backends.arbnet import arb_of

    return v if type(v).__name__ == "arb" else arb_of(v)


def float_floor(g: Callable[[np.ndarray], np.ndarray], exact: Callable[[tuple[float, ...]], Any],
                probes: np.ndarray) -> tuple[float, dict[str, Any]]:
    """The rounding actually incurred: max over ``probes`` of |g(x) (float64) - exact(x)| (upper ends of balls)."""
    from polyapprox.backends.arbnet import POINT_PREC, arb_of, working_precision

    vals = g(probes)
    worst = 0.0
    with working_precision(POINT_PREC):
        for x, v in zip(probes, vals, strict=True):
            diff = abs(arb_of(float(v)) - _as_ball(exact(tuple(float(c) for c in x))))
            worst = max(worst, float(diff.upper()))
    return worst, {"kind": "max |float64 - exact| at probe points (argmax, refined maxima, grid subsample)",
                   "points": int(probes.shape[0])}


def exact_error_at(exact: Callable[[tuple[float, ...]], Any], target: Target, x: np.ndarray) -> float | None:
    """A lower bound of |exact(x) - f(x)| (f in arb balls); None when f has no ball-arithmetic form."""
    from polyapprox.approx.arbexpr import arb_function
    from polyapprox.errors import ExpressionError

    try:
        f = arb_function(target.expr, target.symbols)
    except ExpressionError:
        return None
    from polyapprox.backends.arbnet import POINT_PREC, arb_of, working_precision

    pt = tuple(float(c) for c in x)
    with working_precision(POINT_PREC):
        diff = abs(_as_ball(exact(pt)) - f([arb_of(c) for c in pt]))
        return max(math.nextafter(float(diff.lower()), -math.inf), 0.0)
