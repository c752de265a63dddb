"""Lemma 1 (paper section 3.1; docs/constructions.md §1.1, §1.5): ReLU, ReLU^k, powers, products and polynomials are
exactly PolyReLU networks. Every statement holds on all of R^d and is proved algebraically."""

from __future__ import annotations

from polyapprox.verify._common import X, Y, Z, fixed_coeffs, poly_expr, prove, relu
from polyapprox.verify.registry import register

MULTIVARIATE = "3*x**2*y - y**3 + x*y*z - 2*y*z**2 + 5*x - 7"
POLY_DEGREES = range(1, 9)


@register("lemma1.identity", "R(x) - R(-x) = x for all real x (2 ReLU units)")
def identity():
    from polyapprox.construct.blocks import identity_block

    return prove(identity_block(), X, (X,))


@register("lemma1.relu", "the PolyReLU unit with a = (0, 1) is max(x, 0) for all real x")
def relu_unit():
    from polyapprox.construct.blocks import relu_block

    return prove(relu_block(1), relu(X), (X,))


def _relu_k(k: int):
    @register(f"lemma1.relu_k_{k}", f"the PolyReLU unit with a = e_{k} is max(x, 0)^{k} for all real x")
    def check():
        from polyapprox.construct.blocks import relu_block

        return prove(relu_block(k), relu(X) ** k, (X,))


for _k in (2, 3):
    _relu_k(_k)


@register("lemma1.square", "R_2(x) + R_2(-x) = x^2 for all real x (2 ReLU^2 units)")
def square():
    from polyapprox.construct.blocks import power_block

    return prove(power_block(2), X ** 2, (X,))


@register("lemma1.power_7", "R_7(x) - R_7(-x) = x^7 for all real x (2 ReLU^7 units)")
def power_7():
    from polyapprox.construct.blocks import power_block

    return prove(power_block(7), X ** 7, (X,))


@register("lemma1.product", "[R_2(x+y) + R_2(-x-y) - R_2(x-y) - R_2(y-x)] / 4 = x y for all real x, y")
def product():
    from polyapprox.construct.blocks import product_block

    return prove(product_block(), X * Y, (X, Y))


def _poly_degree(k: int):
    statement = (f"sigma_a(x) + sigma_a'(-x) = p(x) for all real x, p(x) = sum_{{i<={k}}} (-1)^i (i+1)/(i+2) x^i "
                 f"(degree {k}, 2 PolyReLU units of order {k})")

    @register(f"lemma1.poly_degree_{k}", statement)
    def check():
        from polyapprox.construct.blocks import polynomial_1d_block

        c = fixed_coeffs(k)
        return prove(polynomial_1d_block(c), poly_expr(c, X), (X,))


for _k in POLY_DEGREES:
    _poly_degree(_k)


@register("lemma1.monomial",
          "monomial_net((2, 1, 1)) (depth 1, centred finite differences, 6 directions) = x^2 y z on R^3")
def monomial():
    from polyapprox.construct.polynomials import monomial_net

    return prove(monomial_net((2, 1, 1)), X ** 2 * Y * Z, (X, Y, Z))


@register("lemma1.multivariate_poly", f"polynomial_net(p) = p on R^3 for p = {MULTIVARIATE} (depth 1)")
def multivariate():
    from polyapprox.construct.polynomials import polynomial_net
    from polyapprox.symbolic.expressions import parse_expression

    return prove(polynomial_net(MULTIVARIATE, (X, Y, Z)), parse_expression(MULTIVARIATE, (X, Y, Z)), (X, Y, Z))


# ---------------------------------------------------------------- the rest of the table in docs/constructions.md §1.1


def _one_layer(d: int, rows: list, bias: list, acts: object, out: list, out_bias: object = 0):
    from polyapprox.core.net import Layer, Net

    return Net(d, (Layer.make(rows, bias, acts), Layer.make([out], [out_bias])))


@register("lemma1.abs", "R(x) + R(-x) = |x| for all real x (2 ReLU units)")
def abs_block():
    import sympy

    from polyapprox.core.net import RELU

    return prove(_one_layer(1, [[1], [-1]], [0, 0], RELU, [1, 1]), sympy.Abs(X), (X,))


@register("lemma1.max", "R(y) - R(-y) + R(x - y) = max(x, y) for all real x, y (3 ReLU units)")
def max_block():
    import sympy

    from polyapprox.core.net import RELU

    return prove(_one_layer(2, [[0, 1], [0, -1], [1, -1]], [0, 0, 0], RELU, [1, -1, 1]), sympy.Max(X, Y), (X, Y))


@register("lemma1.trapezoid", "R(t+2) - R(t+1) - R(t-1) + R(t-2) = max(0, min(1, 2 - |t|)) for all real t")
def trapezoid():
    import sympy

    from polyapprox.core.net import RELU

    net = _one_layer(1, [[1], [1], [1], [1]], [2, 1, -1, -2], RELU, [1, -1, -1, 1])
    return prove(net, sympy.Max(0, sympy.Min(1, 2 - sympy.Abs(X))), (X,))


@register("lemma1.identity_relu2_box", "[R_2(x + 1) - R_2(1 - x)] / 4 = x for all x in [-1, 1] (2 ReLU^2 units)")
def identity_relu2_box():
    from fractions import Fraction

    from polyapprox.core.net import PolyReLU

    q = Fraction(1, 4)
    net = _one_layer(1, [[1], [-1]], [1, 1], PolyReLU.relu_power(2), [q, -q])
    return prove(net, X, (X,), [(-1, 1)])


@register("lemma1.bspline_partition",
          "sum_{j=-2..3} B_2(t - j) = 1 for all t in [0, 3], B_2(t) = [R_2(t) - 3 R_2(t-1) + 3 R_2(t-2) - R_2(t-3)]/2")
def bspline_partition():
    from fractions import Fraction

    import sympy

    from polyapprox.core.net import PolyReLU

    shifts = range(-2, 4)
    weights = {}
    for j in shifts:  # B_2(t - j) = sum_m w_m R_2(t - j - m) / 2
        for m, w in enumerate((1, -3, 3, -1)):
            weights[j + m] = weights.get(j + m, 0) + Fraction(w, 2)
    knots = sorted(k for k, w in weights.items() if w != 0)
    net = _one_layer(1, [[1]] * len(knots), [-k for k in knots], PolyReLU.relu_power(2),
                     [weights[k] for k in knots])
    return prove(net, sympy.Integer(1), (X,), [(0, 3)])
