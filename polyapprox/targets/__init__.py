"""The functions we approximate: the catalogue on [0,1]^d, declared smoothness, exact derivatives, norms.

Targets sit below both ``construct`` (Theorem 3 reads a target's Taylor data) and ``approx`` (errors are
measured against a target), so both import from here and the import direction stays one way.
"""

from polyapprox.targets.catalogue import (
    ANALYTIC,
    TARGETS,
    Target,
    get_target,
    list_targets,
    resolve_target,
    shifted_relu,
    user_target,
)

__all__ = ["ANALYTIC", "TARGETS", "Target", "get_target", "list_targets", "resolve_target", "shifted_relu",
           "user_target"]
