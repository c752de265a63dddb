"""Exact symbolic certificates: ``prove_equal(net, expr, symbols, domain) -> Certificate``.

See ``prover`` for the methods (algebraic, region-wise, refutation) and docs/conventions.md §4.
"""

from polyapprox.symbolic.certificate import STATUSES, Certificate
from polyapprox.symbolic.prover import evidence, expr_value, prove_equal

__all__ = ["STATUSES", "Certificate", "evidence", "expr_value", "prove_equal"]
