"""prove_equal: algebraic proofs of the Lemma 1 blocks, region-wise proofs (1-D exact breakpoints, boxes),
verified refutations, evidence, certificates (docs/conventions.md §4; docs/constructions.md §1.1, §1.8)."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
import sympy

from polyapprox.backends.exact import evaluate_exact
from polyapprox.backends.sympy_expr import to_sympy
from polyapprox.construct.blocks import (
    identity_block,
    polynomial_1d_block,
    power_block,
    product_block,
    relu_block,
)
from polyapprox.core.algebra import compose, linear, parallel
from polyapprox.core.net import RELU, Layer, Net
from polyapprox.errors import ConfigError, ExpressionError
from polyapprox.symbolic import Certificate, evidence, expr_value, prove_equal
from polyapprox.verify.testing import random_net

pytestmark = pytest.mark.timeout(120)

X, Y = sympy.symbols("x y", real=True)
HALF_PLUS = sympy.Max(X, 0)


def trapezoid() -> Net:
    """psi(x) = R(x+2) - R(x+1) - R(x-1) + R(x-2), built by hand (docs/constructions.md §1.1)."""
    return Net(1, (Layer.make([[1], [1], [1], [1]], [2, 1, -1, -2], RELU), Layer.make([[1, -1, -1, 1]])))


PSI = sympy.Piecewise((0, X < -2), (X + 2, X < -1), (1, X <= 1), (2 - X, X <= 2), (0, True))


def relu_of_square_minus_2() -> Net:
    """x -> R(x^2 - 2): the second-layer pre-activation x^2 - 2 has the irrational breakpoints +-sqrt(2)."""
    return compose(relu_block(1), compose(linear([[1]], [-2]), power_block(2)))


def assert_refuted_and_verified(net: Net, expr: sympy.Expr, cert: Certificate, syms=(X,)) -> None:
    assert cert.status == "refuted"
    assert cert.counterexample is not None
    point = [cert.counterexample[s.name] for s in syms]
    net_value = evaluate_exact(net, point)[cert.output or 0]
    exact = expr.subs({s: sympy.Rational(q.numerator, q.denominator) for s, q in zip(syms, point, strict=True)})
    assert net_value == cert.net_value
    assert sympy.Rational(cert.expr_value.numerator, cert.expr_value.denominator) == exact
    assert net_value != cert.expr_value


BLOCKS = [
    ("identity", identity_block, X, (X,)),
    ("relu", lambda: relu_block(1), HALF_PLUS, (X,)),
    ("relu_2", lambda: relu_block(2), HALF_PLUS ** 2, (X,)),
    ("relu_3", lambda: relu_block(3), HALF_PLUS ** 3, (X,)),
    ("square", lambda: power_block(2), X ** 2, (X,)),
    ("cube", lambda: power_block(3), X ** 3, (X,)),
    ("power_6", lambda: power_block(6), X ** 6, (X,)),
    ("product", product_block, X * Y, (X, Y)),
    ("poly_3", lambda: polynomial_1d_block([1, -2, 3, "1/2"]), 1 - 2 * X + 3 * X ** 2 + X ** 3 / 2, (X,)),
]


@pytest.mark.parametrize(("build", "expr", "syms"), [b[1:] for b in BLOCKS], ids=[b[0] for b in BLOCKS])
def test_lemma1_blocks_are_proved_algebraically(build, expr, syms):
    cert = prove_equal(build(), expr, syms)
    assert (cert.status, cert.method) == ("proved", "algebraic")
    assert cert.counterexample is None


def test_relu_block_equals_max_x_0_on_a_box_too():
    cert = prove_equal(relu_block(), sympy.Max(X, 0), (X,), domain=[("-1/2", 3)])
    assert cert.status == "proved"


@pytest.mark.parametrize("domain", [[(-3, 3)], None], ids=["on_-3_3", "on_R"])
def test_trapezoid_equals_its_piecewise_formula_regionwise(domain):
    cert = prove_equal(trapezoid(), PSI, (X,), domain=domain)
    assert (cert.status, cert.method) == ("proved", "regionwise-1d")
    assert cert.regions == 5  # cells split at -2, -1, 1, 2


def test_trapezoid_with_a_wrong_value_at_one_breakpoint_is_refuted_there():
    wrong = sympy.Piecewise((0, X < -2), (X + 2, X < -1), (1, X < 1), (5, sympy.Eq(X, 1)), (2 - X, X <= 2), (0, True))
    cert = prove_equal(trapezoid(), wrong, (X,), domain=[(-3, 3)])
    assert cert.counterexample == {"x": Fraction(1)}
    assert_refuted_and_verified(trapezoid(), wrong, cert)


def test_trapezoid_with_a_wrong_slope_is_refuted_inside_a_cell():
    bump = (X - 1) * (X - 2) / 7  # zero at both ends of the cell (1, 2): continuous, wrong only inside
    wrong = sympy.Piecewise((0, X < -2), (X + 2, X < -1), (1, X <= 1), (2 - X + bump, X <= 2), (0, True))
    cert = prove_equal(trapezoid(), wrong, (X,), domain=[(-3, 3)])
    assert_refuted_and_verified(trapezoid(), wrong, cert)
    assert 1 < cert.counterexample["x"] < 2


def test_random_2d_relu_net_equals_its_max_form_regionwise(rng):
    net = random_net(rng, in_dim=2, widths=(4, 3), activations="relu", density=0.9)
    expr = to_sympy(net, relu="max")[0]
    box = [(-1, 1), (-1, 1)]
    cert = prove_equal(net, expr, (X, Y), domain=box, method="regionwise")
    assert (cert.status, cert.method) == ("proved", "regionwise-polygon")
    assert cert.regions >= 1
    assert prove_equal(net, expr, (X, Y), domain=box).status == "proved"
    bumped = expr + sympy.Max(X - sympy.Rational(1, 3), 0) / 1000
    bad = prove_equal(net, bumped, (X, Y), domain=box)
    assert_refuted_and_verified(net, bumped, bad, (X, Y))
    assert bad.counterexample["x"] > Fraction(1, 3)


def test_power_block_3_is_not_x3_plus_x_over_1000():
    expr = X ** 3 + X / 1000
    cert = prove_equal(power_block(3), expr, (X,))
    assert_refuted_and_verified(power_block(3), expr, cert)


def test_irrational_breakpoint_proved_on_each_side_of_sqrt2():
    net = relu_of_square_minus_2()
    target = sympy.Piecewise((X ** 2 - 2, X ** 2 > 2), (0, True))
    cert = prove_equal(net, target, (X,))
    assert (cert.status, cert.method) == ("proved", "regionwise-1d")
    assert prove_equal(net, sympy.Max(X ** 2 - 2, 0), (X,)).status == "proved"


def test_rational_stand_in_for_sqrt2_is_refuted_between_141_100_and_sqrt2():
    net = relu_of_square_minus_2()
    target = sympy.Piecewise((X ** 2 - 2, X > sympy.Rational(141, 100)), (0, True))
    cert = prove_equal(net, target, (X,), domain=[(0, 2)])
    assert_refuted_and_verified(net, target, cert)
    q = cert.counterexample["x"]
    assert Fraction(141, 100) < q and q * q < 2


def test_wrong_value_exactly_at_sqrt2_is_refuted_without_a_rational_witness():
    net = relu_of_square_minus_2()
    target = sympy.Piecewise((X ** 2 - 2, X ** 2 > 2), (1, sympy.Eq(X ** 2, 2)), (0, True))
    cert = prove_equal(net, target, (X,))
    assert cert.status == "refuted" and cert.counterexample is None
    assert "x**2 - 2" in cert.detail


def test_box_split_at_irrational_points_in_2d():
    both = compose(linear([[1, 1]]), _stack_xy(relu_of_square_minus_2()))
    expr = sympy.Max(X ** 2 - 2, 0) + Y
    cert = prove_equal(both, expr, (X, Y), method="regionwise")  # unbounded: box cells, not polygons
    assert (cert.status, cert.method) == ("proved", "regionwise-box")
    assert cert.regions == 8  # x cut at -sqrt(2), 0 (square block), sqrt(2); y at 0 (identity block)


def _stack_xy(fx: Net) -> Net:
    """(x, y) -> (f(x), y): f on the first input, identity on the second (parallel on projected inputs)."""
    px = compose(fx, linear([[1, 0]]))
    py = compose(identity_block(), linear([[0, 1]]))
    return parallel(px, py)


def test_multi_output_nets_prove_each_output():
    net = parallel(identity_block(), power_block(2))
    assert prove_equal(net, [X, X ** 2], (X,)).status == "proved"
    cert = prove_equal(net, [X, X ** 2 + 1], (X,))
    assert cert.status == "refuted" and cert.output == 1
    assert cert.net_value + 1 == cert.expr_value


def test_evidence_is_never_proof():
    pts = [[Fraction(k, 7)] for k in range(-5, 6)]
    cert = evidence(power_block(2), X ** 2, pts, (X,))
    assert (cert.status, cert.method) == ("evidence", "sampling")
    assert not cert.proved
    bad = evidence(power_block(2), X ** 2 + X * (X - 1) / 1000, pts, (X,))
    assert bad.status == "refuted" and bad.counterexample is not None


def test_transcendental_target_refuted_with_certified_gap_or_unknown():
    cert = prove_equal(identity_block(), sympy.sin(X), (X,), domain=[(0, 1)])
    assert cert.status == "refuted"
    assert isinstance(cert.expr_value, str) and "sin" in cert.expr_value
    x0 = cert.counterexample["x"]
    assert abs(float(x0) - float(sympy.sin(sympy.Rational(x0.numerator, x0.denominator)))) > 1e-6
    # x + (sin^2 + cos^2 - 1) is x, but no exact method here can see it: honest "unknown"
    tricky = X + sympy.sin(X) ** 2 + sympy.cos(X) ** 2 - 1
    assert prove_equal(identity_block(), tricky, (X,), domain=[(0, 1)]).status == "unknown"


def test_region_cap_and_timeout_give_unknown():
    capped = prove_equal(trapezoid(), PSI, (X,), domain=[(-3, 3)], max_regions=2)
    assert capped.status == "unknown" and "max_regions" in capped.detail
    late = prove_equal(trapezoid(), PSI, (X,), domain=[(-3, 3)], timeout=0.0, method="regionwise")
    assert late.status == "unknown" and "timeout" in late.detail


def test_certificate_to_dict_round_trip():
    cert = prove_equal(power_block(3), X ** 3 + X / 1000, (X,))
    doc = json.loads(json.dumps(cert.to_dict()))
    assert doc["counterexample"] == {"x": str(cert.counterexample["x"])}
    assert Certificate.from_dict(doc) == cert
    proved = prove_equal(power_block(3), X ** 3, (X,))
    assert Certificate.from_dict(json.loads(json.dumps(proved.to_dict()))) == proved


@pytest.mark.parametrize(("kwargs", "error"), [
    ({"expr": [X, X]}, ExpressionError),
    ({"expr": X + sympy.Symbol("w", real=True)}, ExpressionError),
    ({"expr": X, "domain": [(1, 1)]}, ConfigError),
    ({"expr": X, "domain": [(0, 1), (0, 1)]}, ConfigError),
    ({"expr": X, "method": "magic"}, ConfigError),
], ids=["too_many_exprs", "unknown_symbol", "empty_interval", "domain_dim", "bad_method"])
def test_bad_arguments_raise_one_line_errors(kwargs, error):
    with pytest.raises(error):
        prove_equal(identity_block(), symbols=(X,), **kwargs)


def test_expr_value_is_exact_at_rationals():
    assert expr_value(PSI, (X,), [Fraction(3, 2)]) == Fraction(1, 2)
    assert expr_value(sympy.sqrt(X), (X,), [Fraction(2)]) == sympy.sqrt(2)


def test_far_breakpoints_on_the_whole_line():
    net = Net(1, (Layer.make([[1], [-1]], [-1000, "-1/3"], RELU), Layer.make([[2, 1]])))
    expr = 2 * sympy.Max(X - 1000, 0) + sympy.Max(-X - sympy.Rational(1, 3), 0)
    assert prove_equal(net, expr, (X,), method="regionwise").status == "proved"
    wrong = 2 * sympy.Max(X - 1001, 0) + sympy.Max(-X - sympy.Rational(1, 3), 0)
    cert = prove_equal(net, wrong, (X,))
    assert_refuted_and_verified(net, wrong, cert)
    assert cert.counterexample["x"] > 1000


def _psi_on(col: int) -> Net:
    w = [[1 if c == col else 0 for c in range(2)] for _ in range(4)]
    return Net(2, (Layer.make(w, [2, 1, -1, -2], RELU), Layer.make([[1, -1, -1, 1]])))


def test_2d_piecewise_target_is_proved_with_its_cell_boundaries():
    net = compose(product_block(), parallel(_psi_on(0), _psi_on(1)))
    target = PSI * PSI.subs(X, Y)
    box = [(-3, 3), (-3, 3)]
    cert = prove_equal(net, target, (X, Y), domain=box)
    assert (cert.status, cert.method) == ("proved", "regionwise-polygon")
    # 5 x 5 boxes cut by the target's conditions; the units R_2(psi(x) -+ psi(y)) whose sign changes inside a
    # box stay in Abs form there (lazy polygons), their pairs cancel algebraically
    assert cert.regions == 25
    assert "12 boundary lines" in cert.detail  # x, y in {-3, -2, -1, 1, 2, 3}
    spike = target + sympy.Piecewise((1, sympy.Eq(X, 1) & sympy.Eq(Y, sympy.Rational(1, 2))), (0, True))
    bad = prove_equal(net, spike, (X, Y), domain=box)
    assert bad.counterexample == {"x": Fraction(1), "y": Fraction(1, 2)}
    assert_refuted_and_verified(net, spike, bad, (X, Y))


def test_oblique_cells_prove_an_identity_the_abs_form_cannot():
    """|x| + |y| = max(|x + y|, |x - y|): needs the cuts x = +-y (polygon cells on a bounded box)."""
    net = Net(2, (Layer.make([[1, 0], [-1, 0], [0, 1], [0, -1]], None, RELU), Layer.make([[1, 1, 1, 1]])))
    target = sympy.Max(sympy.Abs(X + Y), sympy.Abs(X - Y))
    assert prove_equal(net, target, (X, Y), method="algebraic").status == "unknown"
    cert = prove_equal(net, target, (X, Y), domain=[(-1, 1), ("-1/2", 2)])
    assert (cert.status, cert.method) == ("proved", "regionwise-polygon")
    on_plane = prove_equal(net, target, (X, Y))  # unbounded R^2: box cells, sign cases, affine infeasibility
    assert on_plane.status == "proved" and "sign cases" in on_plane.detail
    wrong = sympy.Max(sympy.Abs(X + Y), sympy.Abs(X - Y) + (X - Y) / 100)
    bad = prove_equal(net, wrong, (X, Y), domain=[(-1, 1), (-1, 1)])
    assert_refuted_and_verified(net, wrong, bad, (X, Y))


def test_discontinuous_target_is_checked_on_oblique_cut_lines():
    """The net cuts along x = y; a target that jumps exactly there is refuted on that line."""
    net = Net(2, (Layer.make([[1, -1]], None, RELU), Layer.make([[1]])))
    box = [(-1, 1), (-1, 1)]
    fine = sympy.Piecewise((X - Y, X > Y), (0, True))
    assert prove_equal(net, fine, (X, Y), domain=box).status == "proved"
    spike = sympy.Piecewise((X - Y, X > Y), (5, sympy.Eq(X, Y)), (0, True))
    cert = prove_equal(net, spike, (X, Y), domain=box)
    assert_refuted_and_verified(net, spike, cert, (X, Y))
    assert cert.counterexample["x"] == cert.counterexample["y"]


def test_bounded_2d_box_falls_back_to_box_cells_for_irrational_cuts():
    """R(R(x^2 - 2) - 1) + y = max(x^2 - 3, 0) + y: polygons cannot cut at +-sqrt(2), +-sqrt(3); boxes can."""
    inner = compose(linear([[1]], [-1]), relu_of_square_minus_2())
    net = compose(linear([[1, 1]]), _stack_xy(compose(relu_block(), inner)))
    target = sympy.Max(X ** 2 - 3, 0) + Y
    cert = prove_equal(net, target, (X, Y), domain=[(-2, 2), (0, 1)])
    assert (cert.status, cert.method) == ("proved", "regionwise-box")
    # a Piecewise target needs its boundary x = sqrt(3) checked, which boxes cannot do at an irrational x
    jump = sympy.Piecewise((X ** 2 - 3, X ** 2 > 3), (0, True)) + Y
    undecided = prove_equal(net, jump, (X, Y), domain=[(-2, 2), (0, 1)])
    assert undecided.status == "unknown" and "irrational hyperplane" in undecided.detail


def test_symbols_are_taken_as_real_and_floats_are_refused():
    plain = sympy.Symbol("x")  # no real=True: the inputs are real anyway
    assert prove_equal(power_block(2), sympy.Abs(plain) ** 2, (plain,)).status == "proved"
    cert = prove_equal(identity_block(), sympy.Abs(plain), (plain,))
    assert cert.status == "refuted" and cert.counterexample["x"] < 0
    with pytest.raises(ExpressionError, match="floating-point"):
        prove_equal(identity_block(), sympy.Float(0.5) * X, (X,))


def test_curved_boundaries_in_2d_are_proved_by_sign_cases():
    """R(xy - 1/4): its zero set is a hyperbola, which cells cannot follow; branching on the sign of xy - 1/4
    (and on xy = 1/4 itself, since the target jumps) proves it."""
    net = compose(relu_block(), compose(linear([[1]], ["-1/4"]), product_block()))
    box = [(0, 1), (0, 1)]
    right = sympy.Piecewise((X * Y - sympy.Rational(1, 4), X * Y > sympy.Rational(1, 4)), (0, True))
    cert = prove_equal(net, right, (X, Y), domain=box)
    assert cert.status == "proved" and "sign cases" in cert.detail
    assert prove_equal(net, sympy.Max(X * Y - sympy.Rational(1, 4), 0), (X, Y), domain=box).status == "proved"
    wrong = sympy.Piecewise((X * Y - sympy.Rational(1, 5), X * Y > sympy.Rational(1, 4)), (0, True))
    cert = prove_equal(net, wrong, (X, Y), domain=box)
    assert_refuted_and_verified(net, wrong, cert, (X, Y))
    on_curve = sympy.Piecewise((X * Y - sympy.Rational(1, 4), X * Y >= sympy.Rational(1, 4)), (0, True)) + \
        sympy.Piecewise((1, sympy.Eq(X * Y, sympy.Rational(1, 4))), (0, True))
    assert prove_equal(net, on_curve, (X, Y), domain=box).status != "proved"  # differs exactly on the curve


def test_infeasible_nonlinear_sign_case_stays_unknown():
    """x = x + max(-(x - y)^2 - 1, 0) holds on R^2, but the empty case (x - y)^2 + 1 < 0 is not affine, so
    Fourier-Motzkin cannot discard it, and interval enclosures over [-1, 1]^2 are too coarse: unknown (an
    honest limit, not a refutation). Written as -(x - y)**2 - 1 sympy itself sees the sign: proved."""
    net = compose(identity_block(), linear([[1, 0]]))
    expanded = X + sympy.Max(-X ** 2 + 2 * X * Y - Y ** 2 - 1, 0)
    assert prove_equal(net, expanded, (X, Y)).status == "unknown"
    assert prove_equal(net, expanded, (X, Y), domain=[(-1, 1), (-1, 1)]).status == "unknown"
    assert prove_equal(net, X + sympy.Max(-(X - Y) ** 2 - 1, 0), (X, Y)).status == "proved"
