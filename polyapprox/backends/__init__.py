"""Back ends of the one interpreter (``_interpret.run``): exact Fractions, float64 numpy, float64 error
bounds, sympy expressions, torch modules. ``evaluate_exact`` / ``evaluate_float`` / ``float_error_bound`` /
``FloatNet`` are re-exported here, loaded on first use (PEP 562), so that the exact back end does not pull in
numpy and scipy; torch lives in ``polyapprox.backends.torch_module`` (imported lazily).
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "FloatNet": "polyapprox.backends.floats",
    "evaluate_exact": "polyapprox.backends.exact",
    "evaluate_float": "polyapprox.backends.floats",
    "float_error_bound": "polyapprox.backends.errorbound",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    """Import the module behind a re-exported name on first use."""
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'polyapprox.backends' has no attribute {name!r}")
