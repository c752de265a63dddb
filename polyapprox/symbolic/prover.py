"""``prove_equal(net, expr)``: an exact certificate that a network equals a formula (docs/conventions.md §4).

1. *algebraic*: net with ReLU(t) = (t + |t|)/2, minus expr, in canonical Abs form; if that expands to 0
   the identity holds on all of R^d. Tried first in exact rational arithmetic (``abspoly``: nets whose
   ReLUs act on affine forms, targets of +, *, powers, Abs, Max, Min), then in sympy (``absform``), where
   three equivalent forms of the net are tried (``ReLU(t) = t`` where t >= 0 by structure; plain; sympy's
   Max form), since targets are written in either style. In 1-D, ``abspoly.cells_1d`` first tries cells cut
   at the rational roots of affine arguments, with exact polynomials per cell (as in 2. below).
2. *region-wise* (``regions``): cut the domain into cells on which every ReLU / Abs / Piecewise condition has
   a fixed sign, so that net and expr are polynomials there, and prove the polynomial identity per cell.
   - 1-D (``regionwise-1d``): the line or an interval, cut at the exact real roots (``algnum``, irrational
     ones included) of each pre-activation / condition whose sign is not fixed on the cell;
   - 2-D bounded box (``regionwise-polygon``): convex polygons cut exactly along affine pre-activations
     (``polygons``); if that stays undecided, box cells as for d >= 3;
   - d >= 2 (``regionwise-box``): boxes, possibly unbounded, cut at roots of single-variable
     pre-activations; other signs from exact interval enclosures, else kept in Abs form (the cell is proved
     only if that expands to 0, else it is "unknown").
   Targets that may jump (Piecewise, Heaviside, sign) are also checked on every cell boundary
   (``boundaries``).
3. *refutation*: where the difference is a nonzero polynomial P on a cell, a tensor grid of (deg_i P + 1)
   distinct rationals per axis inside the cell holds a point with P != 0 (a polynomial vanishing on such a
   grid is 0). The point is verified by ``evaluate_exact`` against exact evaluation of ``expr``. Where the
   expr value there is irrational, the gap is certified by a strict 60-digit ``evalf`` (margin 1e-40).
Points sampled at random only ever give "evidence" (``evidence``).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import replace
from fractions import Fraction
from typing import Any

import sympy

from polyapprox.backends.exact import evaluate_exact
from polyapprox.backends.sympy_expr import default_symbols, rational, to_sympy
from polyapprox.core.deadline import DeadlineExceeded, check_deadline, deadline
from polyapprox.core.net import Net, as_fraction
from polyapprox.errors import ConfigError, ExpressionError
from polyapprox.symbolic.absform import canonical
from polyapprox.symbolic.abspoly import cells_1d, difference_is_zero
from polyapprox.symbolic.algnum import AlgNum, points_between
from polyapprox.symbolic.boundaries import box_edges, check_faces, check_lines, check_points, distinct, distinct_lines
from polyapprox.symbolic.branching import prove_by_cases
from polyapprox.symbolic.certificate import Certificate
from polyapprox.symbolic.expressions import to_expression
from polyapprox.symbolic.polygons import Polygon
from polyapprox.symbolic.regions import (
    Box,
    Oracle,
    Split,
    Undetermined,
    _poly,
    abs_form,
    discontinuous,
    evaluate_expr,
    evaluate_net,
)

Domain = Sequence[tuple[object, object]] | None
#: |difference| a 60-digit evalf must exceed to certify that an irrational expr value differs from a rational
EVALF_DIGITS, EVALF_MARGIN = 60, sympy.Rational(1, 10 ** 40)
#: cap on grid points tried when the difference on a cell is not a polynomial (refutation attempts only)
SAMPLE_CAP = 64


def _exprs(net: Net, expr: Any, syms: tuple[sympy.Symbol, ...]) -> list[sympy.Expr]:
    exprs = list(expr) if isinstance(expr, (list, tuple)) else [expr]
    if len(exprs) != net.out_dim:
        raise ExpressionError(f"expr: {len(exprs)} expressions for a network with {net.out_dim} outputs")
    out = []
    for e in exprs:
        e = to_expression(e, syms)
        extra = sorted(str(s) for s in e.free_symbols if s not in syms)
        if extra:
            raise ExpressionError(f"expr: unknown variable {extra[0]!r} (variables: {', '.join(map(str, syms))})")
        if e.has(sympy.Float):
            raise ExpressionError(f"expr {e}: floating-point constants are not exact; use rationals (sympy.Rational)")
        out.append(e)
    return out


def _real_symbols(syms: Sequence[sympy.Symbol]) -> tuple[tuple[sympy.Symbol, ...], dict[sympy.Symbol, sympy.Symbol]]:
    """The symbols as real symbols of the same names (the network's inputs are real), and the renaming."""
    if len({s.name for s in syms}) != len(syms):
        raise ExpressionError(f"symbols: repeated names in {', '.join(s.name for s in syms)}")
    real = tuple(s if s.is_real else sympy.Symbol(s.name, real=True) for s in syms)
    return real, {s: r for s, r in zip(syms, real, strict=True) if s is not r}


def _domain(domain: Domain, d: int) -> list[tuple[Fraction, Fraction]] | None:
    if domain is None:
        return None
    box = list(domain)
    if len(box) != d:
        raise ConfigError(f"domain: {len(box)} intervals for {d} variables")
    out = []
    for i, pair in enumerate(box):
        if len(pair) != 2:
            raise ConfigError(f"domain[{i}]: expected (lo, hi)")
        lo, hi = as_fraction(pair[0], f"domain[{i}].lo"), as_fraction(pair[1], f"domain[{i}].hi")
        if not lo < hi:
            raise ConfigError(f"domain[{i}]: need lo < hi, got ({lo}, {hi})")
        out.append((lo, hi))
    return out


def expr_value(e: sympy.Expr, syms: Sequence[sympy.Symbol], point: Sequence[Fraction]) -> Fraction | sympy.Expr | None:
    """``e`` at a rational point: a Fraction when exact and rational, a sympy number otherwise, None if undefined."""
    v = e.subs({s: rational(q) for s, q in zip(syms, point, strict=True)})
    if v.is_Rational:
        return Fraction(int(v.p), int(v.q))
    if v.is_number and v.is_finite and not v.has(sympy.nan):
        return v
    return None


def differs(a: Fraction, b: Fraction | sympy.Expr | None) -> bool:
    """a != b, exactly for rational b; for irrational b certified by a strict high-precision evalf."""
    if b is None:
        return False
    if isinstance(b, Fraction):
        return a != b
    try:
        gap = (rational(a) - b).evalf(EVALF_DIGITS, strict=True)
    except (sympy.core.evalf.PrecisionExhausted, TypeError, ValueError):
        return False
    return bool(gap.is_number and abs(gap) > EVALF_MARGIN)


class _Run:
    def __init__(self, net: Net, exprs: list[sympy.Expr], syms: tuple[sympy.Symbol, ...], start: float,
                 timeout: float | None) -> None:
        self.net, self.exprs, self.syms, self.start, self.timeout = net, exprs, syms, start, timeout
        self.method = "algebraic"  # the stage running now: named by a timeout certificate

    def timed_out(self, proved: int = 0) -> Certificate:
        """status unknown: the deadline passed during the current stage."""
        limit = "the caller's deadline" if self.timeout is None else f"{self.timeout:g} s"
        cells = f" ({proved} cells proved)" if proved else ""
        return self.cert("unknown", self.method, regions=proved, detail=f"timeout after {limit}{cells}")

    def cert(self, status: str, method: str, **kw: Any) -> Certificate:
        return Certificate(status=status, method=method, seconds=time.perf_counter() - self.start, **kw)

    def verify(self, point: Sequence[Fraction]) -> tuple[int, Fraction, Any] | None:
        """(output, net value, expr value) at the first output where they provably differ, else None."""
        nv = evaluate_exact(self.net, list(point))
        for i, e in enumerate(self.exprs):
            ev = expr_value(e, self.syms, point)
            if differs(nv[i], ev):
                return i, nv[i], ev
        return None

    def refuted(self, method: str, point: Sequence[Fraction], found: tuple[int, Fraction, Any],
                detail: str, regions: int = 0) -> Certificate:
        i, nv, ev = found
        exact = isinstance(ev, Fraction)
        note = "" if exact else f"; expr value irrational, gap certified by {EVALF_DIGITS}-digit evalf"
        return self.cert("refuted", method, regions=regions, output=i, net_value=nv,
                         expr_value=ev if exact else _sympy_text(ev),
                         counterexample={s.name: q for s, q in zip(self.syms, point, strict=True)},
                         detail=detail + note)

    def search(self, box_axes: list[tuple[AlgNum | None, AlgNum | None]], degrees: list[int],
               cap: int | None = None) -> tuple[list[Fraction], tuple[int, Fraction, Any]] | None:
        """Try the tensor grid of (deg_j + 1) rationals per axis strictly inside the box (first cap points)."""
        axes = [points_between(a, b, deg + 1) for (a, b), deg in zip(box_axes, degrees, strict=True)]
        for n, point in enumerate(itertools.product(*axes)):
            if cap is not None and n >= cap:
                break
            found = self.verify(point)
            if found is not None:
                return list(point), found
        return None


def _sympy_text(e: Any) -> str:
    """``str(e)``, or a placeholder when one of its integers is too long for Python to print."""
    try:
        return str(e)
    except ValueError:
        return "<irrational value with an integer too long to print>"


def _retry_with_cuts(cell: Any, todo: list[Any]) -> bool:
    """A polygon evaluated lazily (oblique cuts declined, those units kept in Abs form) that was not proved:
    queue it again with cuts allowed. False when there is nothing to retry."""
    if isinstance(cell, Polygon) and cell.lazy and cell.declined:
        cell.lazy = False
        todo.append(cell)
        return True
    return False


def _algebraic_forms(net: Net, syms: tuple[sympy.Symbol, ...], exprs: list[sympy.Expr]) -> list[tuple[str, Any]]:
    """Equivalent exact forms of the net tried in turn: all sound, they differ only in which Abs atoms
    survive (structural ReLU(t) = t for t >= 0; plain (t + |t|)/2; sympy's Max(t, 0), which drops a Max when
    its assumptions show t >= 0, so it mirrors targets written with Max: tried only for those)."""
    forms = [
        ("Abs form", lambda: abs_form(net, syms)),
        ("plain Abs form", lambda: to_sympy(net, syms, relu="abs")),
    ]
    if any(e.has(sympy.Max, sympy.Min) for e in exprs):
        forms.append(("Abs form of the Max form", lambda: to_sympy(net, syms, relu="max")))
    return forms


def _axes(dom: list[tuple[Fraction, Fraction]] | None, d: int) -> list[tuple[AlgNum | None, AlgNum | None]]:
    if dom is None:
        return [(None, None)] * d
    return [(AlgNum(lo), AlgNum(hi)) for lo, hi in dom]


def prove_equal(net: Net, expr: Any, symbols: Sequence[sympy.Symbol] | None = None, domain: Domain = None,
                timeout: float | None = None, max_regions: int = 4096, method: str = "auto") -> Certificate:
    """Prove or refute net(x) == expr(x) for all x in ``domain`` (None: all of R^d; else a box of rationals).

    ``expr``: a sympy expression (a list of them for several outputs) in ``symbols`` (default
    ``default_symbols(net.in_dim)``). ``method``: "auto" (algebraic, then region-wise), "algebraic" or
    "regionwise". ``timeout`` (seconds) is checked between layers of the sympy build, between canonical-form
    steps and between cells (status "unknown", detail "timeout after T s"; one long sympy call is not
    interrupted: the CLI runs this in a killable worker); ``max_regions`` caps the number of cells.
    """
    if method not in ("auto", "algebraic", "regionwise"):
        raise ConfigError(f"method: {method!r} (auto, algebraic or regionwise)")
    if max_regions < 1:
        raise ConfigError(f"max_regions: {max_regions} must be >= 1")
    start = time.perf_counter()
    syms = tuple(symbols) if symbols is not None else default_symbols(net.in_dim)
    if len(syms) != net.in_dim:
        raise ExpressionError(f"symbols: {len(syms)} given, the network takes {net.in_dim} inputs")
    exprs = _exprs(net, expr, syms)
    syms, rename = _real_symbols(syms)
    exprs = [e.xreplace(rename) for e in exprs] if rename else exprs
    dom = _domain(domain, net.in_dim)
    run = _Run(net, exprs, syms, start, timeout)
    with deadline(timeout):
        try:
            return _prove(run, dom, max_regions, method)
        except DeadlineExceeded:
            return run.timed_out()


def _prove(run: _Run, dom: list[tuple[Fraction, Fraction]] | None, max_regions: int, method: str) -> Certificate:
    """Algebraic, then region-wise (see ``prove_equal``)."""
    net, exprs, syms = run.net, run.exprs, run.syms
    jumps = any(discontinuous(e) for e in exprs)
    if method == "regionwise":
        return _regionwise(run, dom, max_regions, jumps)
    # 1. algebraic: first in exact rational arithmetic (affine ReLU arguments), then in sympy
    if difference_is_zero(net, exprs, syms):
        return run.cert("proved", "algebraic",
                        detail="difference is 0 over Q[x, |affine forms|] in exact arithmetic (all of R^d)")
    one_d = method == "auto" and len(syms) == 1  # the exact 1-D cell proof (only "auto" may use it)
    cells = cells_1d(net, exprs, syms[0], dom[0] if dom else None, max_regions) if one_d else None
    if cells is not None:
        return run.cert("proved", "regionwise-1d", regions=cells,
                        detail=f"{cells} cells, difference 0 on each in exact rational arithmetic")
    diffs: list[sympy.Expr] = []
    for name, form in _algebraic_forms(net, syms, exprs):
        check_deadline()
        cand = [canonical(n - e) for n, e in zip(form(), exprs, strict=True)]
        diffs = diffs or cand
        if all(dd == 0 for dd in cand):
            return run.cert("proved", "algebraic", detail=f"difference expands to 0 in the {name} (all of R^d)")
        if any(dd != 0 and _poly(dd, syms) is not None for dd in cand):  # a nonzero polynomial: refute
            diffs = cand
            break
    for dd in diffs:
        p = None if jumps else _poly(dd, syms)
        if p is not None and not p.is_zero:
            hit = run.search(_axes(dom, len(syms)), [p.degree(s) for s in syms])
            if hit is not None:
                return run.refuted("algebraic", hit[0], hit[1], "difference is a nonzero polynomial")
            return run.cert("unknown", "algebraic", detail="internal: grid search found no verified counterexample")
    if method == "algebraic":
        return run.cert("unknown", "algebraic", detail="Abs terms remain after expansion")
    # 2. region-wise
    return _regionwise(run, dom, max_regions, jumps)


def _regionwise(run: _Run, dom: list[tuple[Fraction, Fraction]] | None, max_regions: int,
                jumps: bool) -> Certificate:
    """Polygon cells for a bounded 2-D box (exact oblique cuts), then box cells if that stays undecided
    (boxes cut exactly at irrational roots of single-variable pre-activations; polygons cannot)."""
    if len(run.syms) == 2 and dom is not None:
        first = _cells(run, dom, max_regions, jumps, polygons=True)
        if first.status != "unknown" or "timeout" in first.detail:
            return first
        second = _cells(run, dom, max_regions, jumps, polygons=False)
        if second.status != "unknown":
            return second
        return replace(first, seconds=second.seconds, detail=f"{first.detail}; box cells: {second.detail}")
    return _cells(run, dom, max_regions, jumps, polygons=False)


def _cells(run: _Run, dom: list[tuple[Fraction, Fraction]] | None, max_regions: int, jumps: bool,
           polygons: bool) -> Certificate:
    d = len(run.syms)
    method = "regionwise-1d" if d == 1 else "regionwise-polygon" if polygons else "regionwise-box"
    run.method = method
    cache: dict[Any, list[AlgNum]] = {}
    todo: list[Any] = [Polygon.box(dom) if polygons and dom is not None else Box(_axes(dom, d))]
    lines: list[tuple[list[Fraction], Fraction]] = [] if dom is None or not polygons else box_edges(dom)
    created, proved, fallback_cells, case_cells = 1, 0, 0, 0
    # per axis: every split point, and the domain's ends (faces of the closed box)
    axis_points: list[list[AlgNum]] = [[] for _ in range(d)] if dom is None else [
        [AlgNum(lo), AlgNum(hi)] for lo, hi in dom]
    unknown: list[str] = []
    while todo:
        try:
            check_deadline()
        except DeadlineExceeded:
            return run.timed_out(proved)
        box = todo.pop()
        oracle = Oracle(run.syms, box=box, root_cache=cache)
        try:
            net_vals = evaluate_net(run.net, run.syms, oracle)
            expr_vals = [evaluate_expr(e, oracle) for e in run.exprs]
        except Split as sp:
            parts = box.split(sp)
            created += len(parts) - 1
            if created > max_regions:
                return run.cert("unknown", method, regions=proved,
                                detail=f"more than max_regions={max_regions} cells")
            if sp.line is not None:
                lines.append(sp.line)
            else:
                assert sp.axis is not None
                axis_points[sp.axis].extend(sp.roots)
            todo.extend(reversed(parts))
            continue
        except Undetermined as exc:
            if _retry_with_cuts(box, todo):
                continue
            outcome, info = prove_by_cases(run, box, cache, jumps)
            if outcome == "refuted":
                return run.refuted(method, info[0], info[1], "found on a cell with an undetermined condition", proved)
            proved, case_cells = _tally_cases(outcome, info, f"{exc}", proved, case_cells, unknown)
            continue
        diffs = [canonical(n - e) for n, e in zip(net_vals, expr_vals, strict=True)]
        if all(dd == 0 for dd in diffs):
            proved += 1
            fallback_cells += oracle.fallbacks > 0
            continue
        if _retry_with_cuts(box, todo):
            continue
        polys = [_poly(dd, run.syms) for dd in diffs]
        if all(p is not None for p in polys):
            degrees = [max(p.degree(s) for p in polys if p is not None) for s in run.syms]
            hit = run.search(box.search_axes(), degrees)
            if hit is not None:
                return run.refuted(method, hit[0], hit[1], "difference is a nonzero polynomial on a cell", proved)
            return run.cert("unknown", method, regions=proved,
                            detail="internal: grid search found no verified counterexample")
        outcome, info = prove_by_cases(run, box, cache, jumps)
        if outcome == "refuted":
            return run.refuted(method, info[0], info[1], "found by exact evaluation on an undecided cell", proved)
        proved, case_cells = _tally_cases(outcome, info, "difference not reducible to a polynomial on a cell",
                                          proved, case_cells, unknown)
    faces = 0
    if jumps and not unknown:  # the target may jump on cell boundaries: check them as lower-dim problems
        axis_points = [distinct(pts) for pts in axis_points]
        if d == 1:
            bad = check_points(run, axis_points[0], method, proved)
            faces = len(axis_points[0])
        elif polygons:
            assert dom is not None
            lines = distinct_lines(lines)
            bad = check_lines(run, dom, lines, method, proved, max_regions, prove_equal)
            faces = len(lines)
        else:
            bad = check_faces(run, dom, axis_points, method, proved, max_regions, prove_equal)
            faces = sum(len(pts) for pts in axis_points)
        if bad is not None:
            return bad
    if unknown:
        return run.cert("unknown", method, regions=proved,
                        detail=f"{len(unknown)} cell(s) undecided ({unknown[0]}); {proved} cells proved")
    detail = f"{proved} cells" + (f", {fallback_cells} with Abs-expansion" if fallback_cells else "")
    detail += f", {case_cells} by sign cases" if case_cells else ""
    if jumps:
        detail += f", {faces} breakpoints checked" if d == 1 else f", {faces} boundary lines/hyperplanes checked"
    return run.cert("proved", method, regions=proved, detail=detail)


def evidence(net: Net, expr: Any, points: Sequence[Sequence[object]],
             symbols: Sequence[sympy.Symbol] | None = None) -> Certificate:
    """Exact agreement at the given rational points: 'evidence' (never 'proved'), or 'refuted' with the point."""
    start = time.perf_counter()
    syms = tuple(symbols) if symbols is not None else default_symbols(net.in_dim)
    run = _Run(net, _exprs(net, expr, syms), syms, start, None)
    pts = [[as_fraction(v, f"points[{k}]") for v in p] for k, p in enumerate(points)]
    for p in pts:
        found = run.verify(p)
        if found is not None:
            return run.refuted("sampling", p, found, f"exact evaluation at {len(pts)} points")
    return run.cert("evidence", "sampling", detail=f"agrees exactly at {len(pts)} points (not a proof)")


def _tally_cases(outcome: str, info: object, why: str, proved: int, case_cells: int,
                 unknown: list[str]) -> tuple[int, int]:
    """Count a cell settled by sign cases as proved, or record why it stays unknown (refutations return earlier)."""
    if outcome == "proved":
        return proved + 1, case_cells + 1
    unknown.append(f"{why}; sign cases: {info}")
    return proved, case_cells
