"""PolyNorm with a closed-form backward, as a ``torch.autograd.Function`` for any order r >= 1.

Math (paper Eq. 3 with the official code's RMS norm, docs/paper.md §1.3, §1.5). Per row x of width H,
weights in code order (``weight[0]`` multiplies the highest power):

    y = sum_{p=1}^r w_p r_p x**p + b,      w_p = weight[r - p],   r_p = (mean(x**(2p)) + eps)**(-1/2).

Overflow-free statistics: each row is scaled by m = 2**e >= 1, the smallest power of two above max |x|
(m = 1 when max |x| < 1), so u = x / m is exact and |u| < 1. With rho_p = m**p r_p
= (mean(u**(2p)) + eps m**(-2p))**(-1/2), the output is y = sum_p w_p rho_p u**p + b. rho_p <= eps**(-1/2)
always, and when m > 1 some |u| >= 1/2, so mean(u**(2p)) >= 4**(-p) / H and rho_p <= 2**p sqrt(H): no power
of x and no statistic can overflow, whatever the order, for every finite x.

Backward (docs/paper.md §1.6; the idea of a closed form is from Liger-Kernel PR #901, re-derived here and
checked symbolically in ``tests/kernels/test_symbolic_backward.py``), with T_p = <g, u**p>:

    dx   = (g A(u) - u Q(u**2)) / m,
    A(u) = sum_p (p w_p rho_p) u**(p-1),    Q(s) = sum_p (p w_p rho_p**3 T_p / H) s**(p-1),
    dw_p = sum_rows rho_p T_p,    db = sum g.

Only the input x and the per-row statistics (rho_1..rho_r, 1/m) ((rows, r + 1), tiny) are saved. On CPU,
float32/float64 with orders <= 5 run the numba kernels when numba is installed (``numba_kernels.py``: one pass
per row each way); otherwise the torch path makes two passes over row chunks of < 32768 elements (2**18
single-threaded; ``_common``): row statistics first, then Horner's rule for y (or A and Q for dx), with reused
chunk buffers that stay in cache and no input-sized temporary. Statistics and intermediates are float32
(float64 for float64 input).
Output dtype: x's dtype promoted with the bias's, like the official module (``reference.output_dtype``);
dx has x's dtype. With ``create_graph=True`` the backward is the plain formula's autograd graph
(``_common.differentiable_grads``), so higher derivatives are exact; inside ``torch.func`` transforms
``polynorm`` evaluates the plain formula.
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
from polyapprox.kernels.reference import POLYNORM_EPS, output_dtype, polynorm_reference

__all__ = ["POLYNORM_EPS", "PolyNormFunction", "polynorm", "row_scale"]


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


def row_scale(max_abs: torch.Tensor) -> torch.Tensor:
    """1/m per row, m = 2**e >= 1 the smallest power of two above ``max_abs`` (1 below 1); exact."""
    _, exponent = torch.frexp(max_abs)  # max_abs = mantissa * 2**exponent, mantissa in [0.5, 1)
    return torch.pow(2.0, -exponent.clamp_min(0).to(torch.float64)).to(max_abs.dtype)


def polynorm_forward_torch(
    x2d: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, eps: float, out_dtype: torch.dtype | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Forward on a contiguous (N, H) matrix. Returns (y: (N, H), stats: (N, r + 1) = rho_1..rho_r, 1/m).

    ``weight``/``bias`` must already be in the compute dtype; y is in ``out_dtype`` (default x's dtype).
    Two passes over row chunks: (1) 1/m and the sums of u**(2p), u = x / m; (2) Horner,
    y = ((c_r u + c_{r-1}) u + ... + c_1) u + b with c_p = w_p rho_p per row.
    """
    n_rows, width = x2d.shape
    order = weight.shape[0]
    cdt = compute_dtype(x2d.dtype)
    out = torch.empty_like(x2d, dtype=out_dtype or x2d.dtype)
    sums = torch.empty(order + 1, n_rows, dtype=cdt, device=x2d.device)  # row p-1: sum u**(2p); row r: 1/m
    inv_m = sums[order]

    def make_buffers(chunk: int):
        return _cast_buffer(x2d, chunk, cdt), *_buffers(x2d, chunk, cdt, 3)

    def statistics(_k: int, s: int, e: int, buffers) -> None:
        xbuf, u_buf, sq_buf, pw_buf = buffers
        xc = _chunk(x2d, s, e, xbuf)
        inv_m[s:e] = row_scale(torch.abs(xc, out=u_buf[: e - s]).amax(-1))
        u = torch.mul(xc, inv_m[s:e].unsqueeze(1), out=u_buf[: e - s])
        sq = torch.mul(u, u, out=sq_buf[: e - s])
        torch.sum(sq, -1, out=sums[0, s:e])
        if order > 1:
            pw = torch.mul(sq, sq, out=pw_buf[: e - s])  # u**4
            torch.sum(pw, -1, out=sums[1, s:e])
            for p in range(3, order + 1):
                torch.sum(pw.mul_(sq), -1, out=sums[p - 1, s:e])  # u**(2p)

    if out.numel():
        run_chunks(n_rows, width, x2d.device, statistics, make_buffers)
    else:
        sums.fill_(1.0)
    powers = torch.arange(2, 2 * order + 1, 2, dtype=cdt, device=x2d.device).unsqueeze(1)
    rho = sums[:order].div_(width).add_(eps * inv_m.pow(powers)).rsqrt_()  # (r, N): rho_p
    coef = _columns(rho * weight.flip(0).unsqueeze(1))  # coef[p-1]: w_p rho_p, (N, 1)
    bias_col = bias.reshape(1, 1)
    inv_col = inv_m.unsqueeze(1)

    def horner(_k: int, s: int, e: int, buffers) -> None:
        xbuf, u_buf, acc_buf, _ = buffers
        u = torch.mul(_chunk(x2d, s, e, xbuf), inv_col[s:e], out=u_buf[: e - s])
        target = out[s:e] if out.dtype == cdt else acc_buf[: e - s]
        if order == 1:
            torch.addcmul(bias_col, u, coef[0][s:e], out=target)
        else:
            acc = _horner_rows(coef, s, e, u, acc_buf[: e - s])
            torch.addcmul(bias_col, acc, u, out=target)
        if out.dtype != cdt:
            out[s:e].copy_(target)

    if out.numel():
        run_chunks(n_rows, width, x2d.device, horner, make_buffers)
    return out, sums.t()


def polynorm_backward_torch(
    x2d: torch.Tensor, g2d: torch.Tensor, weight: torch.Tensor, stats: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Closed-form backward on (N, H) matrices: (dx in x's dtype, dw (r,), db (1,) in the compute dtype).

    ``stats``: the forward's (N, r + 1). Two passes over row chunks: (1) T_p = <g, u**p> and sum g per
    row; (2) dx = g A'(u) - u Q'(u**2), the coefficients of A and Q divided by m.
    """
    n_rows, width = x2d.shape
    order = weight.shape[0]
    cdt = compute_dtype(x2d.dtype)
    dx = torch.empty_like(x2d)
    dots = torch.zeros(order + 1, n_rows, dtype=cdt, device=x2d.device)  # rows: T_1..T_r, sum g
    st = stats.t().contiguous()  # (r + 1, N)
    rho, inv_m = st[:order], st[order]
    inv_col = inv_m.unsqueeze(1)

    def make_buffers(chunk: int):
        return _cast_buffer(x2d, chunk, cdt), _cast_buffer(g2d, chunk, cdt), *_buffers(x2d, chunk, cdt, 4)

    def statistics(_k: int, s: int, e: int, buffers) -> None:
        xbuf, gbuf, u_buf, t_buf, _, _ = buffers
        u = torch.mul(_chunk(x2d, s, e, xbuf), inv_col[s:e], out=u_buf[: e - s])
        gc = _chunk(g2d, s, e, gbuf)
        torch.sum(gc, -1, out=dots[order, s:e])
        t = torch.mul(gc, u, out=t_buf[: e - s])
        torch.sum(t, -1, out=dots[0, s:e])
        for p in range(2, order + 1):
            torch.sum(t.mul_(u), -1, out=dots[p - 1, s:e])  # g u**p

    if dx.numel():
        run_chunks(n_rows, width, x2d.device, statistics, make_buffers)
    t_p = dots[:order]
    a_rows = rho * (weight.flip(0) * torch.arange(1, order + 1, dtype=cdt, device=x2d.device)).unsqueeze(1)
    a = _columns(a_rows * inv_m)  # p w_p rho_p / m
    q = _columns(a_rows * rho * rho * t_p * (inv_m / width))  # p w_p rho_p**3 T_p / (H m)

    def gradient(_k: int, s: int, e: int, buffers) -> None:
        xbuf, gbuf, u_buf, t_buf, acc_buf, q_buf = buffers
        c = e - s
        u = torch.mul(_chunk(x2d, s, e, xbuf), inv_col[s:e], out=u_buf[:c])
        gc = _chunk(g2d, s, e, gbuf)
        direct = dx.dtype == cdt  # write dx in place, else into a buffer and cast-copy
        if order == 1:
            target = dx[s:e] if direct else t_buf[:c]
            ga = torch.mul(gc, a[0][s:e], out=acc_buf[:c])
            torch.addcmul(ga, u, q[0][s:e], value=-1, out=target)
        else:
            acc = _horner_rows(a, s, e, u, acc_buf[:c]).mul_(gc)  # g A'(u)
            sq = torch.mul(u, u, out=t_buf[:c])
            qu = _horner_rows(q, s, e, sq, q_buf[:c])  # Q'(u**2)
            target = dx[s:e] if direct else acc
            torch.addcmul(acc, qu, u, value=-1, out=target)  # g A'(u) - u Q'(u**2)
        if not direct:
            dx[s:e].copy_(target)

    if dx.numel():
        run_chunks(n_rows, width, x2d.device, gradient, make_buffers)
    dw_by_power = (rho * t_p).sum(1)
    return dx, dw_by_power.flip(0), dots[order].sum().reshape(1)


def _forward(
    x2d: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, eps: float, out_dtype: torch.dtype
) -> tuple[torch.Tensor, torch.Tensor]:
    args = (x2d, weight, bias, eps, out_dtype)
    return dispatch(x2d, weight.shape[0], "polynorm_forward", args, polynorm_forward_torch)


def _backward(
    x2d: torch.Tensor, g2d: torch.Tensor, weight: torch.Tensor, stats: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    args = (x2d, g2d, weight, stats)
    return dispatch(x2d, weight.shape[0], "polynorm_backward", args, polynorm_backward_torch)


class PolyNormFunction(torch.autograd.Function):
    """y = PolyNorm(x; weight, bias, eps) over the last dim; saves x, the parameters and (rows, r + 1) stats.

    First derivatives: the closed form. With ``create_graph=True``: the plain formula's autograd graph.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, eps: float) -> torch.Tensor:
        cdt = compute_dtype(x.dtype)
        w = as_dtype(weight.detach(), cdt)
        b = as_dtype(bias.detach(), cdt)
        with on_device(x):
            out, stats = _forward(as_rows(x), w, b, eps, output_dtype(x, bias))
        ctx.save_for_backward(x, weight, bias, stats)
        ctx.eps = eps
        return shaped_like(out, x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        x, weight, bias, stats = ctx.saved_tensors
        needs = ctx.needs_input_grad[:3]
        if torch.is_grad_enabled():  # create_graph=True: a differentiable backward
            formula = lambda a, w, b: polynorm_reference(a, w, b, ctx.eps)  # noqa: E731
            return (*differentiable_grads(formula, (x, weight, bias), grad, needs), None)
        cdt = compute_dtype(x.dtype)
        with on_device(x):
            dx, dw, db = _backward(as_rows(x), as_rows(grad), as_dtype(weight.detach(), cdt), stats)
        need_x, need_w, need_b = needs
        return (
            shaped_like(dx, x) if need_x else None,
            as_dtype(dw, weight.dtype) if need_w else None,
            as_dtype(db, bias.dtype) if need_b else None,
            None,
        )


def polynorm(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, eps: float = POLYNORM_EPS
) -> torch.Tensor:
    """Fused PolyNorm: x (..., H), weight (r,) highest power first, bias (1,).

    Output: x's shape ((1,) for a 0-d x, like the plain formula), dtype x's promoted with the bias's.
    The plain formula runs instead under ``POLYAPPROX_KERNELS=reference`` and inside ``torch.func``
    transforms (vmap, grad, jacrev, hessian).
    """
    check_params(weight, bias)
    if x.dim() == 0:
        x = x.reshape(1)
    if use_reference():
        return polynorm_reference(x, weight, bias, eps)
    return PolyNormFunction.apply(x, weight, bias, eps)
