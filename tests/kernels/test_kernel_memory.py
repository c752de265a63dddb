"""Only one input-sized tensor is saved for backward (counted with saved_tensors_hooks)."""

import pytest
import torch

from polyapprox.kernels import polynorm, polyrelu
from polyapprox.nn import polynorm_reference, polyrelu_reference

KERNELS = {"polynorm": polynorm, "polyrelu": polyrelu}
REFERENCES = {"polynorm": polynorm_reference, "polyrelu": polyrelu_reference}


def _saved_numels(fn, x, order=3):
    saved = []

    def pack(t):
        saved.append(t.numel())
        return t

    weight = torch.full((order,), 1 / order, requires_grad=True)
    bias = torch.zeros(1, requires_grad=True)
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        fn(x, weight, bias)
    return saved


@pytest.mark.parametrize("name", sorted(KERNELS))
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16], ids=str)
def test_kernel_saves_one_input_sized_tensor(name, dtype):
    x = torch.randn(16, 64, dtype=dtype, requires_grad=True)
    saved = _saved_numels(KERNELS[name], x)
    assert sum(n == x.numel() for n in saved) == 1
    small = [n for n in saved if n != x.numel()]
    assert sum(small) <= 16 * (3 + 1) + 3 + 1  # rho_p and 1/m per row (PolyNorm), the r weights, the bias


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_reference_saves_several_input_sized_tensors(name):
    """Contrast: plain autograd of the formula keeps powers of x (docs/paper.md §3.7: x, x^2, x^3, ...)."""
    x = torch.randn(16, 64, requires_grad=True)
    saved = _saved_numels(REFERENCES[name], x)
    assert sum(n == x.numel() for n in saved) >= 3
