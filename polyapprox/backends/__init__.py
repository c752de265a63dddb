"""Back ends of the one interpreter (``_interpret.run``): exact Fractions, float64 numpy, float64 error
bounds, sympy expressions, torch modules. ``evaluate_exact`` / ``evaluate_float`` / ``float_error_bound`` /
``FloatNet`` are re-exported here, loaded on first use (PEP 562), so that the exact back end does not pull in
numpy and scipy; torch lives in ``polyapprox.backends.torch_module`` (imported lazily).
"""

from __future__ import annotations

from polyapprox.core.lazy import lazy_exports

_LAZY = {
    "FloatNet": "polyapprox.backends.floats",
    "evaluate_exact": "polyapprox.backends.exact",
    "evaluate_float": "polyapprox.backends.floats",
    "float_error_bound": "polyapprox.backends.errorbound",
}

__all__ = sorted(_LAZY)


__getattr__, __dir__ = lazy_exports('polyapprox.backends', _LAZY, globals())
