"""Triton kernels (CUDA) for PolyNorm and PolyReLU, forward and closed-form backward, any order r.

Same math as ``polynorm.py`` / ``polyrelu.py`` (paper Eqs. 2-3, docs/paper.md §1.6; closed-form backward idea
from Liger-Kernel PR #901, written independently). Design, kept simple on purpose:

* PolyNorm: one program per row; columns in blocks of BLOCK = next_power_of_2(H), capped so that the
  (RP, BLOCK) tile of powers stays small (RP = next_power_of_2(r)); rows wider than BLOCK are looped
  over. Forward: pass 0 finds max |x| and the exact power-of-two scale 1/m (``_inv_pow2_scale``, the same
  rule as ``polynorm.row_scale``); pass 1 accumulates sum u**(2p), u = x / m, for all p at once in an
  (RP,) vector; pass 2 writes y. Backward: pass 1 T_p = <g, u**p>, pass 2 dx. Saved statistics per row:
  rho_1..rho_r, 1/m (``polynorm.py`` docstring). All arithmetic is float32; I/O in the tensors' dtypes.
* Powers for all p at once: start from ones (RP, BLOCK) and multiply row k by x for k = 1..r-1 where
  k <= row index (``tl.where``), giving x**i in row i; x**p = that * x.
* PolyReLU: elementwise blocks; Horner forward; backward writes dx and per-block partial sums
  sum g y**p, reduced over blocks by torch.

``triton`` is optional: this module imports without it (``AVAILABLE`` is then False) and the dispatcher
(``_common.use_triton``) only routes CUDA float16/bfloat16/float32 tensors here when it is importable
(or any such tensor with ``POLYAPPROX_KERNELS=triton``). With ``TRITON_INTERPRET=1`` set before this module
is imported, the kernels run in Triton's interpreter on CPU tensors: that is how CI tests them.
"""

from __future__ import annotations

import torch

try:  # optional dependency, never required
    import triton
    import triton.language as tl
except ImportError:  # pragma: no cover - exercised on machines without triton
    triton = None
    tl = None

AVAILABLE = triton is not None

#: Cap on RP * BLOCK elements per (powers x columns) tile, to bound register use per program.
MAX_TILE = 8192
#: Elements per program of the elementwise PolyReLU kernels.
POLYRELU_BLOCK = 1024


def _next_pow2(n: int) -> int:
    return 1 << max(0, (n - 1).bit_length())


def _row_block(width: int, rp: int) -> int:
    """Columns per block: next_power_of_2(H), at most MAX_TILE // RP (and at least 16)."""
    return max(16, min(_next_pow2(width), MAX_TILE // rp))


def _rp(order: int) -> int:
    return max(2, _next_pow2(order))


if AVAILABLE:

    @triton.jit
    def _powers_from_zero(x, p_idx, ORDER: tl.constexpr):
        """(RP, BLOCK) tile whose row i is x**i for i < ORDER (x broadcast along rows)."""
        pm1 = tl.zeros_like(p_idx)[:, None].to(tl.float32) + tl.zeros_like(x)[None, :] + 1.0
        for k in tl.static_range(1, ORDER):
            pm1 = tl.where(p_idx[:, None] >= k, pm1 * x[None, :], pm1)
        return pm1

    @triton.jit
    def _inv_pow2_scale(m):
        """1/m', m' = 2**e >= 1 the smallest power of two above m (1 when m < 1), via the float32 bits."""
        biased = (m.to(tl.int32, bitcast=True) >> 23) & 0xFF  # exponent field E: m in [2**(E-127), 2**(E-126))
        be = tl.minimum(253 - biased, 127)  # biased exponent of 2**-(E-126), at most 2**0
        sub = tl.minimum(tl.maximum(22 + be, 0), 22)  # be in {0, -1}: subnormal 2**-127, 2**-128
        bits = tl.where(be >= 1, be << 23, 1 << sub)
        return bits.to(tl.float32, bitcast=True)

    @triton.jit
    def _polynorm_fwd_kernel(
        X, Y, W, B, RSTAT, stride_x, stride_y, H, inv_h, eps,
        ORDER: tl.constexpr, RP: tl.constexpr, BLOCK: tl.constexpr,
    ):  # fmt: skip
        row = tl.program_id(0).to(tl.int64)
        x_row = X + row * stride_x
        y_row = Y + row * stride_y
        p_idx = tl.arange(0, RP)  # p - 1
        p_mask = p_idx < ORDER
        amax = tl.zeros([BLOCK], dtype=tl.float32)
        for start in range(0, H, BLOCK):
            cols = start + tl.arange(0, BLOCK)
            x = tl.load(x_row + cols, mask=cols < H, other=0.0).to(tl.float32)
            amax = tl.maximum(amax, tl.abs(x))
        inv_m = _inv_pow2_scale(tl.max(amax, axis=0))
        sums = tl.zeros([RP], dtype=tl.float32)
        for start in range(0, H, BLOCK):
            cols = start + tl.arange(0, BLOCK)
            u = tl.load(x_row + cols, mask=cols < H, other=0.0).to(tl.float32) * inv_m
            pw = _powers_from_zero(u, p_idx, ORDER) * u[None, :]  # row i: u**(i+1)
            sums += tl.sum(pw * pw, axis=1)
        eps_scale = tl.zeros([RP], dtype=tl.float32) + 1.0  # row p-1: m**(-2p)
        for k in tl.static_range(0, ORDER):
            eps_scale = tl.where(p_idx >= k, eps_scale * (inv_m * inv_m), eps_scale)
        rho = tl.where(p_mask, 1.0 / tl.sqrt(sums * inv_h + eps * eps_scale), 0.0)
        tl.store(RSTAT + row * (ORDER + 1) + p_idx, rho, mask=p_mask)
        tl.store(RSTAT + row * (ORDER + 1) + ORDER, inv_m)
        w = tl.load(W + (ORDER - 1 - p_idx), mask=p_mask, other=0.0)  # w_p (weight[0] = w_r)
        coef = w * rho
        b = tl.load(B)
        for start in range(0, H, BLOCK):
            cols = start + tl.arange(0, BLOCK)
            mask = cols < H
            u = tl.load(x_row + cols, mask=mask, other=0.0).to(tl.float32) * inv_m
            pw = _powers_from_zero(u, p_idx, ORDER) * u[None, :]
            y = tl.sum(coef[:, None] * pw, axis=0) + b
            tl.store(y_row + cols, y.to(Y.dtype.element_ty), mask=mask)

    @triton.jit
    def _polynorm_bwd_kernel(
        X, G, DX, W, RSTAT, DW_ROWS, stride_x, stride_g, stride_dx, H, inv_h,
        ORDER: tl.constexpr, RP: tl.constexpr, BLOCK: tl.constexpr,
    ):  # fmt: skip
        row = tl.program_id(0).to(tl.int64)
        x_row = X + row * stride_x
        g_row = G + row * stride_g
        dx_row = DX + row * stride_dx
        p_idx = tl.arange(0, RP)
        p_mask = p_idx < ORDER
        rho = tl.load(RSTAT + row * (ORDER + 1) + p_idx, mask=p_mask, other=0.0)
        inv_m = tl.load(RSTAT + row * (ORDER + 1) + ORDER)
        w = tl.load(W + (ORDER - 1 - p_idx), mask=p_mask, other=0.0)
        t = tl.zeros([RP], dtype=tl.float32)  # T_p = <g, u**p>
        for start in range(0, H, BLOCK):
            cols = start + tl.arange(0, BLOCK)
            mask = cols < H
            u = tl.load(x_row + cols, mask=mask, other=0.0).to(tl.float32) * inv_m
            g = tl.load(g_row + cols, mask=mask, other=0.0).to(tl.float32)
            pw = _powers_from_zero(u, p_idx, ORDER) * u[None, :]
            t += tl.sum(pw * g[None, :], axis=1)
        tl.store(DW_ROWS + row * ORDER + p_idx, rho * t, mask=p_mask)  # per-row rho_p T_p
        a = (p_idx + 1).to(tl.float32) * w * rho  # p w_p rho_p
        q = a * rho * rho * t * inv_h * inv_m  # p w_p rho_p**3 T_p / (H m)
        a = a * inv_m
        for start in range(0, H, BLOCK):
            cols = start + tl.arange(0, BLOCK)
            mask = cols < H
            u = tl.load(x_row + cols, mask=mask, other=0.0).to(tl.float32) * inv_m
            g = tl.load(g_row + cols, mask=mask, other=0.0).to(tl.float32)
            pm1 = _powers_from_zero(u, p_idx, ORDER)  # u**(p-1)
            pw = pm1 * u[None, :]  # u**p
            dx = g * tl.sum(a[:, None] * pm1, axis=0) - tl.sum(q[:, None] * pw * pm1, axis=0)
            tl.store(dx_row + cols, dx.to(DX.dtype.element_ty), mask=mask)

    @triton.jit
    def _polyrelu_fwd_kernel(X, Y, W, B, n, ORDER: tl.constexpr, BLOCK: tl.constexpr):
        offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
        mask = offs < n
        y = tl.maximum(tl.load(X + offs, mask=mask, other=0.0).to(tl.float32), 0.0)
        acc = tl.zeros_like(y) + tl.load(W)  # Horner from weight[0] = w_r
        for i in tl.static_range(1, ORDER):
            acc = acc * y + tl.load(W + i)
        out = acc * y + tl.load(B)
        tl.store(Y + offs, out.to(Y.dtype.element_ty), mask=mask)

    @triton.jit
    def _polyrelu_bwd_kernel(
        X, G, DX, W, PARTIAL, n, ORDER: tl.constexpr, RP: tl.constexpr, BLOCK: tl.constexpr
    ):
        pid = tl.program_id(0).to(tl.int64)
        offs = pid * BLOCK + tl.arange(0, BLOCK)
        mask = offs < n
        x = tl.load(X + offs, mask=mask, other=0.0).to(tl.float32)
        g = tl.load(G + offs, mask=mask, other=0.0).to(tl.float32)
        y = tl.maximum(x, 0.0)
        p_idx = tl.arange(0, RP)
        p_mask = p_idx < ORDER
        pm1 = _powers_from_zero(y, p_idx, ORDER)  # y**(p-1)
        partial = tl.sum(pm1 * y[None, :] * g[None, :], axis=1)  # sum g y**p over the block
        tl.store(PARTIAL + pid * RP + p_idx, partial, mask=p_mask)
        w = tl.load(W + (ORDER - 1 - p_idx), mask=p_mask, other=0.0)
        deriv = tl.sum(((p_idx + 1).to(tl.float32) * w)[:, None] * pm1, axis=0)  # sum_p p w_p y**(p-1)
        dx = tl.where(x > 0.0, g * deriv, 0.0)
        tl.store(DX + offs, dx.to(DX.dtype.element_ty), mask=mask)


def _require() -> None:
    """A ConfigError when triton is not importable (only reachable with POLYAPPROX_KERNELS=triton)."""
    if not AVAILABLE:
        from polyapprox.errors import ConfigError

        raise ConfigError("POLYAPPROX_KERNELS=triton: the triton package is not installed")


def polynorm_forward(
    x2d: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, eps: float, out_dtype: torch.dtype | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """(y in ``out_dtype``, stats (N, r + 1) float32: rho_p, 1/m) for a contiguous (N, H) matrix."""
    _require()
    n_rows, width = x2d.shape
    order = weight.shape[0]
    out = torch.empty_like(x2d, dtype=out_dtype or x2d.dtype)
    rstat = torch.ones(n_rows, order + 1, dtype=torch.float32, device=x2d.device)
    if out.numel() == 0:
        return out, rstat
    rp = _rp(order)
    _polynorm_fwd_kernel[(n_rows,)](
        x2d, out, weight.contiguous(), bias.contiguous(), rstat, x2d.stride(0), out.stride(0),
        width, 1.0 / width, eps, ORDER=order, RP=rp, BLOCK=_row_block(width, rp),
    )  # fmt: skip
    return out, rstat


def polynorm_backward(
    x2d: torch.Tensor, g2d: torch.Tensor, weight: torch.Tensor, rstat: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(dx, dw (r,) code order, db (1,)), dw/db float32; ``rstat`` from ``polynorm_forward``."""
    _require()
    n_rows, width = x2d.shape
    order = weight.shape[0]
    dx = torch.empty_like(x2d)
    dw_rows = torch.zeros(n_rows, order, dtype=torch.float32, device=x2d.device)
    if dx.numel() > 0:
        rp = _rp(order)
        _polynorm_bwd_kernel[(n_rows,)](
            x2d, g2d, dx, weight.contiguous(), rstat.contiguous(), dw_rows, x2d.stride(0), g2d.stride(0),
            dx.stride(0), width, 1.0 / width, ORDER=order, RP=rp, BLOCK=_row_block(width, rp),
        )  # fmt: skip
    return dx, dw_rows.sum(0).flip(0), g2d.sum(dtype=torch.float32).reshape(1)


def polyrelu_forward(
    x2d: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, out_dtype: torch.dtype | None = None
) -> torch.Tensor:
    """Elementwise PolyReLU of a contiguous tensor into ``out_dtype``; weight/bias float32."""
    _require()
    out = torch.empty_like(x2d, dtype=out_dtype or x2d.dtype)
    n = x2d.numel()
    if n:
        grid = (triton.cdiv(n, POLYRELU_BLOCK),)
        _polyrelu_fwd_kernel[grid](
            x2d, out, weight.contiguous(), bias.contiguous(), n, ORDER=weight.shape[0], BLOCK=POLYRELU_BLOCK
        )
    return out


def polyrelu_backward(
    x2d: torch.Tensor, g2d: torch.Tensor, weight: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(dx, dw (r,) code order, db (1,)), dw/db float32."""
    _require()
    order = weight.shape[0]
    rp = _rp(order)
    dx = torch.empty_like(x2d)
    n = x2d.numel()
    n_blocks = triton.cdiv(n, POLYRELU_BLOCK) if n else 0
    partial = torch.zeros(max(n_blocks, 1), rp, dtype=torch.float32, device=x2d.device)
    if n:
        _polyrelu_bwd_kernel[(n_blocks,)](
            x2d, g2d, dx, weight.contiguous(), partial, n, ORDER=order, RP=rp, BLOCK=POLYRELU_BLOCK
        )
    return dx, partial[:, :order].sum(0).flip(0), g2d.sum(dtype=torch.float32).reshape(1)
