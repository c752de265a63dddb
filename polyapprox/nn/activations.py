"""PolyReLU, PolyNorm and comparison activations as ``torch.nn.Module``s.

PolyReLU/PolyNorm run the fused kernels of ``polyapprox.kernels`` by default (``impl="auto"``/``"fused"``)
and the plain formulas ``polyrelu_reference``/``polynorm_reference`` with ``impl="reference"``.

Source: Zhuo et al., "Polynomial Composition Activations", ICLR 2025, Eqs. (2)-(3), and the official
code's ``poly`` / ``polynorm`` (see ``polyapprox/nn/__init__.py``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from polyapprox.core.names import ACTIVATIONS  # the names, torch-free (the CLI reads them there)
from polyapprox.errors import ConfigError
from polyapprox.kernels import POLYNORM_EPS, polynorm, polyrelu
from polyapprox.kernels.reference import polynorm_reference, polyrelu_reference

EPS = POLYNORM_EPS  # PolyNorm's eps, added to the mean inside the root (official code)

#: ``impl`` values: "auto" and "fused" use ``polyapprox.kernels`` (closed-form backward, Triton on CUDA
#: when available); "reference" evaluates the plain formula with autograd.
IMPLS = ("auto", "reference", "fused")


def _check_order(order: int) -> int:
    if not isinstance(order, int) or isinstance(order, bool) or order < 1:
        raise ConfigError(f"order: {order!r} must be an integer >= 1")
    return order


def _plain_formula(impl: str) -> bool:
    """Use the plain formula: asked for, or ``auto`` inside ``torch.compile`` (the compiler fuses the plain
    formula itself; the eager fused kernels' row chunks and out= buffers do not trace)."""
    return impl == "reference" or (impl == "auto" and torch.compiler.is_compiling())


class _PolyBase(nn.Module):
    """Shared parameters: ``weight`` (r,), highest power first, init 1/r; ``bias`` (1,), init 0."""

    def __init__(self, order: int = 3, impl: str = "auto") -> None:
        super().__init__()
        self.order = _check_order(order)
        if impl not in IMPLS:
            raise ConfigError(f"impl: unknown {impl!r}; choose from auto, reference, fused")
        self.impl = impl
        self.weight = nn.Parameter(torch.full((order,), 1.0 / order))
        self.bias = nn.Parameter(torch.zeros(1))

    def extra_repr(self) -> str:
        return f"order={self.order}, impl={self.impl!r}"


class PolyReLU(_PolyBase):
    """PolyReLU_r(x) = sum_{i=1}^r a_i ReLU(x)^i + a_0 (paper Eq. 2); weight[0] = a_r, bias = a_0."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if _plain_formula(self.impl):
            return polyrelu_reference(x, self.weight, self.bias)
        return polyrelu(x, self.weight, self.bias)


class PolyNorm(_PolyBase):
    """PolyNorm_r(x) = sum_{i=1}^r a_i N(x^i) + a_0 (paper Eq. 3, code's RMS norm); weight[0] = a_r."""

    def __init__(self, order: int = 3, eps: float = EPS, impl: str = "auto") -> None:
        super().__init__(order, impl)
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if _plain_formula(self.impl):
            return polynorm_reference(x, self.weight, self.bias, self.eps)
        return polynorm(x, self.weight, self.bias, self.eps)


class ReLUk(nn.Module):
    """ReLU(x)**k (k = 1: ReLU, k = 2: squared ReLU / ReLU^2)."""

    def __init__(self, k: int = 2) -> None:
        super().__init__()
        self.k = _check_order(k)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(x)
        return y if self.k == 1 else y.pow(self.k)

    def extra_repr(self) -> str:
        return f"k={self.k}"


class ReLU(ReLUk):
    def __init__(self) -> None:
        super().__init__(1)


class GELU(nn.Module):
    """GELU with the exact erf form (torch default)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.gelu(x)


class SwiGLU(nn.Module):
    """Gated activation on a doubled input: x = [a, b] (last dim 2h) -> SiLU(a) * b (last dim h).

    Used as ``Linear(d, 2h) -> SwiGLU -> Linear(h, d)``; the first linear holds W_1 and W_3 stacked.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b = x.chunk(2, dim=-1)
        return F.silu(a) * b



def make_activation(name: str, order: int = 3, impl: str = "auto") -> nn.Module:
    """Build an activation module by name (one of ``ACTIVATIONS``)."""
    if name == "relu":
        return ReLU()
    if name == "relu2":
        return ReLUk(2)
    if name == "gelu":
        return GELU()
    if name == "swiglu":
        return SwiGLU()
    if name == "polyrelu":
        return PolyReLU(order, impl=impl)
    if name == "polynorm":
        return PolyNorm(order, impl=impl)
    raise ConfigError(f"activation: unknown {name!r}; choose from {', '.join(ACTIVATIONS)}")
