"""Exact evaluation: hand-computed values, the Lemma 1 identities at rational points, input validation."""

from __future__ import annotations

from fractions import Fraction

import pytest

from polyapprox.backends.exact import evaluate_exact
from polyapprox.construct.blocks import identity_block, polynomial_1d_block, power_block, product_block
from polyapprox.core.net import Layer, Net, PolyReLU
from polyapprox.errors import InvalidDataError, NetError

POINTS = [Fraction(p, q) for p in range(-7, 8, 3) for q in (1, 3, 8)]


def test_hand_computed_polyrelu_unit():
    # sigma(t) = 1 - 2 R(t) + 3 R(t)^3 applied to 2x - 1, then doubled
    net = Net(1, (Layer.make([[2]], [-1], PolyReLU((1, -2, 0, 3))), Layer.make([[2]])))
    assert evaluate_exact(net, [Fraction(3, 2)]) == [2 * (1 - 4 + 3 * 8)]
    assert evaluate_exact(net, [Fraction(1, 4)]) == [2]  # R(-1/2) = 0: only the constant
    assert evaluate_exact(net, ["1/2"]) == [2]


@pytest.mark.parametrize("x", POINTS, ids=str)
def test_blocks_exact_at_rational_points(x):
    assert evaluate_exact(identity_block(), [x]) == [x]
    assert evaluate_exact(power_block(5), [x]) == [x ** 5]
    assert evaluate_exact(product_block(), [x, 1 - x]) == [x * (1 - x)]
    assert evaluate_exact(polynomial_1d_block([1, "-1/2", 0, 3]), [x]) == [1 - x / 2 + 3 * x ** 3]


def test_input_validation():
    with pytest.raises(InvalidDataError, match="x: 1 coordinates, the network takes 2"):
        evaluate_exact(product_block(), [1])
    with pytest.raises(NetError, match=r"x\[0\]: float"):
        evaluate_exact(identity_block(), [0.5])
