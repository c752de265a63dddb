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
A numba that is installed but fails gives one warning and the torch path (``_common.fall_back``).

Measured (dev VM, 2 cores, idle; float32 PolyNorm + PolyReLU forward and backward on (1536, 176), from the
import of ``polyapprox.kernels`` to the last gradient): first process on a machine 12.4-13.7 s (compiling
the kernels and their C entry points for float32 and float64), later processes 0.48-0.52 s
(loading them from the cache, ``import numba`` included).

Design, per direction one pass over memory:

* PolyNorm forward, per row (in cache between its loops): the sums of x**(2p), then
  y = sum_p w_p rho_p u**p + b by Horner, u = x / m with m = 1. Only a row whose sums overflow (or hold a
  NaN) also takes max |x| as an integer max over the sign-masked bits (the power-of-two scale m of
  ``polynorm.py``: overflow-free) and the sums of u**(2p) again. Where both are finite, m = 1 and m = 2**e
  give the same bits (a power-of-two scale changes no rounding short of subnormals); the first saves a pass.
  Backward, per row: T_p = <g, u**p> and sum g, then dx = g A(u) - u Q(u**2) (``polynorm.py``).
  PolyReLU: elementwise over blocks of the flattened input; its backward also sums g y**p and g per block.
* The loops and their C entry points are in ``numba_loops``. Statistics have the torch
  path's layout (rho_1..rho_r, 1/m), so either backward accepts either forward.
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
  entry points (``numba_loops``), as many threads as ``torch.get_num_threads()``, thread t on the t-th
  contiguous span (the part torch's own ops give it, still in its cache). Not numba's ``parallel=True``: its
  OpenMP pool (the system libgomp, not torch's copy) spin-waits after each region next to torch's spinning
  workers; on 2 cores PolyNorm fwd+bwd went from 1.3x to 2.4x GELU. Not a Python thread pool either, where
  torch's team is unavailable: a thread of ours time-shares a core with torch's spinning worker, and a pool
  round trip costs ~90 us; so there the pool is used only above ``SERIAL_ELEMS``. Measured (2-core VM, (1536,
  176) fp32, order 3, kernels alone, medians; one thread / torch's team of two): forward PolyNorm 132 / 70 us,
  PolyReLU 59 / 26 us; backward PolyNorm 200 / 110 us, PolyReLU 145 / 80 us.
"""

from __future__ import annotations

import os
import struct
from concurrent.futures import ThreadPoolExecutor, wait

import numpy as np
import torch

from polyapprox.kernels import numba_loops as entries
from polyapprox.kernels import omp_team
from polyapprox.kernels._common import CPU_SMALL_ELEMS, as_dtype
from polyapprox.kernels.numba_loops import BLOCK

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

#: Spans per thread off torch's team, claimed dynamically (``numba_loops._span``): a thread that starts late
#: takes fewer. On the team each thread takes one contiguous span, by thread number (cache affinity).
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
    """Run the C entry ``entry`` of ``numba_loops`` over ``range(tasks)`` (rows or blocks) on contiguous
    ``arrays`` (its arrays, in its argument order, passed by address with ``shape`` = (rows, cols), ``order``
    and ``eps``; no numpy conversions, whose cost showed at LM-tiny sizes).

    Threads: one up to TEAM_ELEMS elements; above, torch's intra-op count, on torch's own OpenMP team when it
    is available (thread t on span t), else (above SERIAL_ELEMS) on the calling thread and ``_pool``
    workers, which claim spans until none is left. The call returns when every thread has finished.
    """
    numel = shape[0] * shape[1]
    threads = 1 if numel <= TEAM_ELEMS else min(torch.get_num_threads(), tasks)
    team = omp_team.team() if threads > 1 else None
    if team is None and numel <= SERIAL_ELEMS:
        threads = 1
    ids = (team.thread_num, team.num_threads) if team is not None else (0, 0)  # static spans on the team
    spans = threads if team is not None else min(tasks, SPANS_PER_THREAD * threads)
    meta = np.array([0, spans, tasks, arrays[0].dtype == torch.float64, *shape, order,
                     _float_bits(eps), *ids, *[a.data_ptr() for a in arrays]], np.int64)  # fmt: skip
    address = meta.ctypes.data  # meta stays alive (a local) until every thread has returned
    if threads == 1:
        entries.caller(entry)(address)
    elif team is not None:
        omp_team.run_on_team(team, entries.address(entry), address, threads)
    else:
        futures = [_pool().submit(entries.caller(entry), address) for _ in range(threads - 1)]
        entries.caller(entry)(address)
        wait(futures)


def _float_bits(value: float) -> int:
    """The IEEE-754 bits of a float64 as an int64 (for a ``meta`` slot)."""
    return struct.unpack("<q", struct.pack("<d", value))[0]


def _blocks(x: torch.Tensor) -> int:
    """Number of BLOCK-element blocks of the flattened ``x``."""
    return -(-x.numel() // BLOCK)


def _same_dtype(t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """``t`` contiguous in ``like``'s dtype (``t`` itself when it already is)."""
    return as_dtype(t, like.dtype).contiguous()


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
    return as_dtype(out, out_dtype), stats


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
    totals = as_dtype(dots.sum(0), x2d.dtype)
    return dx, totals[:order], totals[order:]


def polyrelu_forward(
    x2d: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, out_dtype: torch.dtype
) -> torch.Tensor:
    """Like ``polyrelu.polyrelu_forward_torch`` on a contiguous float32/float64 CPU matrix; ``weight``/``bias``
    in x's dtype. The kernel sees x and the output as flat arrays."""
    out = torch.empty_like(x2d)
    arrays = (x2d, _same_dtype(weight, x2d), _same_dtype(bias, x2d), out)
    _launch("polyrelu_forward", arrays, _blocks(x2d), (1, x2d.numel()), weight.shape[0])
    return as_dtype(out, out_dtype)


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
    totals = as_dtype(sums.sum(0), x2d.dtype)
    return dx, totals[:order], totals[order:]
