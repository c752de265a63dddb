"""Golden values pinning the PolyReLU / PolyNorm conventions of the paper and code (docs/paper.md §1.2–1.6)."""

import math

import pytest
import torch

from polyapprox.kernels import tolerance
from polyapprox.nn import PolyNorm, PolyReLU

IMPLS = ["reference", "fused"]
TOL64 = tolerance(torch.float64)


def _module(cls, impl, **kw):
    """Module in float64 with the default init 1/r re-applied in float64 (params are created float32)."""
    m = cls(impl=impl, **kw).double()
    with torch.no_grad():
        m.weight.fill_(1.0 / m.order)
    return m


@pytest.mark.parametrize("cls", [PolyReLU, PolyNorm], ids=lambda c: c.__name__)
def test_default_parameters_order3(cls):
    """Official code: weight = ones(3)/3, bias = zeros(1) (transformer.py l.100-114)."""
    m = cls()
    assert m.weight.shape == (3,)
    assert m.bias.shape == (1,)
    assert m.weight.dtype == torch.float32
    assert m.weight.tolist() == [float(torch.tensor(1 / 3, dtype=torch.float32))] * 3  # 1/r, rounded once
    assert m.bias.tolist() == [0.0]
    assert sorted(n for n, _ in m.named_parameters()) == ["bias", "weight"]


@pytest.mark.parametrize("impl", IMPLS)
def test_polyrelu_at_two_is_fourteen_thirds(impl):
    """1/3 (2**3 + 2**2 + 2) = 14/3; exact up to the rounding of 1/3."""
    y = _module(PolyReLU, impl)(torch.tensor([2.0, -1.0], dtype=torch.float64)).detach()
    assert abs(float(y[0]) - 14 / 3) <= TOL64
    assert float(y[1]) == 0.0


@pytest.mark.parametrize("impl", IMPLS)
def test_polyrelu_weight0_multiplies_highest_power(impl):
    m = _module(PolyReLU, impl)
    with torch.no_grad():
        m.weight.copy_(torch.tensor([1.0, 0.0, 0.0]))
        m.bias.fill_(0.5)
    assert m(torch.tensor([2.0], dtype=torch.float64)).tolist() == [8.5]
    with torch.no_grad():
        m.weight.copy_(torch.tensor([0.0, 0.0, 1.0]))
    assert m(torch.tensor([2.0], dtype=torch.float64)).tolist() == [2.5]


@pytest.mark.parametrize("impl", IMPLS)
def test_polynorm_hand_computed_row(impl):
    """Row x = (1, -1): every mean(x**(2p)) = 1, so r_p = (1 + eps)**(-1/2) and, with weights 1/3,
    y(1) = (1 + 1 + 1)/3 r = r,  y(-1) = (-1 + 1 - 1)/3 r = -r/3,  r = (1 + 1e-6)**(-1/2)."""
    y = _module(PolyNorm, impl)(torch.tensor([[1.0, -1.0]], dtype=torch.float64))
    r = (1 + 1e-6) ** -0.5
    assert torch.allclose(y, torch.tensor([[r, -r / 3]], dtype=torch.float64), rtol=TOL64, atol=TOL64)


@pytest.mark.parametrize("impl", IMPLS)
def test_polynorm_hand_computed_uneven_row(impl):
    """Row x = (1, 2), H = 2: mean x^2 = 5/2, mean x^4 = 17/2, mean x^6 = 65/2."""
    y = _module(PolyNorm, impl)(torch.tensor([[1.0, 2.0]], dtype=torch.float64))
    eps = 1e-6
    r1, r2, r3 = ((m + eps) ** -0.5 for m in (2.5, 8.5, 32.5))
    expect = [(r3 * v**3 + r2 * v**2 + r1 * v) / 3 for v in (1.0, 2.0)]
    assert torch.allclose(y[0], torch.tensor(expect, dtype=torch.float64), rtol=TOL64, atol=TOL64)


@pytest.mark.parametrize("impl", IMPLS)
def test_polynorm_weight0_multiplies_highest_power(impl):
    m = _module(PolyNorm, impl, eps=0.0)
    with torch.no_grad():
        m.weight.copy_(torch.tensor([1.0, 0.0, 0.0]))
    x = torch.tensor([[1.0, 2.0]], dtype=torch.float64)
    cube = x**3
    assert torch.allclose(m(x), cube / cube.pow(2).mean().sqrt(), rtol=TOL64, atol=TOL64)


@pytest.mark.parametrize("impl", IMPLS)
def test_rms_norm_is_sqrt_h_times_l2_norm(impl):
    """Code's RMS norm vs paper's L2 norm (docs/paper.md §1.5 item 1): N_rms(u) = sqrt(H) u / ||u|| at eps = 0."""
    m = _module(PolyNorm, impl, order=1, eps=0.0)
    with torch.no_grad():
        m.weight.fill_(1.0)
    x = torch.tensor([[3.0, -1.0, 0.5, 2.0, 7.0]], dtype=torch.float64)
    l2 = math.sqrt(5) * x / x.norm()
    assert torch.allclose(m(x), l2, rtol=TOL64, atol=TOL64)


@pytest.mark.parametrize("impl", IMPLS)
def test_polynorm_eps_is_added_to_the_mean(impl):
    """eps inside the root, on the mean (not on the norm): x = (1, 1), order 1 gives (1 + eps)**(-1/2)."""
    m = _module(PolyNorm, impl, order=1, eps=0.25)
    with torch.no_grad():
        m.weight.fill_(1.0)
    y = m(torch.tensor([[1.0, 1.0]], dtype=torch.float64))
    assert torch.allclose(y, torch.full((1, 2), 1.25**-0.5, dtype=torch.float64), rtol=TOL64, atol=TOL64)


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("c", [0.01, 3.0, 1e3])
def test_polynorm_scale_invariance_at_zero_eps(impl, c):
    """docs/paper.md §1.6: with eps = 0, PolyNorm(c x) = PolyNorm(x) per row for c > 0."""
    m = _module(PolyNorm, impl, eps=0.0)
    x = torch.randn(3, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(m(c * x), m(x), rtol=TOL64, atol=TOL64)
