"""The numba loops of the PolyNorm / PolyReLU CPU kernels, and their C entry points.

Loops: serial, one span of rows (PolyNorm) or blocks (PolyReLU) per call. Design, numerics and measurements:
``numba_kernels``, which launches them.

C entry points (numba ``cfunc``s, at the end) run the loops on torch's OpenMP team (``omp_team``), on a pool
of ours or on one thread. Each entry is ``void entry(int64_t *meta)``: every thread calls it with the same
``meta`` and takes its spans (``_span``): on the team by thread number, elsewhere claimed with an atomic
counter until none is left. ``meta`` holds the arrays' addresses and shapes (the slots below); the caller
keeps the arrays alive until every thread has returned.

Loops and entries share this file on purpose: numba's disk cache (``cache=True``) is keyed by the source
file of each compiled function, and an entry inlines the loops it calls, so an entry in another file would
keep a stale copy of a loop edited here.
"""

from __future__ import annotations

import ctypes
import functools
import math

import numpy as np
from llvmlite import ir
from numba import carray, cfunc, njit, types
from numba.extending import intrinsic

from polyapprox.kernels._common import NUMBA_MAX_ORDER

#: Highest order the kernels evaluate (``_common.NUMBA_MAX_ORDER``; higher orders take the torch path).
#: Fixed so that the per-element loops have constant-length inner loops LLVM unrolls and vectorises.
MAX_ORDER = NUMBA_MAX_ORDER

#: PolyReLU block length (elements of the flattened input per parallel task).
BLOCK = 16384

#: Elements per run of a sum accumulated in x's dtype before it is added to the float64 total. LLVM splits a
#: run over its vector accumulators (8 float32 lanes x 4 with AVX2), so each lane adds RUN/32 terms and the
#: lanes are added in log2(32) = 5 more steps: ~13 roundings for RUN = 256 (relative error <= ~13 u =
#: 8e-7 in float32, inside the float32 tolerance 1e-5 of ``tolerances.py``; SSE's 4 x 4 lanes: ~20 u).
#: Longer runs cost fewer horizontal reductions per row: the weighted moments of a (1536, 176) float32
#: input took 77 us with RUN = 64, 61 us with 256, 58 us with one run per row (one thread; 2 MB read).
RUN = 256

#: Only reassociation (so LLVM splits sums into vector lanes, like torch's own vectorised sums); no
#: nnan/ninf/contract/afn, so NaN, inf and the rounding of every product keep their IEEE meaning.
_FLAGS = {"reassoc"}
_jit = njit(cache=True, fastmath=_FLAGS, nogil=True)
_inline = njit(cache=True, fastmath=_FLAGS, nogil=True, inline="always")

#: Per float dtype, for ``_inverse_scale``: (sign-masking mask of the same-width integer, exponent shift, frexp
#: offset of the exponent field).
BITS32 = (np.int32(0x7FFFFFFF), 23, 126)
BITS64 = (np.int64(0x7FFFFFFFFFFFFFFF), 52, 1022)

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
    exponent field (bits >> shift) minus ``offset`` is frexp's exponent (``BITS32``, ``BITS64``)."""
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
        # First m = 1 (u = x): where no x**(2p) and no run sum overflows (every row of ordinary size) this gives
        # the bits m = 2**e gives, since scaling by a power of two changes no rounding short of subnormals, and
        # it saves the pass for max |x|. A row whose sums are not finite (an overflow, or a NaN) is redone with m.
        inv_m = 1.0
        typed[MAX_ORDER + 1] = inv_m
        scale = typed[MAX_ORDER + 1]
        _, s1, s2, s3, s4, s5 = _moments_of_order(x[i], x[i], False, scale, SQUARED, r)  # sum x**(2p)
        if not math.isfinite(s1 + s2 + s3 + s4 + s5):
            inv_m = _inverse_scale(bits[i], mask, shift, offset)
            typed[MAX_ORDER + 1] = inv_m  # a power of two: exact in x's dtype (subnormal at worst)
            scale = typed[MAX_ORDER + 1]
            _, s1, s2, s3, s4, s5 = _moments_of_order(x[i], x[i], False, scale, SQUARED, r)  # sum u**(2p), u = x/m
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


# C entry points. ``meta`` slots (int64; EPS holds a float64's bits; THREAD_NUM / NUM_THREADS the addresses of
# omp_get_thread_num / omp_get_num_threads on torch's team, else 0).
COUNTER, SPANS, TASKS, FLOAT64, ROWS, COLS, ORDER, EPS, THREAD_NUM, NUM_THREADS = range(10)
ARRAYS = 10  # addresses of the kernel's arrays from here on, in its argument order
SIZE = ARRAYS + 6

_entry_jit = njit(cache=True, nogil=True)  # no fastmath: these only move pointers


@intrinsic
def _next_span(typingctx, meta):  # pragma: no cover - compiled by numba
    """Atomically meta[COUNTER] += 1; returns the old value (the claimed span's index)."""
    sig = types.int64(types.voidptr)

    def codegen(context, builder, signature, args):
        counter = builder.bitcast(args[0], ir.IntType(64).as_pointer())  # COUNTER is slot 0
        return builder.atomic_rmw("add", counter, ir.Constant(ir.IntType(64), 1), "monotonic")

    return sig, codegen


@intrinsic
def _pointer(typingctx, address, like):  # pragma: no cover - compiled by numba
    """The int64 ``address`` as a pointer to ``like``'s type."""
    sig = types.CPointer(like)(types.int64, like)

    def codegen(context, builder, signature, args):
        return builder.inttoptr(args[0], context.get_value_type(signature.return_type))

    return sig, codegen


@intrinsic
def _int_call(typingctx, address):  # pragma: no cover - compiled by numba
    """Call the C function ``int f(void)`` at ``address``."""
    sig = types.int32(types.int64)

    def codegen(context, builder, signature, args):
        function = ir.FunctionType(ir.IntType(32), [])
        return builder.call(builder.inttoptr(args[0], function.as_pointer()), [])

    return sig, codegen


@njit(cache=True, nogil=True, inline="always")
def _span(meta, m, k):  # pragma: no cover - compiled by numba
    """(k, start, stop) of this thread's span after span k (k = -1: its first); start == stop when none is left.

    On torch's team (THREAD_NUM set): static, thread t of n takes spans t, t + n, ... With SPANS = n it takes
    the t-th contiguous part, the part torch's own parallel ops give thread t, so the rows the op before wrote
    are still in this core's cache (fresh (1536, 176) inputs: forward 53 -> 36 us PolyReLU, 120 -> 82 us
    PolyNorm, measured with dynamic claims against a hot input). Elsewhere: claimed from the atomic counter.
    """
    spans, tasks = m[SPANS], m[TASKS]
    if m[THREAD_NUM] != 0:
        k = _int_call(m[THREAD_NUM]) if k < 0 else k + _int_call(m[NUM_THREADS])
    else:
        k = _next_span(meta)
    k = min(k, spans)
    return k, tasks * k // spans, tasks * (k + 1) // spans if k < spans else tasks


@_entry_jit
def _polynorm_forward_team(meta, zero, mask, shift, offset):  # pragma: no cover - compiled by numba
    m = carray(meta, (SIZE,), np.int64)
    rows, cols, r = m[ROWS], m[COLS], m[ORDER]
    x = carray(_pointer(m[ARRAYS], zero), (rows, cols))
    bits = carray(_pointer(m[ARRAYS], mask), (rows, cols))  # x's bits, as the mask's integer type
    w = carray(_pointer(m[ARRAYS + 1], zero), (r,))
    b = carray(_pointer(m[ARRAYS + 2], zero), (1,))
    out = carray(_pointer(m[ARRAYS + 3], zero), (rows, cols))
    stats = carray(_pointer(m[ARRAYS + 4], zero), (rows, r + 1))
    eps = carray(meta, (SIZE,), np.float64)[EPS]
    k, start, stop = _span(meta, m, -1)
    while start < stop:  # spans are never empty (SPANS <= TASKS)
        _polynorm_forward(x, bits, mask, shift, offset, w, b, eps, out, stats, start, stop)
        k, start, stop = _span(meta, m, k)


@_entry_jit
def _polynorm_backward_team(meta, zero):  # pragma: no cover - compiled by numba
    m = carray(meta, (SIZE,), np.int64)
    rows, cols, r = m[ROWS], m[COLS], m[ORDER]
    x = carray(_pointer(m[ARRAYS], zero), (rows, cols))
    g = carray(_pointer(m[ARRAYS + 1], zero), (rows, cols))
    w = carray(_pointer(m[ARRAYS + 2], zero), (r,))
    stats = carray(_pointer(m[ARRAYS + 3], zero), (rows, r + 1))
    dx = carray(_pointer(m[ARRAYS + 4], zero), (rows, cols))
    dots = carray(_pointer(m[ARRAYS + 5], 0.0), (rows, r + 1))
    k, start, stop = _span(meta, m, -1)
    while start < stop:  # spans are never empty (SPANS <= TASKS)
        _polynorm_backward(x, g, w, stats, dx, dots, start, stop)
        k, start, stop = _span(meta, m, k)


@_entry_jit
def _polyrelu_forward_team(meta, zero):  # pragma: no cover - compiled by numba
    m = carray(meta, (SIZE,), np.int64)
    n, r = m[COLS], m[ORDER]
    x = carray(_pointer(m[ARRAYS], zero), (n,))
    w = carray(_pointer(m[ARRAYS + 1], zero), (r,))
    b = carray(_pointer(m[ARRAYS + 2], zero), (1,))
    out = carray(_pointer(m[ARRAYS + 3], zero), (n,))
    k, start, stop = _span(meta, m, -1)
    while start < stop:  # spans are never empty (SPANS <= TASKS)
        _polyrelu_forward(x, w, b, out, start, stop)
        k, start, stop = _span(meta, m, k)


@_entry_jit
def _polyrelu_backward_team(meta, zero):  # pragma: no cover - compiled by numba
    m = carray(meta, (SIZE,), np.int64)
    n, r, blocks = m[COLS], m[ORDER], m[TASKS]
    x = carray(_pointer(m[ARRAYS], zero), (n,))
    g = carray(_pointer(m[ARRAYS + 1], zero), (n,))
    w = carray(_pointer(m[ARRAYS + 2], zero), (r,))
    dx = carray(_pointer(m[ARRAYS + 3], zero), (n,))
    sums = carray(_pointer(m[ARRAYS + 4], 0.0), (blocks, r + 1))
    k, start, stop = _span(meta, m, -1)
    while start < stop:  # spans are never empty (SPANS <= TASKS)
        _polyrelu_backward(x, g, w, dx, sums, start, stop)
        k, start, stop = _span(meta, m, k)


_ENTRY = types.void(types.voidptr)


@cfunc(_ENTRY, cache=True)
def polynorm_forward(meta):  # pragma: no cover - compiled by numba
    if carray(meta, (SIZE,), np.int64)[FLOAT64]:
        _polynorm_forward_team(meta, np.float64(0), BITS64[0], BITS64[1], BITS64[2])
    else:
        _polynorm_forward_team(meta, np.float32(0), BITS32[0], BITS32[1], BITS32[2])


@cfunc(_ENTRY, cache=True)
def polynorm_backward(meta):  # pragma: no cover - compiled by numba
    if carray(meta, (SIZE,), np.int64)[FLOAT64]:
        _polynorm_backward_team(meta, np.float64(0))
    else:
        _polynorm_backward_team(meta, np.float32(0))


@cfunc(_ENTRY, cache=True)
def polyrelu_forward(meta):  # pragma: no cover - compiled by numba
    if carray(meta, (SIZE,), np.int64)[FLOAT64]:
        _polyrelu_forward_team(meta, np.float64(0))
    else:
        _polyrelu_forward_team(meta, np.float32(0))


@cfunc(_ENTRY, cache=True)
def polyrelu_backward(meta):  # pragma: no cover - compiled by numba
    if carray(meta, (SIZE,), np.int64)[FLOAT64]:
        _polyrelu_backward_team(meta, np.float64(0))
    else:
        _polyrelu_backward_team(meta, np.float32(0))


#: The C signature of every entry.
_PROTOTYPE = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


def address(name: str) -> int:
    """The machine-code address of entry ``name`` (the callback of ``omp_team.run_on_team``)."""
    return globals()[name].address


@functools.cache
def caller(name: str) -> ctypes._CFuncPtr:
    """Entry ``name`` as a ctypes function of the meta array's address (it releases the GIL while it runs)."""
    return _PROTOTYPE(address(name))
