"""The PUT-PolyReLU construction (docs/constructions.md §2.1–2.4): exactness, sizes, golden errors, a-priori bound."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from polyapprox.approx.measure import measure_errors
from polyapprox.backends.errorbound import float_error_bound
from polyapprox.backends.exact import evaluate_exact
from polyapprox.backends.floats import FloatNet
from polyapprox.construct.sobolev import (
    ClosedForm,
    a_priori_bound,
    alphas,
    build_sobolev,
    closed_form_exact,
    depth,
    grid_points,
    put_net,
    size_formula,
    sobolev_net,
)
from polyapprox.core.counting import count_params
from polyapprox.errors import ConfigError
from polyapprox.targets.catalogue import get_target

KAPPA = {1: Fraction(1, 3), 2: Fraction(1, 4), 3: Fraction(1, 27), 4: Fraction(1, 16)}  # docs/constructions.md §2.2
ARGMAX_U = {1: Fraction(1, 3), 2: Fraction(1, 2), 3: Fraction(1, 3), 4: Fraction(1, 2)}


def _random_coeffs(rng: np.random.Generator, d: int, n: int, N: int) -> dict:
    """Generic (nonzero, distinct) rational coefficients: equal ones could cancel merged weights."""
    return {(m, a): Fraction(int(rng.integers(1, 999)) * int(rng.choice([-1, 1])), int(rng.integers(1, 60)))
            for m in grid_points(d, N) for a in alphas(d, n)}


SIZE_CASES = [(1, 1, 2), (1, 1, 7), (1, 2, 3), (1, 3, 4), (1, 4, 2), (1, 4, 5), (2, 1, 3), (2, 2, 2), (2, 2, 4),
              (2, 3, 2), (2, 4, 2), (3, 1, 2), (3, 2, 2), (4, 1, 2)]


@pytest.mark.parametrize("d,n,N", SIZE_CASES, ids=[f"d{d}n{n}N{N}" for d, n, N in SIZE_CASES])
def test_size_formula_matches_count_params(d: int, n: int, N: int, rng: np.random.Generator) -> None:
    net = put_net(_random_coeffs(rng, d, n, N), d, n, N)
    pc = count_params(net)
    assert (pc.params, pc.units, pc.depth) == size_formula(N, d, n)
    assert pc.depth == depth(d, n) == 1 + math.ceil(math.log2(d + n - 1))


@pytest.mark.parametrize("d,n,N", [(1, 2, 3), (1, 4, 2), (2, 2, 2), (2, 3, 2), (3, 1, 2)],
                         ids=lambda v: str(v))
def test_net_equals_closed_form_exactly(d: int, n: int, N: int, rng: np.random.Generator) -> None:
    coeffs = _random_coeffs(rng, d, n, N)
    net = put_net(coeffs, d, n, N)
    for _ in range(6):
        point = [Fraction(int(rng.integers(0, 997)), 996) for _ in range(d)]
        assert evaluate_exact(net, point)[0] == closed_form_exact(coeffs, d, n, N, point)


@pytest.mark.parametrize("d,n,N", [(1, 3, 8), (2, 2, 5), (3, 2, 3)], ids=lambda v: str(v))
def test_float_net_matches_closed_form_within_rounding_bound(d: int, n: int, N: int,
                                                             rng: np.random.Generator) -> None:
    coeffs = _random_coeffs(rng, d, n, N)
    net = put_net(coeffs, d, n, N)
    x = rng.random((500, d))
    vals, bounds = float_error_bound(net, x)
    oracle = ClosedForm(coeffs, d, n, N)(x)
    scale = max(abs(float(c)) for c in coeffs.values())
    # the oracle's own rounding: <= 2^d cells x |alphas| terms of size <= scale, ~10 roundings each
    oracle_tol = 2 ** d * len(alphas(d, n)) * scale * 10 * 2.0 ** -52
    assert np.all(np.abs(vals[:, 0] - oracle) <= bounds[:, 0] + oracle_tol)
    np.testing.assert_array_equal(vals, FloatNet(net)(x))


@pytest.mark.parametrize("n", [1, 2, 3, 4], ids=lambda n: f"n{n}")
@pytest.mark.parametrize("N", [1, 2, 3, 7], ids=lambda N: f"N{N}")
def test_golden_monomial_error_exact(n: int, N: int) -> None:
    """f = x^n/n!: ||f - f_1|| = kappa_n / (n! N^n), attained at x = (m + u)/N (docs/constructions.md §2.2)."""
    target = get_target(f"poly{n}")
    built = build_sobolev(target, n, N)
    expected = KAPPA[n] / (math.factorial(n) * N ** n)
    for m in range(N):
        x = (m + ARGMAX_U[n]) / N
        f = x ** n / math.factorial(n)
        assert abs(f - evaluate_exact(built.net, [x])[0]) == expected
    rep = measure_errors(built.net, target, grid_cells=N)
    # float64: the net's rigorous rounding floor plus one rounding of f (|f| <= 1)
    assert abs(rep.sup_error - float(expected)) <= rep.floor + 2.0 ** -52


def test_polynomial_of_lower_degree_is_reproduced_exactly() -> None:
    built = build_sobolev(get_target("poly2"), 3, 3)
    for x in (Fraction(0), Fraction(1, 7), Fraction(5, 9), Fraction(1)):
        assert evaluate_exact(built.net, [x])[0] == x ** 2 / 2


@pytest.mark.parametrize("name,n,N", [("sin1", 1, 8), ("sin1", 2, 8), ("sin1", 3, 8), ("sin1", 4, 8),
                                      ("exp1", 2, 16), ("exp2", 1, 4), ("exp2", 2, 4), ("sinsin2", 2, 4),
                                      ("exp3", 1, 2)], ids=lambda v: str(v))
def test_error_below_a_priori_bound(name: str, n: int, N: int) -> None:
    target = get_target(name)
    rep = measure_errors(sobolev_net(target, n, N), target, grid_cells=N)
    bound = a_priori_bound(target, n, N)
    assert rep.sup_error <= bound
    assert rep.sup_error >= 0.05 * bound  # the bound is not vacuous here (theory: 0.12-0.57 of B)


def test_relu_baseline_within_twice_the_bound() -> None:
    pytest.importorskip("polyapprox.construct.yarotsky")
    target = get_target("sin1")
    for N in (4, 8):
        built = build_sobolev(target, 2, N, product="relu")
        rep = measure_errors(built.net, target, grid_cells=N)
        # the coupling rule guarantees error <= 2 B(N) (docs/constructions.md §2.4.3)
        assert rep.sup_error <= 2 * a_priori_bound(target, 2, N)
        assert count_params(built.net).depth == 1 + math.ceil(math.log2(1 + 2 - 1)) * (built.q + 1)
    assert build_sobolev(target, 2, 4, product="relu").q == 4  # docs/constructions.md §2.4.3: q = 4 at N = 4


@pytest.mark.parametrize("d,n,N,q", [(1, 2, 3, 3), (2, 1, 2, 2)], ids=lambda v: str(v))
def test_relu_baseline_size_matches_theory_table(d: int, n: int, N: int, q: int, rng: np.random.Generator) -> None:
    pytest.importorskip("polyapprox.construct.yarotsky")
    table = {(1, 2): lambda: (25 * q + 30) * N + 25 * q + 8,
             (2, 1): lambda: (24 * q + 29) * N ** 2 + (48 * q + 42) * N + 24 * q + 5}
    net = put_net(_random_coeffs(rng, d, n, N), d, n, N, product="relu", q=q)
    assert count_params(net).params == table[(d, n)]()


def test_bad_input() -> None:
    t = get_target("sin1")
    with pytest.raises(ConfigError, match="order"):
        sobolev_net(t, 0, 4)
    with pytest.raises(ConfigError, match="N"):
        sobolev_net(t, 2, 0)
    with pytest.raises(ConfigError, match="product"):
        sobolev_net(t, 2, 4, product="fast")
    with pytest.raises(ConfigError, match="a-priori bound|W\\^"):
        sobolev_net(get_target("relu1"), 3, 4, product="relu")
