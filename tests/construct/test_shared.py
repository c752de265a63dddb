"""Shared coefficients (docs/constructions.md §1.2): golden Vandermonde weights; shared_form is exact with one sigma."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polyapprox.backends.exact import evaluate_exact
from polyapprox.construct.blocks import identity_block, relu_block
from polyapprox.construct.polynomials import polynomial_net
from polyapprox.construct.shared import (
    PAPER_SIGMA,
    shared_form,
    solve_rational,
    unit_weights,
    vandermonde_weights,
)
from polyapprox.core.counting import count_params
from polyapprox.core.net import PolyReLU
from polyapprox.errors import ConfigError
from polyapprox.verify.testing import random_net, random_points

F = Fraction


@pytest.mark.parametrize(("k", "weights"), [
    (1, (F(9), F(-9, 2), F(1))),
    (2, (F(-15, 2), F(6), F(-3, 2))),
    (3, (F(3, 2), F(-3, 2), F(1, 2))),
], ids=["relu", "relu2", "relu3"])
def test_golden_weights_paper_sigma(k, weights):
    assert PAPER_SIGMA == PolyReLU((0, "1/3", "1/3", "1/3"))
    assert vandermonde_weights(PAPER_SIGMA, k) == weights


def test_golden_weights_with_constant_term_need_bias_correction():
    # a = (0.1, 1/3, 1/3, 1/3) (docs/paper.md §2.1): same weights, bias -a_0 sum c_j
    sigma = PolyReLU(("1/10", "1/3", "1/3", "1/3"))
    c, beta = unit_weights(PolyReLU.relu(), sigma)
    assert c == (9, F(-9, 2), 1) and beta == -F(1, 10) * (9 - F(9, 2) + 1)
    net = shared_form(relu_block(1), sigma)
    for x in (F(-3), F(0), F(1, 7), F(5, 2)):
        assert evaluate_exact(net, [x]) == [max(x, F(0))]


@pytest.mark.parametrize("k", [1, 2, 3], ids=lambda k: f"relu{k}")
def test_vandermonde_identity_at_rational_points(k):
    c = vandermonde_weights(PAPER_SIGMA, k)
    a = PAPER_SIGMA.coeffs

    def sigma(t: Fraction) -> Fraction:
        r = max(t, F(0))
        return sum((ai * r ** i for i, ai in enumerate(a)), F(0))

    for x in (F(-2), F(-1, 3), F(0), F(2, 5), F(7, 3)):
        assert sum(cj * sigma((j + 1) * x) for j, cj in enumerate(c)) == max(x, F(0)) ** k


@settings(max_examples=25)
@given(st.integers(0, 2**32 - 1), st.integers(1, 3))
def test_shared_form_equals_original(seed, d):
    rng = np.random.default_rng(seed)
    net = random_net(rng, d, (3, 2), 1, max_order=3, activations="mixed")
    shared = shared_form(net)
    assert all(a == PAPER_SIGMA for layer in shared.layers[:-1] for a in layer.activations)
    assert len(shared.layers) == len(net.layers)
    c0, c1 = count_params(net), count_params(shared)
    assert c1.units <= 3 * c0.units + 6 * c0.identity_units  # r per PolyReLU unit, 2r per identity unit
    for p in random_points(rng, 5, d):
        assert evaluate_exact(shared, p) == evaluate_exact(net, p)


def test_shared_form_other_sigma_and_scales(rng):
    sigma = PolyReLU((2, -1, "1/2", 3, 1))  # order 4, every a_i != 0
    for scales in (None, ["1/2", 1, 3, 5]):
        net = random_net(rng, 2, (3,), 1, max_order=4, activations="mixed")
        shared = shared_form(net, sigma, scales)
        for p in random_points(rng, 5, 2):
            assert evaluate_exact(shared, p) == evaluate_exact(net, p)


def test_polynomial_net_in_shared_form(rng):
    net = polynomial_net("x**3 - 2*x*y**2 + y - 1", "x,y")
    shared = shared_form(net)
    for p in random_points(rng, 5, 2):
        x, y = p
        assert evaluate_exact(shared, p) == [x ** 3 - 2 * x * y ** 2 + y - 1]


def test_identity_units_need_a1():
    with pytest.raises(ConfigError, match="a_1 is 0"):
        shared_form(identity_block(), PolyReLU((0, 0, 1, 1)))
    assert evaluate_exact(shared_form(identity_block()), [F(-5, 3)]) == [F(-5, 3)]


def test_errors():
    with pytest.raises(ConfigError, match="a_2 is 0"):
        vandermonde_weights(PolyReLU((0, 1, 0, 1)), 2)
    with pytest.raises(ConfigError, match="k: 4 must be an integer in 1..3"):
        vandermonde_weights(PAPER_SIGMA, 4)
    with pytest.raises(ConfigError, match="scales: .* must be distinct and > 0"):
        vandermonde_weights(PAPER_SIGMA, 1, [1, 1, 2])
    with pytest.raises(ConfigError, match="scales: 2 given"):
        vandermonde_weights(PAPER_SIGMA, 1, [1, 2])
    with pytest.raises(ConfigError, match="order 4 exceeds"):
        shared_form(relu_block(4))
    with pytest.raises(ConfigError, match="singular"):
        solve_rational([[1, 2], [2, 4]], [1, 1])
    assert solve_rational([[2, 1], [1, 3]], [3, 5]) == [F(4, 5), F(7, 5)]


@pytest.mark.parametrize("seed", [0, 1, 2], ids=lambda s: f"seed{s}")
def test_shared_form_proved_equal(seed):
    import sympy

    from polyapprox.backends.sympy_expr import to_sympy
    from polyapprox.symbolic import prove_equal

    x, y = sympy.symbols("x y", real=True)
    net = random_net(np.random.default_rng(seed), 2, (3,), 1, max_order=3, activations="mixed")
    cert = prove_equal(shared_form(net), to_sympy(net, (x, y))[0], symbols=(x, y), domain=[(-2, 2), (-2, 2)])
    assert cert.status == "proved", cert.to_dict()
