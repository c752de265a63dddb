"""Exact linear pieces of 1-input ReLU nets, and the piece-count bound (docs/constructions.md §3.3).

Exact 1-D sup errors from these pieces: docs/measurement.md §2.

A net whose units are identities or PolyReLU of order <= 1 (``c0 + c1 R(t)``, ReLU included) is a
continuous piecewise-linear function of one input. We propagate, unit by unit, the exact list of
breakpoints and values on [lo, hi] (``PiecewiseLinear``): a linear combination merges breakpoint lists,
ReLU inserts the zero crossing x0 + (x1 - x0) y0 / (y0 - y1) of every segment that changes sign. All
arithmetic is ``Fraction``; every breakpoint is rational.

Piece-count bound (counting after Telgarsky 2016 / Montufar et al. 2014 [literature]; the product form
is our derivation, docs/constructions.md §3.3): if the input is affine on each of P intervals, a layer of m ReLU
units adds at most one breakpoint per unit per interval, so P -> P (1 + m). Hence
``p <= prod_l (1 + m_l) <= (1 + U/L)^L <= (2U/L)^L`` (AM-GM; the last step needs m_l >= 1) for a net with
L hidden ReLU layers of m_l units, U = sum m_l.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from polyapprox.core.net import Identity, Net, as_fraction
from polyapprox.errors import ConfigError, NetError


@dataclass(frozen=True)
class PiecewiseLinear:
    """Continuous piecewise-linear function through (xs[k], ys[k]); xs strictly increasing, len >= 2."""

    xs: tuple[Fraction, ...]
    ys: tuple[Fraction, ...]

    def simplified(self) -> PiecewiseLinear:
        """Drop interior points where the slope does not change (maximal pieces)."""
        keep = _kinks(self.xs, self.ys)
        return PiecewiseLinear(tuple(self.xs[k] for k in keep), tuple(self.ys[k] for k in keep))

    @property
    def breakpoints(self) -> list[Fraction]:
        """Interior points where the slope changes (so the number of pieces is len + 1)."""
        return list(self.simplified().xs[1:-1])

    @property
    def n_pieces(self) -> int:
        return len(self.simplified().xs) - 1

    def __call__(self, x: Fraction) -> Fraction:
        return _resample(self.xs, self.ys, (as_fraction(x, "x"),))[0]


def _kinks(xs: Sequence[Fraction], ys: Sequence[Fraction]) -> list[int]:
    """Indices to keep: both ends and every interior point where the slope changes (exact)."""
    slopes = [(ys[k + 1] - ys[k]) / (xs[k + 1] - xs[k]) for k in range(len(xs) - 1)]
    return [0, *(k for k in range(1, len(xs) - 1) if slopes[k] != slopes[k - 1]), len(xs) - 1]


def _resample(xs: Sequence[Fraction], ys: Sequence[Fraction], grid: Sequence[Fraction],
              fx: Sequence[float] | None = None, fgrid: Sequence[float] | None = None) -> list[Fraction]:
    """Values at ``grid`` (sorted, inside [xs[0], xs[-1]]) by exact linear interpolation.

    ``fx``/``fgrid``: correctly rounded float shadows of xs/grid; rounding is monotone, so comparing floats
    first and Fractions only on float ties is exact."""
    fx = fx if fx is not None else [float(x) for x in xs]
    fgrid = fgrid if fgrid is not None else [float(u) for u in grid]
    out = []
    k, last, seg = 0, len(xs) - 2, -1
    slope = _ZERO
    for u, fu in zip(grid, fgrid, strict=True):
        while k < last and (fx[k + 1] < fu or (fx[k + 1] == fu and xs[k + 1] < u)):
            k += 1
        if fu == fx[k] and u == xs[k]:
            out.append(ys[k])
        elif fu == fx[k + 1] and u == xs[k + 1]:
            out.append(ys[k + 1])
        else:
            if seg != k:
                seg, slope = k, (ys[k + 1] - ys[k]) / (xs[k + 1] - xs[k])
            out.append(ys[k] + slope * (u - xs[k]))
    return out


def _union(parts: Sequence[tuple[Sequence[Fraction], Sequence[float]]]) -> tuple[tuple[Fraction, ...],
                                                                                tuple[float, ...]]:
    """Sorted union of exact point lists with their float shadows (ties in float broken exactly)."""
    keyed = sorted((f, x) for xs, fx in parts for x, f in zip(xs, fx, strict=True))
    ox, of = [keyed[0][1]], [keyed[0][0]]
    for f, x in keyed[1:]:
        if f != of[-1] or x != ox[-1]:
            ox.append(x)
            of.append(f)
    return tuple(ox), tuple(of)


_ZERO = Fraction(0)


def _relu(xs: Sequence[Fraction], ys: Sequence[Fraction]) -> tuple[list[Fraction], list[Fraction]]:
    """R applied to the PL function (xs, ys): zero crossings inserted (signs read off the numerators)."""
    sg = [y.numerator for y in ys]
    if all(v >= 0 for v in sg):
        return list(xs), list(ys)
    nx, ny = [xs[0]], [ys[0] if sg[0] > 0 else _ZERO]
    for k in range(1, len(xs)):
        s0, s1 = sg[k - 1], sg[k]
        if (s0 < 0 < s1) or (s1 < 0 < s0):
            y0 = ys[k - 1]
            nx.append(xs[k - 1] + (xs[k] - xs[k - 1]) * y0 / (y0 - ys[k]))
            ny.append(_ZERO)
        nx.append(xs[k])
        ny.append(ys[k] if s1 > 0 else _ZERO)
    return nx, ny


def _unit_order(act: object, where: str) -> tuple[Fraction, Fraction] | None:
    """None for identity, else (c0, c1) of a PolyReLU of order <= 1; higher orders are not piecewise linear."""
    if isinstance(act, Identity):
        return None
    coeffs = act.coeffs  # type: ignore[attr-defined]
    if len(coeffs) > 2:
        raise NetError(f"{where}: PolyReLU of order {len(coeffs) - 1} is not piecewise linear")
    c = list(coeffs) + [Fraction(0)] * (2 - len(coeffs))
    return c[0], c[1]


def propagate(net: Net, lo: object, hi: object, simplify: bool = True) -> list[PiecewiseLinear]:
    """The exact piecewise-linear outputs of a 1-input ReLU net on [lo, hi] (one per output)."""
    a, b = as_fraction(lo, "lo"), as_fraction(hi, "hi")
    if not a < b:
        raise ConfigError(f"lo, hi: need lo < hi, got [{a}, {b}]")
    if net.in_dim != 1:
        raise NetError(f"in_dim: {net.in_dim}, piece counting needs a 1-input net")
    # per unit: (xs, float shadow of xs, ys)
    units: list[tuple[tuple[Fraction, ...], tuple[float, ...], tuple[Fraction, ...]]] = [
        ((a, b), (float(a), float(b)), (a, b))]
    for li, layer in enumerate(net.layers):
        new = []
        grids: dict[frozenset[int], tuple[tuple[Fraction, ...], tuple[float, ...]]] = {}
        for i, row in enumerate(layer.weight.rows()):
            spec = _unit_order(layer.activations[i], f"layers[{li}].activations[{i}]")
            key = frozenset(id(units[j][0]) for j, _ in row)
            if key not in grids:
                firsts = {id(units[j][0]): units[j] for j, _ in row}
                grids[key] = (_union([(u[0], u[1]) for u in firsts.values()]) if len(firsts) > 1 else
                              (firsts.popitem()[1][:2] if firsts else ((a, b), (float(a), float(b)))))
            grid, fgrid = grids[key]
            acc: list[Fraction] | None = None
            for j, w in row:
                xs, fx, ys = units[j]
                vals = ys if xs is grid or xs == grid else _resample(xs, ys, grid, fx, fgrid)
                if acc is None:
                    acc = list(vals) if w == 1 else [w * v for v in vals]
                else:
                    acc = [s + v for s, v in zip(acc, vals, strict=True)] if w == 1 else \
                        [s + w * v for s, v in zip(acc, vals, strict=True)]
            bias = layer.bias[i]
            if acc is None:
                acc = [bias] * len(grid)
            elif bias != 0:
                acc = [s + bias for s in acc]
            xs_out: Sequence[Fraction] = grid
            fx_out: Sequence[float] = fgrid
            if spec is not None:
                c0, c1 = spec
                xs_out, acc = _relu(grid, acc)
                if len(xs_out) != len(grid):
                    fx_out = [float(x) for x in xs_out]
                if (c0, c1) != (0, 1):
                    acc = [c0 + c1 * v for v in acc]
            if simplify:
                keep = _kinks(xs_out, acc)
                if len(keep) != len(xs_out):
                    xs_out, fx_out, acc = ([xs_out[k] for k in keep], [fx_out[k] for k in keep],
                                           [acc[k] for k in keep])
            new.append((tuple(xs_out), tuple(fx_out), tuple(acc)))
        units = new
    return [PiecewiseLinear(xs, ys) for xs, _, ys in units]


def count_pieces(net: Net, lo: object, hi: object) -> list[Fraction]:
    """Sorted interior breakpoints of a 1-input, 1-output ReLU net on [lo, hi]; pieces = len + 1. Exact."""
    if net.out_dim != 1:
        raise NetError(f"out_dim: {net.out_dim}, count_pieces needs a 1-output net")
    return propagate(net, lo, hi)[0].breakpoints


@dataclass(frozen=True)
class PieceBound:
    """Upper bounds on the number of linear pieces of a 1-input ReLU net (see module docstring)."""

    widths: tuple[int, ...]  # ReLU units per hidden layer (m_l), identity units excluded
    product: int  # prod_l (1 + m_l)
    amgm: float  # (1 + U/L)^L
    telgarsky: float  # (2U/L)^L


def piece_bound(net: Net) -> PieceBound:
    """prod (1 + m_l) <= (1 + U/L)^L <= (2U/L)^L over the layers holding ReLU-type units."""
    widths = []
    for li, layer in enumerate(net.layers):
        m = sum(1 for i, act in enumerate(layer.activations)
                if _unit_order(act, f"layers[{li}].activations[{i}]") is not None)
        if m:
            widths.append(m)
    L, U = len(widths), sum(widths)
    return PieceBound(tuple(widths), math.prod(1 + m for m in widths),
                      (1 + U / L) ** L if L else 1.0, (2 * U / L) ** L if L else 1.0)


# --- exact sup error of a piecewise-linear function against a piecewise polynomial ---------------------

Poly = tuple[Fraction, ...]  # coefficients, lowest degree first


def _peval(c: Sequence[Fraction], x: Fraction) -> Fraction:
    acc = Fraction(0)
    for v in reversed(c):
        acc = acc * x + v
    return acc


def _deriv(c: Sequence[Fraction]) -> list[Fraction]:
    return [k * c[k] for k in range(1, len(c))]


def _abs_bound(c: Sequence[Fraction], u: Fraction, v: Fraction) -> Fraction:
    """Rigorous bound on |p| over [u, v]: expand p at the centre, sum |coeff_k| (w/2)^k."""
    mid, half = (u + v) / 2, (v - u) / 2
    shifted = list(c)
    n = len(shifted)
    for i in range(n):  # Taylor shift by repeated synthetic division (Horner)
        for k in range(n - 2, i - 1, -1):
            shifted[k] += mid * shifted[k + 1]
    return sum((abs(s) * half ** k for k, s in enumerate(shifted)), Fraction(0))


@dataclass(frozen=True)
class SupError:
    """sup |target - g| lies in [lower, upper]; ``lower`` = |error| at the rational point ``argmax``."""

    lower: Fraction
    upper: Fraction
    argmax: Fraction

    @property
    def exact(self) -> bool:
        return self.lower == self.upper


def _critical_brackets(dp: list[Fraction], a: Fraction, b: Fraction,
                       zones: Sequence[tuple[Fraction, Fraction]]) -> list[tuple[Fraction, Fraction]]:
    """Rational brackets [u, v] (width <= (b - a) 2^-48), one around each root of dp in (a, b)."""
    deg = len(dp) - 1
    if deg <= 0:
        return []
    if deg == 1:
        r = -dp[0] / dp[1]
        return [(r, r)] if a < r < b else []
    if any(u <= b and a <= v for u, v in zones):  # dp may be non-monotone here: exact isolation
        import sympy

        x = sympy.Symbol("x")
        p = sympy.Poly([sympy.Rational(c.numerator, c.denominator) for c in reversed(dp)], x)
        eps = sympy.Rational((b - a).numerator, (b - a).denominator * 2 ** 48)
        out = []
        for (u, v), _ in p.intervals(eps=eps, inf=_q(a), sup=_q(b)):
            fu, fv = Fraction(int(u.p), int(u.q)), Fraction(int(v.p), int(v.q))
            out.append((max(fu, a), min(fv, b)))
        return out
    fa, fb = _peval(dp, a), _peval(dp, b)
    if fa == 0 or fb == 0 or (fa > 0) == (fb > 0):
        return []  # monotone derivative without an interior sign change
    u, v, sa = a, b, fa > 0
    target = (b - a) / 2 ** 48
    guess = _float_root(dp, float(a), float(b), sa)
    if guess is not None:  # float bisection, then an exact bracket check around the float root
        r, delta = Fraction(guess), target / 2
        gu, gv = max(r - delta, a), min(r + delta, b)
        su, sv = _peval(dp, gu), _peval(dp, gv)
        if su == 0:
            return [(gu, gu)]
        if sv == 0:
            return [(gv, gv)]
        if (su > 0) == sa and (sv > 0) != sa:
            return [(gu, gv)]
    while v - u > target:  # bisection on dyadic midpoints: exact, monotone dp
        mid = (u + v) / 2
        fm = _peval(dp, mid)
        if fm == 0:
            return [(mid, mid)]
        if (fm > 0) == sa:
            u = mid
        else:
            v = mid
    return [(u, v)]


def _float_root(dp: Sequence[Fraction], a: float, b: float, positive_at_a: bool) -> float | None:
    """Float bisection for the sign change of dp on [a, b] (a guess only; the caller checks it exactly)."""
    c = [float(v) for v in dp]
    for _ in range(80):
        m = 0.5 * (a + b)
        if not a < m < b:
            break
        fm = 0.0
        for v in reversed(c):
            fm = fm * m + v
        if (fm > 0) == positive_at_a:
            a = m
        else:
            b = m
    return 0.5 * (a + b)


def _q(f: Fraction):  # noqa: ANN202 - sympy.Rational, imported lazily
    import sympy

    return sympy.Rational(f.numerator, f.denominator)


def _inflection_zones(c: Sequence[Fraction], a: Fraction, b: Fraction) -> list[tuple[Fraction, Fraction]]:
    """Rational intervals covering the real roots of p'' in [a, b] (outside them p' is monotone)."""
    d2 = _deriv(_deriv(c))
    while d2 and d2[-1] == 0:
        d2.pop()
    if len(d2) <= 1:
        return []
    if len(d2) == 2:
        r = -d2[0] / d2[1]
        return [(r, r)] if a <= r <= b else []
    import sympy

    x = sympy.Symbol("x")
    p = sympy.Poly([_q(v) for v in reversed(d2)], x)
    return [(Fraction(int(u.p), int(u.q)), Fraction(int(v.p), int(v.q)))
            for (u, v), _ in p.intervals(inf=_q(a), sup=_q(b))]


def sup_error(g: PiecewiseLinear, target: Sequence[tuple[object, object, Sequence[object]]]) -> SupError:
    """sup over the union of the target's pieces of |P(x) - g(x)|, P = target piece polynomial.

    ``target``: [(lo, hi, coeffs)], coeffs lowest degree first, each [lo, hi] inside g's domain. On every
    segment of g (split at the target's piece ends), d = P - chord is a polynomial; its maximum modulus is
    at an endpoint or a root of d' = P' - slope. Degree <= 2: exact. Degree >= 3: each root is bracketed to
    relative width 2^-48 (exact bisection where P'' has no root, sympy isolation near roots of P''), and
    |d(root)| is enclosed using a rigorous bound on |d'| over the bracket.
    """
    lower, upper, argmax = Fraction(-1), Fraction(0), None
    for lo_, hi_, coeffs in target:
        lo, hi = as_fraction(lo_, "lo"), as_fraction(hi_, "hi")
        if not g.xs[0] <= lo < hi <= g.xs[-1]:
            raise ConfigError(f"target: piece [{lo}, {hi}] is not inside the domain [{g.xs[0]}, {g.xs[-1]}]")
        c = [as_fraction(v, "coeffs") for v in coeffs] + [Fraction(0), Fraction(0)]
        zones = _inflection_zones(c, lo, hi)
        inner = [x for x in g.xs if lo < x < hi]
        grid = [lo, *inner, hi]
        vals = _resample(g.xs, g.ys, grid)
        for k in range(len(grid) - 1):
            a, b, ga, gb = grid[k], grid[k + 1], vals[k], vals[k + 1]
            s = (gb - ga) / (b - a)
            d = list(c)
            d[0] -= ga - s * a
            d[1] -= s
            cands = [(abs(_peval(d, a)), abs(_peval(d, a)), a), (abs(_peval(d, b)), abs(_peval(d, b)), b)]
            dd = _deriv(d)
            while len(dd) > 1 and dd[-1] == 0:
                dd.pop()
            for u, v in _critical_brackets(dd, a, b, zones):
                lo_val = max((abs(_peval(d, u)), u), (abs(_peval(d, v)), v))
                slack = _abs_bound(dd, u, v) * (v - u)
                cands.append((lo_val[0], lo_val[0] + slack, lo_val[1]))
            for low, up, x in cands:
                if low > lower:
                    lower, argmax = low, x
                upper = max(upper, up)
    if argmax is None:
        raise ConfigError("target: no pieces given")
    return SupError(lower, upper, argmax)
