"""C entry points (numba ``cfunc``s) that run the ``numba_loops`` kernels on torch's OpenMP team (``omp_team``).

Each entry is ``void entry(int64_t *meta)``: every thread of the team calls it with the same ``meta`` and
claims spans of rows (PolyNorm) or blocks (PolyReLU) with an atomic counter until none is left, so a worker
that wakes late finds the work done instead of holding up the others (dynamic scheduling). ``meta`` holds the
arrays' addresses and shapes (the slots below); the caller keeps the arrays alive until the team has returned.
Compiled once per machine and cached on disk like the kernels (``cache=True``); this module is imported only
when the team is used.
"""

from __future__ import annotations

import ctypes
import functools

import numpy as np
from llvmlite import ir
from numba import carray, cfunc, njit, types
from numba.extending import intrinsic

from polyapprox.kernels.numba_loops import (
    _polynorm_backward,
    _polynorm_forward,
    _polyrelu_backward,
    _polyrelu_forward,
)

# ``meta`` slots (int64; EPS holds a float64's bits).
COUNTER, SPANS, TASKS, FLOAT64, ROWS, COLS, ORDER, EPS = range(8)
ARRAYS = 8  # addresses of the kernel's arrays from here on, in its argument order
SIZE = ARRAYS + 6

_jit = njit(cache=True, nogil=True)


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


@njit(cache=True, nogil=True, inline="always")
def _span(meta, m):  # pragma: no cover - compiled by numba
    """The next unclaimed span's (start, stop), or (tasks, tasks) when none is left."""
    spans, tasks = m[SPANS], m[TASKS]
    k = min(_next_span(meta), spans)
    return tasks * k // spans, tasks * (k + 1) // spans if k < spans else tasks


@_jit
def _polynorm_forward_team(meta, zero, bits_zero, mask, shift, offset):  # pragma: no cover
    m = carray(meta, (SIZE,), np.int64)
    rows, cols, r = m[ROWS], m[COLS], m[ORDER]
    x = carray(_pointer(m[ARRAYS], zero), (rows, cols))
    bits = carray(_pointer(m[ARRAYS], bits_zero), (rows, cols))
    w = carray(_pointer(m[ARRAYS + 1], zero), (r,))
    b = carray(_pointer(m[ARRAYS + 2], zero), (1,))
    out = carray(_pointer(m[ARRAYS + 3], zero), (rows, cols))
    stats = carray(_pointer(m[ARRAYS + 4], zero), (rows, r + 1))
    eps = carray(meta, (SIZE,), np.float64)[EPS]
    start, stop = _span(meta, m)
    while start < stop:  # spans are never empty (SPANS <= TASKS)
        _polynorm_forward(x, bits, mask, shift, offset, w, b, eps, out, stats, start, stop)
        start, stop = _span(meta, m)


@_jit
def _polynorm_backward_team(meta, zero):  # pragma: no cover - compiled by numba
    m = carray(meta, (SIZE,), np.int64)
    rows, cols, r = m[ROWS], m[COLS], m[ORDER]
    x = carray(_pointer(m[ARRAYS], zero), (rows, cols))
    g = carray(_pointer(m[ARRAYS + 1], zero), (rows, cols))
    w = carray(_pointer(m[ARRAYS + 2], zero), (r,))
    stats = carray(_pointer(m[ARRAYS + 3], zero), (rows, r + 1))
    dx = carray(_pointer(m[ARRAYS + 4], zero), (rows, cols))
    dots = carray(_pointer(m[ARRAYS + 5], 0.0), (rows, r + 1))
    start, stop = _span(meta, m)
    while start < stop:  # spans are never empty (SPANS <= TASKS)
        _polynorm_backward(x, g, w, stats, dx, dots, start, stop)
        start, stop = _span(meta, m)


@_jit
def _polyrelu_forward_team(meta, zero):  # pragma: no cover - compiled by numba
    m = carray(meta, (SIZE,), np.int64)
    n, r = m[COLS], m[ORDER]
    x = carray(_pointer(m[ARRAYS], zero), (n,))
    w = carray(_pointer(m[ARRAYS + 1], zero), (r,))
    b = carray(_pointer(m[ARRAYS + 2], zero), (1,))
    out = carray(_pointer(m[ARRAYS + 3], zero), (n,))
    start, stop = _span(meta, m)
    while start < stop:  # spans are never empty (SPANS <= TASKS)
        _polyrelu_forward(x, w, b, out, start, stop)
        start, stop = _span(meta, m)


@_jit
def _polyrelu_backward_team(meta, zero):  # pragma: no cover - compiled by numba
    m = carray(meta, (SIZE,), np.int64)
    n, r, blocks = m[COLS], m[ORDER], m[TASKS]
    x = carray(_pointer(m[ARRAYS], zero), (n,))
    g = carray(_pointer(m[ARRAYS + 1], zero), (n,))
    w = carray(_pointer(m[ARRAYS + 2], zero), (r,))
    dx = carray(_pointer(m[ARRAYS + 3], zero), (n,))
    sums = carray(_pointer(m[ARRAYS + 4], 0.0), (blocks, r + 1))
    start, stop = _span(meta, m)
    while start < stop:  # spans are never empty (SPANS <= TASKS)
        _polyrelu_backward(x, g, w, dx, sums, start, stop)
        start, stop = _span(meta, m)


_ENTRY = types.void(types.voidptr)


@cfunc(_ENTRY, cache=True)
def polynorm_forward(meta):  # pragma: no cover - compiled by numba
    if carray(meta, (SIZE,), np.int64)[FLOAT64]:
        _polynorm_forward_team(meta, np.float64(0), np.int64(0), np.int64(0x7FFFFFFFFFFFFFFF), 52, 1022)
    else:
        _polynorm_forward_team(meta, np.float32(0), np.int32(0), np.int32(0x7FFFFFFF), 23, 126)


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
    """The machine-code address of entry ``name`` (for ``omp_team.run_on_team``)."""
    return globals()[name].address


@functools.cache
def caller(name: str) -> ctypes._CFuncPtr:
    """Entry ``name`` as a ctypes function of the meta array's address (it releases the GIL while it runs)."""
    return _PROTOTYPE(address(name))
