"""PolyReLU with a closed-form backward, as a ``torch.autograd.Function`` for any order r >= 1.

Math (paper Eq. 2, official code ``poly`` with ``weight[0]`` on the highest power, docs/paper.md §1.2, §1.5):
with y = ReLU(x) and w_p = weight[r - p],

    out = sum_{p=1}^r w_p y**p + b                         (Horner: ((w_r y + w_{r-1}) y ...) y + b)
    dx  = g * sum_p p w_p y**(p-1) * [x > 0],   dw_p = sum g y**p,   db = sum g.

Only x is saved for backward (the official code stores ReLU(x) plus a checkpoint; docs/paper.md §1.5 item 4).
On CPU, float32/float64 with orders <= 5 run the numba kernels when numba is installed
(``numba_kernels.py``); otherwise the torch path works on row chunks of < 32768 elements (2**18
single-threaded; ``_common``) with reused buffers, so no input-sized temporary is allocated; reductions and
intermediates are float32 (float64 for float64 input) whatever the input dtype.
Output dtype: x's promoted with the bias's, like the official module;
a 0-d x gives shape (1,). ``create_graph=True`` and ``torch.func`` transforms use the plain formula's
autograd graph (see ``polynorm.py``), so higher derivatives are exact.
"""

from __future__ import annotations

import torch

from polyapprox.kernels._common import (
    as_dtype,
    as_rows,
    check_params,
    compute_dtype,
    differentiable_grads,
    dispatch,
    on_device,
    run_chunks,
    shaped_like,
    use_reference,
)
from polyapprox.kernels.polynorm import _buffers, _cast_buffer, _chunk
from polyapprox.kernels.reference import output_dtype, polyrelu_reference


def _horner_scalar(coef: list[torch.Tensor], y: torch.Tensor, acc: torch.Tensor) -> torch.Tensor:
    """sum_i coef[i] * y**(d - 1 - i), coef d >= 2 one-element tensors, highest power first, into ``acc``.

    Horner: ((coef[0] y + coef[1]) y + ...) y + coef[d - 1].
    """
    torch.addcmul(coef[1], y, coef[0], out=acc)
    for c in coef[2:]:
        torch.addcmul(c, acc, y, out=acc)
    return acc


def _relu_chunk(xc: torch.Tensor, y_buf: torch.Tensor) -> torch.Tensor:
    """ReLU(xc) written into ``y_buf`` (compute dtype), casting on the way when needed."""
    if xc.dtype == y_buf.dtype:
        return torch.clamp_min(xc, 0, out=y_buf)
    return y_buf.copy_(xc).clamp_min_(0)


def polyrelu_forward_torch(
    x2d: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, out_dtype: torch.dtype | None = None
) -> torch.Tensor:
    """Forward on a contiguous (N, H) matrix; ``weight``/``bias`` already in the compute dtype."""
    n_rows, width = x2d.shape
    cdt = compute_dtype(x2d.dtype)
    out = torch.empty_like(x2d, dtype=out_dtype or x2d.dtype)
    coef = list(weight.reshape(-1, 1).unbind(0))  # one-element views, weight[0] = w_r first
    bias = bias.reshape(1)

    def body(_k: int, s: int, e: int, buffers) -> None:
        y_buf, acc_buf = buffers
        y = _relu_chunk(x2d[s:e], y_buf[: e - s])
        target = out[s:e] if out.dtype == cdt else acc_buf[: e - s]
        if len(coef) == 1:
            torch.addcmul(bias, y, coef[0], out=target)
        else:
            torch.addcmul(bias, _horner_scalar(coef, y, acc_buf[: e - s]), y, out=target)
        if out.dtype != cdt:
            out[s:e].copy_(target)

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
    deriv_coef = list(deriv.reshape(-1, 1).unbind(0))
    row_sums = torch.zeros(order + 1, n_rows, dtype=cdt, device=x2d.device)  # sum_j g y**p per row, sum g

    def make_buffers(chunk: int):
        return _cast_buffer(g2d, chunk, cdt), *_buffers(x2d, chunk, cdt, 3)

    def body(_k: int, s: int, e: int, buffers) -> None:
        gbuf, y_buf, t_buf, acc_buf = buffers
        c = e - s
        gc = _chunk(g2d, s, e, gbuf)
        y = _relu_chunk(x2d[s:e], y_buf[:c])
        torch.sum(gc, -1, out=row_sums[order, s:e])
        t = torch.mul(gc, y, out=t_buf[:c])
        torch.sum(t, -1, out=row_sums[0, s:e])
        for p in range(2, order + 1):
            torch.sum(t.mul_(y), -1, out=row_sums[p - 1, s:e])  # g y**p
        if order == 1:
            gd = torch.mul(gc, deriv_coef[0], out=acc_buf[:c])
        else:
            gd = _horner_scalar(deriv_coef, y, acc_buf[:c]).mul_(gc)  # g D(y), D = sum_p p w_p y**(p-1)
        if dx.dtype == cdt:
            torch.ops.aten.threshold_backward.grad_input(gd, y, 0, grad_input=dx[s:e])  # * [x > 0]
        else:
            dx[s:e].copy_(torch.ops.aten.threshold_backward(gd, y, 0))

    if dx.numel():
        run_chunks(n_rows, width, x2d.device, body, make_buffers)
    totals = row_sums.sum(1)
    return dx, totals[:order].flip(0), totals[order:]


def _forward(x2d: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, out_dtype: torch.dtype) -> torch.Tensor:
    args = (x2d, weight, bias, out_dtype)
    return dispatch(x2d, weight.shape[0], "polyrelu_forward", args, polyrelu_forward_torch)


def _backward(
    x2d: torch.Tensor, g2d: torch.Tensor, weight: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    args = (x2d, g2d, weight)
    return dispatch(x2d, weight.shape[0], "polyrelu_backward", args, polyrelu_backward_torch)


class PolyReLUFunction(torch.autograd.Function):
    """out = PolyReLU(x; weight, bias) elementwise; saves only x (and the r + 1 parameters).

    First derivatives: the closed form. With ``create_graph=True``: the plain formula's autograd graph.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        cdt = compute_dtype(x.dtype)
        w = as_dtype(weight.detach(), cdt)
        b = as_dtype(bias.detach(), cdt).reshape(1)
        with on_device(x):
            out = _forward(as_rows(x), w, b, output_dtype(x, bias))
        ctx.save_for_backward(x, weight, bias)
        return shaped_like(out, x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        x, weight, bias = ctx.saved_tensors
        needs = ctx.needs_input_grad
        if torch.is_grad_enabled():  # create_graph=True: a differentiable backward
            return differentiable_grads(polyrelu_reference, (x, weight, bias), grad, needs)
        cdt = compute_dtype(x.dtype)
        with on_device(x):
            dx, dw, db = _backward(as_rows(x), as_rows(grad), as_dtype(weight.detach(), cdt))
        need_x, need_w, need_b = needs
        return (
            shaped_like(dx, x) if need_x else None,
            as_dtype(dw, weight.dtype) if need_w else None,
            as_dtype(db, bias.dtype) if need_b else None,
        )


def polyrelu(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """Fused PolyReLU: elementwise, any shape; weight (r,) highest power first, bias (1,).

    Output: x's shape ((1,) for a 0-d x, like the plain formula), dtype x's promoted with the bias's.
    The plain formula runs instead under ``POLYAPPROX_KERNELS=reference`` and inside ``torch.func``
    transforms.
    """
    check_params(weight, bias)
    if x.dim() == 0:
        x = x.reshape(1)
    if use_reference():
        return polyrelu_reference(x, weight, bias)
    return PolyReLUFunction.apply(x, weight, bias)
