"""polyapprox: exact PolyReLU networks, symbolic certificates, approximation rates and PolyCom training.

The exact core (``Net`` and its specs) imports neither torch nor sympy; torch-backed names live in
``polyapprox.nn``, ``polyapprox.kernels`` and ``polyapprox.train``.
"""

__version__ = "0.1.0"
