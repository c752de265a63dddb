"""Mutation testing of prove_equal: doubling any one nonzero parameter of a proved network is either refuted
with a counterexample re-verified by exact evaluation, or, where the function does not change on the domain,
proved equal again (polyapprox.verify.mutation)."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy

from polyapprox.backends.exact import evaluate_exact
from polyapprox.backends.sympy_expr import to_sympy
from polyapprox.construct.blocks import identity_block, polynomial_1d_block, power_block, product_block, relu_block
from polyapprox.core.net import RELU, Layer, Net
from polyapprox.symbolic import expr_value
from polyapprox.verify.mutation import mutants, mutation_outcomes, summary
from polyapprox.verify.testing import random_net

pytestmark = pytest.mark.timeout(240)

X, Y, Z = sympy.symbols("x y z", real=True)
PSI = sympy.Piecewise((0, X < -2), (X + 2, X < -1), (1, X <= 1), (2 - X, X <= 2), (0, True))


def trapezoid() -> Net:
    return Net(1, (Layer.make([[1], [1], [1], [1]], [2, 1, -1, -2], RELU), Layer.make([[1, -1, -1, 1]])))


def with_dead_unit() -> Net:
    """x = R(x) + 3 R(x - 5) - R(-x) on [-1, 1]: the middle unit is 0 there."""
    return Net(1, (Layer.make([[1], [1], [-1]], [0, -5, 0], RELU), Layer.make([[1, 3, -1]])))


CASES = [
    ("identity", identity_block, X, (X,), None),
    ("relu", relu_block, sympy.Max(X, 0), (X,), None),
    ("cube", lambda: power_block(3), X ** 3, (X,), None),
    ("poly_3", lambda: polynomial_1d_block([1, -2, 3, "1/2"]), 1 - 2 * X + 3 * X ** 2 + X ** 3 / 2, (X,), None),
    ("product", product_block, X * Y, (X, Y), None),
    ("trapezoid", trapezoid, PSI, (X,), [(-3, 3)]),
]


def _all_caught(outcomes, expr=None, syms=(), domain=None) -> None:
    """Every mutant refuted (counterexample re-verified) or proved; proved ones also agree at sample points."""
    assert outcomes, "no mutants"
    for o in outcomes:
        assert o.status in ("refuted", "proved"), (o.site, o.certificate)
        assert o.verified, (o.site, o.certificate)
        if o.status == "proved" and expr is not None:
            lo, hi = domain[0] if domain else (-3, 3)
            for k in range(9):  # evidence only: the proof is the certificate
                q = Fraction(lo) + (Fraction(hi) - Fraction(lo)) * Fraction(k, 8)
                assert evaluate_exact(o.mutant, [q] * len(syms)) == [expr_value(expr, syms, [q] * len(syms))]


@pytest.mark.parametrize(("build", "expr", "syms", "domain"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_every_mutant_of_a_block_is_refuted(build, expr, syms, domain):
    outcomes = mutation_outcomes(build(), expr, syms, domain)
    _all_caught(outcomes)
    assert summary(outcomes) == {"refuted": len(outcomes), "unverified": 0}


def test_mutants_count_every_nonzero_parameter():
    # product block: 8 nonzero first-layer weights, 4 output weights, 4 units x 1 nonzero coefficient
    assert len(list(mutants(product_block()))) == 16
    assert len(list(mutants(product_block(), coefficients=False))) == 12


def test_mutations_of_a_dead_unit_are_proved_harmless():
    outcomes = mutation_outcomes(with_dead_unit(), X, (X,), [(-1, 1)])
    _all_caught(outcomes, X, (X,), [(-1, 1)])
    proved = {o.site for o in outcomes if o.status == "proved"}
    assert proved == {"layer 0 weight[1][0]", "layer 0 bias[1]", "layer 1 weight[0][1]", "layer 0 unit 1 coeff[1]"}
    # on [-1, 6] the unit is alive: every mutation now changes the function
    wide = mutation_outcomes(with_dead_unit(), X + 3 * sympy.Max(X - 5, 0), (X,), [(-1, 6)])
    _all_caught(wide)
    assert all(o.status == "refuted" for o in wide)


def test_random_1d_relu_net(rng):
    net = random_net(rng, in_dim=1, widths=(3, 3), activations="relu", density=0.8)
    expr = to_sympy(net, relu="max")[0]
    outcomes = mutation_outcomes(net, expr, (X,), [(-2, 2)])
    _all_caught(outcomes, expr, (X,), [(-2, 2)])
    assert any(o.status == "proved" for o in outcomes)  # this seed's net has dead units: harmless mutants


POLY_NETS = [
    ("x3_1d", "x**3 - x/2 + 1", (X,)),
    ("x2y_2d", "x**2*y - 3*x + 1/2", (X, Y)),
]


@pytest.mark.parametrize(("text", "syms"), [p[1:] for p in POLY_NETS], ids=[p[0] for p in POLY_NETS])
def test_polynomial_net_mutants(text, syms):
    from polyapprox.construct.polynomials import polynomial_net

    expr = sympy.sympify(text, locals={"x": X, "y": Y, "z": Z})
    outcomes = mutation_outcomes(polynomial_net(text, syms), expr, syms)
    _all_caught(outcomes)
    assert all(o.status == "refuted" for o in outcomes)


@pytest.mark.slow
def test_polynomial_net_mutants_3d():
    from polyapprox.construct.polynomials import polynomial_net

    outcomes = mutation_outcomes(polynomial_net("x*y*z + y**2", (X, Y, Z)), X * Y * Z + Y ** 2, (X, Y, Z))
    _all_caught(outcomes)
