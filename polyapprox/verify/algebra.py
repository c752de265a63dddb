"""Network algebra (docs/constructions.md §1.6): composition, sums and the strict form preserve exactness."""

from __future__ import annotations

from polyapprox.verify._common import X, Y, fixed_coeffs, poly_expr, prove
from polyapprox.verify.registry import register


@register("algebra.compose", "compose(x -> x^2, p) = p(x)^2 on all of R for p(x) = 1/2 - 2/3 x + 3/4 x^2 - 4/5 x^3")
def compose():
    from polyapprox.construct.blocks import polynomial_1d_block, power_block
    from polyapprox.core.algebra import compose as comp

    c = fixed_coeffs(3)
    return prove(comp(power_block(2), polynomial_1d_block(c)), poly_expr(c, X) ** 2, (X,))


@register("algebra.add", "add(product, x^3 block, weights (2, -1/3)) = 2 x y - x^3 / 3 on all of R^2")
def add():
    from polyapprox.construct.blocks import power_block, product_block
    from polyapprox.core.algebra import add as add_nets
    from polyapprox.core.algebra import compose, linear

    cube_of_x = compose(power_block(3), linear([[1, 0]]))
    return prove(add_nets(product_block(), cube_of_x, weights=[2, "-1/3"]), 2 * X * Y - X ** 3 / 3, (X, Y))


@register("algebra.strict",
          "strict(f) = f = x y + x + y on all of R^2, where f carries x + y by a hidden identity unit and strict(f) "
          "by R(t) - R(-t)")
def strict():
    from fractions import Fraction

    from polyapprox.core.algebra import strict as strict_form
    from polyapprox.core.net import IDENTITY, Layer, Net, PolyReLU

    sq, q = PolyReLU.relu_power(2), Fraction(1, 4)
    net = Net(2, (
        Layer.make([[1, 1], [1, 1], [-1, -1], [1, -1], [-1, 1]], activations=(IDENTITY, sq, sq, sq, sq)),
        Layer.make([[1, q, q, -q, -q]]),
    ))
    converted = strict_form(net)
    if any(a == IDENTITY for a in converted.layers[0].activations):
        raise AssertionError("strict form kept a hidden identity unit")
    return prove(converted, X * Y + X + Y, (X, Y))
