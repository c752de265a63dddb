"""polyapprox: exact PolyReLU networks, symbolic certificates, approximation rates and PolyCom training.

The public API, one import away (``import polyapprox as pa``), loaded lazily (PEP 562): ``import polyapprox``
imports nothing heavy, and ``pa.PolyNorm`` imports torch only when it is first used.

The folders, bottom layer first (each imports only from those before it; ``tests/test_layers.py``):
``core`` (the exact ``Net``), ``kernels`` and ``nn`` (PolyCom activations in torch), ``backends`` (exact,
float64, sympy, torch), ``symbolic`` (certificates), ``targets`` (functions to approximate), ``construct``
(the paper's networks), ``approx`` (errors and rates), ``train`` (FFN and LM training), then ``verify``,
``report`` and ``cli``, which may use everything.
"""

from __future__ import annotations

import os

from polyapprox.core.lazy import lazy_exports

# python-flint (a dependency, for arb ball arithmetic) would switch sympy to its 'flint' ground types, which
# change results the exact code relies on (Poly(0).total_degree() is -inf there, 0 with 'python'): keep
# sympy's pure-python ground types unless the user chose others. Set before any sympy import.
os.environ.setdefault("SYMPY_GROUND_TYPES", "python")

__version__ = "0.1.0"

#: public name -> (module, attribute)
_API: dict[str, tuple[str, str]] = {
    # the exact core
    "Net": ("polyapprox.core.net", "Net"),
    "Layer": ("polyapprox.core.net", "Layer"),
    "load_net": ("polyapprox.core.netjson", "load"),
    "save_net": ("polyapprox.core.netjson", "save"),
    "count_params": ("polyapprox.core.counting", "count_params"),
    "compose": ("polyapprox.core.algebra", "compose"),
    # evaluation back ends
    "evaluate_exact": ("polyapprox.backends.exact", "evaluate_exact"),
    "evaluate_float": ("polyapprox.backends.floats", "evaluate_float"),
    "float_error_bound": ("polyapprox.backends.errorbound", "float_error_bound"),
    "to_sympy": ("polyapprox.backends.sympy_expr", "to_sympy"),
    "to_torch": ("polyapprox.backends.torch_module", "to_torch"),
    "from_torch": ("polyapprox.backends.torch_module", "from_torch"),
    # certificates
    "prove_equal": ("polyapprox.symbolic.prover", "prove_equal"),
    "Certificate": ("polyapprox.symbolic.certificate", "Certificate"),
    "parse_expression": ("polyapprox.symbolic.expressions", "parse_expression"),
    "mutants": ("polyapprox.verify.mutation", "mutants"),
    "run_checks": ("polyapprox.verify.registry", "run_checks"),
    # constructions
    "polynomial_net": ("polyapprox.construct.polynomials", "polynomial_net"),
    "monomial_net": ("polyapprox.construct.polynomials", "monomial_net"),
    "relu_to_polyrelu": ("polyapprox.construct.relu_nets", "relu_to_polyrelu"),
    "sobolev_net": ("polyapprox.construct.sobolev", "sobolev_net"),
    # targets and approximation rates
    "get_target": ("polyapprox.targets.catalogue", "get_target"),
    "list_targets": ("polyapprox.targets.catalogue", "list_targets"),
    "measure_errors": ("polyapprox.approx.measure", "measure_errors"),
    "fit_rate": ("polyapprox.approx.rates", "fit_rate"),
    # PolyCom activations (torch modules)
    "PolyReLU": ("polyapprox.nn.activations", "PolyReLU"),
    "PolyNorm": ("polyapprox.nn.activations", "PolyNorm"),
}

__all__ = ["__version__", *_API]


__getattr__, __dir__ = lazy_exports("polyapprox", _API, globals())
