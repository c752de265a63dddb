"""Yarotsky squaring f_m and approximate product xt: sizes (count_params) and exact error bounds."""

from __future__ import annotations

from fractions import Fraction

import pytest

from polyapprox.backends.exact import evaluate_exact
from polyapprox.construct.yarotsky import (
    approx_product_net,
    product_error_bound,
    square_error_bound,
    yarotsky_square,
)
from polyapprox.core.counting import count_params
from polyapprox.errors import ConfigError


def _max_on_cell(a: Fraction, b: Fraction, fa: Fraction, fb: Fraction) -> tuple[Fraction, Fraction]:
    """(min, max) of l(x) - x^2 on [a, b], l the chord through (a, fa), (b, fb): exact (concave quadratic)."""
    s = (fb - fa) / (b - a)
    cands = [a, b]
    xs = s / 2  # d/dx (l - x^2) = s - 2x
    if a < xs < b:
        cands.append(xs)
    vals = [fa + s * (x - a) - x * x for x in cands]
    return min(vals), max(vals)


@pytest.mark.parametrize("m", range(1, 9), ids=lambda m: f"m={m}")
def test_square_error_is_exactly_bound(m: int) -> None:
    """f_m - x^2 on [0, 1]: piecewise quadratic on the cells [k/2^m, (k+1)/2^m] (f_m linear there, see
    tests/test_pieces.py); its exact range is [0, 2^(-2m-2)]."""
    net = yarotsky_square(m)
    n = 2 ** m
    knots = [Fraction(k, n) for k in range(n + 1)]
    vals = [evaluate_exact(net, [x])[0] for x in knots]
    ranges = [_max_on_cell(knots[k], knots[k + 1], vals[k], vals[k + 1]) for k in range(n)]
    assert min(r[0] for r in ranges) == 0
    assert max(r[1] for r in ranges) == square_error_bound(m) == Fraction(1, 2 ** (2 * m + 2))


@pytest.mark.parametrize("m", [1, 2, 3, 7], ids=lambda m: f"m={m}")
def test_square_size(m: int) -> None:
    c = count_params(yarotsky_square(m))
    assert (c.params, c.units, c.depth, c.width) == (8 * m - 3, 3 * m - 1, m, 2 if m == 1 else 3)


@pytest.mark.parametrize("q", [1, 2, 5], ids=lambda q: f"q={q}")
def test_product_size(q: int) -> None:
    c = count_params(approx_product_net(q, 3))
    assert (c.params, c.units, c.depth) == (24 * q + 5, 9 * q + 3, q + 1)


@pytest.mark.parametrize(("q", "M"), [(1, 1), (2, 1), (3, 1), (2, Fraction(5, 2)), (4, 2)], ids=str)
def test_product_error_on_rational_grid(q: int, M: object) -> None:
    """|xt - xy| <= M^2 4^-q on a 33 x 33 rational grid of [-M, M]^2, and the bound is attained at
    x = y = M 2^-q (both |x|/2M, |y|/2M at a cell midpoint, |x+y|/2M at a knot)."""
    net = approx_product_net(q, M)
    mm = Fraction(M)
    bound = product_error_bound(q, mm)
    grid = [mm * Fraction(k - 16, 16) for k in range(33)]
    worst = max(abs(evaluate_exact(net, [x, y])[0] - x * y) for x in grid for y in grid)
    assert worst <= bound
    x = mm / 2 ** q
    assert evaluate_exact(net, [x, x])[0] - x * x == -bound


@pytest.mark.parametrize("q", [1, 3], ids=lambda q: f"q={q}")
def test_product_zero_property(q: int) -> None:
    """xt(0, y) = xt(x, 0) = 0 exactly, even outside [-M, M]."""
    net = approx_product_net(q, 1)
    for v in (Fraction(-7, 3), Fraction(1, 5), Fraction(9, 2)):
        assert evaluate_exact(net, [0, v]) == [0]
        assert evaluate_exact(net, [v, 0]) == [0]


@pytest.mark.parametrize("bad", [0, -1, Fraction(1, 2), True], ids=str)
def test_levels_validated(bad: object) -> None:
    with pytest.raises(ConfigError, match="m:"):
        yarotsky_square(bad)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="q:"):
        approx_product_net(bad)  # type: ignore[arg-type]


def test_product_rejects_nonpositive_M() -> None:
    with pytest.raises(ConfigError, match="M:"):
        approx_product_net(2, 0)


@pytest.mark.parametrize(("q", "M"), [(1, 1), (3, Fraction(3, 2))], ids=str)
def test_product_is_the_algebraic_assembly(q: int, M: Fraction) -> None:
    """approx_product_net == add/compose of yarotsky_square(q) and |.|/2M, as exact Net descriptions, so the
    1-D range of f_q - t^2 bounds the 2-D error (verify_relu.product_error_exact)."""
    from polyapprox.verify.relu import product_by_algebra

    assert approx_product_net(q, M) == product_by_algebra(q, Fraction(M))
