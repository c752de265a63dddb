"""polynomial_net / monomial_net: exact on R^d (exact evaluation and algebraic expansion), sizes vs closed form."""

from __future__ import annotations

from fractions import Fraction
from math import comb, prod

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from polyapprox.backends.exact import evaluate_exact
from polyapprox.backends.sympy_expr import rational, to_sympy
from polyapprox.construct.polynomials import monomial_net, polynomial_net, polynomial_net_size, simplex_lattice
from polyapprox.core.counting import count_params
from polyapprox.core.net import PolyReLU
from polyapprox.errors import ConfigError, ExpressionError
from polyapprox.verify.testing import random_points

SYMS = sympy.symbols("x y z", real=True)
rationals = st.fractions(min_value=-5, max_value=5, max_denominator=9)


@st.composite
def polynomials(draw):
    d = draw(st.integers(1, 3))
    k = draw(st.integers(0, 6))
    exps = st.tuples(*[st.integers(0, k)] * d).filter(lambda a: sum(a) <= k)
    terms = draw(st.lists(st.tuples(exps, rationals), min_size=1, max_size=6))
    syms = SYMS[:d]
    expr = sum((rational(c) * prod(s ** e for s, e in zip(syms, a, strict=True)) for a, c in terms), sympy.S.Zero)
    return expr, syms


def _exact_equal_at_points(net, expr, syms, seed: int, n: int = 6) -> None:
    for p in random_points(np.random.default_rng(seed), n, len(syms), lo=-3, hi=3):
        want = expr.subs({s: rational(v) for s, v in zip(syms, p, strict=True)})
        assert [rational(v) for v in evaluate_exact(net, p)] == [want], p


@settings(max_examples=30)
@given(polynomials(), st.integers(0, 1000))
def test_polynomial_net_exact_at_rational_points(poly, seed):
    expr, syms = poly
    net = polynomial_net(expr, syms)
    _exact_equal_at_points(net, expr, syms, seed)
    c = count_params(net)
    assert c.depth <= 1
    degree = sympy.Poly(expr, *syms).total_degree() if expr != 0 else 0
    if degree >= 1:
        bound = polynomial_net_size(int(degree), len(syms))
        assert c.units <= bound["units"] and c.params <= bound["params"]
    hidden = net.layers[0].activations if len(net.layers) > 1 else ()
    assert all(a == PolyReLU.relu_power(a.order) for a in hidden)  # one-hot units only


@settings(max_examples=10)
@given(polynomials())
def test_polynomial_net_expands_to_the_polynomial(poly):
    # R(t) = (t + |t|)/2 and |t|^2 = t^2: the abs form of the net expands to p, an identity on all of R^d
    expr, syms = poly
    assert sympy.expand(to_sympy(polynomial_net(expr, syms), syms, relu="abs")[0] - expr) == 0


def _dense_generic(k: int, d: int, seed: int) -> sympy.Expr:
    rng = np.random.default_rng(seed)
    syms = SYMS[:d]
    expr = sympy.S.Zero
    for alpha in sympy.utilities.iterables.iproduct(*[range(k + 1)] * d):
        if sum(alpha) <= k:
            c = Fraction(int(rng.integers(1, 1000)), int(rng.integers(1, 1000))) * (-1) ** int(rng.integers(2))
            expr += rational(c) * prod(s ** e for s, e in zip(syms, alpha, strict=True))
    return expr


@pytest.mark.parametrize(("k", "d"), [(k, d) for d in (1, 2, 3) for k in range(1, 6 if d < 3 else 5)],
                         ids=lambda v: str(v))
def test_size_formula_exact_for_generic_coefficients(k, d):
    expr = _dense_generic(k, d, 10 * k + d)
    net = polynomial_net(expr, SYMS[:d])
    _exact_equal_at_points(net, expr, SYMS[:d], seed=k + d, n=3)
    c = count_params(net)
    size = polynomial_net_size(k, d)
    assert (c.units, c.params, c.weights, c.biases, c.depth, c.width) == (
        size["units"], size["params"], size["weights"], size["biases"], size["depth"], size["width"])


@pytest.mark.parametrize(("k", "d"), [(k, d) for k in range(1, 8) for d in range(1, 5)], ids=str)
def test_size_formula_closed_form_equals_the_sum(k, d):
    s = polynomial_net_size(k, d)
    assert s["units"] == 2 + 2 * sum(comb(j + d - 1, d - 1) for j in range(2, k + 1))
    # input weights: |supp beta| per direction, summed over the lattice of each degree, twice (the R_j pair)
    support = d + sum(sum(sum(1 for b in beta if b) for beta in simplex_lattice(j, d)) for j in range(2, k + 1))
    assert s["weights"] == 2 * support + s["units"]
    assert s["params"] == s["weights"] + 1


def test_paper_examples_and_golden_counts():
    x, y, z = SYMS
    p = 3 * x ** 2 * y - y ** 3 + x * y + 5 * x - 7
    net = polynomial_net(p, (x, y))
    assert net == polynomial_net("3*x**2*y - y**3 + x*y + 5*x - 7", "x,y")  # string and sympy input agree
    # 2 (linear part) + 2*2 (x y: polarization, 2 directions) + 2*3 (degree 3: lattice, one c_beta is 0)
    assert count_params(net).units == 12
    assert polynomial_net_size(3, 2) == {"units": 16, "params": 41, "weights": 40, "biases": 1, "depth": 1,
                                         "width": 16}
    assert polynomial_net("x**2 + 1/2", "x") == polynomial_net(x ** 2 + sympy.Rational(1, 2), [x])


@settings(max_examples=20)
@given(st.lists(st.integers(0, 3), min_size=1, max_size=3).filter(lambda a: 0 < sum(a) <= 6), st.integers(0, 99))
def test_monomial_net_exact(alpha, seed):
    syms = SYMS[:len(alpha)]
    expr = prod(s ** a for s, a in zip(syms, alpha, strict=True))
    net = monomial_net(alpha)
    _exact_equal_at_points(net, expr, syms, seed, n=4)
    assert sympy.expand(to_sympy(net, syms, relu="abs")[0]) == expr
    assert count_params(net).units <= 2 * -(-prod(a + 1 for a in alpha) // 2)  # ceil(prod (alpha_i + 1) / 2) pairs


def test_simplex_lattice():
    assert simplex_lattice(2, 2) == [(2, 0), (1, 1), (0, 2)]
    assert all(len(simplex_lattice(j, d)) == comb(j + d - 1, d - 1) for j in range(6) for d in range(1, 4))


@pytest.mark.parametrize(("expr", "variables", "message"), [
    ("sin(x)", "x", "not a polynomial"),
    ("1/x", "x", "not a polynomial"),
    ("x*y", "x", "unknown name 'y'"),
    ("sqrt(2)*x", "x", "not a polynomial with rational coefficients"),
    ("x +", "x", "cannot parse"),
], ids=["sin", "rational-function", "unknown-variable", "irrational", "syntax"])
def test_bad_expressions(expr, variables, message):
    with pytest.raises(ExpressionError, match=message):
        polynomial_net(expr, variables)


def test_constant_and_zero_polynomials():
    assert evaluate_exact(polynomial_net("5/3", "x,y"), [1, 2]) == [Fraction(5, 3)]
    assert count_params(polynomial_net("0", "x")).params == 0
    assert evaluate_exact(monomial_net((0, 0)), [3, 4]) == [1]
    with pytest.raises(ConfigError):
        monomial_net((1, -1))
    with pytest.raises(ConfigError):
        polynomial_net_size(0, 2)


@settings(max_examples=15)
@given(polynomials())
def test_polynomial_net_proved_equal(poly):
    from polyapprox.symbolic import prove_equal

    expr, syms = poly
    cert = prove_equal(polynomial_net(expr, syms), expr, symbols=syms)
    assert cert.status == "proved", cert.to_dict()


def test_wrong_polynomial_refuted():
    from polyapprox.symbolic import prove_equal

    x, y = SYMS[:2]
    cert = prove_equal(polynomial_net(x ** 3 * y - 2, (x, y)), x ** 3 * y - 2 + x * y / 1000, symbols=(x, y))
    assert cert.status == "refuted"
    cx = cert.counterexample
    assert cert.net_value == Fraction(cx["x"]) ** 3 * Fraction(cx["y"]) - 2 != cert.expr_value


@pytest.mark.parametrize("d", [1, 2, 3], ids=lambda d: f"d{d}")
def test_dense_degree_6_proved(d):
    from polyapprox.symbolic import prove_equal

    expr = _dense_generic(6, d, 600 + d)
    net = polynomial_net(expr, SYMS[:d])
    assert count_params(net).params == polynomial_net_size(6, d)["params"]
    cert = prove_equal(net, expr, symbols=SYMS[:d])
    assert (cert.status, cert.method) == ("proved", "algebraic")
