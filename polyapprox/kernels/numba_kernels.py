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
