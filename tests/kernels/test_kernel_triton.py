"""Triton back end (CUDA): vs the float64 reference and vs the torch path. GPU tests are marked ``gpu``."""

import pytest
import torch

from polyapprox.kernels import compare_to_reference, polynorm, polyrelu, triton_available
from polyapprox.kernels._common import use_triton
from polyapprox.nn import polynorm_reference, polyrelu_reference

KERNELS = {"polynorm": (polynorm, polynorm_reference), "polyrelu": (polyrelu, polyrelu_reference)}


def test_module_imports_without_triton():
    from polyapprox.kernels import triton_kernels

    assert triton_kernels.AVAILABLE == triton_available()


def test_cpu_tensors_never_use_triton():
    assert not use_triton(torch.zeros(2, 3))


def test_row_block_is_power_of_two_and_capped():
    from polyapprox.kernels.triton_kernels import MAX_TILE, _row_block

    for width in (1, 7, 129, 4096, 100_000):
        for rp in (2, 4, 8):
            block = _row_block(width, rp)
            assert block & (block - 1) == 0
            assert block * rp <= max(MAX_TILE, 16 * rp)
            assert block >= min(width, MAX_TILE // rp)


needs_triton = pytest.mark.skipif(
    not (torch.cuda.is_available() and triton_available()), reason="needs CUDA and triton"
)


@pytest.mark.gpu
@needs_triton
@pytest.mark.parametrize("name", sorted(KERNELS))
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float16], ids=str)
@pytest.mark.parametrize("shape", [(1, 1), (3, 7), (5, 129), (2, 3, 33), (4, 5000), (3, 70_000)], ids=str)
@pytest.mark.parametrize("order", [1, 2, 3, 5])
def test_triton_matches_float64_reference(name, dtype, shape, order):
    kernel, reference = KERNELS[name]
    gen = torch.Generator(device="cuda").manual_seed(order)
    x = torch.randn(*shape, device="cuda", generator=gen).to(dtype)
    grad = torch.randn(*shape, device="cuda", generator=gen).to(dtype)
    weight = torch.randn(order, device="cuda", generator=gen)
    bias = torch.randn(1, device="cuda", generator=gen)
    assert use_triton(x)
    errors = compare_to_reference(kernel, reference, x, weight, bias, grad)
    assert errors.within_tolerance(), errors


@pytest.mark.gpu
@needs_triton
@pytest.mark.parametrize("name", sorted(KERNELS))
def test_triton_non_contiguous_input(name):
    kernel, reference = KERNELS[name]
    x = torch.randn(64, 48, device="cuda").t()
    weight, bias = torch.rand(3, device="cuda"), torch.rand(1, device="cuda")
    errors = compare_to_reference(kernel, reference, x, weight, bias, torch.randn(48, 64, device="cuda"))
    assert errors.within_tolerance(), errors
