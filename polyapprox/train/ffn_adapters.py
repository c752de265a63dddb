"""The FFN sweep's only contact points with targets, measurement, rate fits and the Theorem 3 construction.

Each function is a thin call into the shared module (``polyapprox.targets``, ``polyapprox.measure``,
``polyapprox.rates``, ``polyapprox.construct.sobolev``), so trained and constructed networks are measured
and fitted by the same code. Keeping them here makes an API change there a one-file edit here.

TEMPORARY: until those modules land, simple stand-ins below (marked ``_fallback``) are used.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from polyapprox.errors import ConfigError

VectorFn = Callable[[np.ndarray], np.ndarray]  # x (P, d) -> (P,)


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


@dataclass(frozen=True)
class _FallbackTarget:
    name: str
    dim: int
    smoothness: float
    f: Callable[[np.ndarray], np.ndarray]


_FALLBACK = {
    "sin1": (1, float("inf"), lambda x: np.sin(2 * np.pi * x[:, 0])),
    "gauss": (2, float("inf"), lambda x: np.exp(-((x - 0.5) ** 2).sum(axis=1) / 0.25)),
}


def resolve_target(name_or_expr: str, dim: int | None) -> Any:
    """A catalogue target by name, else a user expression in x (d=1), x,y (d=2), ... on [0,1]^dim."""
    if name_or_expr in _FALLBACK:
        d, s, f = _FALLBACK[name_or_expr]
        _check_dim(dim, d)
        return _FallbackTarget(name_or_expr, d, s, f)
    import sympy

    from polyapprox.expressions import parse_expression

    d = dim or 1
    names = ["x", "y", "z"][:d] if d <= 3 else [f"x{i + 1}" for i in range(d)]
    expr = parse_expression(name_or_expr, names)
    syms = sorted(expr.free_symbols, key=lambda s: names.index(s.name))
    fn = sympy.lambdify([sympy.Symbol(n, real=True) for n in names], expr, "numpy")
    del syms

    def f(x: np.ndarray) -> np.ndarray:
        return np.broadcast_to(np.asarray(fn(*x.T), dtype=np.float64), (x.shape[0],)).copy()

    return _FallbackTarget(name_or_expr, d, float("inf"), f)


def target_values(target: Any, x: np.ndarray) -> np.ndarray:
    """f(x) for x (P, d) -> (P,) float64."""
    return np.asarray(target.f(x), dtype=np.float64).reshape(-1)


def measure(fn: VectorFn, target: Any, seed: int = 0) -> dict[str, Any]:
    """sup and L2 errors of ``fn`` against ``target`` on [0,1]^d, with how they were measured."""
    d = target.dim
    m = max(2, int(round(2 ** (14 / d))))
    axes = np.meshgrid(*[np.linspace(0, 1, m)] * d, indexing="ij")
    x = np.stack([a.reshape(-1) for a in axes], axis=1)
    e = np.abs(fn(x) - target_values(target, x))
    from scipy.stats import qmc

    xs = qmc.Sobol(d, scramble=True, seed=seed).random(2**14)
    l2 = float(np.sqrt(np.mean((fn(xs) - target_values(target, xs)) ** 2)))
    return {"sup_error": float(e.max()), "l2_error": l2, "method": f"fallback grid {m}^{d} + Sobol 2^14"}


def fit(params: list[float], errors: list[float]) -> dict[str, Any]:
    """Slope of log error vs log params with a 95 % CI: {"slope", "ci", ...}."""
    from scipy import stats

    p, e = np.asarray(params, float), np.asarray(errors, float)
    ok = (p > 0) & (e > 0) & np.isfinite(e)
    if ok.sum() < 3:
        return {"slope": None, "ci": None, "n_points": int(ok.sum()), "note": "fewer than 3 points"}
    r = stats.linregress(np.log(p[ok]), np.log(e[ok]))
    t = stats.t.ppf(0.975, ok.sum() - 2)
    return {"slope": float(r.slope), "ci": [float(r.slope - t * r.stderr), float(r.slope + t * r.stderr)],
            "n_points": int(ok.sum()), "method": "fallback OLS"}


def construction_net(target: Any, n: int, N: int) -> Any:
    """The Theorem 3 construction ``sobolev_net(target, n, N)`` (a ``Net``); None until it exists."""
    if not _has("polyapprox.construct.sobolev"):
        return None
    from polyapprox.construct.sobolev import sobolev_net

    return sobolev_net(target, n, N)


def _check_dim(dim: int | None, target_dim: int) -> None:
    if dim is not None and dim != target_dim:
        raise ConfigError(f"dim: {dim} does not match the target's dimension {target_dim}")


def measure_net(net: Any, target: Any) -> dict[str, Any]:
    """sup and L2 errors of an exact ``Net`` against ``target`` (the construction curve)."""
    from polyapprox.backends.floats import FloatNet

    fnet = FloatNet(net)
    return measure(lambda x: fnet(x)[:, 0], target)
