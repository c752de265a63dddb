"""torch.autograd.gradcheck (float64 finite differences) of both Functions for orders 1..5."""

import pytest
import torch

from polyapprox.kernels import polynorm, polyrelu


def _inputs(shape, order, seed, away_from_zero=False):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(*shape, generator=gen, dtype=torch.float64)
    if away_from_zero:  # PolyReLU has a kink at 0; keep finite differences off it
        x = torch.sign(x) * (0.1 + x.abs())
    weight = torch.randn(order, generator=gen, dtype=torch.float64)
    bias = torch.randn(1, generator=gen, dtype=torch.float64)
    return tuple(t.requires_grad_(True) for t in (x, weight, bias))


@pytest.mark.parametrize("order", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("shape", [(3, 7), (2, 2, 5)], ids=str)
def test_polynorm_gradcheck(order, shape):
    assert torch.autograd.gradcheck(polynorm, _inputs(shape, order, seed=order))


@pytest.mark.parametrize("order", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("shape", [(3, 7), (2, 2, 5)], ids=str)
def test_polyrelu_gradcheck(order, shape):
    assert torch.autograd.gradcheck(polyrelu, _inputs(shape, order, seed=order, away_from_zero=True))


def test_polynorm_gradcheck_large_eps():
    """eps enters only through r_p; a large eps makes its contribution visible to finite differences."""
    x, weight, bias = _inputs((2, 4), 3, seed=7)
    assert torch.autograd.gradcheck(lambda a, w, b: polynorm(a, w, b, eps=0.5), (x * 0.3, weight, bias))
