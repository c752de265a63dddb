"""The plain PolyNorm / PolyReLU formulas (paper Eqs. 2-3, official code ``poly`` / ``polynorm``) in torch ops.

Used by ``impl="reference"``, by the fused Functions for higher-order derivatives (``create_graph=True``) and
under ``torch.func`` transforms, and as the ground truth of the kernel tests. Output dtype follows torch's
type promotion like the official module: the (1,)-shaped bias takes part in it, the 0-d ``weight[i]`` do
not, so float32 parameters with bfloat16 input give float32 output. A 0-d input gives shape (1,).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

#: PolyNorm's eps, added to the mean inside the root (official code, ``norm``, l. 91-92).
POLYNORM_EPS = 1e-6


def rms_normalize(u: torch.Tensor, eps: float = POLYNORM_EPS) -> torch.Tensor:
    """N(u) = u / sqrt(mean(u**2, -1) + eps), over the last dim."""
    return u * torch.rsqrt(u.pow(2).mean(-1, keepdim=True) + eps)


def polyrelu_reference(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """sum_{i} weight[i] * relu(x)**(r - i) + bias, r = len(weight); the plain formula."""
    r = weight.shape[0]
    y = F.relu(x)
    out = torch.zeros_like(x)
    for i in range(r):
        out = out + weight[i].to(x.dtype) * y.pow(r - i)
    return out + bias


def polynorm_reference(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, eps: float = POLYNORM_EPS
) -> torch.Tensor:
    """sum_{i} weight[i] * N(x**(r - i)) + bias, N the RMS norm over the last dim; the plain formula."""
    r = weight.shape[0]
    out = torch.zeros_like(x)
    for i in range(r):
        out = out + weight[i].to(x.dtype) * rms_normalize(x.pow(r - i), eps)
    return out + bias


def output_dtype(x: torch.Tensor, bias: torch.Tensor) -> torch.dtype:
    """The official module's output dtype: ``x``'s dtype promoted with the (1,)-shaped bias's."""
    return torch.promote_types(x.dtype, bias.dtype)
