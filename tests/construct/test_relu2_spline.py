"""ReLU^2-only B-spline Sobolev construction: exact equality with sum_m phi_m P_m, exact polynomial
reproduction, pure-RePU structure, sizes, and the a-priori bound (3/(2N))^n S_n(f)."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest

from polyapprox.backends.exact import evaluate_exact
from polyapprox.backends.floats import evaluate_float
from polyapprox.construct.relu2_spline import (
    R2,
    b2,
    closed_form,
    relu2_a_priori_bound,
    relu2_net,
    relu2_sobolev_net,
    spline_alphas,
)
from polyapprox.counting import count_params
from polyapprox.errors import ConfigError
from polyapprox.net import PolyReLU
from polyapprox.targets import get_target

F = Fraction


def _random_coeffs(rng: np.random.Generator, d: int, n: int, N: int) -> dict:
    """Generic (nonzero) rational Taylor data; zero coefficients would drop terms and lower the size."""
    return {(m, a): F(int(rng.choice([-1, 1]) * rng.integers(1, 10)), int(rng.integers(1, 10)))
            for m in itertools.product(range(N + 1), repeat=d) for a in spline_alphas(d, n)}


def test_b2_partition_of_unity() -> None:
    for k in range(40):
        t = F(k, 13)
        assert sum(b2(t - j) for j in range(-4, 5)) == 1


@pytest.mark.parametrize(("d", "n", "N"), [(1, 1, 3), (1, 2, 4), (1, 3, 3), (2, 2, 2), (2, 3, 2)], ids=str)
def test_net_equals_closed_form(d: int, n: int, N: int, rng: np.random.Generator) -> None:
    """Exact equality with sum_m phi_m P_m at random rational points of [0,1]^d (products are exact)."""
    coeffs = _random_coeffs(rng, d, n, N)
    net = relu2_net(coeffs, d, n, N)
    for _ in range(12):
        p = [F(int(rng.integers(0, 61)), 60) for _ in range(d)]
        assert evaluate_exact(net, p)[0] == closed_form(coeffs, d, n, N, p)


@pytest.mark.parametrize(("d", "n", "N"), [(1, 1, 2), (1, 2, 3), (2, 3, 2)], ids=str)
def test_pure_repu_constant_depth(d: int, n: int, N: int, rng: np.random.Generator) -> None:
    """Every unit is ReLU^2; depth 1 + ceil(log2(d + n - 1))."""
    net = relu2_net(_random_coeffs(rng, d, n, N), d, n, N)
    acts = {a for layer in net.layers[:-1] for a in layer.activations}
    assert acts == {R2} == {PolyReLU((0, 0, 1))}
    assert count_params(net).depth == 1 + (d + n - 2).bit_length()


@pytest.mark.parametrize(("n", "slope", "const"), [(1, 3, 9), (2, 46, 98), (3, 122, 292)], ids=str)
def test_size_linear_in_N_for_d1(n: int, slope: int, const: int, rng: np.random.Generator) -> None:
    """d = 1, generic coefficients: params = slope N + const (measured closed form, N = 2..5)."""
    for N in range(2, 6):
        assert count_params(relu2_net(_random_coeffs(rng, 1, n, N), 1, n, N)).params == slope * N + const


def test_reproduces_low_degree_polynomials_exactly() -> None:
    """f of degree < n: every P_m = f, so the net equals f on [0,1] exactly."""
    from polyapprox.targets import user_target

    target = user_target("x1**2 - x1/2 + 1/3", 1)
    net = relu2_sobolev_net(target, 3, 4)
    for k in range(27):
        x = F(k, 26)
        assert evaluate_exact(net, [x])[0] == x * x - x / 2 + F(1, 3)


@pytest.mark.parametrize("n", [1, 2, 3], ids=lambda n: f"n={n}")
def test_sin_error_below_a_priori_bound(n: int) -> None:
    """Sampled sup error (a lower estimate) of sin(2 pi x) at N = 16 is <= (3/(2N))^n S_n(f)."""
    target, N = get_target("sin1"), 16
    x = np.linspace(0.0, 1.0, 8 * 3 * N * 16 + 1)[:, None]
    err = np.max(np.abs(evaluate_float(relu2_sobolev_net(target, n, N), x)[:, 0] - target.f(x)))
    assert 0 < err <= relu2_a_priori_bound(target.norm_bound(n)[0], n, N)


def test_rejects_bad_sizes() -> None:
    with pytest.raises(ConfigError, match="N:"):
        relu2_net({}, 1, 2, 0)


def test_rates_benchmark_runs() -> None:
    """benchmarks/relu2_rates.py at N = 8 only: rows present, sampled error below the a-priori bound."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "relu2_rates.py"
    spec = importlib.util.spec_from_file_location("relu2_rates", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    out = module.run(8, orders=(1, 2))
    for entry in out["orders"].values():
        (row,) = entry["rows"]
        assert row["N"] == 8
        assert 0 < row["e_over_bound"] <= 1
