"""Mutation testing of the symbolic checker: every single-parameter change must be caught or shown harmless.

``mutants(net)`` changes one nonzero parameter at a time by *doubling* it (v -> 2v, so the sparsity pattern
is kept and the value always changes): each nonzero weight, each nonzero bias and, optionally, each
nonzero PolyReLU coefficient of one unit. ``mutation_outcomes(net, expr, ...)`` runs ``prove_equal`` on
every mutant. A sound and complete-enough checker answers each with "refuted" (an exact counterexample,
re-verified here by ``evaluate_exact``) or "proved" — the latter only where the change leaves the function
unchanged on the domain (e.g. a weight out of a unit that is always 0 there), which the proof shows.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

import sympy

from polyapprox.backends.exact import evaluate_exact
from polyapprox.core.net import Layer, Net, PolyReLU, SparseMatrix
from polyapprox.symbolic import Certificate, expr_value, prove_equal
from polyapprox.symbolic.expressions import to_expression
from polyapprox.symbolic.prover import differs


def _with_layer(net: Net, k: int, layer: Layer) -> Net:
    layers = list(net.layers)
    layers[k] = layer
    return Net(net.in_dim, tuple(layers))


def mutants(net: Net, coefficients: bool = True) -> Iterator[tuple[str, Net]]:
    """(site, net with that one nonzero parameter doubled) for every nonzero parameter."""
    for k, layer in enumerate(net.layers):
        entries = list(layer.weight.entries)
        for n, (i, j, v) in enumerate(entries):
            new = entries[:n] + [(i, j, 2 * v)] + entries[n + 1:]
            yield f"layer {k} weight[{i}][{j}]", _with_layer(net, k, replace(
                layer, weight=SparseMatrix(layer.weight.shape, tuple(new))))
        for i, b in enumerate(layer.bias):
            if b != 0:
                bias = tuple(2 * c if m == i else c for m, c in enumerate(layer.bias))
                yield f"layer {k} bias[{i}]", _with_layer(net, k, replace(layer, bias=bias))
        if not coefficients:
            continue
        for i, act in enumerate(layer.activations):
            if not isinstance(act, PolyReLU):
                continue
            for c, a in enumerate(act.coeffs):
                if a != 0:
                    coeffs = tuple(2 * q if m == c else q for m, q in enumerate(act.coeffs))
                    acts = tuple(PolyReLU(coeffs) if m == i else u for m, u in enumerate(layer.activations))
                    yield f"layer {k} unit {i} coeff[{c}]", _with_layer(net, k, replace(layer, activations=acts))


@dataclass(frozen=True)
class MutationOutcome:
    site: str
    mutant: Net
    certificate: Certificate
    verified: bool  # refuted: the counterexample re-checked by exact evaluation; proved: True

    @property
    def status(self) -> str:
        return self.certificate.status


def verify_counterexample(net: Net, expr: Any, symbols: Sequence[sympy.Symbol], cert: Certificate) -> bool:
    """The certificate's counterexample really separates net and expr (exact evaluation, independent of it)."""
    if cert.counterexample is None:
        return False
    point = [Fraction(cert.counterexample[s.name]) for s in symbols]
    exprs = list(expr) if isinstance(expr, (list, tuple)) else [expr]
    values = evaluate_exact(net, point)
    return any(differs(v, expr_value(to_expression(e, symbols), symbols, point))
               for v, e in zip(values, exprs, strict=True))


def mutation_outcomes(net: Net, expr: Any, symbols: Sequence[sympy.Symbol], domain: Any = None,
                      coefficients: bool = True, **prove_kw: Any) -> list[MutationOutcome]:
    """``prove_equal`` on every mutant of ``net`` (see ``mutants``), with refutations re-verified."""
    out = []
    for site, m in mutants(net, coefficients):
        cert = prove_equal(m, expr, symbols=symbols, domain=domain, **prove_kw)
        ok = cert.status == "proved" or (cert.status == "refuted" and verify_counterexample(m, expr, symbols, cert))
        out.append(MutationOutcome(site, m, cert, ok))
    return out


def summary(outcomes: Sequence[MutationOutcome]) -> dict[str, int]:
    """Counts by status, plus 'unverified' (refuted without a re-verified counterexample, or unknown)."""
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    counts["unverified"] = sum(not o.verified for o in outcomes)
    return counts
