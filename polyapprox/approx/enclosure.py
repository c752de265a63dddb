"""Certified enclosures [lower, upper] of sup_{x in box} |net(x) - f(x)| in ball arithmetic (python-flint arb).

The domain is cut into *pieces* on which the net is one analytic formula (``Piece.model``, a function of
arb / arb_series coordinates): the sub-cells of the 3N-grid for the Theorem 3 net (``sobolev_pieces``; the
trapezoid partition of unity is polynomial there, so net - f is a polynomial minus an analytic function),
the exact linear pieces of a 1-input ReLU net (``linear_pieces``, from ``pieces.propagate``), or the whole
domain for a generic net (``net_piece``: interval evaluation of the net, no derivative).

On a box B with centre c and half-widths r, g = model - f is bounded by (all terms arb balls, upper ends):

* d = 1:  |g(x)| <= sum_{k<K} |g^(k)(c)| r^k / k! + |g^(K)(B)| r^K / K!   (Taylor with Lagrange remainder,
  arb_series; K = ``taylor_order``, 2 by default; K = n + 1 for the Theorem 3 net makes the remainder of
  its degree-n polynomial vanish, so a net equal to its target encloses to [0, ~2^-90]);
* d >= 2, polynomial pieces (``Piece.degree`` = D; the Theorem 3 sub-cells, D = n - 1 + d): the centred form
  |g(c + h)| <= sum_{|b| <= D} |g_b(c)| r^b + sum_{|b| = D+1} |f_b(domain)| r^b, with the Taylor coefficients
  g_b(c) at the centre (point balls: the overlapping terms of the partition of unity cancel as they should;
  a box-ball evaluation loses that cancellation and shrinks only linearly under bisection) recovered exactly
  from directional arb_series along simplex-lattice directions, and the remainder f's alone (the model's
  derivatives of order D + 1 vanish). When the box is the worst one, the polynomial part is tested for
  monotonicity along each axis; monotone axes are fixed at their faces (sup |.| on a segment of a monotone
  function is at an end; all axes monotone: the corners) before the triangle inequality (``Form``);
* d >= 2, other pieces: |g(x)| <= |g(c)| + sum_k |d_k g(c)| r_k + (1/2) sum_jk |H_jk(B)| r_j r_k  (Taylor,
  second order; H_kk and H_jk from directional arb_series along e_k and e_j + e_k);
* generic nets (``net_piece``): the same Taylor forms, arb_series carried through the net, on boxes where
  no ReLU argument changes sign; on the others the first-order mean-value form |g(c)| + sum_k |d_k g(B)| r_k
  with the ReLU's generalised derivative [0, 1] (g is Lipschitz: Lebourg's mean value theorem).

``enclose`` keeps a max-heap of boxes by upper bound and bisects the worst one (widest side) until
upper <= ratio * lower or the evaluation budget is spent. ``lower`` is the largest |g| found at a box
centre, a corner of a box that was the worst (d >= 2) or a probe point: a ball enclosing the exact value of
the exact net minus f there, so it is a true lower bound of the sup; ``upper`` bounds |g| on every box still
in the heap, hence on the whole domain.

What is bounded: the *exact* network (rational weights, exact arithmetic) against f. The float64 rounding
of evaluating it is measured separately (``measure.float_floor``) and bounded rigorously at sampled points by
``backends.errorbound``; the Theorem 3 pieces use the closed form sum_m phi_m P_m, proven equal to the net
by ``verify_sobolev`` for every coefficient table.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import Any

from polyapprox.backends.arbnet import Straddle, arb_of, working_precision
from polyapprox.errors import ConfigError

ArbFn = Callable[[Sequence[Any]], Any]
Box = tuple[tuple[Fraction, ...], tuple[Fraction, ...]]

#: working precision of the enclosure (bits): errors down to ~1e-20 relative to f are resolved
PREC = 96
#: an upper bound below this counts as converged (a net equal to its target up to far below float64 rounding)
ATOL = 2.0 ** -70


@dataclass(frozen=True)
class Piece:
    """A box [lo, hi] of the domain and the net there as one formula of arb / arb_series coordinates.

    ``smooth``: the formula is analytic on a neighbourhood of the box (Taylor bounds apply); else only
    interval evaluation is used."""

    lo: tuple[Fraction, ...]
    hi: tuple[Fraction, ...]
    model: ArbFn
    smooth: bool = True
    #: total degree of ``model`` when it is a polynomial (None: not known to be one); enables the centred
    #: Taylor form of degree ``degree`` in d >= 2 (``_Bounder._centred``)
    degree: int | None = None


@dataclass(frozen=True)
class Enclosure:
    """sup |net - f| lies in [lower, upper] (floats rounded outward); ``argmax`` is where lower was found."""

    lower: float
    upper: float
    argmax: tuple[float, ...]
    converged: bool
    boxes: int
    evaluations: int
    seconds: float
    method: str
    how: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.upper / self.lower if self.lower > 0 else math.inf

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["ratio"] = self.ratio if math.isfinite(self.ratio) else None
        return out


def _down(v: Any) -> float:
    """A float <= the lower end of the ball v."""
    return math.nextafter(float(v.lower()), -math.inf)


def _up(v: Any) -> float:
    """A float >= the upper end of the ball v."""
    return math.nextafter(float(v.upper()), math.inf)


def _ball(lo: Fraction, hi: Fraction) -> Any:
    """An arb ball containing [lo, hi]."""
    from flint import arb

    mid = arb_of((lo + hi) / 2)
    return arb(mid.mid(), arb_of((hi - lo) / 2).upper() + mid.rad())


class _Bounder:
    """Upper and lower bounds of |model - f| on boxes (see module docstring); counts evaluations."""

    def __init__(self, f: ArbFn, d: int, order: int = 2, domain: Box | None = None) -> None:
        from flint import arb_series

        self.f, self.d, self.order, self.evaluations = f, d, order, 0
        self.domain, self._series, self._zero = domain, arb_series, arb_of(0)
        #: the centred Taylor form of the last box bounded by ``_centred`` (None after other forms)
        self.form: Form | None = None
        self._remainders: dict[int, list[Any]] = {}

    def g(self, piece: Piece, xs: Sequence[Any]) -> Any:
        """net - f at ``xs``; a series whenever some coordinate is one (a function constant along the series'
        direction, e.g. a target without y in d = 3, returns a plain ball: promote it)."""
        arb_series = self._series
        self.evaluations += 1
        out = piece.model(xs) - self.f(xs)
        if isinstance(out, arb_series):
            return out
        prec = next((x.prec for x in xs if isinstance(x, arb_series)), None)
        return arb_series([out], prec=prec) if prec is not None else out

    def at(self, piece: Piece, point: Sequence[Fraction]) -> Any:
        """|g| at a rational point (a ball)."""
        return abs(self.g(piece, [arb_of(v) for v in point]))

    def box(self, piece: Piece, lo: Sequence[Fraction], hi: Sequence[Fraction]) -> tuple[float, float, tuple]:
        """(lower at the centre, upper on the box, centre) for the box [lo, hi] of ``piece``."""
        self.form = None
        c = tuple((a + b) / 2 for a, b in zip(lo, hi, strict=True))
        cb = [arb_of(v) for v in c]
        if self.d >= 2 and piece.degree is not None and self.domain is not None:
            return self._centred(piece, cb, lo, hi, c)
        r = [float(arb_of((b - a) / 2).upper()) for a, b in zip(lo, hi, strict=True)]
        balls = [_ball(a, b) for a, b in zip(lo, hi, strict=True)]
        if not piece.smooth:
            try:
                return self._taylor(piece, cb, balls, r, c)
            except Straddle:  # a ReLU kink crosses the box: first-order mean-value form
                return self._mean_value(piece, cb, balls, r, c)
        return self._taylor(piece, cb, balls, r, c)

    def _mean_value(self, piece: Piece, cb: list[Any], balls: list[Any], r: list[float],
                    c: tuple) -> tuple[float, float, tuple]:
        """|g(c)| + sum_k |d_k g(B)| r_k, d_k g(B) a generalised-gradient enclosure (Lebourg's mean value theorem)."""
        g0 = abs(self.g(piece, cb))
        up = g0
        for k in range(self.d):
            up = up + abs(self.g(piece, _along(balls, (k,), 2))[1]) * r[k]
        return _down(g0), _up(up), c

    def _taylor(self, piece: Piece, cb: list[Any], balls: list[Any], r: list[float],
                c: tuple) -> tuple[float, float, tuple]:
        """Second-order Taylor bound of |g| on the box (module docstring)."""
        from flint import arb_series

        if self.d == 1:
            K = self.order
            s0 = self.g(piece, [arb_series([cb[0], 1], prec=K)])
            s1 = self.g(piece, [arb_series([balls[0], 1], prec=K + 1)])
            g0 = abs(s0[0])
            up = g0
            for k in range(1, K):
                up = up + abs(s0[k]) * r[0] ** k
            up = up + abs(s1[K]) * r[0] ** K
            return _down(g0), _up(up), c
        g0, up = None, None
        for k in range(self.d):  # value and gradient at the centre
            s = self.g(piece, _along(cb, (k,), 2))
            g0 = abs(s[0]) if g0 is None else g0
            up = g0 if up is None else up
            up = up + abs(s[1]) * r[k]
        half_h = [self.g(piece, _along(balls, (k,), 3))[2] for k in range(self.d)]  # H_kk / 2 on the box
        for k in range(self.d):
            up = up + abs(half_h[k]) * (r[k] * r[k])
        for j, k in itertools.combinations(range(self.d), 2):  # H_jk from the second derivative along e_j + e_k
            h_jk = self.g(piece, _along(balls, (j, k), 3))[2] - half_h[j] - half_h[k]
            up = up + abs(h_jk) * (r[j] * r[k])
        return _down(g0), _up(up), c

    def _centred(self, piece: Piece, cb: list[Any], lo: Sequence[Fraction], hi: Sequence[Fraction],
                 c: tuple) -> tuple[float, float, tuple]:
        """Centred Taylor form of a polynomial piece (degree D, K = D + 1) in d >= 2:

        |g(c + h)| <= sum_{|b| < K} |g_b(c)| r^b + sum_{|b| = K} |f_b(domain)| r^b,

        g_b(c) the Taylor coefficients of g = model - f at the centre (point balls: no dependency between the
        overlapping terms of the partition of unity), recovered from the directional series of g along the
        lattice directions (``_lattice``); the Lagrange remainder of order K is f's alone (the model's K-th
        derivatives vanish), bounded once over the whole domain (``_remainder``)."""
        K = piece.degree + 1
        dirs = _lattice(self.d, K - 1)
        series = [self.g(piece, _direction(cb, g, K)) for g in dirs]
        r = [arb_of((b - a) / 2) for a, b in zip(lo, hi, strict=True)]
        coef = {(0,) * self.d: series[0][0]}
        for k in range(1, K):
            m = len(_monomials(self.d, k))
            coef.update(zip(_monomials(self.d, k), _solve(self.d, k, [s[k] for s in series[:m]], self._zero),
                            strict=True))
        rem = _weighted(self._remainder(K), _monomials(self.d, K), r, self._zero)
        self.form = Form(coef, r, rem)
        return _down(abs(coef[(0,) * self.d])), _up(_weighted(coef.values(), coef, r, self._zero) + rem), c

    def _remainder(self, K: int) -> list[Any]:
        """Balls containing f's Taylor coefficients f_b(x) = D^b f(x) / b!, |b| = K, for every x in the domain."""
        from flint import arb_series

        if K not in self._remainders:
            balls = [_ball(a, b) for a, b in zip(*self.domain, strict=True)]
            vals = []
            for g in _lattice(self.d, K):
                out = self.f(_direction(balls, g, K + 1))
                vals.append(out[K] if isinstance(out, arb_series) else arb_of(Fraction(0)))
            self._remainders[K] = _solve(self.d, K, vals, self._zero)
        return self._remainders[K]


@dataclass(frozen=True)
class Form:
    """g(c + h) = sum_b coef[b] h^b + R(h) on the box |h_k| <= r_k, with |R| <= rem (``_Bounder._centred``)."""

    coef: dict[tuple[int, ...], Any]
    r: list[Any]
    rem: Any

    def monotone(self, k: int, zero: Any) -> bool:
        """d/dh_k of the polynomial part has one sign on the whole box: its value at 0 plus the centred bound
        sum_b |b_k coef_b| r^(b - e_k) of the other terms excludes 0."""
        e = tuple(int(j == k) for j in range(len(self.r)))
        slope = {tuple(bj - (j == k) for j, bj in enumerate(b)): c * b[k]  # d/dh_k's terms of degree >= 1
                 for b, c in self.coef.items() if b[k] and b != e}  # fmt: skip
        spread = _weighted(slope.values(), slope, self.r, zero)
        d = self.coef.get(e, zero)
        return bool(abs(d) > spread)

    def face_bound(self, zero: Any) -> float:
        """sup |g| on the box <= rem + max over the faces h_k = +-r_k (k in S) of the centred bound of the
        polynomial restricted to the face, S the axes where the polynomial is monotone (its sup of |.| on a
        segment of such an axis is at an end). With S all axes this is max over the corners of |poly| + rem."""
        axes = [k for k in range(len(self.r)) if self.monotone(k, zero)]
        best = -math.inf
        for signs in itertools.product((-1, 1), repeat=len(axes)):
            face: dict[tuple[int, ...], Any] = {}
            for b, c in self.coef.items():
                for k, sg in zip(axes, signs, strict=True):
                    if b[k]:
                        c = c * (self.r[k] if sg > 0 else -self.r[k]) ** b[k]
                key = tuple(0 if k in axes else bk for k, bk in enumerate(b))
                face[key] = face.get(key, zero) + c
            best = max(best, _up(_weighted(face.values(), face, self.r, zero) + self.rem))
        return best


def _weighted(coef: Sequence[Any], monos: Sequence[tuple[int, ...]], r: Sequence[Any], zero: Any) -> Any:
    """sum_b |coef_b| r^b (``zero``: the arb 0 to start from)."""
    total = zero
    for cb_, b in zip(coef, monos, strict=True):
        w = abs(cb_)
        for rk, e in zip(r, b, strict=True):
            if e:
                w = w * rk ** e
        total = total + w
    return total


@functools.cache
def _lattice(d: int, k: int) -> tuple[tuple[int, ...], ...]:
    """Directions u = (1, gamma), gamma in the (d-1)-dimensional simplex lattice |gamma| <= k, ordered by |gamma|
    (so the first C(j + d - 1, d - 1) of them are the lattice of degree j, for every j <= k)."""
    gammas = [gm for gm in itertools.product(range(k + 1), repeat=d - 1) if sum(gm) <= k]
    gammas.sort(key=lambda gm: (sum(gm), gm))
    return tuple((1, *gm) for gm in gammas)


@functools.cache
def _monomials(d: int, k: int) -> tuple[tuple[int, ...], ...]:
    """Exponents b with |b| = k (as many as the lattice directions of degree k)."""
    return tuple(b for b in itertools.product(range(k + 1), repeat=d) if sum(b) == k)


@functools.cache
def _inverse(d: int, k: int) -> tuple[tuple[Fraction, ...], ...]:
    """Exact inverse of M[u, b] = u^b (u the degree-k lattice directions, |b| = k): the principal lattice is
    unisolvent for polynomials of degree <= k in d - 1 variables, so M is invertible."""
    dirs, monos = _lattice(d, k)[:len(_monomials(d, k))], _monomials(d, k)
    n = len(monos)
    a = [[Fraction(math.prod(ui ** bi for ui, bi in zip(u, b, strict=True))) for b in monos]
         + [Fraction(int(i == j)) for j in range(n)] for i, u in enumerate(dirs)]
    for col in range(n):  # Gauss-Jordan elimination in exact rationals
        piv = next(i for i in range(col, n) if a[i][col] != 0)
        a[col], a[piv] = a[piv], a[col]
        p = a[col][col]
        a[col] = [v / p for v in a[col]]
        for i in range(n):
            if i != col and a[i][col] != 0:
                fac = a[i][col]
                a[i] = [v - fac * w for v, w in zip(a[i], a[col], strict=True)]
    return tuple(tuple(row[n:]) for row in a)


def _solve(d: int, k: int, vals: Sequence[Any], zero: Any) -> list[Any]:
    """Coefficients c_b (|b| = k) of a homogeneous polynomial from its values sum_b c_b u^b at the lattice
    directions u (balls in, balls out: the exact inverse matrix applied in arb)."""
    inv = _inverse_arb(d, k)
    return [sum((w * v for w, v in zip(row, vals, strict=True)), zero) for row in inv]


@functools.cache
def _inverse_arb(d: int, k: int) -> tuple[tuple[Any, ...], ...]:
    return tuple(tuple(arb_of(v) for v in row) for row in _inverse(d, k))


def _direction(base: Sequence[Any], u: Sequence[int], length: int) -> list[Any]:
    """Coordinates base + s u as arb_series in s of the given length."""
    from flint import arb_series

    return [arb_series([v, uk], prec=length) for v, uk in zip(base, u, strict=True)]


def _along(base: Sequence[Any], dims: tuple[int, ...], length: int) -> list[Any]:
    """Coordinates base + s * sum_{k in dims} e_k as arb_series in s of the given length."""
    from flint import arb_series

    return [arb_series([v, 1], prec=length) if k in dims else v for k, v in enumerate(base)]


def enclose(pieces: Sequence[Piece], f: ArbFn, *, ratio: float = 1.05, max_evals: int = 2_000_000,
            max_seconds: float = 60.0, probes: Sequence[Sequence[float]] = (), method: str = "",
            atol: float = ATOL, taylor_order: int = 2) -> Enclosure:
    """Enclose sup over the union of ``pieces`` of |piece.model - f| (see the module docstring).

    Every piece is bounded once; then the worst box is refined until upper <= max(ratio * lower, atol), or
    until ``max_evals`` evaluations in all / ``max_seconds`` of refinement after that first pass."""
    if not pieces:
        raise ConfigError("enclosure: no pieces given")
    t0 = time.perf_counter()
    with working_precision(PREC):
        d = len(pieces[0].lo)
        domain = (tuple(min(p.lo[k] for p in pieces) for k in range(d)),
                  tuple(max(p.hi[k] for p in pieces) for k in range(d)))
        b = _Bounder(f, d, max(taylor_order, 2), domain)
        lower, argmax = _probe(b, pieces, probes)
        heap: list[tuple[float, int, int, Box]] = []
        count = itertools.count()
        forms: dict[int, Form] = {}  # centred forms of boxes whose face bound is not yet taken

        def push(i: int, lo: tuple[Fraction, ...], hi: tuple[Fraction, ...]) -> None:
            nonlocal lower, argmax
            lo_v, up_v, c = b.box(pieces[i], lo, hi)
            if lo_v > lower:
                lower, argmax = lo_v, c
            key = next(count)
            if b.form is not None:
                forms[key] = b.form
            heapq.heappush(heap, (-up_v, key, i, (lo, hi)))

        for i, p in enumerate(pieces):
            push(i, p.lo, p.hi)
        t_first = time.perf_counter()
        converged = False
        while heap:
            up_top = -heap[0][0]
            if up_top <= max(ratio * lower, atol):
                converged = True
                break
            if b.evaluations >= max_evals or time.perf_counter() - t_first > max_seconds:
                break
            neg_up, key, i, (lo, hi) = heapq.heappop(heap)
            form = forms.pop(key, None)
            if form is not None:  # first time on top: the maximum is often at a corner (kinks of the partition)
                lower, argmax = _corners(b, pieces[i], lo, hi, lower, argmax)
                face = form.face_bound(b._zero)
                if face < 0.9 * -neg_up:
                    heapq.heappush(heap, (-face, next(count), i, (lo, hi)))
                    continue
            for clo, chi in _halves(lo, hi):
                push(i, clo, chi)
        upper = max(-heap[0][0], lower) if heap else lower
    return Enclosure(lower=max(lower, 0.0), upper=upper, argmax=tuple(float(v) for v in argmax),
                     converged=converged, boxes=len(heap), evaluations=b.evaluations,
                     seconds=time.perf_counter() - t0, method=method,
                     how={"ratio_goal": ratio, "max_evals": max_evals, "pieces": len(pieces), "precision_bits": PREC})


def evaluations_per_box(piece: Piece) -> int:
    """Series evaluations of one box's bound: the lattice directions of the centred form for polynomial pieces
    in d >= 2 (C(D + d - 1, d - 1), D the degree), at most 2 + d(d + 1)/2 for the others."""
    d = len(piece.lo)
    if d >= 2 and piece.degree is not None:
        return len(_lattice(d, piece.degree))
    return 2 + d * (d + 1) // 2


def _corners(b: _Bounder, piece: Piece, lo: tuple[Fraction, ...], hi: tuple[Fraction, ...], lower: float,
             argmax: tuple) -> tuple[float, tuple]:
    """The larger of ``lower`` and |g| at the 2^d corners of the box (with where it was found)."""
    for q in itertools.product(*zip(lo, hi, strict=True)):
        v = _down(b.at(piece, q))
        if v > lower:
            lower, argmax = v, q
    return lower, argmax


def _halves(lo: tuple[Fraction, ...], hi: tuple[Fraction, ...]) -> list[Box]:
    """The two halves of the box along its widest side."""
    k = max(range(len(lo)), key=lambda j: hi[j] - lo[j])
    mid = (lo[k] + hi[k]) / 2
    return [(lo, hi[:k] + (mid,) + hi[k + 1:]), (lo[:k] + (mid,) + lo[k + 1:], hi)]


def _probe(b: _Bounder, pieces: Sequence[Piece], probes: Sequence[Sequence[float]]) -> tuple[float, tuple]:
    """The largest |g| at the given points (each evaluated in the first piece containing it)."""
    lower, argmax = 0.0, tuple(Fraction(0) for _ in pieces[0].lo)
    for pt in probes:
        q = tuple(Fraction(float(v)) for v in pt)
        for p in pieces:
            if all(a <= v <= c for a, v, c in zip(p.lo, q, p.hi, strict=True)):
                v = _down(b.at(p, q))
                if v > lower:
                    lower, argmax = v, q
                break
    return lower, argmax


# ------------------------------------------------------------------------------------------------ pieces

def _psi_kind(j: int, m: int) -> str | None:
    """psi(t), t = 3N x - 3m, on the sub-cell t in [j - 3m, j - 3m + 1]: '1', 'up' (2 + t), 'down' (2 - t), None (0)."""
    a = j - 3 * m
    if -1 <= a and a + 1 <= 1:
        return "1"
    if 1 <= a and a + 1 <= 2:
        return "down"
    if -2 <= a and a + 1 <= -1:
        return "up"
    return None


def sobolev_pieces(coeffs: Any, d: int, n: int, N: int) -> list[Piece]:
    """The (3N)^d sub-cells of the Theorem 3 net sum_m phi_m P_m, each with its polynomial formula (constants
    as arb balls at the enclosure's precision ``PREC``)."""
    from polyapprox.construct.sobolev import alphas

    als = alphas(d, n)
    with working_precision(PREC):
        arb_coeffs = {key: arb_of(Fraction(v)) for key, v in coeffs.items() if v != 0}
        offsets = [arb_of(Fraction(m, N)) for m in range(N + 1)]
        shifts = [arb_of(3 * m) for m in range(N + 1)]
        three_n = arb_of(3 * N)
    per_dim = []
    for j in range(3 * N):
        per_dim.append([(m, kind) for m in (j // 3, j // 3 + 1) if m <= N
                        and (kind := _psi_kind(j, m)) is not None])
    pieces = []
    for js in itertools.product(range(3 * N), repeat=d):
        lo = tuple(Fraction(j, 3 * N) for j in js)
        hi = tuple(Fraction(j + 1, 3 * N) for j in js)
        terms = []
        for combo in itertools.product(*(per_dim[j] for j in js)):
            m = tuple(mk for mk, _ in combo)
            cs = [(a, arb_coeffs[(m, a)]) for a in als if (m, a) in arb_coeffs]
            if cs:
                psis = tuple((k, kind == "down", shifts[mk]) for k, (mk, kind) in enumerate(combo) if kind != "1")
                powers = tuple(max(a[k] for a, _ in cs) for k in range(d))
                terms.append((tuple(offsets[mk] for mk in m), psis, powers, cs))
        pieces.append(Piece(lo, hi, _cell_model(terms, three_n), degree=n - 1 + d))  # deg P_m <= n - 1, d psi
    return pieces


Term = tuple[tuple[Any, ...], tuple[tuple[int, bool, Any], ...], tuple[int, ...], list]


def _cell_model(terms: list[Term], three_n: Any) -> ArbFn:
    """sum over active m of prod_k psi_k(x_k) * sum_alpha a_{m,alpha} (x - m/N)^alpha, in arb arithmetic.

    A term: (m_k/N per axis, (axis, falling?, 3 m_k) for each non-constant psi factor (psi = 2 -/+ (3N x_k -
    3 m_k)), the highest power of each x_k - m_k/N, the coefficients a_{m,alpha})."""
    def model(xs: Sequence[Any]) -> Any:
        total: Any = 0
        for offs, psis, powers, cs in terms:
            pw = []
            for x, o, e in zip(xs, offs, powers, strict=True):
                row = [None, x - o]
                for _ in range(e - 1):
                    row.append(row[-1] * row[1])
                pw.append(row)
            poly: Any = 0
            for a, c in cs:
                mono: Any = c
                for row, e in zip(pw, a, strict=True):
                    if e:
                        mono = row[e] * mono
                poly = mono + poly
            for k, falling, shift in psis:
                t = xs[k] * three_n - shift
                poly = (2 - t if falling else t + 2) * poly
            total = poly + total
        return total
    return model


def linear_pieces(xs: Sequence[Fraction], ys: Sequence[Fraction]) -> list[Piece]:
    """The segments of a continuous piecewise-linear function through (xs, ys) (``pieces.PiecewiseLinear``)."""
    out = []
    for k in range(len(xs) - 1):
        x0, y0 = xs[k], ys[k]
        s = (ys[k + 1] - y0) / (xs[k + 1] - x0)
        ax0, ay0, asl = arb_of(x0), arb_of(y0), arb_of(s)
        out.append(Piece((x0,), (xs[k + 1],), lambda v, ax0=ax0, ay0=ay0, asl=asl: (v[0] - ax0) * asl + ay0))
    return out


def net_piece(net: Any, lo: Sequence[Fraction], hi: Sequence[Fraction]) -> Piece:
    """The whole box as one piece evaluated through the net in ball arithmetic (Taylor form on boxes that no
    ReLU kink crosses, plain interval evaluation on the others)."""
    from polyapprox.backends import _interpret
    from polyapprox.backends.arbnet import _Arb

    backend = _Arb()

    def model(xs: Sequence[Any]) -> Any:
        return _interpret.run(net, backend, list(xs))[0]

    return Piece(tuple(lo), tuple(hi), model, smooth=False)


def is_piecewise_linear(net: Any) -> bool:
    """True when every unit is an identity or a PolyReLU of order <= 1 (ReLU nets)."""
    return all(len(getattr(a, "coeffs", ())) <= 2 for layer in net.layers for a in layer.activations)


def enclose_net(net: Any, f: ArbFn, domain: Sequence[tuple[Fraction, Fraction]], *, ratio: float = 1.05,
                max_seconds: float = 60.0) -> Enclosure:
    """Enclosure of sup over the box ``domain`` of |net - f| for any saved 1-output net.

    1-D ReLU nets: the exact linear pieces (``pieces.propagate``) with Taylor bounds; otherwise the whole box
    evaluated through the net in ball arithmetic, bisected (converges more slowly: see ``converged``)."""
    from polyapprox.approx.pieces import propagate

    if net.out_dim != 1:
        raise ConfigError(f"net: {net.out_dim} outputs, an enclosure needs a 1-output net")
    lo, hi = tuple(a for a, _ in domain), tuple(b for _, b in domain)
    if net.in_dim == 1 and is_piecewise_linear(net):
        pl = propagate(net, lo[0], hi[0])[0]
        return enclose(linear_pieces(pl.xs, pl.ys), f, ratio=ratio, max_seconds=max_seconds,
                       method="exact linear pieces (pieces.propagate), arb Taylor bounds + bisection")
    return enclose([net_piece(net, lo, hi)], f, ratio=ratio, max_seconds=max_seconds,
                   method="net in ball arithmetic over boxes + bisection")


__all__ = ["Enclosure", "Piece", "enclose", "enclose_net", "evaluations_per_box", "linear_pieces", "net_piece",
           "sobolev_pieces"]
