"""Per-dtype tolerance table and low-precision overflow thresholds for the PolyCom kernels.

Tolerances (one table, used by every kernel test and by ``polyapprox.kernels.check``): a kernel result
``y`` is accepted against a float64 reference ``y64`` when ``|y - y64| <= tol(dtype) * (1 + |y64|)``
elementwise, i.e. absolute near zero and relative for large values ("scaled by the magnitude").

Why these values (unit roundoff u = 2**-t: float64 1.1e-16, float32 6.0e-8, bfloat16 3.9e-3,
float16 4.9e-4):

* the input itself is rounded to ``dtype`` before the kernel sees it (relative error u); a power x**p then
  carries p*u, a row statistic carries ~p*u more, and the output is rounded once more (u). For the
  default orders (r <= 5) this is ~10u-20u, hence the factor of about 16-40 over u below;
* float32 / float64 also absorb the reduction-order difference of sums over H <= a few thousand terms
  (pairwise/blocked summation: error ~ u log2 H);
* gradients get their own, 4x looser row, since they contain the difference of two terms of the same
  size (``p x**(p-1) r_p g`` and ``(p/H) x**(2p-1) r_p**3 S_p``) and so lose a few more bits.
"""

from __future__ import annotations

import math

import torch

#: Forward tolerance per dtype (see module docstring for the derivation).
FORWARD_TOL: dict[torch.dtype, float] = {
    torch.float64: 1e-12,
    torch.float32: 1e-5,
    torch.bfloat16: 2e-2,
    torch.float16: 5e-3,
}

#: Gradient tolerance per dtype: 4x the forward row (cancellation in dx, see module docstring).
GRAD_TOL: dict[torch.dtype, float] = {dtype: 4.0 * tol for dtype, tol in FORWARD_TOL.items()}


def tolerance(dtype: torch.dtype, *, grad: bool = False) -> float:
    """The named tolerance for ``dtype`` (forward or gradient row)."""
    table = GRAD_TOL if grad else FORWARD_TOL
    if dtype not in table:
        raise KeyError(f"no tolerance for dtype {dtype}")
    return table[dtype]


def overflow_threshold(dtype: torch.dtype, order: int) -> float:
    """|x| above which x**(2r) overflows ``dtype``: (max finite value)**(1/(2r)).

    PolyNorm normalises x**r by sqrt(mean(x**(2r))), so computing that mean *in* ``dtype`` gives
    inf (and then 0 or nan) once a single |x| passes this threshold (docs/paper.md §1.6). Examples:
    float16 (max 65504): 6.35 for r = 3, 4.0 for r = 4; float32 / bfloat16 (max ~3.4e38): 2.6e6 for
    r = 3, 6.6e4 for r = 4. Our kernels compute the statistics in float32 (float64 for float64 input), so
    for half-precision input only the float32 threshold applies.
    """
    if order < 1:
        raise ValueError(f"order: {order!r} must be >= 1")
    return math.exp(math.log(torch.finfo(dtype).max) / (2 * order))
