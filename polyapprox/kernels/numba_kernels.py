"""PolyNorm / PolyReLU forward and backward on CPU as numba kernels (float32 / float64, orders <= 5).

Why numba (issue 11, item 4: fast on CPU without a per-process compile wait): of the three ways to get one
fused pass per direction on CPU, it is the least fragile for someone installing from PyPI. numba and
llvmlite ship as binary wheels for Linux, macOS and Windows, x86-64 and arm64, so nothing is built at
install time and no C++ compiler is needed (a C++ extension needs one, or per-platform wheels from us);
``cache=True`` stores the machine code next to this file (or in numba's user cache directory when that is
read-only), so only the first process on a machine waits for the compile; and unlike a stored
``torch.compile`` artefact the cache does not depend on the torch build. It is optional
(``pip install polyapprox[fast]``) because numba pins a numpy range, which a base dependency would impose
on every user; without it the chunked torch path runs (same results, ~2-3x slower), with no warning.
A numba that is installed but fails gives one warning and the torch path (``_common.run_backend``).

Measured (dev VM, 2 cores, idle; float32 PolyNorm + PolyReLU forward and backward on (1536, 176), from the
import of ``polyapprox.kernels`` to the last gradient): first process on a machine 12.4 s (compiling the
kernels and their C entry points, ``numba_entries``, for float32 and float64), later processes 0.52 s
(loading them from the cache, ``import numba`` included).

Design, per direction one pass over memory:

* PolyNorm forward, per row (in cache between its loops): max |x| as an integer max over the sign-masked
  bits (the power-of-two scale m of ``polynorm.py``: overflow-free), the sums of u**(2p), u = x / m, then
  y = sum_p w_p rho_p u**p + b by Horner. Backward, per row: T_p = <g, u**p> and sum g, then
  dx = g A(u) - u Q(u**2) (``polynorm.py``). PolyReLU: elementwise over blocks of the flattened input;
  its backward also sums g y**p and g per block.
* Statistics have the torch path's layout (rho_1..rho_r, 1/m), so either backward accepts either forward.
* Elementwise arithmetic in x's dtype (float32 for float32 input: the torch path's compute dtype, and 2-3x
  faster than converting every element to float64); sums accumulate runs of ``RUN`` elements in x's dtype
  and add the run sums in float64; row statistics (rho_p, 1/m) are computed in float64. Orders are at most
  ``MAX_ORDER`` so that the per-element loops are fixed-length (unrolled, vectorised by LLVM); higher orders
  take the torch path. Element loops run over 1-D slices (rows, blocks): loops over computed index ranges
  or 2-D indices were not vectorised (PolyReLU forward at (1536, 176) fp32: 3x slower).
* fastmath is only ``reassoc`` (sums split into vector lanes, like torch's own vectorised sums); no
  nnan/ninf/contract/afn, so NaN, inf and the rounding of each product keep their IEEE meaning.
* Threads: the kernels are serial and run on spans of rows (PolyNorm) or blocks (PolyReLU). Above
  ``TEAM_ELEMS`` elements (ATen's GRAIN_SIZE) they run on torch's own OpenMP team (``omp_team``), through C
  entry points that claim spans dynamically (``numba_entries``), as many threads as
  ``torch.get_num_threads()``. Not numba's ``parallel=True``: its OpenMP pool (the system libgomp, not
  torch's copy) spin-waits after each region next to torch's spinning workers; on 2 cores PolyNorm fwd+bwd
  went from 1.3x to 2.4x GELU. Not a Python thread pool either, where torch's team is unavailable: a thread of
  ours time-shares a core with torch's spinning worker, and a pool round trip costs ~90 us; so there the pool
  is used only above ``SERIAL_ELEMS``. Measured (2-core VM, (1536, 176) fp32, order 3, kernels alone, medians):
  forward / backward PolyNorm 225 / 227 us serial, 123 / 139 us on the team; PolyReLU 63 / 162, 49 / 103.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor, wait

import numpy as np
import torch
from numba import njit

from polyapprox.kernels import omp_team
from polyapprox.kernels._common import CPU_SMALL_ELEMS, NUMBA_MAX_ORDER

#: Highest order the kernels evaluate (``_common.NUMBA_MAX_ORDER``; higher orders take the torch path).
#: Fixed so that the per-element loops have constant-length inner loops LLVM unrolls and vectorises.
MAX_ORDER = NUMBA_MAX_ORDER

#: PolyReLU block length (elements of the flattened input per parallel task).
BLOCK = 16384

#: Elements per run of a sum accumulated in x's dtype before it is added to the float64 total: long
#: enough for the loop to vectorise, short enough that a float32 run sum carries ~RUN/16 roundings per
#: vector lane (relative error <= ~4 u, far inside the float32 tolerance of ``tolerances.py``).
RUN = 64

#: Only reassociation (so LLVM splits sums into vector lanes, like torch's own vectorised sums); no
#: nnan/ninf/contract/afn, so NaN, inf and the rounding of every product keep their IEEE meaning.
_FLAGS = {"reassoc"}
_jit = njit(cache=True, fastmath=_FLAGS, nogil=True)
_inline = njit(cache=True, fastmath=_FLAGS, nogil=True, inline="always")

#: Per float dtype: (integer view, sign-masking mask, exponent shift, frexp offset of the exponent field).
FLOAT_BITS = {
    torch.float32: (np.int32, np.int32(0x7FFFFFFF), 23, 126),
    torch.float64: (np.int64, np.int64(0x7FFFFFFFFFFFFFFF), 52, 1022),
}

#: ``_moments`` variables: ReLU(x), x * scale, (x * scale)**2.
RELU, SCALED, SQUARED = 0, 1, 2


@_inline
def _tuple(a):  # pragma: no cover - compiled by numba
    """The MAX_ORDER entries of ``a`` as a tuple (for per-row coefficients: ``a`` is allocated once per
    call, not per row; an allocation per row cost more than the row's arithmetic on short rows)."""
    return a[0], a[1], a[2], a[3], a[4]


@_inline
def _poly(c, r, u):  # pragma: no cover - compiled by numba
    """sum_{p < r} c[p] u**p, c a zero-padded MAX_ORDER-tuple, by Horner's rule from the order's top
    coefficient (no 0 * u step, so u = inf gives what the plain formula gives). Constant tuple indices and
    loop-invariant selects only: the element loops around it vectorise."""
    c0, c1, c2, c3, c4 = c
    acc = c4
    acc = acc * u + c3 if r >= 5 else c3
    acc = acc * u + c2 if r >= 4 else c2
    acc = acc * u + c1 if r >= 3 else c1
    return acc * u + c0 if r >= 2 else c0


@_inline
def _variable(v, scale, kind):  # pragma: no cover - compiled by numba
    """The polynomial's variable for element v: ReLU(v) (NaN passes), v * scale, or (v * scale)**2; in the
    type of v and scale (both x's dtype: ``scale`` is 1 for ReLU, so ``scale - scale`` is a typed 0)."""
    if kind == RELU:
        return scale - scale if v < 0 else v
    u = v * scale
    return u * u if kind == SQUARED else u


@_inline
def _moments(x, g, weighted, scale, kind, high):  # pragma: no cover - compiled by numba
    """(sum t, sum t b, ..., sum t b**5) over a 1-D slice, b = _variable(x_j), t = g_j (or 1); the sums of
    b**4 and b**5 only when ``high`` (a constant at every call site, so each inlined copy's loop has only the
    products it needs: orders <= 3 skip two of the five), else 0.

    Products in x's dtype; sums over runs of RUN consecutive elements in x's dtype (vectorised), the run
    sums added in float64."""
    s0 = s1 = s2 = s3 = s4 = s5 = 0.0
    one = scale / scale  # a 1 of x's dtype (scale: 1 for ReLU, else 1/m, a power of two)
    n = x.shape[0]
    for a in range(0, n, RUN):
        xs = x[a : min(n, a + RUN)]
        gs = g[a : min(n, a + RUN)]
        f0 = f1 = f2 = f3 = f4 = f5 = one - one
        for j in range(xs.shape[0]):
            b = _variable(xs[j], scale, kind)
            t = gs[j] if weighted else one
            f0 += t
            t *= b
            f1 += t
            t *= b
            f2 += t
            t *= b
            f3 += t
            if high:
                t *= b
                f4 += t
                t *= b
                f5 += t
        s0 += f0
        s1 += f1
        s2 += f2
        s3 += f3
        s4 += f4
        s5 += f5
    return s0, s1, s2, s3, s4, s5


@_inline
def _moments_of_order(x, g, weighted, scale, kind, r):  # pragma: no cover - compiled by numba
    """``_moments`` with the b**4, b**5 sums only for orders r > 3 (the branch is per slice, not per element)."""
    if r > 3:
        return _moments(x, g, weighted, scale, kind, True)
    return _moments(x, g, weighted, scale, kind, False)


@_inline
def _inverse_scale(bits, mask, shift, offset):  # pragma: no cover - compiled by numba
    """1/m for a row given as the integer bits of its floats: m = 2**e, e = frexp exponent of max |x| (>= 0).

    max |x| is the largest bit pattern with the sign bit masked off (an integer max, vectorised); its
    exponent field (bits >> shift) minus ``offset`` is frexp's exponent (``FLOAT_BITS``)."""
    top = mask - mask  # 0 of the bits' integer type (an int64 0 made every comparison widen)
    for j in range(bits.shape[0]):
        v = bits[j] & mask
        top = v if v > top else top
    e = (top >> shift) - offset
    return math.ldexp(1.0, -e) if e > 0 else 1.0


@_jit
def _polynorm_forward(x, bits, mask, shift, offset, w, bias, eps, out, stats, start, stop):  # pragma: no cover
    h = x.shape[1]
    r = w.shape[0]
    typed = np.zeros(MAX_ORDER + 2, x.dtype)  # per row, in x's dtype: coef[p - 1] = w_p rho_p, bias, 1/m
    typed[MAX_ORDER] = bias[0]
    b = typed[MAX_ORDER]
    for i in range(start, stop):
        inv_m = _inverse_scale(bits[i], mask, shift, offset)
        typed[MAX_ORDER + 1] = inv_m  # a power of two: exact in x's dtype (subnormal at worst)
        scale = typed[MAX_ORDER + 1]
        _, s1, s2, s3, s4, s5 = _moments_of_order(x[i], x[i], False, scale, SQUARED, r)  # sum u**(2p), u = x / m
        sums = (s1, s2, s3, s4, s5)
        floor = eps
        for p in range(r):
            floor *= inv_m * inv_m
            rho = 1.0 / math.sqrt(sums[p] / h + floor)
            stats[i, p] = rho
            typed[p] = w[r - 1 - p] * rho
        stats[i, r] = inv_m
        c = _tuple(typed)
        xi, oi = x[i], out[i]  # row views: the element loop below vectorises only over 1-D slices
        for j in range(h):
            u = xi[j] * scale
            oi[j] = _poly(c, r, u) * u + b


@_jit
def _polynorm_backward(x, g, w, stats, dx, dots, start, stop):  # pragma: no cover - compiled by numba
    h = x.shape[1]
    r = w.shape[0]
    # dots[i] = (rho_p T_p, highest p first; sum g); per row, in x's dtype:
    # a[p - 1] = p w_p rho_p / m, q[p - 1] = p w_p rho_p**3 T_p / (H m), 1/m
    a = np.zeros(MAX_ORDER, x.dtype)
    q = np.zeros(MAX_ORDER + 1, x.dtype)
    for i in range(start, stop):
        inv_m = np.float64(stats[i, r])
        q[MAX_ORDER] = inv_m
        scale = q[MAX_ORDER]
        gsum, t1, t2, t3, t4, t5 = _moments_of_order(x[i], g[i], True, scale, SCALED, r)  # T_p = <g, u**p>
        tp = (t1, t2, t3, t4, t5)
        for p in range(r):
            rho = np.float64(stats[i, p])
            ap = (p + 1) * w[r - 1 - p] * rho * inv_m
            a[p] = ap
            q[p] = ap * rho * rho * tp[p] / h
            dots[i, r - 1 - p] = rho * tp[p]  # the row's term of dw, highest power first like the weight
        dots[i, r] = gsum
        ca = _tuple(a)
        cq = _tuple(q)
        xi, gi, dxi = x[i], g[i], dx[i]  # row views (see _polynorm_forward)
        for j in range(h):
            u = xi[j] * scale
            dxi[j] = gi[j] * _poly(ca, r, u) - u * _poly(cq, r, u * u)


@_inline
def _typed_coefficients(values, scaled, extra, like):  # pragma: no cover - compiled by numba
    """In ``like``'s dtype: ``values`` reversed (lowest power first; each times its power p when ``scaled``:
    the derivative's coefficients p w_p) as a zero-padded MAX_ORDER-tuple, 1, and ``extra``."""
    a = np.zeros(MAX_ORDER + 2, like.dtype)
    r = values.shape[0]
    for p in range(r):
        a[p] = (p + 1) * values[r - 1 - p] if scaled else values[r - 1 - p]
    a[MAX_ORDER] = 1
    a[MAX_ORDER + 1] = extra
    return _tuple(a), a[MAX_ORDER], a[MAX_ORDER + 1]


@_jit
def _polyrelu_forward(x, w, bias, out, start, stop):  # pragma: no cover - compiled by numba
    n = x.shape[0]
    r = w.shape[0]
    c, one, b = _typed_coefficients(w, False, bias[0], x)  # P(y) = sum_p w_p y**(p-1), lowest first; out = P(y) y + b
    for k in range(start, stop):  # blocks, as slices: a loop over computed index ranges did not vectorise
        xs, os_ = x[k * BLOCK : min(n, (k + 1) * BLOCK)], out[k * BLOCK : min(n, (k + 1) * BLOCK)]
        for j in range(xs.shape[0]):
            y = _variable(xs[j], one, RELU)
            os_[j] = _poly(c, r, y) * y + b


@_jit
def _polyrelu_backward(x, g, w, dx, sums, start, stop):  # pragma: no cover - compiled by numba
    n = x.shape[0]
    r = w.shape[0]
    c, one, _ = _typed_coefficients(w, True, 0.0, x)  # D(y) = sum_p p w_p y**(p-1), lowest power first
    zero = one - one
    for k in range(start, stop):  # blocks
        start, stop = k * BLOCK, min(n, (k + 1) * BLOCK)
        xs, gs, dxs = x[start:stop], g[start:stop], dx[start:stop]  # slices (see _polyrelu_forward)
        gsum, t1, t2, t3, t4, t5 = _moments_of_order(xs, gs, True, one, RELU, r)  # sum g y**p
        tp = (t1, t2, t3, t4, t5)
        for p in range(r):
            sums[k, r - 1 - p] = tp[p]  # highest power first, like the weight
        sums[k, r] = gsum
        for j in range(xs.shape[0]):
            y = _variable(xs[j], one, RELU)
            d = gs[j] * _poly(c, r, y)  # computed unconditionally, then selected: the loop vectorises
            dxs[j] = d if y > 0 else zero


#: Inputs above this many elements use more than one thread (ATen's GRAIN_SIZE: the size from which torch's own
#: elementwise ops use its team) when torch's OpenMP team is available (``omp_team``).
TEAM_ELEMS = 32768

#: Without the team (macOS, Windows, a torch without libgomp), inputs of at most this many elements run on
#: the calling thread only (the torch path's ``CPU_SMALL_ELEMS``), larger ones also on a pool of ours.
#: Why not GRAIN_SIZE there: torch's OpenMP worker spin-waits after each of torch's parallel regions and holds
#: the second core, so a thread of ours woken next to it time-shares a core instead of adding one, and waking a
#: halted vCPU costs ~40 us. Measured (2-core VM, fp32 order 3, fwd+bwd, same-run medians, pool threads):
#: (1536, 176): PolyReLU 0.70-0.77 ms with two threads, 0.62-0.67 ms with one; PolyNorm 0.96-1.26 / 0.87-0.97;
#: (1024, 1024): PolyReLU 1.9-2.6 / 1.8-1.85 ms, PolyNorm 2.8-4.2 / 2.0-2.5 ms.
SERIAL_ELEMS = CPU_SMALL_ELEMS

#: Spans per thread, claimed dynamically (``numba_entries``): a thread that starts late takes fewer.
SPANS_PER_THREAD = 4

#: (pid, pool) of our own worker threads, for when torch's team is not available; made on first use.
_POOL: list[tuple[int, ThreadPoolExecutor]] = []


def _pool() -> ThreadPoolExecutor:
    """This process's worker pool (idle workers block, they never spin; a fork()ed child makes its own)."""
    if not _POOL or _POOL[0][0] != os.getpid():
        _POOL[:] = [(os.getpid(), ThreadPoolExecutor(max_workers=os.cpu_count() or 1))]
    return _POOL[0][1]


def _launch(entry: str, arrays: tuple[torch.Tensor, ...], tasks: int, shape: tuple[int, int], order: int,
            eps: float = 0.0) -> None:  # fmt: skip
    """Run kernel ``entry`` of ``numba_entries`` over ``range(tasks)`` (rows or blocks) on contiguous
    ``arrays`` (its arrays, in its argument order, passed by address with ``shape`` = (rows, cols), ``order``
    and ``eps``; no numpy conversions, whose cost showed at LM-tiny sizes).

    Threads: one up to TEAM_ELEMS elements; above, torch's intra-op count, on torch's own OpenMP team when it
    is available, else (above SERIAL_ELEMS) on the calling thread and ``_pool`` workers. Every thread claims
    spans until none is left and the call returns when all have finished.
    """
    from polyapprox.kernels import numba_entries as entries

    numel = shape[0] * shape[1]
    threads = 1 if numel <= TEAM_ELEMS else min(torch.get_num_threads(), tasks)
    team = omp_team.team() if threads > 1 else None
    if team is None and numel <= SERIAL_ELEMS:
        threads = 1
    spans = min(tasks, SPANS_PER_THREAD * threads)
    meta = np.array([0, spans, tasks, arrays[0].dtype == torch.float64, *shape, order,
                     np.float64(eps).view(np.int64), *(a.data_ptr() for a in arrays)], np.int64)  # fmt: skip
    address = meta.ctypes.data  # meta stays alive (a local) until every thread has returned
    if threads == 1:
        entries.caller(entry)(address)
    elif team is not None:
        omp_team.run_on_team(entries.address(entry), address, threads)
    else:
        futures = [_pool().submit(entries.caller(entry), address) for _ in range(threads - 1)]
        entries.caller(entry)(address)
        wait(futures)


def _blocks(x: torch.Tensor) -> int:
    """Number of BLOCK-element blocks of the flattened ``x``."""
    return -(-x.numel() // BLOCK)


def _same_dtype(t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """``t`` contiguous in ``like``'s dtype (``t`` itself when it already is)."""
    return t.to(like.dtype).contiguous()


def polynorm_forward(
    x2d: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, eps: float, out_dtype: torch.dtype
) -> tuple[torch.Tensor, torch.Tensor]:
    """Like ``polynorm.polynorm_forward_torch`` on a contiguous float32/float64 CPU (N, H) matrix, N*H > 0;
    ``weight``/``bias`` in x's dtype (the kernel forms the coefficients w_p rho_p in float64)."""
    order = weight.shape[0]
    out = torch.empty_like(x2d)
    stats = torch.empty(x2d.shape[0], order + 1, dtype=x2d.dtype)
    arrays = (x2d, _same_dtype(weight, x2d), _same_dtype(bias, x2d), out, stats)
    _launch("polynorm_forward", arrays, x2d.shape[0], x2d.shape, order, eps)
    return out.to(out_dtype), stats


def polynorm_backward(
    x2d: torch.Tensor, g2d: torch.Tensor, weight: torch.Tensor, stats: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Like ``polynorm.polynorm_backward_torch``: (dx in x's dtype, dw (r,), db (1,)), dw/db in x's dtype.

    The kernel writes per row (rho_p T_p, highest power first; sum g) in float64; dw, db are their column
    sums."""
    order = weight.shape[0]
    dx = torch.empty_like(x2d)
    dots = torch.empty(x2d.shape[0], order + 1, dtype=torch.float64)
    arrays = (x2d, _same_dtype(g2d, x2d), _same_dtype(weight, x2d), _same_dtype(stats, x2d), dx, dots)
    _launch("polynorm_backward", arrays, x2d.shape[0], x2d.shape, order)
    totals = dots.sum(0).to(x2d.dtype)
    return dx, totals[:order], totals[order:]


def polyrelu_forward(
    x2d: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, out_dtype: torch.dtype
) -> torch.Tensor:
    """Like ``polyrelu.polyrelu_forward_torch`` on a contiguous float32/float64 CPU matrix; ``weight``/``bias``
    in x's dtype. The kernel sees x and the output as flat arrays."""
    out = torch.empty_like(x2d)
    arrays = (x2d, _same_dtype(weight, x2d), _same_dtype(bias, x2d), out)
    _launch("polyrelu_forward", arrays, _blocks(x2d), (1, x2d.numel()), weight.shape[0])
    return out.to(out_dtype)


def polyrelu_backward(
    x2d: torch.Tensor, g2d: torch.Tensor, weight: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Like ``polyrelu.polyrelu_backward_torch``: (dx in x's dtype, dw (r,), db (1,)) in x's dtype.

    The kernel writes per block (sum g y**p, highest power first; sum g) in float64; dw, db are their
    column sums."""
    order = weight.shape[0]
    dx = torch.empty_like(x2d)
    sums = torch.empty(_blocks(x2d), order + 1, dtype=torch.float64)
    arrays = (x2d, _same_dtype(g2d, x2d), _same_dtype(weight, x2d), dx, sums)
    _launch("polyrelu_backward", arrays, _blocks(x2d), (1, x2d.numel()), order)
    totals = sums.sum(0).to(x2d.dtype)
    return dx, totals[:order], totals[order:]
