"""The ReLU^2-only B-spline construction (docs/constructions.md §2.5): exactness, ReLU^2-only units, error bound."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from polyapprox.approx.measure import measure_errors
from polyapprox.backends.errorbound import float_error_bound
from polyapprox.backends.exact import evaluate_exact
from polyapprox.construct.sobolev_relu2 import (
    ClosedFormB2,
    a_priori_bound_relu2,
    relu2_net,
    taylor_coefficients_clamped,
)
from polyapprox.core.counting import count_params
from polyapprox.core.net import Identity, PolyReLU
from polyapprox.targets.catalogue import get_target, user_target


@pytest.mark.parametrize("name,n,N", [("poly1", 2, 3), ("poly2", 3, 2), ("poly2d", 4, 2)], ids=lambda v: str(v))
def test_low_degree_polynomials_reproduced_exactly(name: str, n: int, N: int, rng: np.random.Generator) -> None:
    """deg f < n: every P_m is f, and sum_m phi_m = 1 on [0,1]^d, so the net equals f exactly."""
    t = get_target(name)
    net = relu2_net(taylor_coefficients_clamped(t, n, N), t.dim, n, N)
    for _ in range(5):
        point = [Fraction(int(rng.integers(0, 101)), 100) for _ in range(t.dim)]
        subs = dict(zip(t.symbols, point, strict=True))
        assert evaluate_exact(net, point)[0] == Fraction(str(t.expr.subs(subs)))


def test_only_relu2_units_and_constant_depth() -> None:
    t = get_target("sin1")
    for N in (4, 8):
        net = relu2_net(taylor_coefficients_clamped(t, 3, N), 1, 3, N)
        acts = {a for layer in net.layers[:-1] for a in layer.activations}
        assert acts == {PolyReLU.relu_power(2)}
        assert all(isinstance(a, Identity) for a in net.layers[-1].activations)
        assert count_params(net).depth == 1 + math.ceil(math.log2(1 + 3 - 1))


@pytest.mark.parametrize("name,n,N", [("sin1", 1, 16), ("sin1", 2, 16), ("sin1", 3, 8), ("exp2", 2, 3)],
                         ids=lambda v: str(v))
def test_error_below_bound_and_closed_form_agrees(name: str, n: int, N: int, rng: np.random.Generator) -> None:
    t = get_target(name)
    coeffs = taylor_coefficients_clamped(t, n, N)
    net = relu2_net(coeffs, t.dim, n, N)
    x = rng.random((300, t.dim))
    vals, bounds = float_error_bound(net, x)
    oracle = ClosedFormB2(coeffs, t.dim, n, N)(x)
    # closed form rounding: <= 3^d cells x |alphas| terms of size <= max|a| (~10 roundings each)
    tol = 3 ** t.dim * 10 * 10 * max(abs(float(c)) for c in coeffs.values()) * 2.0 ** -52
    assert np.all(np.abs(vals[:, 0] - oracle) <= bounds[:, 0] + tol)
    rep = measure_errors(net, t, grid_cells=2 * N)
    assert rep.sup_error <= a_priori_bound_relu2(t, n, N)


def test_sum_of_splines_is_one() -> None:
    t = user_target("1 + 0*x", 1)
    net = relu2_net(taylor_coefficients_clamped(t, 1, 5), 1, 1, 5)
    for k in range(0, 31):
        assert evaluate_exact(net, [Fraction(k, 30)])[0] == 1
