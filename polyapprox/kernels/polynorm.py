"""PolyNorm with a closed-form backward, as a ``torch.autograd.Function`` for any order r >= 1.

Math (paper Eq. 3 with the official code's RMS norm, paper.md §1.3, §1.5). Per row x of width H,
weights in code order (``weight[0]`` multiplies the highest power):

    y = sum_{p=1}^r w_p r_p x**p + b,      w_p = weight[r - p],   r_p = (mean(x**(2p)) + eps)**(-1/2).

Backward (paper.md §1.6; the idea of a closed form is from Liger-Kernel PR #901, re-derived here and
checked symbolically in ``tests/kernels/test_symbolic_backward.py``), with S_p = <g, x**p>:

    dx   = sum_p w_p [p x**(p-1) r_p g - (p/H) x**(2p-1) r_p**3 S_p] = g A(x) - x Q(x**2),
    A(x) = sum_p (p w_p r_p) x**(p-1),    Q(s) = sum_p (p w_p r_p**3 S_p / H) s**(p-1),
    dw_p = sum_rows r_p S_p,    db = sum g.

Only the input x and the per-row statistics r_p ((rows, r), tiny) are saved; powers of x are recomputed.
The CPU path evaluates both polynomials by Horner's rule on row chunks of ~256 KiB, so all temporaries
stay in cache; statistics are computed in float32 (float64 for float64 input) whatever the input dtype.
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


def polynorm_forward_torch(
    x2d: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, eps: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Forward on a contiguous (N, H) matrix. Returns (y: (N, H) in x's dtype, rstat: (N, r) with r_p).

    ``weight``/``bias`` must already be in the compute dtype. Horner: y = (((c_r x + c_{r-1}) x ...) x + b.
    """
    n_rows, width = x2d.shape
    order = weight.shape[0]
    cdt = compute_dtype(x2d.dtype)
    out = torch.empty_like(x2d)
    rstat = torch.empty(n_rows, order, dtype=cdt, device=x2d.device)
    w_by_power = weight.flip(0)  # w_by_power[p - 1] = w_p

    def make_buffers(chunk: int):
        return _cast_buffer(x2d, chunk, cdt), *_buffers(x2d, chunk, cdt, 3)

    def body(_k: int, start: int, stop: int, buffers) -> None:
        xbuf, sq_buf, pw_buf, acc_buf = buffers
        c = stop - start
        xc = _chunk(x2d, start, stop, xbuf)
        sq = torch.mul(xc, xc, out=sq_buf[:c])
        means = torch.empty(c, order, dtype=cdt, device=x2d.device)
        means[:, 0] = sq.sum(-1)
        if order > 1:
            pw = torch.mul(sq, sq, out=pw_buf[:c])  # x**4
            means[:, 1] = pw.sum(-1)
            for p in range(3, order + 1):
                pw.mul_(sq)  # x**(2p)
                means[:, p - 1] = pw.sum(-1)
        rs = means.div_(width).add_(eps).rsqrt_()
        rstat[start:stop] = rs
        coef = rs.mul_(w_by_power)  # c_p = w_p r_p, (c, r)
        target = out[start:stop] if out.dtype == cdt else acc_buf[:c]
        if order == 1:
            torch.addcmul(bias, xc, coef[:, 0:1], out=target)
        else:
            lead = coef[:, order - 2 : order - 1], coef[:, order - 1 : order]
            acc = torch.addcmul(lead[0], xc, lead[1], out=acc_buf[:c])
            for p in range(order - 2, 0, -1):
                torch.addcmul(coef[:, p - 1 : p], acc, xc, out=acc)
            torch.addcmul(bias, acc, xc, out=target)
        if target.data_ptr() != out[start:stop].data_ptr():
            out[start:stop].copy_(target)

    if n_rows:
        run_chunks(n_rows, width, x2d.device, body, make_buffers)
    return out, rstat


def polynorm_backward_torch(
    x2d: torch.Tensor, g2d: torch.Tensor, weight: torch.Tensor, rstat: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Closed-form backward on (N, H) matrices: (dx in x's dtype, dw (r,), db (1,) in the compute dtype)."""
    n_rows, width = x2d.shape
    order = weight.shape[0]
    cdt = compute_dtype(x2d.dtype)
    dx = torch.empty_like(x2d)
    dot_gxp = torch.zeros(n_rows, order, dtype=cdt, device=x2d.device)  # S_p per row
    g_rowsum = torch.zeros(n_rows, dtype=cdt, device=x2d.device)
    powers = torch.arange(1, order + 1, dtype=cdt, device=x2d.device)
    pw_by_power = weight.flip(0) * powers  # p w_p

    def make_buffers(chunk: int):
        return _cast_buffer(x2d, chunk, cdt), _cast_buffer(g2d, chunk, cdt), *_buffers(x2d, chunk, cdt, 3)

    def body(_k: int, start: int, stop: int, buffers) -> None:
        xbuf, gbuf, t_buf, acc_buf, q_buf = buffers
        c = stop - start
        xc = _chunk(x2d, start, stop, xbuf)
        gc = _chunk(g2d, start, stop, gbuf)
        g_rowsum[start:stop] = gc.sum(-1)
        t = torch.mul(gc, xc, out=t_buf[:c])
        s = dot_gxp[start:stop]
        s[:, 0] = t.sum(-1)
        for p in range(2, order + 1):
            t.mul_(xc)  # g x**p
            s[:, p - 1] = t.sum(-1)
        rs = rstat[start:stop]
        a = rs * pw_by_power  # p w_p r_p, (c, r)
        qc = a * rs * rs * s / width  # p w_p r_p**3 S_p / H
        target = dx[start:stop] if dx.dtype == cdt else acc_buf[:c]
        if order == 1:
            ga = torch.mul(gc, a[:, 0:1], out=acc_buf[:c])
            torch.addcmul(ga, xc, qc[:, 0:1], value=-1, out=target)
        else:
            acc = torch.addcmul(a[:, order - 2 : order - 1], xc, a[:, order - 1 : order], out=acc_buf[:c])
            for p in range(order - 2, 0, -1):
                torch.addcmul(a[:, p - 1 : p], acc, xc, out=acc)
            acc.mul_(gc)  # g A(x)
            sq = torch.mul(xc, xc, out=t_buf[:c])
            q = torch.addcmul(qc[:, order - 2 : order - 1], sq, qc[:, order - 1 : order], out=q_buf[:c])
            for p in range(order - 2, 0, -1):
                torch.addcmul(qc[:, p - 1 : p], q, sq, out=q)
            torch.addcmul(acc, q, xc, value=-1, out=target)  # g A(x) - x Q(x**2)
        if target.data_ptr() != dx[start:stop].data_ptr():
            dx[start:stop].copy_(target)

    if n_rows:
        run_chunks(n_rows, width, x2d.device, body, make_buffers)
    dw_by_power = (rstat * dot_gxp).sum(0)
    return dx, dw_by_power.flip(0), g_rowsum.sum().reshape(1)


def _forward(x2d, weight, bias, eps):
    if use_triton(x2d):
        from polyapprox.kernels import triton_kernels

        return triton_kernels.polynorm_forward(x2d, weight, bias, eps)
    return polynorm_forward_torch(x2d, weight, bias, eps)


def _backward(x2d, g2d, weight, rstat):
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
