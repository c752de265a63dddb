"""Exact checks for the ReLU side: Yarotsky's gadgets, Lemma 2 bounds, the x^2 piece-count lower bound.

``CHECKS = [(id, statement, fn)]``; ``fn()`` returns ``{id, statement, status, method, seconds, details}``
with status "proved" (every instance verified exactly, in Fraction arithmetic) or "refuted" (details hold the
counterexample). The instances are finite: a "proved" status proves the statement for the listed cases.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np

from polyapprox.approx.pieces import PiecewiseLinear, piece_bound, propagate, sup_error
from polyapprox.backends.exact import evaluate_exact
from polyapprox.construct.lemma2 import polyrelu_target, relu_approx_polyrelu
from polyapprox.construct.yarotsky import (
    approx_product_net,
    product_error_bound,
    square_error_bound,
    yarotsky_square,
)
from polyapprox.core.algebra import add, compose, linear
from polyapprox.core.counting import count_params
from polyapprox.core.net import RELU, Layer, Net
from polyapprox.verify.testing import random_net

SQUARE = [(Fraction(0), Fraction(1), (Fraction(0), Fraction(0), Fraction(1)))]


def _result(cid: str, statement: str, method: str, failures: list[str], t0: float,
            details: dict[str, Any]) -> dict[str, Any]:
    status = "refuted" if failures else "proved"
    if failures:
        details = {**details, "counterexamples": failures}
    return {"id": cid, "statement": statement, "status": status, "method": method,
            "seconds": round(time.perf_counter() - t0, 3), "details": details}


def square_error_exact(ms: range = range(1, 7)) -> dict[str, Any]:
    """f_m: pieces exactly the cells [k/2^m, (k+1)/2^m], 0 <= f_m - x^2 and max == 2^(-2m-2)."""
    t0, bad = time.perf_counter(), []
    for m in ms:
        g = propagate(yarotsky_square(m), 0, 1)[0]
        err = sup_error(g, SQUARE)
        if g.breakpoints != [Fraction(k, 2 ** m) for k in range(1, 2 ** m)]:
            bad.append(f"m={m}: breakpoints differ from k/2^m")
        if not (err.exact and err.lower == square_error_bound(m)):
            bad.append(f"m={m}: sup error {err.lower}..{err.upper}")
        if any(y < x * x for x, y in zip(g.xs, g.ys, strict=True)):
            bad.append(f"m={m}: f_m < x^2 at a knot")
    return _result("yarotsky.square_error_exact", f"sup_[0,1] |f_m - x^2| = 2^(-2m-2), f_m >= x^2 (m in {list(ms)})",
                   "exact breakpoint propagation + exact piecewise maximisation", bad, t0, {"m": list(ms)})


def square_size(ms: range = range(1, 9)) -> dict[str, Any]:
    """count_params(f_m): params 8m - 3, units 3m - 1, depth m (docs/constructions.md §2.4.1)."""
    t0, bad = time.perf_counter(), []
    for m in ms:
        c = count_params(yarotsky_square(m))
        if (c.params, c.units, c.depth) != (8 * m - 3, 3 * m - 1, m):
            bad.append(f"m={m}: {c.params}, {c.units}, {c.depth}")
    return _result("yarotsky.square_size", "f_m has 8m-3 nonzero params, 3m-1 units, depth m",
                   "count_params", bad, t0, {"m": list(ms)})


def restrict_to_line(net: Net, point: tuple[Fraction, Fraction], direction: tuple[Fraction, Fraction]) -> Net:
    """s -> net(point + s * direction) as a 1-input net (exact)."""
    line = linear([[direction[0]], [direction[1]]], [point[0], point[1]])
    return compose(net, line)


def product_error_lines(qs: range = range(1, 5), ms: tuple[Fraction, ...] = (Fraction(1), Fraction(3, 2))
                        ) -> dict[str, Any]:
    """|xt - xy| <= M^2 4^-q along x = y, x = -y, y = M/3, x = -M/5 (exact 1-D sup), attained on x = y."""
    t0, bad, worst = time.perf_counter(), [], {}
    for q in qs:
        for M in ms:
            net, bound = approx_product_net(q, M), product_error_bound(q, M)
            lines = [((0, 0), (1, 1)), ((0, 0), (1, -1)), ((0, M / 3), (1, 0)), ((-M / 5, 0), (0, 1))]
            sups = []
            for p0, dv in lines:
                pt, dr = (Fraction(p0[0]), Fraction(p0[1])), (Fraction(dv[0]), Fraction(dv[1]))
                g = propagate(restrict_to_line(net, pt, dr), -M, M)[0]
                # (x0 + s dx)(y0 + s dy) = x0 y0 + (x0 dy + y0 dx) s + dx dy s^2
                target = [(-M, M, (pt[0] * pt[1], pt[0] * dr[1] + pt[1] * dr[0], dr[0] * dr[1]))]
                sups.append(sup_error(g, target))
            worst[f"q={q},M={M}"] = [str(s.lower) for s in sups]
            if any(s.upper > bound for s in sups) or sups[0].lower != bound:
                bad.append(f"q={q}, M={M}: line sups {[str(s.lower) for s in sups]}, bound {bound}")
    return _result("yarotsky.product_error_lines",
                   "sup |xt(x,y) - xy| on four lines through [-M,M]^2 is <= M^2 4^-q, with equality on x = y",
                   "exact 1-D restriction + breakpoint propagation + exact piecewise maximisation", bad, t0,
                   {"line_sups": worst})


def product_by_algebra(q: int, M: Fraction) -> Net:
    """2M^2 [f_q(|x+y|/2M) - f_q(|x|/2M) - f_q(|y|/2M)] assembled with algebra.add/compose from
    yarotsky_square(q) and |w.(x,y)|/2M = (R(w.(x,y)) + R(-w.(x,y)))/2M (an independent reference)."""
    c = 1 / (2 * M)

    def scaled_abs(wx: int, wy: int) -> Net:
        return Net(2, (Layer.make([[wx, wy], [-wx, -wy]], activations=RELU), Layer.make([[c, c]])))

    sq = yarotsky_square(q)
    chans = [compose(sq, scaled_abs(1, 1)), compose(sq, scaled_abs(1, 0)), compose(sq, scaled_abs(0, 1))]
    return add(*chans, weights=[2 * M * M, -2 * M * M, -2 * M * M])


def product_error_exact(qs: range = range(1, 7), ms: tuple[Fraction, ...] = (Fraction(1), Fraction(3, 2))
                        ) -> dict[str, Any]:
    """sup over [-M,M]^2 of |xt - xy| == M^2 4^-q. Proof: (1) approx_product_net == product_by_algebra as
    exact Net descriptions, so xt = 2M^2 [f_q(s) - f_q(a) - f_q(b)] on R^2 with s = |x+y|/2M, a, b in [0,1]
    and xy = 2M^2 [s^2 - a^2 - b^2]; (2) e = f_q - t^2 has exact range [0, 4^-(q+1)] on [0,1] (pieces);
    (3) so xt - xy = 2M^2 [e(s) - e(a) - e(b)] lies in [-M^2 4^-q, M^2 4^-q / 2]; (4) equality at
    x = y = M 2^-q by exact evaluation."""
    t0, bad = time.perf_counter(), []
    for q in qs:
        g = propagate(yarotsky_square(q), 0, 1)[0]
        e_max = sup_error(g, SQUARE)
        # f_q linear and t^2 convex on each piece: f_q - t^2 is concave there, so its minimum is at a knot
        e_min = min(y - x * x for x, y in zip(g.xs, g.ys, strict=True))
        if not (e_max.exact and e_max.lower == square_error_bound(q) and e_min == 0):
            bad.append(f"q={q}: range of f_q - t^2 is [{e_min}, {e_max.lower}..{e_max.upper}]")
        for M in ms:
            if approx_product_net(q, M) != product_by_algebra(q, M):
                bad.append(f"q={q}, M={M}: net differs from the algebraic assembly")
            x = M / 2 ** q
            if evaluate_exact(approx_product_net(q, M), [x, x])[0] - x * x != -product_error_bound(q, M):
                bad.append(f"q={q}, M={M}: bound not attained at x = y = M 2^-q")
    return _result("yarotsky.product_error_exact",
                   f"sup_[-M,M]^2 |xt(x,y) - xy| = M^2 4^-q (q in {list(qs)}, M in {[str(m) for m in ms]})",
                   "exact Net identity with an algebraic assembly + exact 1-D range of f_q - t^2 + sign argument "
                   "+ exact evaluation at the maximiser", bad, t0, {"q": list(qs)})


def lemma2_error_bound(exps: range = range(2, 9)) -> dict[str, Any]:
    """Lemma 2 nets: exact sup_[-1,1] |net - PolyReLU| <= predicted bound < eps."""
    t0, bad, rows = time.perf_counter(), [], []
    for coeffs in ((0, 0, 1), (Fraction(1, 4), Fraction(1, 2), Fraction(-1, 2), Fraction(3, 4))):
        for e in exps:
            eps = Fraction(1, 2 ** e)
            net, bound = relu_approx_polyrelu(coeffs, eps)
            err = sup_error(propagate(net, -1, 1)[0], polyrelu_target(coeffs))
            rows.append({"coeffs": [str(c) for c in coeffs], "eps": str(eps), "sup": str(err.upper)})
            if not err.upper <= bound < eps:
                bad.append(f"coeffs={coeffs}, eps={eps}: sup <= {err.upper}, bound {bound}")
    return _result("lemma2.error_bound", "sup |relu_approx_polyrelu(a, eps) - PolyReLU_a| <= bound < eps on [-1,1]",
                   "exact breakpoint propagation + exact/enclosed piecewise maximisation", bad, t0, {"rows": rows})


def x2_lower_bound(g: PiecewiseLinear) -> tuple[Fraction, Fraction, Fraction]:
    """(sup |x^2 - g| on g's domain [lo, hi], widest-piece bound h_max^2/8, (hi - lo)^2/(8p^2)); the second
    is a lower bound of the first (the best linear fit to x^2 on a piece of width h errs by h^2/8: Chebyshev
    equioscillation), and >= the third (some piece has width >= (hi - lo)/p)."""
    s = g.simplified()
    lo, hi = s.xs[0], s.xs[-1]
    h = max(b - a for a, b in zip(s.xs, s.xs[1:]))  # noqa: B905 - adjacent pairs
    p = len(s.xs) - 1
    sup = sup_error(s, [(lo, hi, (Fraction(0), Fraction(0), Fraction(1)))]).lower
    return sup, h * h / 8, (hi - lo) ** 2 / (8 * p * p)


def knot_interpolant(knots: list[Fraction], shift: Fraction = Fraction(0)) -> Net:
    """One-hidden-layer ReLU net: the chord interpolant of x^2 at 0 < knots < 1 (and 0, 1), plus ``shift``."""
    pts = [Fraction(0), *knots, Fraction(1)]
    slopes = [a + b for a, b in zip(pts, pts[1:])]  # noqa: B905 - chord slope of x^2 on [a, b] is a + b
    hidden = Layer.make([[1]] * len(pts[:-1]), [-a for a in pts[:-1]], RELU)  # R(x - a), a = pts[0..k]
    out = [slopes[0]] + [slopes[i] - slopes[i - 1] for i in range(1, len(slopes))]
    return Net(1, (hidden, Layer.make([out], [shift])))


def lower_bound_pieces(seed: int = 20250101, n_random: int = 20) -> dict[str, Any]:
    """For f_m (m = 1..6), random-knot interpolants of x^2 shifted by -h_max^2/8 (tight cases) and random
    ReLU nets on [-2, 2]: sup |x^2 - g| >= h_max^2/8 >= (hi - lo)^2/(8p^2), p the exact piece count, and
    p <= prod_l (1 + m_l) <= (1 + U/L)^L <= (2U/L)^L (pieces.py docstring)."""
    t0, bad, rows = time.perf_counter(), [], []
    rng = np.random.default_rng(seed)
    cases: list[tuple[str, Net, int]] = [(f"f_{m}", yarotsky_square(m), 0) for m in range(1, 7)]
    for k in range(n_random // 2):
        knots = sorted({Fraction(int(v), 97) for v in rng.integers(1, 97, size=int(rng.integers(1, 12)))})
        widths = [b - a for a, b in zip([0, *knots], [*knots, 1])]  # noqa: B905 - adjacent pairs
        cases.append((f"knots[{k}]", knot_interpolant(knots, -max(widths) ** 2 / 8), 0))
    for k in range(n_random):
        widths_l = tuple(int(w) for w in rng.integers(2, 6, size=int(rng.integers(1, 4))))
        cases.append((f"random[{k}]{widths_l}", random_net(rng, 1, widths_l, 1, activations="relu"), -2))
    for name, net, lo in cases:
        g = propagate(net, lo, 1 if lo == 0 else 2)[0]
        sup, by_width, by_count = x2_lower_bound(g)
        pb = piece_bound(net)
        p = g.n_pieces
        rows.append({"net": name, "pieces": p, "bound_product": pb.product, "bound_2U_L": pb.telgarsky,
                     "sup": float(sup), "h_max2_8": float(by_width), "lower_1_8p2": float(by_count)})
        if not (sup >= by_width >= by_count):
            bad.append(f"{name}: sup {sup} < bound {by_width} / {by_count}")
        if not (p <= pb.product <= pb.amgm * (1 + 1e-12) and pb.amgm <= pb.telgarsky * (1 + 1e-12)):
            bad.append(f"{name}: pieces {p}, bounds {pb}")
    return _result("thm2.lower_bound_pieces",
                   "a ReLU net with p pieces on [lo,hi] has sup|x^2 - g| >= h_max^2/8 >= (hi-lo)^2/(8p^2); "
                   "p <= prod(1+m_l) <= (2U/L)^L",
                   "exact breakpoint propagation + exact piecewise maximisation", bad, t0, {"nets": rows})


def lower_bound_sharp(ms: range = range(1, 7)) -> dict[str, Any]:
    """f_m - 2^(-2m-3) has 2^m pieces and sup |x^2 - g| = 1/(8p^2) exactly: the bound is attained."""
    t0, bad = time.perf_counter(), []
    for m in ms:
        net = yarotsky_square(m)
        out = net.layers[-1]
        shifted = Net(1, net.layers[:-1] + (Layer(out.weight, (out.bias[0] - Fraction(1, 2 ** (2 * m + 3)),),
                                                   out.activations),))
        sup, by_width, by_count = x2_lower_bound(propagate(shifted, 0, 1)[0])
        if not sup == by_width == by_count == Fraction(1, 8 * 4 ** m):
            bad.append(f"m={m}: {sup}, {by_width}, {by_count}")
    return _result("thm2.lower_bound_sharp", "the shifted interpolant f_m - 2^(-2m-3) attains 1/(8p^2), p = 2^m",
                   "exact breakpoint propagation + exact piecewise maximisation", bad, t0, {"m": list(ms)})


def units_lower_bound(ms: range = range(1, 9)) -> dict[str, Any]:
    """U(f_m) = 3m - 1 >= (1/2) log2(1/(8 eps)) with eps = 2^(-2m-2) (= m - 1/2); ratio -> 3."""
    t0, bad, ratios = time.perf_counter(), [], []
    for m in ms:
        units = count_params(yarotsky_square(m)).units
        need = 0.5 * math.log2(1 / (8 * square_error_bound(m)))
        ratios.append(round(units / need, 4))
        if units < need:
            bad.append(f"m={m}: U={units} < {need}")
    return _result("thm2.units_lower_bound", "U >= (1/2) log2(1/(8 eps)) holds for f_m (docs/constructions.md §3.3)",
                   "count_params + closed-form bound", bad, t0, {"U_over_bound": ratios})


CHECKS: list[tuple[str, str, Callable[[], dict[str, Any]]]] = [
    ("yarotsky.square_error_exact", "sup |f_m - x^2| = 2^(-2m-2), m = 1..6", square_error_exact),
    ("yarotsky.square_size", "f_m: W = 8m-3, U = 3m-1, depth m, m = 1..8", square_size),
    ("yarotsky.product_error_lines", "|xt - xy| <= M^2 4^-q on lines, attained", product_error_lines),
    ("yarotsky.product_error_exact", "sup_[-M,M]^2 |xt - xy| = M^2 4^-q, q = 1..6", product_error_exact),
    ("lemma2.error_bound", "Lemma 2 nets: exact sup error <= bound < eps", lemma2_error_bound),
    ("thm2.lower_bound_pieces", "sup |x^2 - g| >= 1/(8p^2); p <= prod(1+m_l) <= (2U/L)^L", lower_bound_pieces),
    ("thm2.lower_bound_sharp", "1/(8p^2) is attained by f_m - 2^(-2m-3)", lower_bound_sharp),
    ("thm2.units_lower_bound", "U(f_m) >= (1/2) log2(1/(8 eps))", units_lower_bound),
]
