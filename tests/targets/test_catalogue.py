"""Targets: catalogue, exact derivatives, closed-form norms against numerical estimates, user expressions."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy

from polyapprox.errors import ConfigError, ExpressionError
from polyapprox.targets.catalogue import (
    ANALYTIC,
    TARGETS,
    get_target,
    list_targets,
    multi_indices,
    resolve_target,
    smoothness_order,
    symbols,
    user_target,
)
from polyapprox.targets.catalogue import _numeric_norm as numeric_norm


def test_catalogue_covers_dimensions_one_to_four() -> None:
    assert {t.dim for t in list_targets()} == {1, 2, 3, 4}
    for name in ("sin1", "exp1", "exp2", "sinsin2", "exp3", "exp4", "poly3", "relu2", "hold25", "rad25"):
        assert name in TARGETS


@pytest.mark.parametrize("name", sorted(TARGETS), ids=sorted(TARGETS))
def test_f_matches_sympy_at_random_points(name: str, rng: np.random.Generator) -> None:
    t = get_target(name)
    x = rng.random((6, t.dim))
    got = t.f(x)
    ref = [float(t.expr.subs(dict(zip(t.symbols, row, strict=True))).evalf(30)) for row in x]
    # float64 evaluation of a few elementary operations: 1e-12 relative is ~4500 ulps, ample.
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name,n", [("sin1", 2), ("exp1", 3), ("exp2", 2), ("sinsin2", 2), ("relu2", 2),
                                    ("hold25", 2), ("spline2", 2), ("exp3", 1), ("sinprod3", 1)],
                         ids=lambda v: str(v))
def test_closed_form_norm_agrees_with_numeric_lower_estimate(name: str, n: int) -> None:
    """The closed form must be >= the numerical lower estimate, and close to it (all are attained maxima)."""
    t = get_target(name)
    closed, method = t.norm_bound(n)
    assert method.startswith("closed form")
    est = numeric_norm(t.smooth_expr, t.symbols, n)
    # grid + compass search converges to the attained maximum; 1e-6 relative covers its tolerance.
    assert est <= closed * (1 + 1e-9)
    assert est >= closed * (1 - 1e-6)


def test_norm_outside_sobolev_class_is_infinite() -> None:
    value, method = get_target("relu2").norm_bound(3)
    assert value == math.inf and "not in W^{3,inf}" in method


def test_polynomial_norm_is_exact_for_monomial() -> None:
    assert get_target("poly3").norm_bound(3) == (1 / 6, "exact (polynomial)")  # |f'''| / 3!
    assert get_target("poly3").norm_bound(4)[0] == 0.0


def test_derivatives_are_exact_and_piecewise_safe() -> None:
    t = get_target("relu2")
    (x,) = t.symbols
    d3 = t.derivative((3,))
    assert not d3.has(sympy.DiracDelta)
    vals = t.derivative_values((1,), np.array([[0.1], [0.9]]))
    c = math.sqrt(2) / 2
    np.testing.assert_allclose(vals, [0.0, 0.9 - c], rtol=1e-15)


def test_smoothness_ordering() -> None:
    assert smoothness_order(ANALYTIC) == math.inf and smoothness_order(2) == 2.0
    assert multi_indices(2, 2) == [(0, 2), (1, 1), (2, 0)]


def test_user_target_aliases_and_errors() -> None:
    t = user_target("sin(x)*y", 2)
    x1, x2 = symbols(2)
    assert t.expr == sympy.sin(x1) * x2
    assert user_target("x1*x2 + 1/3", 2).expr == x1 * x2 + sympy.Rational(1, 3)
    with pytest.raises(ExpressionError, match="unknown"):
        user_target("x3 + 1", 2)
    with pytest.raises(ExpressionError):
        user_target("x1 +* 2", 1)
    with pytest.raises(ExpressionError, match="mixes"):
        user_target("x + x2", 2)
    with pytest.raises(ConfigError):
        user_target("x", 0)


def test_resolve_target_errors() -> None:
    with pytest.raises(ConfigError, match="unknown 'nosuch'"):
        resolve_target("nosuch", 1)
    with pytest.raises(ConfigError, match="dimension 2"):
        resolve_target("exp2", 1)
    assert resolve_target("exp2", 2) is TARGETS["exp2"]
    assert resolve_target("x1**2", 1).dim == 1
