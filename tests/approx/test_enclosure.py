"""Certified enclosures [sup_error_lower, sup_error_upper] and the tight float floor (issue 12, items 1-2)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from polyapprox.approx.arbexpr import arb_function
from polyapprox.approx.enclosure import enclose, sobolev_pieces
from polyapprox.approx.rates import FLOOR_FACTOR
from polyapprox.approx.sweeps import SweepConfig, measure_point, run_sweep
from polyapprox.backends.arbnet import arb_of, evaluate_arb, working_precision
from polyapprox.construct.sobolev import build_sobolev, closed_form_exact, taylor_coefficients
from polyapprox.targets.catalogue import get_target


def _exact_errors(target, coeffs, n, N, pts: np.ndarray) -> list[float]:
    """|net - f| at pts, the net exactly (closed form = net, Fractions) and f in arb at 128 bits (upper ends)."""
    f = arb_function(target.expr, target.symbols)
    out = []
    with working_precision(128):
        for x in pts:
            q = [Fraction(float(v)) for v in x]
            net = arb_of(closed_form_exact(coeffs, target.dim, n, N, q))
            out.append(float(abs(net - f([arb_of(v) for v in q])).upper()))
    return out


def _check_sweep(name: str, n: int, sizes: tuple[int, ...], ratio: float, samples: int = 400) -> None:
    t = get_target(name)
    res = run_sweep(SweepConfig(t, n, sizes=sizes))
    rng = np.random.default_rng(1)
    for p in res.points:
        assert p.sup_error_lower is not None and p.sup_error_upper is not None
        assert 0 < p.sup_error_lower <= p.sup_error_upper
        assert p.sup_error_upper / p.sup_error_lower <= ratio, (p.N, p.sup_error_lower, p.sup_error_upper)
        assert p.excluded_reason is None or "window" in p.excluded_reason
        coeffs = taylor_coefficients(t, n, p.N)
        side = int(round(samples ** (1 / t.dim)))
        axis = np.linspace(0, 1, side)
        dense = np.stack(np.meshgrid(*([axis] * t.dim), indexing="ij"), -1).reshape(-1, t.dim)
        found = np.array(p.measured_how["enclosure"]["argmax"])[None]
        pts = np.vstack([dense, rng.random((samples // 4, t.dim)), found])
        errs = _exact_errors(t, coeffs, n, p.N, pts)
        assert max(errs) <= p.sup_error_upper
        assert p.sup_error_lower >= 0.999 * p.sup_error  # the float sampled maximum, evaluated exactly


def test_sin1_enclosure_small_sweep() -> None:
    _check_sweep("sin1", 2, (8, 16, 32), 1.1)


def test_exp2_enclosure_small_sweep() -> None:
    _check_sweep("exp2", 2, (2, 4), 2.0, samples=225)


@pytest.mark.slow
def test_default_sweeps_meet_ratio_goals() -> None:
    """The default sizes of `polyapprox rates` (sin1 n=2: 8..128; exp2 n=2: 2..16, n=3: 2..12)."""
    _check_sweep("sin1", 2, (8, 16, 32, 64, 128), 1.1)
    _check_sweep("exp2", 2, (2, 4, 8, 16), 2.0, samples=400)
    _check_sweep("exp2", 3, (2, 4, 6, 8, 12), 2.0, samples=400)


@pytest.mark.slow
@pytest.mark.parametrize("n", [1, 2, 3])
def test_reproduce_d2_sweeps_meet_ratio_goal(n: int) -> None:
    """The d = 2 sizes of `polyapprox reproduce` (exp2, N = 8..64): upper / lower <= 2 at every point."""
    _check_sweep("exp2", n, (8, 16, 32, 64), 2.0, samples=900)


def _check_enclose(name: str, n: int, N: int, ratio: float, side: int) -> None:
    """enclose alone (no sampled probe): converged to ``ratio``; no exact value on a dense grid + random points
    exceeds the upper end; the lower end is attained (up to rounding) at the reported argmax."""
    t = get_target(name)
    coeffs = taylor_coefficients(t, n, N)
    enc = enclose(sobolev_pieces(coeffs, t.dim, n, N), arb_function(t.expr, t.symbols), ratio=ratio)
    assert enc.converged and 0 < enc.lower <= enc.upper <= ratio * enc.lower
    axis = np.linspace(0, 1, side)
    dense = np.stack(np.meshgrid(*([axis] * t.dim), indexing="ij"), -1).reshape(-1, t.dim)
    pts = np.vstack([dense, np.random.default_rng(2).random((side * t.dim, t.dim))])
    assert max(_exact_errors(t, coeffs, n, N, pts)) <= enc.upper
    assert _exact_errors(t, coeffs, n, N, np.array([enc.argmax]))[0] >= enc.lower * (1 - 1e-12)


def test_d2_centred_form_is_tight() -> None:
    """exp2, n = 3, N = 8: the centred Taylor form reaches upper / lower <= 1.9 (the former second-order form
    with box-ball Hessians lost the partition of unity's cancellation: ratio ~4 after a minute at N = 16)."""
    _check_enclose("exp2", 3, 8, 1.9, 25)


def test_d3_small_enclosure() -> None:
    _check_enclose("exp3", 2, 2, 1.9, 9)


@pytest.mark.parametrize(("d", "k"), [(2, 1), (2, 4), (3, 2), (3, 4)])
def test_lattice_directions_recover_homogeneous_coefficients(d: int, k: int) -> None:
    """The exact inverse maps the values sum_b c_b u^b at the lattice directions back to c."""
    import math

    from polyapprox.approx.enclosure import _inverse, _lattice, _monomials

    monos = _monomials(d, k)
    dirs = _lattice(d, k)[:len(monos)]
    c = [Fraction(3 * i - 7, i + 2) for i in range(len(monos))]
    vals = [sum(cb * math.prod(ui ** bi for ui, bi in zip(u, b, strict=True))
                for cb, b in zip(c, monos, strict=True)) for u in dirs]
    assert [sum(w * v for w, v in zip(row, vals, strict=True)) for row in _inverse(d, k)] == c


def test_enclosure_skipped_past_its_evaluation_cap() -> None:
    cfg = SweepConfig(get_target("exp2"), 1, sizes=(2,), enclosure_evals=10)
    p, _ = measure_point(cfg, 2)
    assert p.sup_error_upper is None and p.sup_error_lower is not None
    assert "enclosure_evals" in p.measured_how["enclosure"]["why"]


def test_exact_polynomial_net_encloses_zero() -> None:
    t = get_target("poly2")  # x^2/2: Taylor order 3 reproduces it exactly
    coeffs = taylor_coefficients(t, 3, 4)
    enc = enclose(sobolev_pieces(coeffs, 1, 3, 4), arb_function(t.expr, t.symbols), taylor_order=4)
    assert enc.lower == 0.0 and enc.upper < 1e-20 and enc.converged


def test_wrong_net_has_positive_lower_bound() -> None:
    t = get_target("poly2")
    coeffs = dict(taylor_coefficients(t, 3, 4))
    key = next(k for k in coeffs if k[0] == (2,) and k[1] == (0,))
    coeffs[key] += Fraction(1, 1000)  # one Taylor value off by 1e-3 at x = 1/2
    enc = enclose(sobolev_pieces(coeffs, 1, 3, 4), arb_function(t.expr, t.symbols), taylor_order=4)
    assert 0.999e-3 <= enc.lower <= enc.upper <= 1.05 * enc.lower
    assert abs(enc.argmax[0] - 0.5) <= 1 / 12


def test_enclosure_of_a_generic_relu_net_matches_pieces() -> None:
    """1-D ReLU nets go through pieces.propagate: the enclosure contains the exact values at samples."""
    from polyapprox.approx.enclosure import enclose_net

    t = get_target("sin1")
    net = build_sobolev(t, 2, 4, "relu").net
    f = arb_function(t.expr, t.symbols)
    enc = enclose_net(net, f, [(Fraction(0), Fraction(1))], ratio=1.05)
    assert enc.converged and enc.upper <= 1.05 * enc.lower
    with working_precision(128):
        vals = [float(abs(evaluate_arb(net, [x])[0] - f([arb_of(x)])).upper()) for x in np.linspace(0, 1, 301)]
        at = float(abs(evaluate_arb(net, [enc.argmax[0]])[0] - f([arb_of(enc.argmax[0])])).upper())
    assert enc.lower <= at and max(vals) <= enc.upper


def test_relu_n32_point_is_above_the_tight_floor() -> None:
    """sin1, n = 3, ReLU baseline, N = 32: sup error 5.47e-5. The worst-case bound (5e-4) dropped it; the
    rounding actually incurred (measured against the exact net) is ~1e-13, so the point is kept."""
    cfg = SweepConfig(get_target("sin1"), 3, "relu", sizes=(32,))
    p, _ = measure_point(cfg, 32)
    assert 5e-5 < p.sup_error < 6e-5
    assert p.floor is not None and p.sup_error < FLOOR_FACTOR * p.floor  # the old floor would exclude it
    assert p.float_floor is not None and 0 < p.float_floor < 1e-11
    assert p.sup_error > FLOOR_FACTOR * p.float_floor
    assert p.sup_error_lower is not None and abs(p.sup_error_lower - p.sup_error) <= 1e-3 * p.sup_error
    assert p.sup_error_upper is None and "no certified enclosure" in p.measured_how["enclosure"]["why"]


def test_float_floor_is_measured_rounding() -> None:
    """float_floor: the max |float64 - exact| at the probes, far below the worst-case bound and above 0."""
    t = get_target("sin1")
    res = run_sweep(SweepConfig(t, 2, sizes=(8, 16, 32, 64)))
    for p in res.points:
        assert 0 < p.float_floor < 1e-13 < p.floor
        assert p.measured_how["float_floor"]["points"] >= 4


def test_arb_function_refuses_unknown_nodes() -> None:
    import sympy

    from polyapprox.errors import ExpressionError

    x = sympy.Symbol("x")
    with pytest.raises(ExpressionError):
        arb_function(sympy.Abs(x), (x,))
    g = arb_function(sympy.sqrt(x) * sympy.exp(-x) + x ** sympy.Rational(3, 2) + sympy.log(x + 1) + sympy.pi, (x,))
    v = g([arb_of(Fraction(1, 4))])
    expect = 0.5 * np.exp(-0.25) + 0.125 + np.log(1.25) + np.pi
    assert abs(float(v.mid()) - expect) < 1e-14


def _bound_polynomial(coeffs: dict, d: int, lo: tuple, hi: tuple):
    """(lower, upper, Form) of the centred form for the piece p(x) = sum_b coeffs[b] x^b against f = 0."""
    import math

    from polyapprox.approx.enclosure import PREC, Piece, _Bounder

    def model(xs):
        return sum((arb_of(cb) * math.prod((xs[k] ** bk for k, bk in enumerate(b) if bk), start=arb_of(1))
                    for b, cb in coeffs.items()), arb_of(0))

    degree = max(sum(b) for b in coeffs)
    with working_precision(PREC):
        b = _Bounder(lambda xs: arb_of(0), d, 2, (lo, hi))
        low, up, _ = b.box(Piece(lo, hi, model, degree=degree), lo, hi)
        return low, up, b.form


@pytest.mark.parametrize("d", [2, 3])
def test_centred_form_recovers_a_polynomial_exactly(d: int) -> None:
    """Every Taylor coefficient of a degree-3 polynomial at the box centre is recovered (exact rationals inside
    the balls), and the upper end is sum_b |p_b(c)| r^b."""
    import itertools
    import math

    import sympy

    monos = [b for b in itertools.product(range(4), repeat=d) if sum(b) <= 3]
    coeffs = {b: Fraction((-1) ** i * (i + 1), 7 + i) for i, b in enumerate(monos)}
    lo, hi = (Fraction(1, 3),) * d, (Fraction(1, 2),) * d
    _, up, form = _bound_polynomial(coeffs, d, lo, hi)
    h = sympy.symbols(f"h1:{d + 1}")
    c = [(a + b) / 2 for a, b in zip(lo, hi, strict=True)]
    p = sympy.Poly(sum(sympy.Rational(cb.numerator, cb.denominator)
                       * math.prod(((sympy.Rational(ck.numerator, ck.denominator) + hk) ** bk
                                    for ck, hk, bk in zip(c, h, b, strict=True)), start=sympy.Integer(1))
                       for b, cb in coeffs.items()), *h)
    exact = {m: Fraction(int(v.p), int(v.q)) for m, v in zip(p.monoms(), p.coeffs(), strict=True)}
    assert set(form.coef) == set(monos)
    for b in monos:
        assert abs(float(form.coef[b].mid()) - float(exact.get(b, 0))) <= 1e-25 + float(form.coef[b].rad())
    r = Fraction(1, 12)
    expect = sum(abs(v) * r ** sum(b) for b, v in exact.items())
    assert float(expect) <= up <= float(expect) * (1 + 1e-12)


def test_monotone_faces_give_the_corner_maximum() -> None:
    """p = x1 - x2^2 on [1/3, 1/2]^2: monotone in both axes, so the face bound is max |p| over the corners
    (1/2 - 1/9 = 7/18), below the centred triangle bound."""
    lo, hi = (Fraction(1, 3),) * 2, (Fraction(1, 2),) * 2
    _, up, form = _bound_polynomial({(1, 0): Fraction(1), (0, 2): Fraction(-1)}, 2, lo, hi)
    face = form.face_bound(arb_of(0))
    assert 7 / 18 <= face <= 7 / 18 * (1 + 1e-15) < up


def test_interior_maximum_is_not_taken_for_a_corner() -> None:
    """p = 1 - (x1 - 5/12)^2 - (x2 - 5/12)^2 on [1/3, 1/2]^2 has its maximum 1 at the centre: neither axis is
    monotone there, and the face bound stays >= 1 (the corners alone give 1 - 1/72)."""
    q = Fraction(5, 12)
    coeffs = {(0, 0): 1 - 2 * q * q, (1, 0): 2 * q, (0, 1): 2 * q, (2, 0): Fraction(-1), (0, 2): Fraction(-1)}
    lo, hi = (Fraction(1, 3),) * 2, (Fraction(1, 2),) * 2
    _, up, form = _bound_polynomial(coeffs, 2, lo, hi)
    assert not form.monotone(0, arb_of(0)) and not form.monotone(1, arb_of(0))
    assert 1.0 <= form.face_bound(arb_of(0)) <= up * (1 + 1e-12)  # both rigorous; rounded apart


def test_centred_form_remainder_covers_the_target() -> None:
    """model 0 declared of degree 0 against f = exp(x1 + x2) on [0, 1/2]^2: the form is |f(c)| + the order-1
    remainder of f over the domain, which must reach the corner value e (|f(c)| alone is e^(1/2))."""
    import sympy

    from polyapprox.approx.enclosure import PREC, Piece, _Bounder

    x1, x2 = sympy.symbols("x1 x2")
    f = arb_function(sympy.exp(x1 + x2), (x1, x2))
    lo, hi = (Fraction(0),) * 2, (Fraction(1, 2),) * 2
    with working_precision(PREC):
        b = _Bounder(f, 2, 2, (lo, hi))
        low, up, _ = b.box(Piece(lo, hi, lambda xs: arb_of(0), degree=0), lo, hi)
    assert abs(low - np.exp(0.5)) < 1e-12 and np.e <= up <= 3 * np.e
