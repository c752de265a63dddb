"""Exact real algebraic numbers for 1-D breakpoints: a rational, or a root of an irreducible polynomial.

An irrational breakpoint alpha is stored as (f, lo, hi): f is monic and irreducible over QQ of degree >= 2
and alpha is its only real root in the open interval (lo, hi), lo < hi rational. Such f has no rational
roots, so f(lo), f(hi) != 0 and bisection refines the interval exactly. Two numbers are equal iff they are
the same rational, or roots of the same f whose isolating intervals share that root; distinct numbers are
separated by refining until their intervals are disjoint. Everything is exact (no floats).
"""

from __future__ import annotations

from fractions import Fraction

import sympy

from polyapprox.backends.sympy_expr import rational


def _q(v: object) -> Fraction:
    r = sympy.Rational(v)
    return Fraction(int(r.p), int(r.q))


def poly_at(f: sympy.Poly, v: Fraction) -> Fraction:
    """f(v) exactly for a univariate Poly over QQ (Horner in Fractions)."""
    acc = Fraction(0)
    for c in f.all_coeffs():
        acc = acc * v + _q(c)
    return acc


def _sgn(v: Fraction) -> int:
    return (v > 0) - (v < 0)


class AlgNum:
    """A real algebraic number (see module doc). Mutable only in that its interval is refined in place."""

    __slots__ = ("poly", "lo", "hi")

    def __init__(self, value: Fraction | None = None, poly: sympy.Poly | None = None,
                 lo: Fraction | None = None, hi: Fraction | None = None) -> None:
        if value is not None:
            self.poly, self.lo, self.hi = None, Fraction(value), Fraction(value)
        else:
            assert poly is not None and lo is not None and hi is not None and lo < hi
            self.poly, self.lo, self.hi = poly, lo, hi

    @property
    def is_rational(self) -> bool:
        return self.poly is None

    def refine(self) -> None:
        """Halve the isolating interval (irrational numbers only)."""
        f = self.poly
        assert f is not None
        mid = (self.lo + self.hi) / 2
        if _sgn(poly_at(f, self.lo)) != _sgn(poly_at(f, mid)):
            self.hi = mid
        else:
            self.lo = mid

    def sign_of(self, p: sympy.Poly) -> int:
        """The sign of p(alpha), exactly (p univariate over QQ in the same generator)."""
        if self.is_rational:
            return _sgn(poly_at(p, self.lo))
        if p.rem(self.poly).is_zero:  # f irreducible: p(alpha) = 0 iff f | p
            return 0
        while p.count_roots(rational(self.lo), rational(self.hi)) > 0:
            self.refine()
        return _sgn(poly_at(p, self.lo))

    def vanishes(self, p: sympy.Poly) -> bool:
        return self.sign_of(p) == 0

    def __repr__(self) -> str:
        if self.is_rational:
            return str(self.lo)
        return f"root of {self.poly.as_expr()} in ({self.lo}, {self.hi})"

    def describe(self) -> str:
        return repr(self)


def compare(a: AlgNum, b: AlgNum) -> int:
    """-1, 0 or 1 as a <, =, > b, exactly."""
    if a.is_rational and b.is_rational:
        return _sgn(a.lo - b.lo)
    if a.poly is not None and b.poly is not None and a.poly == b.poly:
        lo, hi = max(a.lo, b.lo), min(a.hi, b.hi)
        if lo < hi and a.poly.count_roots(rational(lo), rational(hi)) == 1:
            return 0  # each interval isolates one root, and the overlap holds a root: the same one
    while not (a.hi < b.lo or b.hi < a.lo):  # distinct numbers: refine until the intervals separate
        for z in (a, b):
            if not z.is_rational:
                z.refine()
    return -1 if a.hi < b.lo else 1


def real_roots(p: sympy.Poly) -> list[AlgNum]:
    """The distinct real roots of a nonzero univariate Poly over QQ, as AlgNums (unsorted)."""
    out: list[AlgNum] = []
    _, factors = p.factor_list()
    for f, _mult in factors:
        if f.degree() <= 0:
            continue
        if f.degree() == 1:
            c1, c0 = (_q(c) for c in f.all_coeffs())
            out.append(AlgNum(-c0 / c1))
            continue
        f = f.monic()
        for (lo, hi), _m in f.intervals():
            out.append(AlgNum(poly=f, lo=_q(lo), hi=_q(hi)))
    return out


def rational_between(a: AlgNum | None, b: AlgNum | None) -> Fraction:
    """A rational strictly between a and b (None: -inf for a, +inf for b); requires a < b."""
    if a is None and b is None:
        return Fraction(0)
    if a is None:
        assert b is not None
        return _floor(b.lo) - 1
    if b is None:
        return _floor(a.hi) + 1
    while not a.hi < b.lo:
        for z in (a, b):
            if not z.is_rational:
                z.refine()
    return (a.hi + b.lo) / 2


def points_between(a: AlgNum | None, b: AlgNum | None, n: int) -> list[Fraction]:
    """n distinct rationals strictly between a and b (a < b; None = infinite end)."""
    if a is None and b is None:
        lo, hi = Fraction(-1), Fraction(1)
    else:
        mid = rational_between(a, b)
        lo = a.hi if a is not None else mid - 1
        hi = b.lo if b is not None else mid + 1
        # a.hi < b.lo holds after rational_between; a rational endpoint is itself (excluded below by j >= 1)
    step = (hi - lo) / n  # one point per sub-interval, the simplest rational in it (small counterexamples)
    return [simplest_between(lo + step * j, lo + step * (j + 1)) for j in range(n)]


def simplest_between(lo: Fraction, hi: Fraction) -> Fraction:
    """The rational with the smallest denominator strictly between lo < hi (continued fractions)."""
    if lo < 0 < hi:
        return Fraction(0)
    if hi <= 0:
        return -simplest_between(-hi, -lo)
    fl = _floor(lo)
    if fl + 1 < hi:
        return fl + 1
    # no integer in (lo, hi): q = fl + 1/r with 1/(hi - fl) < r < 1/(lo - fl) (+inf when lo = fl)
    a = 1 / (hi - fl)
    r = _floor(a) + 1 if lo == fl else simplest_between(a, 1 / (lo - fl))
    return fl + 1 / r


def _floor(v: Fraction) -> Fraction:
    return Fraction(v.numerator // v.denominator)
