"""Low-precision overflow of PolyNorm's statistic mean(x**(2r)) (docs/paper.md §1.6).

Threshold: |x| > max_float**(1/(2r)): float16 6.35 (r = 3), 4.0 (r = 4); float32 2.6e6 (r = 3), 6.6e4
(r = 4). Our kernels compute the statistics in float32, so float16 input is safe up to the float32
threshold, while the reference formula evaluated in float16 breaks already past 6.35.
"""

import pytest
import torch

from polyapprox.kernels import overflow_threshold, polynorm, tolerance
from polyapprox.kernels.polynorm import polynorm_forward_torch
from polyapprox.nn import polynorm_reference

# Golden thresholds, docs/paper.md §1.6 ("fp16 already for |x| > 6.35 (r = 3), |x| > 4.0 (r = 4)";
# "bf16/fp32 ... |x| > 2.6e6 (r = 3), 6.6e4 (r = 4)"), quoted to the digits given there.
PAPER_THRESHOLDS = [
    (torch.float16, 3, 6.35, 0.01),
    (torch.float16, 4, 4.0, 0.01),
    (torch.float32, 3, 2.6e6, 0.05e6),
    (torch.float32, 4, 6.6e4, 0.05e4),
    (torch.bfloat16, 3, 2.6e6, 0.05e6),
]


@pytest.mark.parametrize(("dtype", "order", "paper", "digits"), PAPER_THRESHOLDS, ids=str)
def test_overflow_threshold_matches_paper(dtype, order, paper, digits):
    assert abs(overflow_threshold(dtype, order) - paper) <= digits


@pytest.mark.parametrize("order", [3, 4])
@pytest.mark.parametrize("dtype", [torch.float16, torch.float32], ids=str)
def test_threshold_separates_finite_from_inf(dtype, order):
    """x**(2r) computed in dtype is finite 2% below the threshold and inf 2% above it."""
    t = overflow_threshold(dtype, order)
    below = torch.tensor(0.98 * t, dtype=dtype) ** (2 * order)
    above = torch.tensor(1.02 * t, dtype=dtype) ** (2 * order)
    assert torch.isfinite(below)
    assert torch.isinf(above)


def _truth(x, weight, bias):
    return polynorm_reference(x.double(), weight.double(), bias.double())


@pytest.mark.parametrize("value", [8.0, 50.0])
def test_fp16_kernel_finite_where_fp16_reference_fails(value):
    """x = 8: the fp16 reference's mean(x**6) is inf, so the x**3 term is lost (finite but wrong);
    x = 50: x**3 itself is inf in fp16 and inf * 0 gives nan. The kernel (fp32 statistics) is right."""
    x = torch.tensor([[value, -1.0, 0.5, 2.0]], dtype=torch.float16)
    weight, bias = torch.full((3,), 1 / 3), torch.zeros(1)
    assert torch.isinf((x**3).pow(2).mean())
    truth = _truth(x, weight, bias)
    ours = polynorm(x, weight, bias)
    reference_fp16 = polynorm_reference(x, weight.half(), bias.half())
    assert torch.isfinite(ours).all()
    assert ((ours.double() - truth).abs() / (1 + truth.abs())).max() <= tolerance(torch.float16)
    reference_error = ((reference_fp16.double() - truth).abs() / (1 + truth.abs())).nan_to_num(float("inf"))
    assert reference_error.max() > 0.1  # lost a whole term (x = 8) or nan (x = 50)
    assert torch.isnan(reference_fp16).any() == (value == 50.0)


def test_fp16_kernel_backward_finite_at_large_values():
    x = torch.tensor([[8.0, -1.0, 0.5, 2.0]], dtype=torch.float16, requires_grad=True)
    polynorm(x, torch.full((3,), 1 / 3), torch.zeros(1)).sum().backward()
    assert torch.isfinite(x.grad).all()


def test_fp32_statistics_finite_past_fp32_threshold():
    """Fixed limit: r_3 used to become 0 past 2.6e6 (mean(x**6) = inf in float32) and the x**3 term
    vanished; rows are now scaled by a power of two >= max |x| first, so the statistics stay finite."""
    weight, bias = torch.full((3,), 1 / 3), torch.zeros(1)
    t = overflow_threshold(torch.float32, 3)
    for value in (0.5 * t, 2.0 * t, 1e30):
        x = torch.tensor([[value, 1.0, -0.25 * value]])
        out, stats = polynorm_forward_torch(x, weight, bias, 1e-6)
        assert torch.isfinite(stats).all() and (stats[0, :3] > 0).all()
        truth = _truth(x, weight, bias)
        assert ((out.double() - truth).abs() / (1 + truth.abs())).max() <= tolerance(torch.float32)
