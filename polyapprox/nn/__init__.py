"""Trainable torch activation modules with the PolyCom paper's conventions.

Conventions (pinned by golden tests, see ``tests/nn``):

* ``PolyReLU(order=r)``: ``sum_{i=0}^{r-1} weight[i] * ReLU(x)**(r-i) + bias`` -- ``weight[0]`` multiplies
  the highest power, as in the official code (``poly`` in ``transformer.py``, lines 97-98); defaults
  ``r = 3``, ``weight = 1/3``, ``bias = 0``.
* ``PolyNorm(order=r)``: ``sum_i weight[i] * N(x**(r-i)) + bias`` with the RMS normalisation
  ``N(u) = u / sqrt(mean(u**2, -1) + eps)``, ``eps = 1e-6`` (official code, lines 91-95). The paper writes an
  L2 norm; ``N_rms(u) = sqrt(H) * u / ||u||_2`` as eps -> 0 (H = last-dim width).

``impl="auto"`` (default) and ``"fused"`` run the closed-form-backward kernels of ``polyapprox.kernels``
(Triton on CUDA when installed, numba on CPU when installed, a chunked torch path otherwise);
``impl="reference"`` evaluates the plain formulas ``polyrelu_reference`` / ``polynorm_reference`` under
autograd.

These are *modules*; ``polyapprox.core.net.PolyReLU`` is the exact activation *spec* of a ``Net``.
"""

from polyapprox.nn.activations import (
    ACTIVATIONS,
    GELU,
    PolyNorm,
    PolyReLU,
    ReLU,
    ReLUk,
    SwiGLU,
    make_activation,
    polynorm_reference,
    polyrelu_reference,
)

__all__ = [
    "ACTIVATIONS",
    "GELU",
    "PolyNorm",
    "PolyReLU",
    "ReLU",
    "ReLUk",
    "SwiGLU",
    "make_activation",
    "polynorm_reference",
    "polyrelu_reference",
]
