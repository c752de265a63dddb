"""The exact-arithmetic fast paths of prove_equal (symbolic/abspoly.py): they prove the Lemma 1 identities,
never prove a false one (every single-parameter mutant is checked against exact evaluation), and step aside
(None) where they cannot decide."""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest
import sympy

from polyapprox.backends.exact import evaluate_exact
from polyapprox.construct.blocks import polynomial_1d_block, power_block, product_block, relu_block
from polyapprox.construct.polynomials import monomial_net
from polyapprox.core.algebra import compose, linear
from polyapprox.core.net import RELU, Layer, Net, PolyReLU
from polyapprox.symbolic import prove_equal
from polyapprox.symbolic.abspoly import AbsAlgebra, cells_1d, difference_is_zero, from_sympy
from polyapprox.verify.mutation import mutants

X, Y, Z = sympy.symbols("x y z", real=True)
TRAPEZOID = Net(1, (Layer.make([[1], [1], [1], [1]], [2, 1, -1, -2], RELU), Layer.make([[1, -1, -1, 1]])))
TRAPEZOID_EXPR = sympy.Max(0, sympy.Min(1, 2 - sympy.Abs(X)))
MAX_NET = Net(2, (Layer.make([[0, 1], [0, -1], [1, -1]], [0, 0, 0], RELU), Layer.make([[1, -1, 1]])))
Q = Fraction(1, 4)
RELU2_BOX = Net(1, (Layer.make([[1], [-1]], [1, 1], PolyReLU.relu_power(2)), Layer.make([[Q, -Q]])))

#: (net, expr, symbols): identities on all of R^d that the Abs-atom algebra proves
ALGEBRAIC = [
    (product_block(), X * Y, (X, Y)),
    (power_block(7), X ** 7, (X,)),
    (relu_block(3), sympy.Max(X, 0) ** 3, (X,)),
    (polynomial_1d_block([1, -1, 0, Fraction(3, 4)]), 1 - X + sympy.Rational(3, 4) * X ** 3, (X,)),
    (monomial_net((2, 1, 1)), X ** 2 * Y * Z, (X, Y, Z)),
    (MAX_NET, sympy.Max(X, Y), (X, Y)),
]


def _points(d: int) -> list[list[Fraction]]:
    axis = [Fraction(k, 3) for k in range(-9, 10)] + [Fraction(1, 7), Fraction(-22, 7)]
    return [list(p) for p in itertools.product(axis, repeat=d)][:: max(1, 21 ** (d - 1) // 60)]


def _agrees_everywhere_sampled(net: Net, expr: sympy.Expr, syms: tuple[sympy.Symbol, ...]) -> bool:
    for p in _points(len(syms)):
        v = expr.subs({s: sympy.Rational(q.numerator, q.denominator) for s, q in zip(syms, p, strict=True)})
        if evaluate_exact(net, p)[0] != Fraction(int(v.p), int(v.q)):
            return False
    return True


@pytest.mark.parametrize(("net", "expr", "syms"), ALGEBRAIC)
def test_algebraic_fast_path_proves(net, expr, syms):
    assert difference_is_zero(net, [expr], syms) is True
    cert = prove_equal(net, expr, symbols=syms)
    assert (cert.status, cert.method) == ("proved", "algebraic") and "exact arithmetic" in cert.detail


def test_cells_1d_proves_the_piecewise_blocks():
    # trapezoid: the net cuts at -2, -1, 1, 2; the target adds 0 (|x|): 6 cells on R
    assert difference_is_zero(TRAPEZOID, [TRAPEZOID_EXPR], (X,)) is None  # not a polynomial identity in the atoms
    assert cells_1d(TRAPEZOID, [TRAPEZOID_EXPR], X, None, 64) == 6
    assert cells_1d(RELU2_BOX, [X], X, (Fraction(-1), Fraction(1)), 64) == 1  # both units positive inside
    assert cells_1d(RELU2_BOX, [X], X, None, 64) is None  # false outside [-1, 1]
    assert cells_1d(TRAPEZOID, [TRAPEZOID_EXPR], X, None, 3) is None  # max_cells
    cert = prove_equal(TRAPEZOID, TRAPEZOID_EXPR, (X,))
    assert (cert.status, cert.method, cert.regions) == ("proved", "regionwise-1d", 6)


@pytest.mark.parametrize(("net", "expr", "syms", "domain"), [
    *[(n, e, s, None) for n, e, s in ALGEBRAIC if len(s) < 3],  # d = 3: 10 s of sympy refutations
    (TRAPEZOID, TRAPEZOID_EXPR, (X,), None),
    (RELU2_BOX, X, (X,), (Fraction(-1), Fraction(1))),
])
def test_no_mutant_is_proved_wrongly(net, expr, syms, domain):
    """Every doubled weight / bias / coefficient: a fast path that answers must be right (exact evaluation at a
    grid of rational points); mutants that change the function are refuted by prove_equal."""
    for site, m in mutants(net):
        changed = not _agrees_everywhere_sampled(m, expr, syms) if domain is None else any(
            evaluate_exact(m, [q])[0] != q for q in (Fraction(k, 8) for k in range(-8, 9)))
        decided = difference_is_zero(m, [expr], syms) or (
            len(syms) == 1 and cells_1d(m, [expr], syms[0], domain, 64) is not None)
        if changed:
            assert not decided, site
            cert = prove_equal(m, expr, symbols=syms, domain=[domain] if domain else None)
            assert cert.status == "refuted", (site, cert.status, cert.detail)


@pytest.mark.parametrize(("net", "expr", "syms"), [
    (power_block(2), X ** 2 + sympy.Abs(X ** 2 - 1) - sympy.Abs(X - 1) * sympy.Abs(X + 1), (X,)),  # non-affine Abs
    (compose(relu_block(1), compose(linear([[1]], [-2]), power_block(2))), sympy.Max(X ** 2 - 2, 0), (X,)),
    (power_block(2), sympy.Heaviside(X) * X ** 2 + sympy.Heaviside(-X) * X ** 2, (X,)),  # an unknown function
    (power_block(2), X ** 2 + sympy.sin(X) ** 2 + sympy.cos(X) ** 2 - 1, (X,)),
])
def test_undecided_is_none_and_the_sympy_prover_decides(net, expr, syms):
    assert difference_is_zero(net, [expr], syms) is None
    assert cells_1d(net, [expr], syms[0], None, 64) is None
    assert prove_equal(net, expr, symbols=syms).status in ("proved", "unknown")


def test_atoms_are_normalised():
    """|2x - 4| = 2 |x - 2| and |2 - x| = |x - 2|: one atom; |l|^2 = l^2."""
    alg = AbsAlgebra(1)
    a = from_sympy(sympy.Abs(2 * X - 4) - 2 * sympy.Abs(2 - X), (X,), alg)
    assert a == {} and len(alg.atoms) == 1
    assert from_sympy(sympy.Abs(X - 2) ** 2 - (X - 2) ** 2, (X,), alg) == {}
    assert from_sympy(sympy.Abs(sympy.Rational(-3, 2)), (X,), alg) == {((0,), ()): Fraction(3, 2)}
