"""Exact 1-D linear pieces of ReLU nets (pieces.py): agreement with exact evaluation, minimality, bounds."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from polyapprox.approx.pieces import PiecewiseLinear, count_pieces, piece_bound, propagate, sup_error
from polyapprox.backends.exact import evaluate_exact
from polyapprox.construct.blocks import identity_block, power_block
from polyapprox.construct.yarotsky import approx_product_net, yarotsky_square
from polyapprox.core.net import RELU, Layer, Net
from polyapprox.errors import ConfigError, NetError
from polyapprox.verify.testing import random_net

F = Fraction
SEEDS = range(8)


def _abs_net() -> Net:
    return Net(1, (Layer.make([[1], [-1]], activations=RELU), Layer.make([[1, 1]])))


def test_abs_has_one_breakpoint() -> None:
    assert count_pieces(_abs_net(), -1, 2) == [0]
    assert count_pieces(_abs_net(), Fraction(1, 3), 2) == []


def test_identity_block_is_one_piece() -> None:
    """x = R(x) - R(-x): the kink of each unit at 0 cancels, so there are no breakpoints."""
    assert count_pieces(identity_block(), -3, 5) == []


@pytest.mark.parametrize("m", range(1, 7), ids=lambda m: f"m={m}")
def test_square_breakpoints_are_dyadic_knots(m: int) -> None:
    assert count_pieces(yarotsky_square(m), 0, 1) == [Fraction(k, 2 ** m) for k in range(1, 2 ** m)]


@pytest.mark.parametrize("seed", SEEDS, ids=lambda s: f"seed={s}")
def test_pieces_agree_with_exact_evaluation(seed: int) -> None:
    """Linear interpolation between the propagated breakpoints equals the net at random rational points
    and at every breakpoint (so no breakpoint is missed on [lo, hi])."""
    rng = np.random.default_rng(seed)
    net = random_net(rng, 1, (3, 4, 2), 1, activations="relu")
    g = propagate(net, -2, 2)[0]
    pts = sorted({Fraction(int(rng.integers(-2000, 2001)), int(rng.integers(1, 1000))) for _ in range(60)})
    pts = [p for p in pts if -2 <= p <= 2] + list(g.xs)
    for x in pts:
        assert g(x) == evaluate_exact(net, [x])[0]


@pytest.mark.parametrize("seed", SEEDS, ids=lambda s: f"seed={s}")
def test_breakpoints_are_genuine_kinks(seed: int) -> None:
    """Every reported breakpoint changes the slope (exact evaluation on both sides)."""
    rng = np.random.default_rng(seed)
    net = random_net(rng, 1, (4, 4), 1, activations="relu")
    g = propagate(net, -2, 2)[0]
    xs = [Fraction(-2), *g.breakpoints, Fraction(2)]
    for k in range(1, len(xs) - 1):
        left = (xs[k - 1] + xs[k]) / 2
        right = (xs[k] + xs[k + 1]) / 2
        v = [evaluate_exact(net, [x])[0] for x in (left, xs[k], right)]
        assert (v[1] - v[0]) / (xs[k] - left) != (v[2] - v[1]) / (right - xs[k])


@pytest.mark.parametrize("seed", SEEDS, ids=lambda s: f"seed={s}")
def test_piece_bound_holds(seed: int) -> None:
    """p <= prod_l (1 + m_l) <= (1 + U/L)^L <= (2U/L)^L on any interval (docs/constructions.md §3.3)."""
    rng = np.random.default_rng(seed)
    net = random_net(rng, 1, (3, 5, 3), 1, activations="relu")
    pb = piece_bound(net)
    assert len(count_pieces(net, -10, 10)) + 1 <= pb.product
    assert pb.product <= pb.amgm * (1 + 1e-12) <= pb.telgarsky * (1 + 1e-12)  # float rounding only


def test_piece_bound_of_square() -> None:
    pb = piece_bound(yarotsky_square(4))
    assert (pb.widths, pb.product) == ((2, 3, 3, 3), 3 * 4 ** 3)


def test_rejects_non_piecewise_linear_and_bad_inputs() -> None:
    with pytest.raises(NetError, match="order 2"):
        propagate(power_block(2), 0, 1)
    with pytest.raises(NetError, match="in_dim"):
        propagate(approx_product_net(1), 0, 1)
    with pytest.raises(ConfigError, match="lo, hi"):
        propagate(_abs_net(), 1, 1)


def _pl(xs: list[object], ys: list[object]) -> PiecewiseLinear:
    return PiecewiseLinear(tuple(Fraction(v) for v in xs), tuple(Fraction(v) for v in ys))


def test_sup_error_quadratic_interior_maximum_exact() -> None:
    """|x^2 - x| on [0, 1] peaks at 1/2 with value 1/4 (interior critical point, exact)."""
    err = sup_error(_pl([0, 1], [0, 1]), [(0, 1, (0, 0, 1))])
    assert (err.lower, err.upper, err.argmax, err.exact) == (Fraction(1, 4), Fraction(1, 4), Fraction(1, 2), True)


def test_sup_error_cubic_enclosure() -> None:
    """|x^3 - x| on [0, 1] peaks at 1/sqrt(3) with the irrational value 2/(3 sqrt 3): enclosed tightly."""
    err = sup_error(_pl([0, 1], [0, 0]), [(0, 1, (0, -1, 0, 1))])
    true = 2 / (3 * math.sqrt(3))
    assert float(err.lower) <= true <= float(err.upper)
    assert err.upper - err.lower < Fraction(1, 10 ** 20)


def test_sup_error_quartic_through_inflection() -> None:
    """|x^4 - x^2| on [-1, 1] peaks at +-1/sqrt(2) with value 1/4; P'' has roots +-1/sqrt(6) inside the
    segment, so the exact (sympy) root isolation path is used."""
    err = sup_error(_pl([-1, 1], [0, 0]), [(-1, 1, (0, 0, -1, 0, 1))])
    assert err.lower <= Fraction(1, 4) <= err.upper
    assert err.upper - err.lower < Fraction(1, 10 ** 20)


@pytest.mark.parametrize("knots", [[F(1, 3)], [F(1, 5), F(1, 2), F(9, 10)], [F(k, 7) for k in range(1, 7)]],
                         ids=["1", "3", "6"])
def test_shifted_knot_interpolant_attains_width_bound(knots: list[Fraction]) -> None:
    """Chord interpolant of x^2 minus h_max^2/8: sup error == h_max^2/8 exactly (best-fit lower bound is
    tight), with len(knots) + 1 pieces."""
    from polyapprox.verify.relu import knot_interpolant, x2_lower_bound

    h = max(b - a for a, b in zip([0, *knots], [*knots, 1]))  # noqa: B905 - adjacent pairs
    g = propagate(knot_interpolant(knots, -h * h / 8), 0, 1)[0]
    assert g.breakpoints == knots
    sup, by_width, by_count = x2_lower_bound(g)
    assert sup == by_width == h * h / 8 >= by_count


def test_sup_error_rejects_pieces_outside_domain() -> None:
    with pytest.raises(ConfigError, match="not inside the domain"):
        sup_error(_pl([0, 1], [0, 1]), [(0, 2, (0, 0, 1))])


def test_identity_and_affine_polyrelu_units() -> None:
    """Identity units pass through; PolyReLU (c0, c1) = c0 + c1 R(t) is piecewise linear too."""
    from polyapprox.core.net import IDENTITY, PolyReLU

    affine_relu = PolyReLU((F(1, 2), F(-3)))
    net = Net(1, (Layer.make([[1], [2], [-1]], [0, F(-1, 3), F(1, 4)], (IDENTITY, affine_relu, RELU)),
                  Layer.make([[1, 1, 1]])))
    g = propagate(net, -1, 1)[0]
    assert g.breakpoints == [F(1, 6), F(1, 4)]
    for k in range(-12, 13):
        x = F(k, 12)
        assert g(x) == evaluate_exact(net, [x])[0]
