"""Shared coefficients (docs/constructions.md §1.2): with one sigma = sum_i a_i R^i (a = (0, 1/3, 1/3, 1/3), the paper's
initialisation) in every hidden unit, R, R^2, R^3 and whole per-unit networks are recovered exactly."""

from __future__ import annotations

import numpy as np

from polyapprox.verify._common import X, Y, box, prove, relu
from polyapprox.verify.registry import register

WEIGHTS = {1: "9, -9/2, 1", 2: "-15/2, 6, -3/2", 3: "3/2, -3/2, 1/2"}


def _vandermonde(k: int):
    @register(f"shared_coefficients.vandermonde_relu{k}",
              f"with sigma = (R + R^2 + R^3)/3: ({WEIGHTS[k]}) . (sigma(x), sigma(2x), sigma(3x)) = max(x, 0)^{k} "
              "for all real x")
    def check():
        from polyapprox.construct.blocks import relu_block
        from polyapprox.construct.shared import PAPER_SIGMA, shared_form

        net = shared_form(relu_block(k), PAPER_SIGMA)
        return prove(net, relu(X) ** k, (X,))


for _k in (1, 2, 3):
    _vandermonde(_k)


@register("shared_coefficients.network",
          "a random per-unit PolyReLU/identity net R^2 -> R (widths 3, 2, orders <= 3, seed 7) equals its "
          "shared form, every hidden unit sigma = (R + R^2 + R^3)/3, on [-1, 1]^2")
def network():
    from polyapprox.backends.sympy_expr import to_sympy
    from polyapprox.construct.shared import PAPER_SIGMA, shared_form
    from polyapprox.verify.testing import random_net

    original = random_net(np.random.default_rng(7), 2, (3, 2), 1, max_order=3, activations="mixed")
    net = shared_form(original, PAPER_SIGMA)
    if any(a != PAPER_SIGMA for layer in net.layers[:-1] for a in layer.activations):
        raise AssertionError("a hidden unit does not use the shared sigma")
    return prove(net, to_sympy(original, (X, Y))[0], (X, Y), box(2))


@register("shared_coefficients.polynomial",
          "the shared-sigma form (sigma = (R + R^2 + R^3)/3) of polynomial_net(x^3 - 2 x y^2 + y - 1) equals "
          "x^3 - 2 x y^2 + y - 1 on all of R^2")
def polynomial():
    from polyapprox.construct.polynomials import polynomial_net
    from polyapprox.construct.shared import PAPER_SIGMA, shared_form

    expr = X ** 3 - 2 * X * Y ** 2 + Y - 1
    return prove(shared_form(polynomial_net(expr, (X, Y)), PAPER_SIGMA), expr, (X, Y))
