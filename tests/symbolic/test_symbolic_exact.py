"""Exact building blocks of the prover: real algebraic numbers (algnum) and the canonical Abs form (absform)."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy

from polyapprox.symbolic.absform import canonical
from polyapprox.symbolic.algnum import AlgNum, compare, points_between, rational_between, real_roots

pytestmark = pytest.mark.timeout(60)

X, Y = sympy.symbols("x y", real=True)


def roots(expr) -> list[AlgNum]:
    return sorted(real_roots(sympy.Poly(expr, X, domain="QQ")), key=lambda r: r.lo)


def test_real_roots_are_exact_and_isolated():
    rs = roots((X ** 2 - 2) * (3 * X - 1))
    assert [r.is_rational for r in rs] == [False, True, False]
    assert rs[1].lo == Fraction(1, 3)
    assert compare(rs[0], rs[1]) == -1 and compare(rs[2], rs[1]) == 1


def test_same_root_from_different_polynomials_compares_equal():
    a = roots(2 * X ** 2 - 4)[1]
    b = roots(X ** 4 - 4)[1]  # factors (x^2 - 2)(x^2 + 2)
    assert compare(a, b) == 0
    c = roots(X ** 2 - 3)[1]
    assert compare(a, c) == -1


@pytest.mark.parametrize(("q", "expected"), [(Fraction(141, 100), 1), (Fraction(142, 100), -1),
                                             (Fraction(-2), 1)], ids=["below", "above", "far_below"])
def test_sqrt2_against_rationals(q, expected):
    sqrt2 = roots(X ** 2 - 2)[1]
    assert compare(sqrt2, AlgNum(q)) == expected


def test_points_strictly_between_algebraic_numbers():
    lo, hi = roots(X ** 2 - 2)[1], roots(X ** 2 - 3)[1]
    pts = points_between(lo, hi, 4)
    assert len(set(pts)) == 4
    assert all(2 < p * p < 3 for p in pts)
    assert compare(AlgNum(rational_between(None, lo)), lo) == -1
    assert compare(AlgNum(rational_between(hi, None)), hi) == 1
    quarters = [Fraction(1, 4), Fraction(1, 2), Fraction(3, 4)]  # simplest rationals in thirds of (0, 1)
    assert points_between(AlgNum(Fraction(0)), AlgNum(Fraction(1)), 3) == quarters


def test_sign_of_a_polynomial_at_an_irrational_point():
    sqrt2 = roots(X ** 2 - 2)[1]
    assert sqrt2.sign_of(sympy.Poly(X ** 4 - 4, X)) == 0
    assert sqrt2.sign_of(sympy.Poly(X - sympy.Rational(141, 100), X)) == 1
    assert sqrt2.sign_of(sympy.Poly(100 * X ** 2 - 199, X)) == 1


@pytest.mark.parametrize(("a", "b"), [
    (sympy.Max(X, 0), (X + sympy.Abs(X)) / 2),
    (sympy.Min(X, Y), (X + Y - sympy.Abs(Y - X)) / 2),
    (sympy.Abs(2 * X - 2 * Y), 2 * sympy.Abs(Y - X)),
    (sympy.Abs(X) ** 3, X ** 2 * sympy.Abs(X)),
    (((X + sympy.Abs(X)) / 2) ** 2 + ((-X + sympy.Abs(X)) / 2) ** 2, X ** 2),
    (sympy.Abs(-3 * X ** 3 * Y), 3 * X ** 2 * sympy.Abs(X) * sympy.Abs(Y)),
], ids=["max", "min", "content_and_sign", "odd_power", "square_pair", "monomial"])
def test_canonical_abs_form_identities(a, b):
    assert sympy.expand(canonical(a) - canonical(b)) == 0


def test_canonical_form_does_not_identify_different_functions():
    assert canonical(sympy.Abs(X - Y) - sympy.Abs(X + Y)) != 0
    assert canonical(sympy.Max(X, 0) - sympy.Max(X, 1)) != 0


@pytest.mark.parametrize(("lo", "hi", "expected"), [
    ("1/3", "1/2", "2/5"), ("-1/2", "1/3", "0"), ("3/2", "5/2", "2"), ("-5/2", "-3/2", "-2"),
    ("2", "3", "5/2"), ("141/100", "142/100", "17/12"), ("0", "1/1000", "1/1001"),
], ids=["third_half", "zero", "integer", "negative_integer", "open_ends", "sqrt2ish", "tiny"])
def test_simplest_rational_between(lo, hi, expected):
    from polyapprox.symbolic.algnum import simplest_between

    q = simplest_between(Fraction(lo), Fraction(hi))
    assert q == Fraction(expected)
    assert Fraction(lo) < q < Fraction(hi)
    assert all(not Fraction(lo) < Fraction(p, d) < Fraction(hi) for d in range(1, q.denominator) for p in
               range(int(Fraction(lo) * d) - 1, int(Fraction(hi) * d) + 2))


def _row(a, c, strict):
    return ([Fraction(v) for v in a], Fraction(c), strict)


@pytest.mark.parametrize(("rows", "expected"), [
    ([_row([1, 0], 0, True), _row([0, 1], 0, True), _row([-1, -1], 0, True)], True),  # x>0, y>0, x+y<0
    ([_row([1, 0], 0, False), _row([0, 1], 0, False), _row([-1, -1], 0, False)], False),  # x=y=0 solves it
    ([_row([1, 0], 0, False), _row([-1, 0], 0, True)], True),  # x >= 0 and x < 0
    ([_row([1, -1], "-1/2", True), _row([-1, 1], "1/3", True)], True),  # x - y > 1/2 and x - y < 1/3
    ([_row([1, -1], "-1/3", True), _row([-1, 1], "1/2", True)], False),  # 1/3 < x - y < 1/2
], ids=["strict_cone", "closed_cone_origin", "strict_vs_closed", "gap", "band"])
def test_fourier_motzkin_infeasibility_is_exact(rows, expected):
    from polyapprox.symbolic.branching import infeasible

    assert infeasible(rows, 2) is expected
