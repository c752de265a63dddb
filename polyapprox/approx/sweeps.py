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

import dataclasses
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from polyapprox.approx.rates import LogFactorTest, RateFit, fit_rate, log_factor_test
from polyapprox.core.limits import check
from polyapprox.errors import ConfigError, InvalidDataError
from polyapprox.targets.catalogue import Target

METHODS = ("polyrelu", "relu", "relu2")
PRODUCT = {"polyrelu": "exact", "relu": "relu"}
#: memory model of one sweep point (measured on 2-core x86-64, d <= 2, N up to 2048: peak RSS <= 0.6x this):
#: a fixed part for the measurement grids, plus per estimated parameter of the exact net (Fractions, build)
BASE_BYTES, BYTES_PER_PARAM, PARAMS_PER_TERM_AND_FACTOR = 256 * 2**20, 2048, 15


def estimate_params(dim: int, order: int, method: str, N: int) -> int:
    """An upper estimate of the parameters of the net at grid size N, from the number of Taylor terms:
    (N + 3)^d centres x C(n - 1 + d, d) multi-indices x 15 (d + n) (each term a product tree of d + n - 1
    factors); x log2(N + 2) for the ReLU baseline (its approximate products deepen with N). Exact integers,
    no enumeration, so absurd sizes are refused at once."""
    terms = (N + 3) ** dim * math.comb(order - 1 + dim, dim)
    params = terms * PARAMS_PER_TERM_AND_FACTOR * (dim + order)
    return params * max(1, (N + 2).bit_length()) if method == "relu" else params


def estimate_bytes(dim: int, order: int, method: str, N: int) -> int:
    """Estimated peak memory of building and measuring one sweep point (see ``estimate_params``)."""
    return BASE_BYTES + BYTES_PER_PARAM * estimate_params(dim, order, method, N)


def check_sweep_size(dim: int, order: int, method: str, sizes: Sequence[int]) -> None:
    """Refuse (``LimitError``, before any work) a grid size over the limit ``grid`` or a sweep whose largest
    point is estimated over the limit ``memory_mb``; the message gives the estimate."""
    for N in sizes:
        check("grid", N, "sizes: grid size N")
    N = max(sizes)
    mb = -(-estimate_bytes(dim, order, method, N) // 2**20)
    check("memory_mb", mb, f"estimated memory of the sweep point N={N} (d={dim}, n={order}, {method}), MB")


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
    #: refinement budget of one point's enclosure after its first pass over the sub-cells: d = 1 reaches
    #: upper/lower <= 1.05 and d = 2 (n <= 3, N <= 64) <= 1.9 well within it; past it the upper bound is looser
    #: but still rigorous (the ratio is reported)
    enclosure_seconds: float = 5.0
    #: no enclosure when its first pass alone needs more series evaluations than this (d = 3, N >= 16:
    #: (3N)^3 sub-cells x 15 directions, ~100 s); d = 3, N = 8 needs 2.1e5 (~10 s)
    enclosure_evals: int = 400_000

    def __post_init__(self) -> None:
        if not isinstance(self.order, int) or isinstance(self.order, bool) or self.order < 1:
            raise ConfigError(f"order: {self.order!r} must be an integer >= 1")
        if self.method not in METHODS:
            raise ConfigError(f"method: unknown {self.method!r}; choose from {', '.join(METHODS)}")
        if not self.sizes or any((not isinstance(N, int)) or N < 1 for N in self.sizes):
            raise ConfigError(f"sizes: {self.sizes!r} must be integers >= 1")
        check_sweep_size(self.target.dim, self.order, self.method, self.sizes)
        object.__setattr__(self, "sizes", tuple(sorted(set(self.sizes))))

    @property
    def theory_slope(self) -> float:
        """-n/d, capped by the target's smoothness: -min(n, s)/d (docs/measurement.md §1.4, saturation)."""
        return -min(float(self.order), self.target.rate_smoothness) / self.target.dim


@dataclass(frozen=True)
class SweepPoint:
    """One measured grid size. ``sup_error``: sampled sup of the float64 evaluation (a lower estimate).

    ``sup_error_lower`` <= sup |net - f| <= ``sup_error_upper`` for the *exact* net (rational weights, exact
    arithmetic): lower = |net - f| at a point, both evaluated in arb balls; upper = certified enclosure over
    the whole domain (``approx.enclosure``; None where no enclosure is affordable: ReLU / ReLU^2 baselines,
    targets without a ball-arithmetic form). The float64 evaluation differs from the exact net by at most
    ``floor`` (rigorous, at the sampled points) and in practice by ``float_floor`` (the rounding measured at
    the probe points), so |float net - f| <= sup_error_upper + floor there. ``excluded_reason``: why the point
    is left out of the fits (None when it is used).
    """

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
    sup_error_lower: float | None = None
    sup_error_upper: float | None = None
    float_floor: float | None = None
    excluded_reason: str | None = None

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
        from fractions import Fraction

        from polyapprox.construct.sobolev import closed_form_exact

        rep = measure_errors(oracle, t, grid_cells=cells, seed=cfg.seed, floor=float(bounds.max()),
                             exact=lambda p: closed_form_exact(coeffs, t.dim, cfg.order, N, [Fraction(v) for v in p]))
        how["evaluator"] = oracle_how
        how["net_check"] = {"points": cfg.check_points, "max_gap": float(gap.max()),
                            "max_rounding_bound": float(bounds.max())}
    how.update(rep.how)
    lower, upper, how["enclosure"] = certify(cfg, N, coeffs, rep)
    point = SweepPoint(N=N, params=pc.params, depth=pc.depth, units=pc.units, sup_error=rep.sup_error,
                       l2_error=rep.l2_error, floor=rep.floor, bound=bound if math.isfinite(bound) else None,
                       q=q, seconds=time.perf_counter() - t0, measured_how=how, sup_error_lower=lower,
                       sup_error_upper=upper, float_floor=rep.float_floor)
    encl = f" [{lower:.4e}, {upper:.4e}]" if lower is not None and upper is not None else ""
    _progress(f"  N={N}: W={pc.params} depth={pc.depth} sup={rep.sup_error:.3e}{encl} l2={rep.l2_error:.3e} "
              f"({point.seconds:.1f}s, {how['evaluator'].split(' (')[0]})", progress)
    return point, net


#: stop refining an enclosure once upper / lower is below this (the goals are 1.1 in d = 1, 2 in d >= 2)
RATIO_GOAL = {1: 1.05}
RATIO_GOAL_MULTI = 1.9


def certify(cfg: SweepConfig, N: int, coeffs: Any, rep: Any) -> tuple[float | None, float | None, dict[str, Any]]:
    """(sup_error_lower, sup_error_upper, how) of the exact net at grid size N (see ``SweepPoint``)."""
    from polyapprox.approx.arbexpr import arb_function
    from polyapprox.approx.enclosure import ATOL, enclose, evaluations_per_box, sobolev_pieces
    from polyapprox.errors import ExpressionError

    t = cfg.target
    lower = rep.sup_error_lower
    if cfg.method != "polyrelu":
        return lower, None, {"kind": "none", "why": f"{cfg.method} net: no certified enclosure (exact pieces of "
                                                    "deep ReLU nets are too costly); lower bound only"}
    try:
        f = arb_function(t.expr, t.symbols)
    except ExpressionError as exc:
        return lower, None, {"kind": "none", "why": str(exc)}
    pieces = sobolev_pieces(coeffs, t.dim, cfg.order, N)
    cost = len(pieces) * evaluations_per_box(pieces[0])
    if cost > cfg.enclosure_evals:
        return lower, None, {"kind": "none", "why": f"{len(pieces)} sub-cells x {evaluations_per_box(pieces[0])} "
                                                    f"series evaluations > enclosure_evals = {cfg.enclosure_evals}: "
                                                    "lower bound only"}
    # far below the float64 rounding actually incurred, tighter is pointless: stop there (absolute criterion)
    atol = max(ATOL, rep.float_floor or 0.0)
    enc = enclose(pieces, f, ratio=RATIO_GOAL.get(t.dim, RATIO_GOAL_MULTI), max_seconds=cfg.enclosure_seconds,
                  probes=[rep.argmax], taylor_order=cfg.order + 1, atol=atol,
                  method="Theorem 3 closed form on the 3N-grid sub-cells, arb Taylor bounds (d >= 2: centred "
                         "form, monotone faces) + bisection")
    low = max(enc.lower, lower or 0.0)
    how = enc.to_dict()
    how["ratio"] = enc.upper / low if low > 0 else None
    return low, enc.upper, how


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
    floors = [(p.float_floor if p.float_floor is not None else p.floor) or 0.0 for p in points]
    errs = [p.sup_error for p in points]
    fit = fit_rate([p.params for p in points], errs, floor=floors, theory_slope=cfg.theory_slope)
    fit_n = fit_rate([p.N for p in points], errs, floor=floors, theory_slope=cfg.theory_slope * cfg.target.dim)
    lf = None
    try:
        lf = log_factor_test([p.params for p in points], errs, cfg.order, cfg.target.dim, floor=floors)
    except InvalidDataError:  # fewer than 3 points above the floor: no diagnostic
        pass
    points = [dataclasses.replace(p, excluded_reason=excluded_reason(i, p, floors[i], fit))
              for i, p in enumerate(points)]
    return SweepResult(cfg.target.name, cfg.target.dim, cfg.order, cfg.method, cfg.theory_slope, tuple(points),
                       fit, fit_n, lf, tuple(nets))


def excluded_reason(i: int, p: SweepPoint, floor: float, fit: RateFit) -> str | None:
    """Why point i is not used by the fit against W (None when it is)."""
    from polyapprox.approx.rates import FLOOR_FACTOR

    kind = "float64 rounding measured at exact probes" if p.float_floor is not None else "worst-case rounding bound"
    if i in fit.excluded_floor:
        return (f"at the float floor: sup error {p.sup_error:.3g} < {FLOOR_FACTOR:g} x {floor:.3g} "
                f"({kind})")
    if i not in fit.window:
        return f"outside the fit window (fit status: {fit.status})"
    return None


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
