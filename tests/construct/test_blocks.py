"""Lemma 1 blocks: each is an algebraic identity on R (abs form expands to the target), with its table size."""

from __future__ import annotations

import pytest
import sympy

from polyapprox.backends.sympy_expr import to_sympy
from polyapprox.construct.blocks import identity_block, polynomial_1d_block, power_block, product_block, relu_block
from polyapprox.errors import ConfigError

x, y = sympy.symbols("x y", real=True)


@pytest.mark.parametrize(("net", "target"), [
    (identity_block(), x),
    (power_block(1), x),
    (power_block(2), x ** 2),
    (power_block(6), x ** 6),
    (power_block(7), x ** 7),
    (polynomial_1d_block([sympy.Rational(1, 2), -1, 0, 3, "-2/5"]), sympy.Rational(1, 2) - x + 3 * x ** 3
     - sympy.Rational(2, 5) * x ** 4),
], ids=["identity", "x", "x^2", "x^6", "x^7", "quartic"])
def test_one_variable_blocks_expand_to_target(net, target):
    assert sympy.expand(to_sympy(net, (x,), relu="abs")[0] - target) == 0


def test_product_block():
    assert sympy.expand(to_sympy(product_block(), (x, y), relu="abs")[0]) == x * y


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_relu_block(k):
    expr = to_sympy(relu_block(k), (x,))[0]
    assert expr == sympy.Max(x, 0) ** k


def test_bad_orders():
    for bad in (0, -1, True, 1.5):
        with pytest.raises(ConfigError, match="must be an integer >= 1"):
            power_block(bad)
    with pytest.raises(ConfigError, match="empty polynomial"):
        polynomial_1d_block([])
