"""Convex polygon cells for region-wise proofs in 2-D on a bounded box (exact rational vertices).

A cell is an open convex polygon with rational vertices (counter-clockwise, nonempty interior); its sample
point is the vertex average, which lies strictly inside. Signs on a cell:

- affine p: p at the vertices; all >= 0 means p > 0 on the open cell (an affine function that vanishes at an
  interior point and is >= 0 around it is 0), all <= 0 likewise; mixed signs: cut along the line p = 0
  (exact clipping, both halves keep a nonempty interior). A cell is first evaluated *lazily*, without
  cuts (such units stay in Abs form, as on boxes); only if that does not prove it is it cut;
- p in one variable x_j, nonlinear: cut at a rational root strictly inside the cell's x_j-range; with an
  irrational root inside the sign is left undetermined (no rational cut exists);
- otherwise: an interval enclosure over the bounding box, else undetermined.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import sympy

from polyapprox.symbolic.algnum import AlgNum, real_roots

Point = tuple[Fraction, Fraction]


def _cross(o: Point, p: Point, q: Point) -> Fraction:
    return (p[0] - o[0]) * (q[1] - o[1]) - (p[1] - o[1]) * (q[0] - o[0])


def clip(vertices: Sequence[Point], a: Sequence[Fraction], c: Fraction) -> list[Point]:
    """The part of the convex polygon where a.v + c >= 0 (Sutherland-Hodgman, exact)."""
    def f(v: Point) -> Fraction:
        return a[0] * v[0] + a[1] * v[1] + c

    out: list[Point] = []
    n = len(vertices)
    for k in range(n):
        p, q = vertices[k], vertices[(k + 1) % n]
        fp, fq = f(p), f(q)
        if fp >= 0:
            out.append(p)
        if fp * fq < 0:
            t = fp / (fp - fq)
            out.append((p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])))
    dedup: list[Point] = []
    for v in out:
        if not dedup or dedup[-1] != v:
            dedup.append(v)
    if len(dedup) > 1 and dedup[0] == dedup[-1]:
        dedup.pop()
    return dedup


class Polygon:
    """Open convex polygon cell (see module doc)."""

    def __init__(self, vertices: Sequence[Point]) -> None:
        vs = list(vertices)
        area2 = sum(_cross((Fraction(0), Fraction(0)), vs[k], vs[(k + 1) % len(vs)]) for k in range(len(vs)))
        assert area2 != 0, "degenerate polygon"
        self.vertices = vs if area2 > 0 else vs[::-1]
        n = len(self.vertices)
        self.sample = [sum(v[0] for v in self.vertices) / n, sum(v[1] for v in self.vertices) / n]
        # lazy: decline oblique cuts (the unit stays in Abs form); the prover retries with cuts if needed
        self.lazy, self.declined = True, 0

    @classmethod
    def box(cls, box: Sequence[tuple[Fraction, Fraction]]) -> Polygon:
        (x0, x1), (y0, y1) = box
        return cls([(x0, y0), (x1, y0), (x1, y1), (x0, y1)])

    def outer(self, axis: int) -> tuple[Fraction, Fraction]:
        vals = [v[axis] for v in self.vertices]
        return min(vals), max(vals)

    def split(self, cut: Any) -> list[Polygon]:
        assert cut.line is not None
        return self.split_line(*cut.line)

    def split_line(self, a: Sequence[Fraction], c: Fraction) -> list[Polygon]:
        neg = [-a[0], -a[1]]
        return [Polygon(clip(self.vertices, a, c)), Polygon(clip(self.vertices, neg, -c))]

    def search_axes(self) -> list[tuple[AlgNum, AlgNum]]:
        """An open square around the sample point inside the cell (for refutation grids)."""
        cx, cy = self.sample
        delta = None
        n = len(self.vertices)
        for k in range(n):
            p, q = self.vertices[k], self.vertices[(k + 1) % n]
            slack = _cross(p, q, (cx, cy))  # > 0 inside (counter-clockwise order)
            norm = abs(q[1] - p[1]) + abs(q[0] - p[0])
            d = slack / (2 * norm)
            delta = d if delta is None or d < delta else delta
        assert delta is not None and delta > 0
        return [(AlgNum(cx - delta), AlgNum(cx + delta)), (AlgNum(cy - delta), AlgNum(cy + delta))]

    def value(self, p: sympy.Poly, v: Sequence[Fraction]) -> Fraction:
        val = p.eval({s: sympy.Rational(q.numerator, q.denominator) for s, q in zip(p.gens, v, strict=True)})
        return Fraction(int(val.p), int(val.q))

    def sign(self, p: sympy.Poly, syms: Sequence[sympy.Symbol], cache: dict[Any, list[AlgNum]]) -> str | None:
        from polyapprox.symbolic.regions import NEG, POS, Split, enclosure, signed

        if p.total_degree() == 1:
            vals = [self.value(p, v) for v in self.vertices]
            if all(w >= 0 for w in vals):
                return POS
            if all(w <= 0 for w in vals):
                return NEG
            if self.lazy:
                self.declined += 1
                return None
            coeffs = p.as_dict()
            a = [Fraction(_q(coeffs.get((1, 0), 0))), Fraction(_q(coeffs.get((0, 1), 0)))]
            raise Split(line=(a, _q(coeffs.get((0, 0), 0))))
        from polyapprox.symbolic.regions import univariate

        j, u = univariate(p, syms, cache)
        if u is not None:
            if u not in cache:
                cache[u] = real_roots(u)
            lo, hi = self.outer(j)
            inside = [r for r in cache[u] if _strictly_between(r, lo, hi)]
            rational = [r for r in inside if r.is_rational]
            if rational:
                a = [Fraction(1), Fraction(0)] if j == 0 else [Fraction(0), Fraction(1)]
                raise Split(axis=j, roots=[rational[0]], line=(a, -rational[0].lo))
            if inside:
                return None
            return signed(self.value(p, self.sample))
        enc = enclosure(p, [self.outer(0), self.outer(1)])
        if enc is None:
            return None
        lo_v, hi_v = enc
        from polyapprox.symbolic.regions import NONNEG, NONPOS

        return POS if lo_v > 0 else NEG if hi_v < 0 else NONNEG if lo_v >= 0 else NONPOS if hi_v <= 0 else None


def _q(v: Any) -> Fraction:
    r = sympy.Rational(v)
    return Fraction(int(r.p), int(r.q))


def _strictly_between(r: AlgNum, lo: Fraction, hi: Fraction) -> bool:
    from polyapprox.symbolic.algnum import compare

    return compare(AlgNum(lo), r) < 0 and compare(r, AlgNum(hi)) < 0
