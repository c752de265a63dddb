"""PolyReLU with a closed-form backward, as a ``torch.autograd.Function`` for any order r >= 1.

Math (paper Eq. 2, official code ``poly`` with ``weight[0]`` on the highest power, paper.md §1.2, §1.5):
with y = ReLU(x) and w_p = weight[r - p],

    out = sum_{p=1}^r w_p y**p + b                         (Horner: ((w_r y + w_{r-1}) y ...) y + b)
    dx  = g * sum_p p w_p y**(p-1) * [x > 0],   dw_p = sum g y**p,   db = sum g.

Only x is saved for backward (the official code stores ReLU(x) plus a checkpoint; paper.md §1.5 item 4).
The CPU path works on row chunks of ~256 KiB so all temporaries stay in cache; reductions and
intermediates are float32 (float64 for float64 input) whatever the input dtype.
"""

from __future__ import annotations

import torch

from polyapprox.kernels._common import (
    as_rows,
    check_params,
    compute_dtype,
    rows_per_chunk,
    run_chunks,
    use_triton,
)
from polyapprox.kernels.polynorm import _buffers, _cast_buffer, _chunk


def _horner_scalar(coef: torch.Tensor, y: torch.Tensor, acc_buf: torch.Tensor) -> torch.Tensor:
    """sum_i coef[i] * y**(d - 1 - i), coef (d,) highest power first, d >= 2, into ``acc_buf``.

    Horner: ((coef[0] y + coef[1]) y + ...) y + coef[d - 1].
    """
    acc = torch.addcmul(coef[1:2], y, coef[0:1], out=acc_buf)
    for i in range(2, coef.shape[0]):
        torch.addcmul(coef[i : i + 1], acc, y, out=acc)
    return acc


def _relu_chunk(xc: torch.Tensor, y_buf: torch.Tensor) -> torch.Tensor:
    """ReLU(xc) written into ``y_buf`` (compute dtype), casting on the way when needed."""
    if xc.dtype == y_buf.dtype:
        return torch.clamp_min(xc, 0, out=y_buf)
    return y_buf.copy_(xc).clamp_min_(0)


def polyrelu_forward_torch(x2d: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """Forward on a contiguous (N, H) matrix; ``weight``/``bias`` already in the compute dtype."""
    n_rows, width = x2d.shape
    cdt = compute_dtype(x2d.dtype)
    out = torch.empty_like(x2d)

    def body(_k: int, start: int, stop: int, buffers) -> None:
        y_buf, acc_buf = buffers
        c = stop - start
        y = _relu_chunk(x2d[start:stop], y_buf[:c])
        target = out[start:stop] if out.dtype == cdt else acc_buf[:c]
        if weight.shape[0] == 1:
            torch.addcmul(bias, y, weight[0:1], out=target)
        else:
            acc = _horner_scalar(weight, y, acc_buf[:c])
            torch.addcmul(bias, acc, y, out=target)
        if target.data_ptr() != out[start:stop].data_ptr():
            out[start:stop].copy_(target)

    if out.numel():
        run_chunks(n_rows, width, x2d.device, body, lambda chunk: _buffers(x2d, chunk, cdt, 2))
    return out


def polyrelu_backward_torch(
    x2d: torch.Tensor, g2d: torch.Tensor, weight: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Closed-form backward. Returns (dx in x's dtype, dw (r,), db (1,)), dw/db in the compute dtype."""
    n_rows, width = x2d.shape
    order = weight.shape[0]
    cdt = compute_dtype(x2d.dtype)
    dx = torch.empty_like(x2d)
    deriv = weight * torch.arange(order, 0, -1, dtype=cdt, device=x2d.device)  # p w_p, highest first
    n_chunks = -(-n_rows // rows_per_chunk(n_rows, width, x2d.device)) if n_rows else 0
    partial = torch.zeros(max(n_chunks, 1), order + 1, dtype=cdt, device=x2d.device)  # [sum g y^p, sum g]

    def make_buffers(chunk: int):
        return _cast_buffer(g2d, chunk, cdt), *_buffers(x2d, chunk, cdt, 3)

    def body(k: int, start: int, stop: int, buffers) -> None:
        gbuf, y_buf, t_buf, acc_buf = buffers
        c = stop - start
        gc = _chunk(g2d, start, stop, gbuf)
        y = _relu_chunk(x2d[start:stop], y_buf[:c])
        partial[k, order] = gc.sum()
        t = torch.mul(gc, y, out=t_buf[:c])
        partial[k, 0] = t.sum()
        for p in range(2, order + 1):
            t.mul_(y)  # g y**p
            partial[k, p - 1] = t.sum()
        if order == 1:
            gd = torch.mul(gc, deriv[0:1], out=acc_buf[:c])
        else:
            gd = _horner_scalar(deriv, y, acc_buf[:c])  # D(y) = sum_p p w_p y**(p-1)
            gd.mul_(gc)
        target = dx[start:stop]
        if target.dtype == cdt:
            torch.ops.aten.threshold_backward.grad_input(gd, y, 0, grad_input=target)
        else:
            target.copy_(torch.ops.aten.threshold_backward(gd, y, 0))

    if dx.numel():
        run_chunks(n_rows, width, x2d.device, body, make_buffers)
    totals = partial.sum(0)
    return dx, totals[:order].flip(0), totals[order:]


class PolyReLUFunction(torch.autograd.Function):
    """out = PolyReLU(x; weight, bias) elementwise; saves only x (and the r + 1 parameters)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        cdt = compute_dtype(x.dtype)
        w = weight.detach().to(cdt)
        b = bias.detach().to(cdt).reshape(1)
        x2d = as_rows(x)
        if use_triton(x2d):
            from polyapprox.kernels import triton_kernels

            out = triton_kernels.polyrelu_forward(x2d, w, b)
        else:
            out = polyrelu_forward_torch(x2d, w, b)
        ctx.save_for_backward(x, weight)
        ctx.bias_dtype = bias.dtype
        return out.view(x.shape)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        x, weight = ctx.saved_tensors
        cdt = compute_dtype(x.dtype)
        x2d, g2d, w = as_rows(x), as_rows(grad.to(x.dtype)), weight.detach().to(cdt)
        if use_triton(x2d):
            from polyapprox.kernels import triton_kernels

            dx, dw, db = triton_kernels.polyrelu_backward(x2d, g2d, w)
        else:
            dx, dw, db = polyrelu_backward_torch(x2d, g2d, w)
        need_x, need_w, need_b = ctx.needs_input_grad
        return (
            dx.view(x.shape) if need_x else None,
            dw.to(weight.dtype) if need_w else None,
            db.to(ctx.bias_dtype) if need_b else None,
        )


def polyrelu(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """Fused PolyReLU: elementwise, any shape; weight (r,) highest power first, bias (1,)."""
    check_params(weight, bias)
    return PolyReLUFunction.apply(x, weight, bias)
