"""Checker shipped with the kernels: compare a kernel with a float64 autograd reference.

``compare_to_reference`` evaluates the kernel on ``x`` (any dtype) and the reference formula in float64 on
the *same rounded* input, gradient and parameters, so the reported errors are the kernel's own (input
rounding is not counted). Errors are scaled by the magnitude: ``max |a - ref| / (1 + |ref|)``; they are
judged against ``tolerances.tolerance(dtype)`` (forward) and ``tolerance(dtype, grad=True)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from polyapprox.kernels.tolerances import tolerance

Activation = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class KernelErrors:
    """Magnitude-scaled max errors of output, dx, d(weight), d(bias) against the float64 reference."""

    dtype: torch.dtype
    forward: float
    dx: float
    dweight: float
    dbias: float

    def within_tolerance(self) -> bool:
        """All four errors within the named tolerances of ``dtype`` (gradients: the gradient row)."""
        grad_tol = tolerance(self.dtype, grad=True)
        return self.forward <= tolerance(self.dtype) and max(self.dx, self.dweight, self.dbias) <= grad_tol


def scaled_error(value: torch.Tensor, reference: torch.Tensor) -> float:
    """max |value - reference| / (1 + |reference|), computed in float64 (0.0 for empty tensors)."""
    if reference.numel() == 0:
        return 0.0
    v, r = value.detach().double(), reference.detach().double()
    return float(((v - r).abs() / (1.0 + r.abs())).max())


def _grads(fn: Activation, x: torch.Tensor, w: torch.Tensor, b: torch.Tensor, g: torch.Tensor):
    x, w, b = (t.detach().clone().requires_grad_(True) for t in (x, w, b))
    y = fn(x, w, b)
    dx, dw, db = torch.autograd.grad(y, (x, w, b), g)
    return y, dx, dw, db


def compare_to_reference(
    kernel: Activation,
    reference: Activation,
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor,
    grad: torch.Tensor,
) -> KernelErrors:
    """Errors of ``kernel`` (in x's dtype) vs ``reference`` in float64 on the same (rounded) data."""
    grad = grad.to(x.dtype)
    ours = _grads(kernel, x, weight, bias, grad)
    exact = _grads(reference, x.double(), weight.double(), bias.double(), grad.double())
    errors = [scaled_error(a, e) for a, e in zip(ours, exact, strict=True)]
    return KernelErrors(x.dtype, *errors)
