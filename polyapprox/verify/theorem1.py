"""Theorem 1 (paper 3.1; docs/constructions.md §1.7): ReLU / ReLU^2 / polynomial-activation networks are PolyReLU
networks of the same depth (width <= 2K for polynomial activations). The original network's function is
written independently in sympy from its weights; the converted ``Net`` is proved equal to it."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from polyapprox.verify._common import X, Y, box, dense_forward, prove, relu
from polyapprox.verify.registry import register

SEED = 20250101
WIDTHS = (3, 3)


def _random_dense(rng: np.random.Generator, d: int, widths: tuple[int, ...], dyadic: bool) -> list:
    den = 4 if dyadic else 3
    layers, prev = [], d
    for w in list(widths) + [1]:
        weight = [[Fraction(int(rng.integers(-2 * den, 2 * den + 1)), den) for _ in range(prev)] for _ in range(w)]
        bias = [Fraction(int(rng.integers(-den, den + 1)), den) for _ in range(w)]
        layers.append((weight, bias))
        prev = w
    return layers


@register("thm1.relu_net_random",
          "a random torch ReLU net R^2 -> R (widths 3, 3, dyadic weights, seed 20250101) equals its Theorem 1 "
          "PolyReLU net (a = (0, 1, 0, 0), same weights, depth and width) on [-1, 1]^2")
def relu_net_random():
    import torch
    from torch import nn

    from polyapprox.construct.relu_nets import relu_to_polyrelu
    from polyapprox.core.counting import count_params

    layers = _random_dense(np.random.default_rng(SEED), 2, WIDTHS, dyadic=True)
    mods: list[nn.Module] = []
    for n, (w, b) in enumerate(layers):
        lin = nn.Linear(len(w[0]), len(w), dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.tensor([[float(v) for v in row] for row in w], dtype=torch.float64))
            lin.bias.copy_(torch.tensor([float(v) for v in b], dtype=torch.float64))
        mods.append(lin)
        if n < len(layers) - 1:
            mods.append(nn.ReLU())
    net = relu_to_polyrelu(nn.Sequential(*mods))
    c = count_params(net)
    if (c.depth, c.width) != (len(WIDTHS), max(WIDTHS)):
        raise AssertionError(f"size changed: depth {c.depth}, width {c.width}")
    return prove(net, dense_forward(layers, (X, Y), relu), (X, Y), box(2))


@register("thm1.relu2_net_random",
          "a random ReLU^2 net R^2 -> R (widths 3, 3, seed 20250101) equals its PolyReLU net with a = e_2 "
          "(same weights, depth and width) on [-1, 1]^2")
def relu2_net_random():
    from polyapprox.construct.relu_nets import relu_to_polyrelu

    layers = _random_dense(np.random.default_rng(SEED + 1), 2, WIDTHS, dyadic=False)
    net = relu_to_polyrelu(layers, power=2)
    return prove(net, dense_forward(layers, (X, Y), lambda t: relu(t) ** 2), (X, Y), box(2))


@register("thm1.poly_activation_net",
          "a random net R^2 -> R with quadratic activations p(t) (widths 3, 2, seed 20250101) equals its PolyReLU net "
          "of width 2K (p(t) = sigma_a(t) + sigma_a'(-t) per unit) on all of R^2")
def poly_activation_net():
    import sympy

    from polyapprox.construct.relu_nets import (
        polynomial_activation_to_polyrelu,
        polynomial_activation_value,
        random_polynomial_activation_net,
    )

    layers = random_polynomial_activation_net(np.random.default_rng(SEED), 2, (3, 2), degree=2)
    net = polynomial_activation_to_polyrelu(layers)
    target = sympy.expand(polynomial_activation_value(layers, [X, Y])[0])
    return prove(net, target, (X, Y))
