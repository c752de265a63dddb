"""PolyNorm with a closed-form backward, as a ``torch.autograd.Function`` for any order r >= 1.

Math (paper Eq. 3 with the official code's RMS norm, docs/paper.md §1.3, §1.5). Per row x of width H,
weights in code order (``weight[0]`` multiplies the highest power):

    y = sum_{p=1}^r w_p r_p x**p + b,      w_p = weight[r - p],   r_p = (mean(x**(2p)) + eps)**(-1/2).

Backward (docs/paper.md §1.6; the idea of a closed form is from Liger-Kernel PR #901, re-derived here and
checked symbolically in ``tests/kernels/test_symbolic_backward.py``), with S_p = <g, x**p>:

    dx   = sum_p w_p [p x**(p-1) r_p g - (p/H) x**(2p-1) r_p**3 S_p] = g A(x) - x Q(x**2),
    A(x) = sum_p (p w_p r_p) x**(p-1),    Q(s) = sum_p (p w_p r_p**3 S_p / H) s**(p-1),
    dw_p = sum_rows r_p S_p,    db = sum g.

Only the input x and the per-row statistics r_p ((rows, r), tiny) are saved; powers of x are recomputed.
The CPU path makes two passes over row chunks of < 32768 elements (2**18 single-threaded; ``_common``):
row statistics first, then Horner's rule for y (or A and Q for dx), with reused chunk buffers that stay in
cache and no input-sized temporary. Statistics and intermediates are float32 (float64 for float64 input)
whatever the input dtype; y and dx are returned in the input dtype.
"""

from __future__ import annotations

import torch

from polyapprox.errors import InvalidDataError
from polyapprox.kernels._common import (
    as_rows,
    check_params,
    compute_dtype,
    run_chunks,
    use_triton,
)

#: PolyNorm's eps, added to the mean inside the root (official code, ``norm``, l. 91-92).
POLYNORM_EPS = 1e-6


def _chunk(src: torch.Tensor, start: int, stop: int, buf: torch.Tensor | None) -> torch.Tensor:
    """Rows [start, stop) of ``src`` in the compute dtype (a view when no cast is needed)."""
    rows = src[start:stop]
    if buf is None:
        return rows
    return buf[: stop - start].copy_(rows)


def _buffers(like: torch.Tensor, chunk: int, dtype: torch.dtype, count: int) -> list[torch.Tensor]:
    """``count`` (chunk, H) work buffers in ``dtype``."""
    return [torch.empty(chunk, like.shape[1], dtype=dtype, device=like.device) for _ in range(count)]


def _cast_buffer(src: torch.Tensor, chunk: int, dtype: torch.dtype) -> torch.Tensor | None:
    """A buffer to upcast chunks of ``src`` into, or None when ``src`` is already in ``dtype``."""
    return None if src.dtype == dtype else _buffers(src, chunk, dtype, 1)[0]


def _columns(rows: torch.Tensor) -> list[torch.Tensor]:
    """(r, N) per-row coefficients -> r views of shape (N, 1), broadcastable against (N, H)."""
    return [row.unsqueeze(1) for row in rows]


def _horner_rows(
    cols: list[torch.Tensor], s: int, e: int, x: torch.Tensor, acc: torch.Tensor
) -> torch.Tensor:
    """sum_{i} cols[i][s:e] * x**i (per-row coefficients, lowest power first, len >= 2) into ``acc``."""
    d = len(cols) - 1
    torch.addcmul(cols[d - 1][s:e], x, cols[d][s:e], out=acc)
    for i in range(d - 2, -1, -1):
        torch.addcmul(cols[i][s:e], acc, x, out=acc)
    return acc


def polynorm_forward_torch(
    x2d: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, eps: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Forward on a contiguous (N, H) matrix. Returns (y: (N, H) in x's dtype, rstat: (N, r) with r_p).

    ``weight``/``bias`` must already be in the compute dtype. Two passes over row chunks: (1) the sums of
    x**(2p); (2) Horner, y = ((c_r x + c_{r-1}) x + ... + c_1) x + b with c_p = w_p r_p per row.
    """
    n_rows, width = x2d.shape
    order = weight.shape[0]
    cdt = compute_dtype(x2d.dtype)
    out = torch.empty_like(x2d)
    sums = torch.empty(order, n_rows, dtype=cdt, device=x2d.device)  # row p-1: sum_j x_j**(2p)

    def make_buffers(chunk: int):
        return _cast_buffer(x2d, chunk, cdt), *_buffers(x2d, chunk, cdt, 2)

    def statistics(_k: int, s: int, e: int, buffers) -> None:
        xbuf, sq_buf, pw_buf = buffers
        xc = _chunk(x2d, s, e, xbuf)
        sq = torch.mul(xc, xc, out=sq_buf[: e - s])
        torch.sum(sq, -1, out=sums[0, s:e])
        if order > 1:
            pw = torch.mul(sq, sq, out=pw_buf[: e - s])  # x**4
            torch.sum(pw, -1, out=sums[1, s:e])
            for p in range(3, order + 1):
                torch.sum(pw.mul_(sq), -1, out=sums[p - 1, s:e])  # x**(2p)

    if n_rows:
        run_chunks(n_rows, width, x2d.device, statistics, make_buffers)
    rstat = sums.div_(width).add_(eps).rsqrt_()  # (r, N): r_p
    coef = _columns(rstat * weight.flip(0).unsqueeze(1))  # coef[p-1]: w_p r_p, (N, 1)
    bias_col = bias.reshape(1, 1)

    def horner(_k: int, s: int, e: int, buffers) -> None:
        xbuf, acc_buf, _ = buffers
        xc = _chunk(x2d, s, e, xbuf)
        target = out[s:e] if out.dtype == cdt else acc_buf[: e - s]
        if order == 1:
            torch.addcmul(bias_col, xc, coef[0][s:e], out=target)
        else:
            acc = _horner_rows(coef, s, e, xc, acc_buf[: e - s])
            torch.addcmul(bias_col, acc, xc, out=target)
        if out.dtype != cdt:
            out[s:e].copy_(target)

    if n_rows:
        run_chunks(n_rows, width, x2d.device, horner, make_buffers)
    return out, rstat.t()


def polynorm_backward_torch(
    x2d: torch.Tensor, g2d: torch.Tensor, weight: torch.Tensor, rstat: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Closed-form backward on (N, H) matrices: (dx in x's dtype, dw (r,), db (1,) in the compute dtype).

    Two passes over row chunks: (1) S_p = <g, x**p> and sum g per row; (2) dx = g A(x) - x Q(x**2).
    """
    n_rows, width = x2d.shape
    order = weight.shape[0]
    cdt = compute_dtype(x2d.dtype)
    dx = torch.empty_like(x2d)
    dots = torch.zeros(order + 1, n_rows, dtype=cdt, device=x2d.device)  # rows: S_1..S_r, sum g

    def make_buffers(chunk: int):
        return _cast_buffer(x2d, chunk, cdt), _cast_buffer(g2d, chunk, cdt), *_buffers(x2d, chunk, cdt, 3)

    def statistics(_k: int, s: int, e: int, buffers) -> None:
        xbuf, gbuf, t_buf, _, _ = buffers
        xc = _chunk(x2d, s, e, xbuf)
        gc = _chunk(g2d, s, e, gbuf)
        torch.sum(gc, -1, out=dots[order, s:e])
        t = torch.mul(gc, xc, out=t_buf[: e - s])
        torch.sum(t, -1, out=dots[0, s:e])
        for p in range(2, order + 1):
            torch.sum(t.mul_(xc), -1, out=dots[p - 1, s:e])  # g x**p

    if n_rows:
        run_chunks(n_rows, width, x2d.device, statistics, make_buffers)
    rs = rstat.t().contiguous()  # (r, N)
    s_p = dots[:order]
    a_rows = rs * (weight.flip(0) * torch.arange(1, order + 1, dtype=cdt, device=x2d.device)).unsqueeze(1)
    a = _columns(a_rows)  # p w_p r_p
    q = _columns(a_rows * rs * rs * s_p / width)  # p w_p r_p**3 S_p / H

    def gradient(_k: int, s: int, e: int, buffers) -> None:
        xbuf, gbuf, t_buf, acc_buf, q_buf = buffers
        c = e - s
        xc = _chunk(x2d, s, e, xbuf)
        gc = _chunk(g2d, s, e, gbuf)
        direct = dx.dtype == cdt  # write dx in place, else into a buffer and cast-copy
        if order == 1:
            target = dx[s:e] if direct else t_buf[:c]
            ga = torch.mul(gc, a[0][s:e], out=acc_buf[:c])
            torch.addcmul(ga, xc, q[0][s:e], value=-1, out=target)
        else:
            acc = _horner_rows(a, s, e, xc, acc_buf[:c]).mul_(gc)  # g A(x)
            sq = torch.mul(xc, xc, out=t_buf[:c])
            qx = _horner_rows(q, s, e, sq, q_buf[:c])  # Q(x**2)
            target = dx[s:e] if direct else acc
            torch.addcmul(acc, qx, xc, value=-1, out=target)  # g A(x) - x Q(x**2)
        if not direct:
            dx[s:e].copy_(target)

    if n_rows:
        run_chunks(n_rows, width, x2d.device, gradient, make_buffers)
    dw_by_power = (rs * s_p).sum(1)
    return dx, dw_by_power.flip(0), dots[order].sum().reshape(1)


def _forward(
    x2d: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, eps: float
) -> tuple[torch.Tensor, torch.Tensor]:
    if use_triton(x2d):
        from polyapprox.kernels import triton_kernels

        return triton_kernels.polynorm_forward(x2d, weight, bias, eps)
    return polynorm_forward_torch(x2d, weight, bias, eps)


def _backward(
    x2d: torch.Tensor, g2d: torch.Tensor, weight: torch.Tensor, rstat: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    if use_triton(x2d):
        from polyapprox.kernels import triton_kernels

        return triton_kernels.polynorm_backward(x2d, g2d, weight, rstat)
    return polynorm_backward_torch(x2d, g2d, weight, rstat)


class PolyNormFunction(torch.autograd.Function):
    """y = PolyNorm(x; weight, bias, eps) over the last dim; saves only x and r_p ((rows, r))."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, eps: float) -> torch.Tensor:
        cdt = compute_dtype(x.dtype)
        w = weight.detach().to(cdt)
        b = bias.detach().to(cdt)
        out, rstat = _forward(as_rows(x), w, b, eps)
        ctx.save_for_backward(x, weight, rstat)
        ctx.bias_dtype = bias.dtype
        return out.view(x.shape)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        x, weight, rstat = ctx.saved_tensors
        cdt = compute_dtype(x.dtype)
        dx, dw, db = _backward(as_rows(x), as_rows(grad.to(x.dtype)), weight.detach().to(cdt), rstat)
        need_x, need_w, need_b, _ = ctx.needs_input_grad
        return (
            dx.view(x.shape) if need_x else None,
            dw.to(weight.dtype) if need_w else None,
            db.to(ctx.bias_dtype) if need_b else None,
            None,
        )


def polynorm(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, eps: float = POLYNORM_EPS
) -> torch.Tensor:
    """Fused PolyNorm: x (..., H), weight (r,) highest power first, bias (1,). Output like x."""
    if x.dim() == 0:
        raise InvalidDataError("x: a 0-d tensor; polynorm needs a last dimension to normalise over")
    check_params(weight, bias)
    return PolyNormFunction.apply(x, weight, bias, eps)
