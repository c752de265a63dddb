"""Fast PolyNorm / PolyReLU: autograd Functions with closed-form backward, any order r >= 1.

Back ends: numba kernels (CPU float32/float64, orders <= 5, with numba installed: ``numba_kernels.py``), a
chunked, vectorised torch path (everything else on CPU, and CUDA without triton) and a Triton kernel (CUDA
with ``triton`` importable; ``triton_kernels.py``); ``POLYAPPROX_KERNELS`` chooses (``_common.py``). Sources:
paper Eqs. 2-3 and the official code (docs/paper.md §1.2–1.5); the closed-form PolyNorm backward follows the
idea of Liger-Kernel PR #901 (docs/paper.md §1.6), re-derived and checked symbolically in the tests.
Tolerances: ``tolerances.py``.
"""

from polyapprox.kernels._common import triton_available
from polyapprox.kernels.check import KernelErrors, compare_to_reference, scaled_error
from polyapprox.kernels.polynorm import POLYNORM_EPS, PolyNormFunction, polynorm
from polyapprox.kernels.polyrelu import PolyReLUFunction, polyrelu
from polyapprox.kernels.reference import polynorm_reference, polyrelu_reference
from polyapprox.kernels.tolerances import FORWARD_TOL, GRAD_TOL, overflow_threshold, tolerance

__all__ = [
    "FORWARD_TOL",
    "GRAD_TOL",
    "KernelErrors",
    "POLYNORM_EPS",
    "PolyNormFunction",
    "PolyReLUFunction",
    "compare_to_reference",
    "overflow_threshold",
    "polynorm",
    "polynorm_reference",
    "polyrelu",
    "polyrelu_reference",
    "scaled_error",
    "tolerance",
    "triton_available",
]
