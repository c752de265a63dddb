"""Cells, sign oracles and piecewise evaluation for the region-wise method (docs/conventions.md §4.2).

A ``Box`` is a product of open intervals (a_j, b_j) whose ends are exact real algebraic numbers or
infinite, with a rational sample point inside. ``Oracle.sign(p)`` decides the sign of a polynomial p on
the locus (a box, or one algebraic point in 1-D):

- p constant: its sign;
- p in one variable x_j: if p has real roots strictly inside (a_j, b_j) the box must be split there
  (``Split``); otherwise p has one strict sign on the box, read off at the sample point;
- p in several variables: a rational interval enclosure of p over the box (exact for affine p); a sign
  is returned only when the enclosure excludes the other sign, else ``None`` (undetermined).

2-D polygon cells (``polygons.Polygon``) answer the same questions with exact cuts along lines.

``evaluate_net`` and ``evaluate_expr`` then fix each ReLU / Abs / Piecewise branch by the oracle, so on a
cell with all signs known the net and the expression are polynomials. An undetermined ReLU or Abs falls
back to the canonical Abs form (``absform``); an undetermined Piecewise/Heaviside/sign condition raises
``Undetermined``.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from functools import cmp_to_key
from typing import Any

import sympy

from polyapprox.backends.sympy_expr import to_sympy
from polyapprox.core.net import Net
from polyapprox.symbolic.absform import _abs_of, canonical, relu_abs
from polyapprox.symbolic.algnum import AlgNum, compare, poly_at, rational_between, real_roots

End = AlgNum | None
#: signs on a locus: strictly positive / negative, identically zero, or non-strict (from enclosures)
POS, NEG, ZERO, NONNEG, NONPOS = "pos", "neg", "zero", "nonneg", "nonpos"


class Split(Exception):  # noqa: N818 (control flow, not an error)
    """The cell must be cut: at ``roots`` along ``axis`` (boxes), or along the line a.v + c = 0 (polygons)."""

    def __init__(self, axis: int | None = None, roots: list[AlgNum] | None = None,
                 line: tuple[list[Fraction], Fraction] | None = None) -> None:
        super().__init__(axis, roots, line)
        self.axis, self.roots, self.line = axis, roots or [], line


class Undetermined(Exception):  # noqa: N818
    """A Piecewise/Heaviside/sign condition whose truth is not constant (or not decidable) on the locus."""


class Box:
    """Open box prod_j (a_j, b_j) (ends AlgNum or None = infinite) with a rational sample point."""

    def __init__(self, axes: Sequence[tuple[End, End]]) -> None:
        self.axes = list(axes)
        self.sample = [rational_between(a, b) for a, b in self.axes]

    def split(self, cut: Split) -> list[Box]:
        assert cut.axis is not None
        axis = cut.axis
        a, b = self.axes[axis]
        ends: list[End] = [a, *cut.roots, b]
        out = []
        for lo, hi in zip(ends[:-1], ends[1:], strict=True):
            axes = list(self.axes)
            axes[axis] = (lo, hi)
            out.append(Box(axes))
        return out

    def outer(self, axis: int) -> tuple[Fraction | None, Fraction | None]:
        """Rational bounds l <= a_j, b_j <= h (None: infinite)."""
        a, b = self.axes[axis]
        return (None if a is None else a.lo, None if b is None else b.hi)

    def inside(self, axis: int, r: AlgNum) -> bool:
        a, b = self.axes[axis]
        return (a is None or compare(a, r) < 0) and (b is None or compare(r, b) < 0)

    def search_axes(self) -> list[tuple[End, End]]:
        return self.axes

    def sign(self, p: sympy.Poly, syms: Sequence[sympy.Symbol], cache: dict[Any, list[AlgNum]]) -> str | None:
        """Sign of a non-constant polynomial on the box (see module doc); may raise ``Split``."""
        j, u = univariate(p, syms, cache)
        if u is not None:
            if u not in cache:
                cache[u] = real_roots(u)
            inside = [r for r in cache[u] if self.inside(j, r)]
            if inside:
                raise Split(j, _sorted_distinct(inside))
            return _sgn(poly_at(u, self.sample[j]))
        enc = enclosure(p, [self.outer(j) for j in range(len(syms))])
        if enc is None:
            return None
        lo, hi = enc
        if lo > 0:
            return POS
        if hi < 0:
            return NEG
        if lo == 0 == hi:
            return ZERO
        return NONNEG if lo >= 0 else NONPOS if hi <= 0 else None


def _poly(v: sympy.Expr, syms: Sequence[sympy.Symbol]) -> sympy.Poly | None:
    if v.has(sympy.Abs) or not v.free_symbols <= set(syms) or not v.is_polynomial(*syms):
        return None
    try:
        return sympy.Poly(v, *syms, domain="QQ")
    except (sympy.PolynomialError, sympy.CoercionFailed):
        return None


def univariate(p: sympy.Poly, syms: Sequence[sympy.Symbol], cache: dict[Any, Any]) -> tuple[int, sympy.Poly | None]:
    """(j, p as a Poly in x_j alone) when p depends on exactly one variable x_j, else (-1, None); cached."""
    key = ("uni", p)
    if key not in cache:
        used = [j for j in range(len(syms)) if p.degree(syms[j]) > 0]
        cache[key] = (used[0], sympy.Poly(p.as_expr(), syms[used[0]], domain="QQ")) if len(used) == 1 else (-1, None)
    return cache[key]


def _sgn(v: Fraction) -> str:
    return POS if v > 0 else NEG if v < 0 else ZERO


signed = _sgn


def _ipow(lo: Fraction, hi: Fraction, e: int) -> tuple[Fraction, Fraction]:
    if e % 2 == 1 or lo >= 0:
        return lo ** e, hi ** e
    if hi <= 0:
        return hi ** e, lo ** e
    return Fraction(0), max(lo ** e, hi ** e)


Bound = tuple[Fraction | None, Fraction | None]


def enclosure(p: sympy.Poly, bounds: Sequence[Bound]) -> tuple[Fraction, Fraction] | None:
    """A rational interval containing p over the closed box of ``bounds`` (term-wise interval arithmetic)."""
    lo_sum, hi_sum = Fraction(0), Fraction(0)
    for monom, c in p.terms():
        lo, hi = Fraction(1), Fraction(1)
        for (l_j, h_j), e in zip(bounds, monom, strict=True):
            if e == 0:
                continue
            if l_j is None or h_j is None:
                return None
            pl, ph = _ipow(l_j, h_j, e)
            cands = (lo * pl, lo * ph, hi * pl, hi * ph)
            lo, hi = min(cands), max(cands)
        q = Fraction(int(c.p), int(c.q))
        lo, hi = (q * lo, q * hi) if q >= 0 else (q * hi, q * lo)
        lo_sum += lo
        hi_sum += hi
    return lo_sum, hi_sum


class Branch(Exception):  # noqa: N818 (control flow)
    """Branch on the sign of ``key`` (a monic polynomial) before going on."""

    def __init__(self, key: sympy.Poly) -> None:
        super().__init__(key)
        self.key = key


class Oracle:
    """Signs of polynomials on a cell (``Box`` or ``polygons.Polygon``; may raise ``Split``) or at one 1-D
    algebraic point."""

    def __init__(self, syms: Sequence[sympy.Symbol], box: Any = None, point: AlgNum | None = None,
                 root_cache: dict[Any, list[AlgNum]] | None = None) -> None:
        self.syms, self.box, self.point = tuple(syms), box, point
        self.cache = root_cache if root_cache is not None else {}
        self.fallbacks = 0  # ReLU / Abs left in Abs form on this locus
        self.assume: dict[Any, str] | None = None  # sign-case analysis (branching): assumed signs of monic polys

    def sign(self, v: sympy.Expr) -> str | None:
        key = ("poly", v)
        if key not in self.cache:
            self.cache[key] = _poly(sympy.expand(v), self.syms)
        p = self.cache[key]
        if p is None:
            return None
        if p.is_zero:
            return ZERO
        used = [j for j in range(len(self.syms)) if p.degree(self.syms[j]) > 0]
        if not used:
            return _sgn(Fraction(int(p.LC().p), int(p.LC().q)))
        if self.point is not None:
            s = self.point.sign_of(sympy.Poly(p.as_expr(), self.syms[0], domain="QQ"))
            return {1: POS, -1: NEG, 0: ZERO}[s]
        assert self.box is not None
        try:
            s = self.box.sign(p, self.syms, self.cache)
        except Split:
            if self.assume is None:
                raise
            s = None  # sign-case analysis: branch instead of cutting
        if s is None and self.assume is not None:
            key, flip = p.monic(), p.LC() < 0
            if key not in self.assume:
                raise Branch(key)
            s = self.assume[key]
            return {POS: NEG, NEG: POS, ZERO: ZERO}[s] if flip else s
        return s


def _sorted_distinct(roots: list[AlgNum]) -> list[AlgNum]:
    out: list[AlgNum] = []
    for r in sorted(roots, key=cmp_to_key(compare)):
        if not out or compare(out[-1], r) != 0:
            out.append(r)
    return out


def nonneg_preactivations(net: Net) -> frozenset[tuple[int, int]]:
    """Units (layer, unit) whose pre-activation is >= 0 on all of R^d by structure: a nonnegative bias plus
    nonnegative weights on units whose outputs are >= 0 (PolyReLU units with all coefficients >= 0, or
    identity units with such a pre-activation). There ReLU(t) = t exactly, with no sign analysis."""
    out: set[tuple[int, int]] = set()
    nonneg_out = [False] * net.in_dim
    for k, layer in enumerate(net.layers):
        rows = layer.weight.rows()
        cur = []
        for i, act in enumerate(layer.activations):
            pre = layer.bias[i] >= 0 and all(v >= 0 and nonneg_out[j] for j, v in rows[i])
            if pre:
                out.add((k, i))
            is_poly = hasattr(act, "coeffs")
            cur.append(pre if not is_poly else all(c >= 0 for c in act.coeffs))
        nonneg_out = cur
    return frozenset(out)


def abs_form(net: Net, syms: Sequence[sympy.Symbol]) -> list[sympy.Expr]:
    """The net with ReLU(t) = (t + |t|)/2 (t where t >= 0 by structure), in canonical Abs form."""
    known = nonneg_preactivations(net)

    def rule(t: sympy.Expr, layer: int, unit: int) -> sympy.Expr:
        return sympy.expand(t) if (layer, unit) in known else relu_abs(canonical(t))

    return [canonical(v) for v in to_sympy(net, syms, relu=rule)]


def evaluate_net(net: Net, syms: Sequence[sympy.Symbol], oracle: Oracle) -> list[sympy.Expr]:
    """The net's outputs on the locus, each ReLU fixed to t or 0 where the oracle knows the sign of t.

    Box cuts asked for by the units of one layer are collected and raised together (one ``Split`` with all
    their roots on the first such axis), so a cell is re-evaluated once per layer rather than once per unit.
    """
    known = nonneg_preactivations(net)
    pending: list[Split] = []
    pending_layer = [-1]

    def flush() -> Split:
        axis = pending[0].axis
        roots = [r for sp in pending if sp.axis == axis for r in sp.roots]
        return Split(axis, _sorted_distinct(roots))

    def rule(t: sympy.Expr, layer: int, unit: int) -> sympy.Expr:
        if pending and layer > pending_layer[0]:
            raise flush()
        t = sympy.expand(t)
        if (layer, unit) in known:
            return t
        try:
            s = oracle.sign(t)
        except Split as sp:
            if sp.line is not None:  # polygon cuts: one line at a time
                raise
            pending.append(sp)
            pending_layer[0] = layer
            return sympy.S.Zero  # placeholder: this evaluation is discarded
        if s in (POS, NONNEG):
            return t
        if s in (NEG, NONPOS, ZERO):
            return sympy.S.Zero
        oracle.fallbacks += 1
        return relu_abs(canonical(t))

    out = [sympy.expand(v) for v in to_sympy(net, syms, relu=rule)]
    if pending:
        raise flush()
    return out


_STRICT = {POS: 1, NEG: -1, ZERO: 0}


def evaluate_expr(e: sympy.Expr, oracle: Oracle) -> sympy.Expr:
    """``e`` on the locus with Abs / Piecewise / Heaviside / sign fixed by the oracle (Max, Min: via Abs)."""
    if e.is_Atom:
        return e
    if isinstance(e, (sympy.Max, sympy.Min)):
        return evaluate_expr(canonical(e), oracle)
    if isinstance(e, sympy.Abs):
        v = sympy.expand(evaluate_expr(e.args[0], oracle))
        s = oracle.sign(v)
        if s in (POS, NONNEG):
            return v
        if s in (NEG, NONPOS):
            return -v
        if s == ZERO:
            return sympy.S.Zero
        oracle.fallbacks += 1
        return _abs_of(canonical(v))
    if isinstance(e, sympy.Piecewise):
        for value, cond in e.args:
            truth = _condition(cond, oracle)
            if truth is None:
                raise Undetermined(f"Piecewise condition {cond}")
            if truth:
                return evaluate_expr(value, oracle)
        return sympy.nan  # no branch applies: undefined there (sympy's convention)
    if isinstance(e, (sympy.Heaviside, sympy.sign)):
        s = oracle.sign(sympy.expand(evaluate_expr(e.args[0], oracle)))
        if s not in _STRICT:
            raise Undetermined(f"{e.func.__name__} argument sign")
        if isinstance(e, sympy.sign):
            return sympy.Integer(_STRICT[s])
        h0 = e.args[1] if len(e.args) > 1 else sympy.S.Half
        return {1: sympy.S.One, -1: sympy.S.Zero, 0: h0}[_STRICT[s]]
    args = [evaluate_expr(a, oracle) if isinstance(a, sympy.Expr) else a for a in e.args]
    return e.func(*args)


_REL = {  # relation on d = lhs - rhs: signs making it True / False
    sympy.StrictLessThan: ({NEG}, {POS, ZERO, NONNEG}),
    sympy.LessThan: ({NEG, ZERO, NONPOS}, {POS}),
    sympy.StrictGreaterThan: ({POS}, {NEG, ZERO, NONPOS}),
    sympy.GreaterThan: ({POS, ZERO, NONNEG}, {NEG}),
    sympy.Eq: ({ZERO}, {POS, NEG}),
    sympy.Ne: ({POS, NEG}, {ZERO}),
}


def _condition(c: Any, oracle: Oracle) -> bool | None:
    if c is sympy.true or c is True:
        return True
    if c is sympy.false or c is False:
        return False
    if type(c) in _REL:
        s = oracle.sign(sympy.expand(evaluate_expr(c.lhs - c.rhs, oracle)))
        yes, no = _REL[type(c)]
        return True if s in yes else False if s in no else None
    if isinstance(c, (sympy.And, sympy.Or)):
        vals = [_condition(a, oracle) for a in c.args]
        if isinstance(c, sympy.And):
            return False if False in vals else None if None in vals else True
        return True if True in vals else None if None in vals else False
    if isinstance(c, sympy.Not):
        v = _condition(c.args[0], oracle)
        return None if v is None else not v
    return None


def discontinuous(e: sympy.Expr) -> bool:
    """Whether ``e`` may jump (Piecewise, Heaviside, sign): then cell boundaries must be checked too."""
    return bool(e.has(sympy.Piecewise, sympy.Heaviside, sympy.sign))
