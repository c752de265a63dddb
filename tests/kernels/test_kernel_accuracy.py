"""Fused kernels vs the float64 autograd reference, per dtype, on odd shapes (tolerances.py table)."""

import zlib

import pytest
import torch

from polyapprox.kernels import compare_to_reference, polynorm, polyrelu, tolerance
from polyapprox.nn import polynorm_reference, polyrelu_reference

DTYPES = [torch.float64, torch.float32, torch.bfloat16, torch.float16]
SHAPES = [(1, 1), (3, 7), (5, 129), (2, 3, 33), (4, 1000)]
KERNELS = {"polynorm": (polynorm, polynorm_reference), "polyrelu": (polyrelu, polyrelu_reference)}


def _data(shape, order, dtype, seed):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(*shape, generator=gen, dtype=torch.float64).to(dtype)
    grad = torch.randn(*shape, generator=gen, dtype=torch.float64).to(dtype)
    param_dtype = torch.float64 if dtype == torch.float64 else torch.float32
    weight = torch.randn(order, generator=gen, dtype=torch.float64).to(param_dtype)
    bias = torch.randn(1, generator=gen, dtype=torch.float64).to(param_dtype)
    return x, weight, bias, grad


@pytest.mark.parametrize("name", sorted(KERNELS))
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("order", [1, 3, 5])
def test_kernel_matches_float64_reference(name, dtype, shape, order):
    kernel, reference = KERNELS[name]
    x, weight, bias, grad = _data(shape, order, dtype, seed=zlib.crc32(repr((name, shape, order)).encode()))
    errors = compare_to_reference(kernel, reference, x, weight, bias, grad)
    assert errors.forward <= tolerance(dtype), errors
    assert max(errors.dx, errors.dweight, errors.dbias) <= tolerance(dtype, grad=True), errors


@pytest.mark.parametrize("name", sorted(KERNELS))
@pytest.mark.parametrize(
    ("x_dtype", "bias_dtype", "out_dtype"),
    [
        (torch.bfloat16, torch.float64, torch.float64),
        (torch.bfloat16, torch.float32, torch.float32),  # the official module with fp32 params, bf16 input
        (torch.float16, torch.float32, torch.float32),
        (torch.float32, torch.bfloat16, torch.float32),
        (torch.float64, torch.float32, torch.float64),
    ],
    ids=str,
)
def test_output_dtype_follows_type_promotion_like_the_official_module(name, x_dtype, bias_dtype, out_dtype):
    """Output dtype = x's promoted with the (1,)-shaped bias's (as in ``... + self.bias``); grads keep
    their input's dtype. The plain formula agrees."""
    kernel, reference = KERNELS[name]
    x = torch.randn(4, 9, dtype=x_dtype, requires_grad=True)
    weight = torch.full((3,), 1 / 3, requires_grad=True)
    bias = torch.zeros(1, dtype=bias_dtype, requires_grad=True)
    y = kernel(x, weight, bias)
    y.sum().backward()
    assert (y.dtype, x.grad.dtype, weight.grad.dtype, bias.grad.dtype) == (
        out_dtype,
        x_dtype,
        torch.float32,
        bias_dtype,
    )
    assert reference(x, weight, bias).dtype == out_dtype


@pytest.mark.parametrize("name", sorted(KERNELS))
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=str)
def test_zero_d_and_width_one_like_the_reference(name, dtype):
    """A 0-d x gives shape (1,) like the plain formula (bias broadcast); width-1 rows agree too."""
    kernel, reference = KERNELS[name]
    weight, bias = torch.tensor([0.5, -1.0, 2.0], dtype=dtype), torch.tensor([0.25], dtype=dtype)
    for x in (torch.tensor(1.7, dtype=dtype), torch.tensor([[-0.3], [2.0], [0.0]], dtype=dtype)):
        grad = torch.ones(torch.broadcast_shapes(x.shape, (1,)), dtype=dtype)
        errors = compare_to_reference(kernel, reference, x, weight, bias, grad)
        assert kernel(x, weight, bias).shape == reference(x, weight, bias).shape
        assert errors.within_tolerance(), errors


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_non_contiguous_input(name):
    kernel, reference = KERNELS[name]
    gen = torch.Generator().manual_seed(3)
    base = torch.randn(9, 6, dtype=torch.float64, generator=gen)
    x = base.t()  # (6, 9), non-contiguous
    assert not x.is_contiguous()
    weight, bias = torch.randn(3, dtype=torch.float64, generator=gen), torch.randn(1, dtype=torch.float64)
    grad = torch.randn(6, 9, dtype=torch.float64, generator=gen).t().contiguous().t()
    errors = compare_to_reference(kernel, reference, x, weight, bias, grad)
    assert errors.within_tolerance(), errors


@pytest.mark.parametrize("name", sorted(KERNELS))
@pytest.mark.parametrize("workers", [1, 3])
def test_many_row_chunks(name, workers, monkeypatch):
    """Tiny CPU chunks (7 per call, last one partial) on 1 or 3 worker threads: the chunk loop itself."""
    import polyapprox.kernels._common as common

    monkeypatch.setattr(common, "CPU_CHUNK_ELEMS", 40)
    monkeypatch.setattr(common, "CPU_CHUNK_ELEMS_SERIAL", 40)
    monkeypatch.setattr(common, "cpu_workers", lambda n_chunks: workers)
    kernel, reference = KERNELS[name]
    x, weight, bias, grad = _data((7, 3, 11), 3, torch.float32, seed=11)
    errors = compare_to_reference(kernel, reference, x, weight, bias, grad)
    assert errors.within_tolerance(), errors


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_empty_input(name):
    kernel, _ = KERNELS[name]
    x = torch.zeros(0, 5, requires_grad=True)
    weight, bias = torch.ones(3, requires_grad=True), torch.zeros(1, requires_grad=True)
    y = kernel(x, weight, bias)
    y.sum().backward()
    assert y.shape == (0, 5)
    assert weight.grad.tolist() == [0.0, 0.0, 0.0]
    assert bias.grad.tolist() == [0.0]


def test_polyrelu_gradient_at_zero_is_zero_like_relu():
    """d/dx at x = 0: torch's ReLU convention (subgradient 0), even though the order-1 term is w_1."""
    x = torch.zeros(1, 3, requires_grad=True)
    polyrelu(x, torch.ones(3), torch.zeros(1)).sum().backward()
    assert x.grad.tolist() == [[0.0, 0.0, 0.0]]
