"""Back ends of the one interpreter (``_interpret.run``): exact Fractions, float64 numpy, float64 error
bounds, sympy expressions, torch modules. ``evaluate_exact`` / ``evaluate_float`` / ``float_error_bound`` /
``to_sympy`` are re-exported here; torch lives in ``polyapprox.backends.torch_module`` (imported lazily).
"""

from polyapprox.backends.errorbound import float_error_bound
from polyapprox.backends.exact import evaluate_exact
from polyapprox.backends.floats import FloatNet, evaluate_float

__all__ = ["FloatNet", "evaluate_exact", "evaluate_float", "float_error_bound"]
