"""count_params on hand-made nets equals the closed forms (docs/constructions.md §1.1 table, docs/measurement.md §4)."""

from __future__ import annotations

import pytest

from polyapprox.construct.blocks import identity_block, polynomial_1d_block, power_block, product_block, relu_block
from polyapprox.core.counting import count_params
from polyapprox.core.net import IDENTITY, RELU, Layer, Net, PolyReLU


@pytest.mark.parametrize(("net", "params", "units", "depth", "width"), [
    (identity_block(), 4, 2, 1, 2),
    (relu_block(1), 2, 1, 1, 1),
    (relu_block(5), 2, 1, 1, 1),
    (power_block(4), 4, 2, 1, 2),
    (product_block(), 12, 4, 1, 4),
    (polynomial_1d_block([1, 2, 3]), 5, 2, 1, 2),
    (polynomial_1d_block([0, 2, 3]), 4, 2, 1, 2),
], ids=["identity", "relu", "relu5", "x^4", "product", "poly-with-constant", "poly-no-constant"])
def test_blocks_match_table(net, params, units, depth, width):
    c = count_params(net)
    assert (c.params, c.units, c.depth, c.width) == (params, units, depth, width)
    assert c.params == c.weights + c.biases


def test_hand_made_net_every_field():
    # 3 -> 4 (2 ReLU, 1 identity, 1 PolyReLU with 3 nonzero coefficients) -> 2 (ReLU^2) -> 1 (affine)
    w1 = [[1, 0, 0], [0, 2, 0], [0, 0, 3], [1, 1, 1]]
    acts1 = (RELU, RELU, IDENTITY, PolyReLU((1, 0, 2, 3)))
    l1 = Layer.make(w1, [0, 1, 0, "1/2"], acts1)
    l2 = Layer.make([[1, 0, 0, 1], [0, 0, 0, 0]], [0, 0], PolyReLU.relu_power(2))
    l3 = Layer.make([[1, -1]], [7])
    c = count_params(Net(3, (l1, l2, l3)))
    assert c.weights == 6 + 2 + 2
    assert c.biases == 2 + 0 + 1
    assert c.params == 13
    assert c.coefficients == 1 + 1 + 3 + 1 + 1  # nonzero PolyReLU coefficients over all units
    assert c.dense == (3 + 1) * 4 + (4 + 1) * 2 + (2 + 1) * 1
    assert (c.units, c.identity_units) == (3 + 2, 1 + 1)
    assert (c.depth, c.layers, c.width) == (2, 3, 4)
    assert c.to_dict()["params"] == 13


def test_affine_only_net():
    c = count_params(Net(2, (Layer.make([[1, 0], [0, 0]], [0, 3]),)))
    assert (c.params, c.units, c.depth, c.layers, c.width) == (2, 0, 0, 1, 2)
