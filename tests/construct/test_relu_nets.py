"""Theorem 1 conversions: structural identity for ReLU / ReLU^k nets, width 2K for polynomial activations."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from polyapprox import nn as pnn
from polyapprox.backends.exact import evaluate_exact
from polyapprox.backends.floats import evaluate_float
from polyapprox.construct.relu_nets import (
    THEOREM1_A,
    PolyActivationLayer,
    polynomial_activation_to_polyrelu,
    polynomial_activation_value,
    random_polynomial_activation_net,
    random_relu_net,
    relu_to_polyrelu,
)
from polyapprox.core.counting import count_params
from polyapprox.core.net import IDENTITY, RELU, Layer, Net, PolyReLU
from polyapprox.errors import ConfigError, NetError
from polyapprox.verify.testing import random_points


def test_theorem1_spec_is_canonically_relu():
    # order-3 PolyReLU with a = (0, 1, 0, 0) is, canonically, ReLU: Theorem 1 is a structural identity
    assert THEOREM1_A == RELU and THEOREM1_A.coeffs == (0, 1)


@settings(max_examples=20)
@given(st.integers(0, 2**32 - 1), st.integers(1, 3), st.lists(st.integers(1, 4), min_size=1, max_size=3))
def test_relu_net_is_its_own_polyrelu_net(seed, d, widths):
    net = random_relu_net(np.random.default_rng(seed), d, widths)
    converted = relu_to_polyrelu(net)
    assert converted == net
    a, b = count_params(net), count_params(converted)
    assert (a.depth, a.width, a.params, a.units) == (b.depth, b.width, b.params, b.units) == (
        len(widths), max(widths), a.params, sum(widths))


def test_from_torch_module_equals_module_function():
    gen = torch.Generator().manual_seed(3)
    seq = nn.Sequential(nn.Linear(2, 4, dtype=torch.float64), nn.ReLU(), nn.Linear(4, 3, dtype=torch.float64),
                        nn.ReLU(), nn.Linear(3, 1, dtype=torch.float64))
    net = relu_to_polyrelu(seq)
    c = count_params(net)
    assert (c.depth, c.width, c.units) == (2, 4, 7)
    x = torch.rand(20, 2, dtype=torch.float64, generator=gen) * 2 - 1
    # the Net is exact (dyadic weights); its float64 evaluation and torch's differ only by rounding
    np.testing.assert_allclose(evaluate_float(net, x.numpy()), seq(x).detach().numpy(), rtol=0, atol=1e-13)


def test_weight_list_description_and_relu_power():
    layers = [([[1, -1], ["1/2", 2]], [0, 1]), ([[1, 1]], [-1])]
    relu_net = relu_to_polyrelu(layers)
    sq_net = relu_to_polyrelu(layers, power=2)
    assert relu_net.layers[0].activations == (RELU, RELU)
    assert sq_net.layers[0].activations == (PolyReLU((0, 0, 1)),) * 2
    for x in ([Fraction(1), Fraction(-2)], [Fraction(1, 3), Fraction(3, 4)]):
        z = [x[0] - x[1], x[0] / 2 + 2 * x[1] + 1]
        assert evaluate_exact(relu_net, x) == [sum(max(t, 0) for t in z) - 1]
        assert evaluate_exact(sq_net, x) == [sum(max(t, 0) ** 2 for t in z) - 1]
    seq = nn.Sequential(nn.Linear(2, 2, dtype=torch.float64), pnn.ReLUk(2), nn.Linear(2, 1, dtype=torch.float64))
    assert relu_to_polyrelu(seq, power=2).layers[0].activations == (PolyReLU.relu_power(2),) * 2


def test_refuses_other_units():
    net = Net(1, (Layer.make([[1]], activations=PolyReLU((0, 1, 1))), Layer.make([[1]])))
    with pytest.raises(NetError, match=r"layers\[0\].activations\[0\]: .* is not ReLU\^1 or identity"):
        relu_to_polyrelu(net)
    with pytest.raises(NetError, match="is not ReLU\\^2"):
        relu_to_polyrelu(Net(1, (Layer.make([[1]], activations=RELU), Layer.make([[1]]))), power=2)
    with pytest.raises(NetError, match="expected a Net"):
        relu_to_polyrelu("not a net")
    with pytest.raises(NetError, match=r"layers\[1\].*weight"):
        relu_to_polyrelu([([[1, 2]], [0]), ([[1, "x"]], [0])])
    assert relu_to_polyrelu(Net(1, (Layer.make([[1]], activations=IDENTITY), Layer.make([[1]])))).layers[0] \
        .activations == (IDENTITY,)


@settings(max_examples=20)
@given(st.integers(0, 2**32 - 1), st.integers(1, 3), st.lists(st.integers(1, 3), min_size=1, max_size=3),
       st.integers(1, 4))
def test_polynomial_activation_net_width_2k(seed, d, widths, degree):
    rng = np.random.default_rng(seed)
    layers = random_polynomial_activation_net(rng, d, widths, degree=degree)
    net = polynomial_activation_to_polyrelu(layers)
    c = count_params(net)
    assert (c.depth, c.width, c.units) == (len(widths), 2 * max(widths), 2 * sum(widths))
    for p in random_points(rng, 4, d):
        assert evaluate_exact(net, p) == polynomial_activation_value(layers, p)


def test_polynomial_activation_errors():
    hidden = PolyActivationLayer.make([[1]], [0], [0, 0, 1])
    with pytest.raises(ConfigError, match="last layer must be affine"):
        polynomial_activation_to_polyrelu([hidden])
    with pytest.raises(ConfigError, match="only the last layer may be affine"):
        polynomial_activation_to_polyrelu([PolyActivationLayer.make([[1]], [0], None)] * 2)
    with pytest.raises(NetError, match=r"layers\[1\].weight: 2 columns, expected 1"):
        polynomial_activation_to_polyrelu([hidden, PolyActivationLayer.make([[1, 1]], [0], None)])
    with pytest.raises(ConfigError, match=r"coeffs\[0\]: empty polynomial"):
        PolyActivationLayer.make([[1]], [0], [[]])
    with pytest.raises(ConfigError, match="coeffs: 1 polynomials for 2 units"):
        PolyActivationLayer.make([[1], [2]], [0, 0], [[1, 2]])
    per_unit = PolyActivationLayer.make([[1], [2]], [0, 0], [[0, 1], [1, 0, "1/2"]])
    net = polynomial_activation_to_polyrelu([per_unit, PolyActivationLayer.make([[1, 1]], None, None)])
    assert evaluate_exact(net, [Fraction(-3)]) == [-3 + 1 + Fraction(36, 2)]  # p_1(-3) + p_2(-6)


def test_conversions_proved_and_a_perturbed_net_refuted(rng):
    import sympy

    from polyapprox.backends.sympy_expr import to_sympy
    from polyapprox.symbolic import prove_equal

    x, y = sympy.symbols("x y", real=True)
    original = random_relu_net(rng, 2, (3, 2))
    target = to_sympy(original, (x, y))[0]
    box = [(-1, 1), (-1, 1)]
    assert prove_equal(relu_to_polyrelu(original), target, symbols=(x, y), domain=box).status == "proved"
    last = original.layers[-1]
    wrong = Net(2, original.layers[:-1] + (Layer(last.weight, (last.bias[0] + Fraction(1, 1000),),
                                                 last.activations),))
    cert = prove_equal(wrong, target, symbols=(x, y), domain=box)  # off by 1/1000 everywhere
    assert cert.status == "refuted"
    p = [cert.counterexample["x"], cert.counterexample["y"]]
    assert evaluate_exact(wrong, p) == [cert.net_value] != evaluate_exact(original, p)
    layers = random_polynomial_activation_net(rng, 2, (2, 2), degree=3)
    target = sympy.expand(polynomial_activation_value(layers, [x, y])[0])
    assert prove_equal(polynomial_activation_to_polyrelu(layers), target, symbols=(x, y)).status == "proved"
