"""Cell boundaries for targets that may jump (Piecewise, Heaviside, sign): docs/conventions.md §4.2.

The net is continuous, so equality on the open cells extends to a boundary point unless the target jumps
there. Every boundary is checked as a lower-dimensional problem: 1-D breakpoints one by one (irrational
ones through their minimal polynomial), in d >= 2 each hyperplane x_j = r (boxes) or each cut line
a.v + c = 0 (2-D polygons; parametrised by one rational variable) by ``prove_equal`` on the restriction.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import sympy

from polyapprox.backends.sympy_expr import rational
from polyapprox.symbolic.absform import canonical
from polyapprox.symbolic.algnum import AlgNum
from polyapprox.symbolic.certificate import Certificate
from polyapprox.symbolic.regions import Oracle, Undetermined, _poly, _sorted_distinct, evaluate_expr, evaluate_net

Line = tuple[list[Fraction], Fraction]
#: ``prove_equal`` itself, passed in by the prover for the lower-dimensional problems on faces and cut lines.
Prover = Callable[..., Certificate]


def distinct(points: list[AlgNum]) -> list[AlgNum]:
    return _sorted_distinct(points)


def box_edges(dom: list[tuple[Fraction, Fraction]]) -> list[Line]:
    """The four edge lines of a 2-D box, as a.v + c = 0."""
    (x0, x1), (y0, y1) = dom
    one, zero = Fraction(1), Fraction(0)
    return [([one, zero], -x0), ([one, zero], -x1), ([zero, one], -y0), ([zero, one], -y1)]


def distinct_lines(lines: list[Line]) -> list[Line]:
    """Lines scaled so that the first nonzero coefficient is 1, without repeats."""
    seen: dict[tuple[Fraction, ...], Line] = {}
    for a, c in lines:
        lead = next(v for v in a if v != 0)
        key = tuple(v / lead for v in (*a, c))
        seen.setdefault(key, ([v / lead for v in a], c / lead))
    return list(seen.values())


def check_points(run: Any, points: list[AlgNum], method: str, proved: int) -> Certificate | None:
    """1-D, discontinuous expr: check each breakpoint (exactly; irrational ones via their minimal polynomial)."""
    x = run.syms[0]
    for a in points:
        if a.is_rational:
            found = run.verify([a.lo])
            if found is not None:
                return run.refuted(method, [a.lo], found, "the expression differs at a breakpoint", proved)
            continue
        oracle = Oracle(run.syms, point=a)
        try:
            net_vals = evaluate_net(run.net, run.syms, oracle)
            expr_vals = [evaluate_expr(e, oracle) for e in run.exprs]
        except Undetermined:
            return run.cert("unknown", method, regions=proved, detail=f"undecided at the breakpoint {a}")
        for i, (n, e) in enumerate(zip(net_vals, expr_vals, strict=True)):
            p = _poly(canonical(n - e), run.syms)
            if p is None:
                return run.cert("unknown", method, regions=proved, detail=f"undecided at the breakpoint {a}")
            if not a.vanishes(sympy.Poly(p.as_expr(), x, domain="QQ")):
                return run.cert("refuted", method, regions=proved, output=i,
                                detail=f"output {i} differs at the irrational point x = {a} (no rational witness)")
    return None


def check_faces(run: Any, dom: list[tuple[Fraction, Fraction]] | None, axis_points: list[list[AlgNum]],
                 method: str, proved: int, max_regions: int, prove_equal: Prover) -> Certificate | None:
    """d >= 2, discontinuous expr: every cell boundary lies on a hyperplane x_j = r (r a split point or a
    domain end). Prove the identity restricted to each such hyperplane (a (d-1)-variable problem: the net
    composed with the affine embedding, expr with x_j = r); None when all hold."""
    from polyapprox.core.algebra import compose, linear

    d = len(run.syms)
    for j, pts in enumerate(axis_points):
        for r in pts:
            if not r.is_rational:
                return run.cert("unknown", method, regions=proved,
                                detail=f"proved on {proved} open cells; the expression may jump on the irrational "
                                       f"hyperplane {run.syms[j]} = {r} (not checked)")
            q = r.lo
            others = [k for k in range(d) if k != j]
            embed = linear([[1 if k == col else 0 for col in others] for k in range(d)],
                           [q if k == j else 0 for k in range(d)], in_dim=d - 1)
            sub = {run.syms[j]: rational(q)}
            left = None if run.timeout is None else max(run.timeout - (time.perf_counter() - run.start), 0.0)
            cert = prove_equal(compose(run.net, embed), [e.subs(sub) for e in run.exprs],
                               symbols=[run.syms[k] for k in others],
                               domain=None if dom is None else [dom[k] for k in others],
                               timeout=left, max_regions=max_regions)
            if cert.status == "refuted" and cert.counterexample is not None:
                point = [q if k == j else cert.counterexample[run.syms[k].name] for k in range(d)]
                found = run.verify(point)
                if found is not None:
                    return run.refuted(method, point, found,
                                       f"the expression differs on the face {run.syms[j]} = {q}", proved)
            if cert.status != "proved":
                return run.cert("unknown", method, regions=proved,
                                detail=f"on the face {run.syms[j]} = {q}: {cert.status} ({cert.detail})")
    return None


def check_lines(run: Any, dom: list[tuple[Fraction, Fraction]], lines: list[Line], method: str, proved: int,
                max_regions: int, prove_equal: Prover) -> Certificate | None:
    """2-D polygon cells, discontinuous expr: prove the identity on each cut line inside the box.

    a1 x + a2 y + c = 0 with a2 != 0 is parametrised by t = x, y = -(a1 t + c)/a2; a vertical line by t = y.
    The t-range is the part of the line inside the closed box (a single point is checked directly)."""
    from polyapprox.core.algebra import compose, linear

    (x0, x1), (y0, y1) = dom
    t = sympy.Symbol("t_line", real=True)
    for (a1, a2), c in lines:
        if a2 != 0:
            slope, icept = -a1 / a2, -c / a2  # y = slope t + icept
            lo, hi = x0, x1
            if slope != 0:
                ya, yb = sorted(((y0 - icept) / slope, (y1 - icept) / slope))
                lo, hi = max(lo, ya), min(hi, yb)
            elif not y0 <= icept <= y1:
                continue
            embed = linear([[1], [slope]], [0, icept], in_dim=1)
            sub = {run.syms[0]: t, run.syms[1]: rational(slope) * t + rational(icept)}
        else:
            xv = -c / a1
            if not x0 <= xv <= x1:
                continue
            lo, hi = y0, y1
            embed = linear([[0], [1]], [xv, 0], in_dim=1)
            sub = {run.syms[0]: rational(xv), run.syms[1]: t}
        if lo > hi:
            continue
        def at(q: Fraction, a2: Fraction = a2, a1: Fraction = a1, c: Fraction = c) -> list[Fraction]:
            return [q, -(a1 * q + c) / a2] if a2 != 0 else [-c / a1, q]

        name = f"the line {a1}*{run.syms[0]} + {a2}*{run.syms[1]} + {c} = 0"
        if lo == hi:
            found = run.verify(at(lo))
            if found is not None:
                return run.refuted(method, at(lo), found, f"the expression differs on {name}", proved)
            continue
        left = None if run.timeout is None else max(run.timeout - (time.perf_counter() - run.start), 0.0)
        cert = prove_equal(compose(run.net, embed), [e.xreplace(sub) for e in run.exprs], symbols=[t],
                           domain=[(lo, hi)], max_regions=max_regions, timeout=left)
        if cert.status == "refuted" and cert.counterexample is not None:
            point = at(cert.counterexample[t.name])
            found = run.verify(point)
            if found is not None:
                return run.refuted(method, point, found, f"the expression differs on {name}", proved)
        if cert.status != "proved":
            return run.cert("unknown", method, regions=proved, detail=f"on {name}: {cert.status} ({cert.detail})")
    return None


