"""Sign-case analysis on one cell, for signs that cells cannot fix (curved or unbounded zero sets).

When a pre-activation, Abs argument or condition p has no fixed sign on a cell, branch on it: p > 0 and
p < 0 (and p = 0 when the target may jump), recursively, so that on every branch the net and the target
are polynomials. The cell is proved when every branch is:

- a polynomial identity (difference 0; with p = 0 assumptions, the difference reduces to 0 modulo a
  Groebner basis of those p, so it vanishes on their common zeros), or
- infeasible: all its assumptions are affine and Fourier-Motzkin elimination (exact, strict inequalities
  kept strict) over the cell's rational bounding box derives 0 > 0 or c < 0.

Branches cover every point whose branched polynomials are nonzero, a dense open subset of the cell; a
continuous target then agrees on the whole cell (the net is continuous). A failing feasible-looking branch
is searched for an exact counterexample; otherwise the cell stays "unknown".
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import sympy

from polyapprox.symbolic.absform import canonical
from polyapprox.symbolic.regions import NEG, POS, ZERO, Branch, Oracle, Undetermined, _poly, evaluate_expr, evaluate_net

#: at most this many branched polynomials on one path, and this many leaves per cell
MAX_DEPTH, MAX_LEAVES = 8, 256
Constraint = tuple[list[Fraction], Fraction, bool]  # a.x + c > 0 (strict) or >= 0


def _q(v: Any) -> Fraction:
    r = sympy.Rational(v)
    return Fraction(int(r.p), int(r.q))


def infeasible(constraints: list[Constraint], d: int) -> bool:
    """Fourier-Motzkin: True when the affine system has no real solution (a certificate); False otherwise."""
    rows = list(constraints)
    for k in range(d):
        pos = [r for r in rows if r[0][k] > 0]
        neg = [r for r in rows if r[0][k] < 0]
        rows = [r for r in rows if r[0][k] == 0]
        for a1, c1, s1 in pos:
            for a2, c2, s2 in neg:
                w1, w2 = -a2[k], a1[k]  # w1 * row1 + w2 * row2 eliminates x_k, both weights > 0
                rows.append(([w1 * u + w2 * v for u, v in zip(a1, a2, strict=True)], w1 * c1 + w2 * c2, s1 or s2))
        if len(rows) > 4000:  # too large to finish: no certificate
            return False
    return any(c < 0 or (c == 0 and strict) for _, c, strict in rows)


def _constraints(assume: dict[sympy.Poly, str], syms: tuple[sympy.Symbol, ...],
                 bounds: list[tuple[Fraction | None, Fraction | None]]) -> list[Constraint] | None:
    d = len(syms)
    out: list[Constraint] = []
    for j, (lo, hi) in enumerate(bounds):
        e = [Fraction(int(i == j)) for i in range(d)]
        if lo is not None:
            out.append((e, -lo, False))
        if hi is not None:
            out.append(([-v for v in e], hi, False))
    for p, s in assume.items():
        if p.total_degree() != 1 or s == ZERO:
            return None
        coeffs = p.as_dict()
        a = [_q(coeffs.get(tuple(int(i == j) for i in range(d)), 0)) for j in range(d)]
        c = _q(coeffs.get((0,) * d, 0))
        if s == NEG:
            a, c = [-v for v in a], -c
        out.append((a, c, True))
    return out


def prove_by_cases(run: Any, cell: Any, cache: dict[Any, Any], jumps: bool) -> tuple[str, Any]:
    """('proved', leaves) | ('refuted', (point, found)) | ('unknown', reason) for one cell."""
    syms = run.syms
    stack: list[dict[sympy.Poly, str]] = [{}]
    leaves = 0
    bounds = [cell.outer(j) for j in range(len(syms))]
    while stack:
        assume = stack.pop()
        oracle = Oracle(syms, box=cell, root_cache=cache)
        oracle.assume = assume
        try:
            net_vals = evaluate_net(run.net, syms, oracle)
            expr_vals = [evaluate_expr(e, oracle) for e in run.exprs]
        except Branch as b:
            if len(assume) >= MAX_DEPTH or leaves + len(stack) > MAX_LEAVES:
                return "unknown", f"more than {MAX_DEPTH} signs or {MAX_LEAVES} cases"
            for s in (POS, NEG, ZERO) if jumps else (POS, NEG):
                stack.append({**assume, b.key: s})
            continue
        except Undetermined as exc:
            return "unknown", str(exc)
        leaves += 1
        diffs = [canonical(n - e) for n, e in zip(net_vals, expr_vals, strict=True)]
        if all(_vanishes(dd, assume, syms) for dd in diffs):
            continue
        cons = _constraints(assume, syms, bounds)
        if cons is not None and infeasible(cons, len(syms)):
            continue
        hit = run.search(cell.search_axes(), [2] * len(syms), cap=64)
        if hit is not None:
            return "refuted", hit
        return "unknown", "a sign case that is neither an identity nor shown infeasible"
    return "proved", leaves


def _vanishes(diff: sympy.Expr, assume: dict[sympy.Poly, str], syms: tuple[sympy.Symbol, ...]) -> bool:
    if diff == 0:
        return True
    zeros = [p.as_expr() for p, s in assume.items() if s == ZERO]
    p = _poly(diff, syms)
    if not zeros or p is None:
        return False
    basis = sympy.groebner(zeros, *syms, order="lex", domain="QQ")
    return basis.reduce(p.as_expr())[1] == 0
