"""Rate sweeps over the grid size N (docs/measurement.md §2–6): build, count, measure, fit.

``run_sweep(SweepConfig(target, order, method, sizes))`` builds the construction at every N, counts it with
``count_params`` (the primary W = nonzero weights + biases), measures sup and L2 errors with
``measure_errors`` and fits error against W (theory slope -n/d) and against N (slope -n).

Evaluation: the built ``Net`` itself is measured while ``params x sample points`` stays below
``net_budget``; above it the proven-equal closed form ``sum_m phi_m P_m`` (``construct.sobolev.ClosedForm``,
certified by ``verify_sobolev``) is measured instead, after checking at ``check_points`` random points that
the float64 Net and the closed form agree within the Net's rigorous rounding bound (recorded in
``measured_how``). The ReLU baseline is not equal to the closed form, so it is always measured as a Net.

``method``: ``polyrelu`` (Theorem 3 net, exact products), ``relu`` (same skeleton with Yarotsky's
approximate products, coupling rule) or ``relu2`` (ReLU^2-only net with a quadratic B-spline partition,
``construct.sobolev_relu2``).

``envelope_sweep`` gives the shift envelope of docs/measurement.md §1.3 for the singular targets relu_s: the
maximum error over J singularity positions c_j = (floor(N/2) + (j + 1/2)/J)/N.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from polyapprox.approx.rates import LogFactorTest, RateFit, fit_rate, log_factor_test
from polyapprox.errors import ConfigError, InvalidDataError
from polyapprox.targets.catalogue import Target

METHODS = ("polyrelu", "relu", "relu2")
PRODUCT = {"polyrelu": "exact", "relu": "relu"}


@dataclass(frozen=True)
class SweepConfig:
    """One sweep: target, Taylor order n, method (polyrelu | relu | relu2), grid sizes N."""

    target: Target
    order: int
    method: str = "polyrelu"
    sizes: tuple[int, ...] = (4, 8, 16, 32)
    seed: int = 0
    net_budget: float = 3e8
    check_points: int = 256
    keep_nets: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.order, int) or isinstance(self.order, bool) or self.order < 1:
            raise ConfigError(f"order: {self.order!r} must be an integer >= 1")
        if self.method not in METHODS:
            raise ConfigError(f"method: unknown {self.method!r}; choose from {', '.join(METHODS)}")
        if not self.sizes or any((not isinstance(N, int)) or N < 1 for N in self.sizes):
            raise ConfigError(f"sizes: {self.sizes!r} must be integers >= 1")
        object.__setattr__(self, "sizes", tuple(sorted(set(self.sizes))))

    @property
    def theory_slope(self) -> float:
        """-n/d, capped by the target's smoothness: -min(n, s)/d (docs/measurement.md §1.4, saturation)."""
        return -min(float(self.order), self.target.rate_smoothness) / self.target.dim


@dataclass(frozen=True)
class SweepPoint:
    N: int
    params: int
    depth: int
    units: int
    sup_error: float
    l2_error: float
    floor: float | None
    bound: float | None
    q: int | None
    seconds: float
    measured_how: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SweepResult:
    target: str
    dim: int
    order: int
    method: str
    theory_slope: float
    points: tuple[SweepPoint, ...]
    fit: RateFit
    fit_vs_N: RateFit
    log_factor: LogFactorTest | None = None
    nets: tuple[Any, ...] = field(default=(), compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "dim": self.dim, "order": self.order, "method": self.method,
                "theory_slope": self.theory_slope, "points": [p.to_dict() for p in self.points],
                "fit": self.fit.to_dict(), "fit_vs_N": self.fit_vs_N.to_dict(),
                "log_factor": self.log_factor.to_dict() if self.log_factor is not None else None}


def _progress(msg: str, progress: Callable[[str], None] | None) -> None:
    if progress is not None:
        progress(msg)


def stderr_progress(msg: str) -> None:
    sys.stderr.write(msg + "\n")


def _build(cfg: SweepConfig, N: int) -> tuple[Any, dict, Any, float, int, int | None, str]:
    """(net, coeffs, closed-form oracle, a-priori bound, grid_cells for sampling, q, oracle status)."""
    t, n = cfg.target, cfg.order
    if cfg.method == "relu2":
        from polyapprox.construct import sobolev_relu2 as r2

        coeffs = r2.taylor_coefficients_clamped(t, n, N)
        return (r2.relu2_net(coeffs, t.dim, n, N), coeffs, r2.ClosedFormB2(coeffs, t.dim, n, N),
                r2.a_priori_bound_relu2(t, n, N), 2 * N, None,
                "closed form sum_m phi_m P_m (B-spline; equal to the Net by construction, not certified; "
                "float agreement checked)")
    from polyapprox.construct.sobolev import ClosedForm, a_priori_bound, build_sobolev

    built = build_sobolev(t, n, N, PRODUCT[cfg.method])
    oracle = ClosedForm(built.coeffs, t.dim, n, N) if cfg.method == "polyrelu" else None
    return (built.net, built.coeffs, oracle, a_priori_bound(t, n, N), N, built.q,
            "closed form sum_m phi_m P_m (proven equal to the Net by verify_sobolev; float agreement checked)")


def measure_point(cfg: SweepConfig, N: int, progress: Callable[[str], None] | None = None) -> tuple[SweepPoint, Any]:
    """Build, count and measure one grid size."""
    from polyapprox.approx.measure import _grid, measure_errors
    from polyapprox.core.counting import count_params

    t0 = time.perf_counter()
    t = cfg.target
    net, coeffs, oracle, bound, cells, q, oracle_how = _build(cfg, N)
    pc = count_params(net)
    rng = np.random.default_rng(cfg.seed)
    grid_pts = _grid(t.dim, cells, None, rng, 200_000)[0].shape[0]
    use_net = oracle is None or pc.params * grid_pts <= cfg.net_budget
    how: dict[str, Any] = {}
    if use_net:
        # deep ReLU baselines are costly to evaluate: coarser sampling (recorded in measured_how)
        light = {"per_cell": {1: 8, 2: 3}.get(t.dim, 2), "refine": 6, "floor_points": 256, "refine_iter": 15,
                 "l2_nodes": 4, "l2_check": False} if q else {}
        rep = measure_errors(net, t, grid_cells=cells, seed=cfg.seed, **light)
        how["evaluator"] = "Net (FloatNet)"
    else:
        from polyapprox.backends.errorbound import float_error_bound

        x = rng.random((cfg.check_points, t.dim))
        vals, bounds = float_error_bound(net, x)
        gap = np.abs(vals[:, 0] - oracle(x))
        # oracle rounding: <= 3^d cells x |alphas| terms, each ~10 roundings of magnitude <= max |a|
        scale = max((abs(float(c)) for c in coeffs.values()), default=0.0)
        tol = bounds[:, 0] + 3 ** t.dim * len(oracle.alphas) * 10 * scale * 2.0 ** -52
        if not bool(np.all(gap <= tol)):
            raise ConfigError(f"N={N}: Net and closed form disagree by {gap.max():.3e} (> rounding bound)")
        rep = measure_errors(oracle, t, grid_cells=cells, seed=cfg.seed, floor=float(bounds.max()))
        how["evaluator"] = oracle_how
        how["net_check"] = {"points": cfg.check_points, "max_gap": float(gap.max()),
                            "max_rounding_bound": float(bounds.max())}
    how.update(rep.how)
    point = SweepPoint(N=N, params=pc.params, depth=pc.depth, units=pc.units, sup_error=rep.sup_error,
                       l2_error=rep.l2_error, floor=rep.floor, bound=bound if math.isfinite(bound) else None,
                       q=q, seconds=time.perf_counter() - t0, measured_how=how)
    _progress(f"  N={N}: W={pc.params} depth={pc.depth} sup={rep.sup_error:.3e} l2={rep.l2_error:.3e} "
              f"({point.seconds:.1f}s, {how['evaluator'].split(' (')[0]})", progress)
    return point, net


def run_sweep(cfg: SweepConfig, progress: Callable[[str], None] | None = None,
              previous: Sequence[SweepPoint] = ()) -> SweepResult:
    """Measure every size of ``cfg`` (sizes already in ``previous`` are reused: resumable) and fit the rate."""
    done = {p.N: p for p in previous}
    points, nets = [], []
    _progress(f"sweep {cfg.target.name} d={cfg.target.dim} n={cfg.order} {cfg.method}: N={list(cfg.sizes)}", progress)
    for N in cfg.sizes:
        if N in done and not cfg.keep_nets:
            points.append(done[N])
            continue
        p, net = measure_point(cfg, N, progress)
        points.append(p)
        if cfg.keep_nets:
            nets.append(net)
    return _result(cfg, points, nets)


def _result(cfg: SweepConfig, points: list[SweepPoint], nets: list[Any]) -> SweepResult:
    floors = [p.floor or 0.0 for p in points]
    errs = [p.sup_error for p in points]
    fit = fit_rate([p.params for p in points], errs, floor=floors, theory_slope=cfg.theory_slope)
    fit_n = fit_rate([p.N for p in points], errs, floor=floors, theory_slope=cfg.theory_slope * cfg.target.dim)
    lf = None
    try:
        lf = log_factor_test([p.params for p in points], errs, cfg.order, cfg.target.dim, floor=floors)
    except InvalidDataError:  # fewer than 3 points above the floor: no diagnostic
        pass
    return SweepResult(cfg.target.name, cfg.target.dim, cfg.order, cfg.method, cfg.theory_slope, tuple(points),
                       fit, fit_n, lf, tuple(nets))


def envelope_sweep(s: int, order: int, sizes: Sequence[int], J: int = 16, seed: int = 0) -> dict[str, Any]:
    """Shift envelope for relu_s = (x - c)_+^s / s! (d = 1): err_env(N) = max_j err(f_{c_j}, N).

    Uses the closed form sum_m phi_m P_m (proven equal to the net), so it is fast; W(N) is the exact
    table value of the generic net. Returns the per-N envelope and the fit of envelope vs N (theory: -min(n, s)).
    """
    from fractions import Fraction

    from polyapprox.approx.measure import measure_errors
    from polyapprox.construct.sobolev import ClosedForm, taylor_coefficients
    from polyapprox.targets.catalogue import shifted_relu

    rows = []
    for N in sizes:
        worst, worst_c = 0.0, None
        for j in range(J):
            c = (Fraction(N // 2) + Fraction(2 * j + 1, 2 * J)) / N
            t = shifted_relu(s, c)
            oracle = ClosedForm(taylor_coefficients(t, order, N), 1, order, N)
            rep = measure_errors(oracle, t, grid_cells=N, refine=6, seed=seed)
            if rep.sup_error > worst:
                worst, worst_c = rep.sup_error, str(c)
        rows.append({"N": N, "envelope": worst, "worst_c": worst_c, "scaled": worst * N ** min(order, s)})
    fit = fit_rate([r["N"] for r in rows], [r["envelope"] for r in rows], theory_slope=-float(min(order, s)))
    return {"s": s, "order": order, "J": J, "rows": rows, "fit_vs_N": fit.to_dict()}
