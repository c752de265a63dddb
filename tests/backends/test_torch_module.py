"""to_torch / from_torch: exact round trip for dyadic weights, approximate otherwise; numbers match numpy."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import torch
from torch import nn

from polyapprox import nn as pnn
from polyapprox.backends.errorbound import float_error_bound
from polyapprox.backends.floats import evaluate_float
from polyapprox.backends.torch_module import from_torch, to_torch
from polyapprox.core.net import IDENTITY, RELU, Layer, Net, PolyReLU, SparseMatrix
from polyapprox.errors import ConfigError
from polyapprox.verify.testing import random_net

U = 2.0 ** -53  # float64 unit roundoff: a rational w is stored as w (1 + delta), |delta| <= U


def _dyadic(net: Net) -> Net:
    """The same net with every weight, bias and coefficient rounded to a multiple of 1/64."""
    def r(q: Fraction) -> Fraction:
        return Fraction(round(q * 64), 64)

    layers = []
    for layer in net.layers:
        acts = tuple(a if a == IDENTITY else PolyReLU(tuple(r(c) for c in a.coeffs)) for a in layer.activations)
        layers.append(Layer(SparseMatrix(layer.weight.shape, tuple((i, j, r(v)) for i, j, v in layer.weight.entries)),
                            tuple(r(b) for b in layer.bias), acts))
    return Net(net.in_dim, tuple(layers))


@pytest.mark.parametrize("sparse", [None, True, False], ids=["auto", "sparse", "dense"])
def test_round_trip_exact_for_dyadic_weights(rng, sparse):
    for _ in range(5):
        net = _dyadic(random_net(rng, 3, (4, 3), 2, density=0.5, activations="mixed"))
        assert from_torch(to_torch(net, sparse=sparse)) == net


def test_round_trip_only_approximate_otherwise(rng):
    net = random_net(rng, 2, (3,), 1, activations="relu")
    assert any(v.denominator & (v.denominator - 1) for layer in net.layers for _, _, v in layer.weight.entries)
    back = from_torch(to_torch(net, sparse=False))
    assert back != net
    for a, b in zip(net.layers, back.layers, strict=True):
        for (_, _, v), w in zip(a.weight.entries, [e for e in b.weight.entries], strict=True):
            assert abs(w[2] - v) <= Fraction(U) * abs(v)  # round to nearest: relative error <= u


def test_forward_matches_numpy_in_float64(rng):
    net = random_net(rng, 3, (5, 4), 2, activations="mixed")
    x = rng.uniform(-2, 2, size=(50, 3))
    ref = evaluate_float(net, x)
    _, bound = float_error_bound(net, x)
    for sparse in (True, False):
        out = to_torch(net, sparse=sparse)(torch.from_numpy(x)).detach().numpy()
        assert out.dtype == np.float64
        # both evaluations are within `bound` of the exact value, so within 2 * bound of each other
        assert np.all(np.abs(out - ref) <= 2 * bound)


def test_from_torch_reads_activation_modules():
    lin1, lin2 = nn.Linear(2, 3, dtype=torch.float64), nn.Linear(3, 1, dtype=torch.float64)
    poly = pnn.PolyReLU(order=3).double()
    seq = nn.Sequential(lin1, nn.ReLU(), nn.Linear(3, 3, dtype=torch.float64), poly, lin2)
    net = from_torch(seq)
    assert len(net.layers) == 3
    assert net.layers[0].activations == (RELU,) * 3
    third = Fraction(float(torch.tensor(1 / 3, dtype=torch.float32)))  # the module stores float32 1/3
    assert net.layers[1].activations[0] == PolyReLU((0, third, third, third))
    assert net.layers[2].activations == (IDENTITY,)
    x = torch.randn(7, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    np.testing.assert_allclose(to_torch(net)(x).detach().numpy(), seq(x).detach().numpy(), rtol=1e-12, atol=1e-12)
    assert from_torch(nn.Sequential(nn.Linear(1, 2), pnn.ReLUk(2))).layers[0].activations[0] == PolyReLU.relu_power(2)


def test_from_torch_refuses_unknown_modules():
    with pytest.raises(ConfigError, match=r"module \[1\] Tanh is not a per-unit activation"):
        from_torch(nn.Sequential(nn.Linear(1, 1), nn.Tanh()))
    with pytest.raises(ConfigError, match="does not follow a Linear layer"):
        from_torch(nn.Sequential(nn.ReLU(), nn.Linear(1, 1)))


def test_gradients_flow(rng):
    net = random_net(rng, 2, (3,), 1, activations="polyrelu")
    m = to_torch(net)
    m(torch.ones(4, 2, dtype=torch.float64)).sum().backward()
    assert all(p.grad is not None for p in m.parameters())


def test_trainable_coefficients_start_at_the_spec_and_convert_back_exactly(rng):
    """``coefficients=True``: one vector per (layer, spec) group, same forward as the fixed module; moved
    coefficients (dyadic) come back from ``from_torch`` as every group unit's exact spec, and the exact net
    computes what the module computes (within the float64 bound)."""
    net = _dyadic(random_net(rng, 2, (5, 4), 1, density=0.6, activations="mixed"))
    fixed, m = to_torch(net), to_torch(net, coefficients=True)
    assert len(to_torch(net).coeffs) == 0 and from_torch(m) == net
    groups = {(k, a) for k, layer in enumerate(net.layers) for a in layer.activations if a != IDENTITY}
    assert len(m.coeffs) == len(groups)
    x = torch.from_numpy(rng.uniform(-2, 2, size=(40, 2)))
    assert torch.equal(m(x), fixed(x))
    with torch.no_grad():
        for p in m.coeffs.values():
            p.add_(torch.arange(1, p.numel() + 1, dtype=p.dtype) / 8)
    back = from_torch(m)
    assert back != net and back.layers[0].weight == net.layers[0].weight
    for k, layer in enumerate(net.layers):
        for i, a in enumerate(layer.activations):
            b = back.layers[k].activations[i]
            assert (b == IDENTITY) == (a == IDENTITY)
            if a != IDENTITY:
                assert b == PolyReLU(tuple(c + Fraction(j + 1, 8) for j, c in enumerate(a.coeffs)))
    _, bound = float_error_bound(back, x.numpy())
    assert np.all(np.abs(m(x).detach().numpy() - evaluate_float(back, x.numpy())) <= 2 * bound)


def test_trainable_coefficients_get_gradients_under_torch_func():
    """f(x) = 2 sigma(x) with sigma(t) = a_0 + a_1 ReLU(t) + a_2 ReLU(t)^2: df/da_i = 2 ReLU(x)^i, by torch.func."""
    hidden = Layer(SparseMatrix((1, 1), ((0, 0, Fraction(1)),)), (Fraction(0),), (PolyReLU((1, 2, 3)),))
    out = Layer(SparseMatrix((1, 1), ((0, 0, Fraction(2)),)), (Fraction(0),), (IDENTITY,))
    m = to_torch(Net(1, (hidden, out)), coefficients=True)
    params = {k: v.detach() for k, v in m.named_parameters()}
    x = torch.tensor([[0.5], [-1.0], [3.0]], dtype=torch.float64)
    grads = torch.func.grad(lambda p: torch.func.functional_call(m, p, (x,)).sum())(params)
    r = torch.relu(x[:, 0])
    assert torch.allclose(grads["coeffs.0_0"], 2 * torch.stack([torch.ones(3, dtype=torch.float64), r, r**2]).sum(1))
