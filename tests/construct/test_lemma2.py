"""Lemma 2 (ReLU nets approximating one PolyReLU unit) and the ReLU verify checks."""

from __future__ import annotations

from fractions import Fraction

import pytest

from polyapprox.approx.pieces import propagate, sup_error
from polyapprox.construct.lemma2 import (
    error_bound,
    fit_log_size,
    levels_for,
    polyrelu_net,
    polyrelu_target,
    relu_approx_polyrelu,
)
from polyapprox.core.counting import count_params
from polyapprox.errors import ConfigError
from polyapprox.verify.relu import CHECKS

F = Fraction
TARGETS = {
    "relu2": (0, 0, 1),
    "cubic": (F(1, 4), F(1, 2), F(-1, 2), F(3, 4)),
    "quartic": (0, F(1, 3), F(1, 3), F(-1, 3), F(1, 2)),
}


@pytest.mark.parametrize("name", TARGETS, ids=str)
@pytest.mark.parametrize("e", [3, 7, 10], ids=lambda e: f"eps=2^-{e}")
def test_exact_sup_error_below_bound_below_eps(name: str, e: int) -> None:
    coeffs, eps = TARGETS[name], F(1, 2 ** e)
    net, bound = relu_approx_polyrelu(coeffs, eps)
    err = sup_error(propagate(net, -1, 1)[0], polyrelu_target(coeffs))
    assert err.upper <= bound < eps


@pytest.mark.parametrize("q", [1, 3, 6], ids=lambda q: f"q={q}")
def test_square_case_attains_bound(q: int) -> None:
    """For PolyReLU = R(x)^2 the net is f_q(R(x)); its exact sup error is the bound 4^-(q+1)."""
    net = polyrelu_net((0, 0, 1), q)
    err = sup_error(propagate(net, -1, 1)[0], polyrelu_target((0, 0, 1)))
    assert err.exact
    assert err.lower == error_bound((0, 0, 1), q) == F(1, 4 ** (q + 1))


@pytest.mark.parametrize("name", TARGETS, ids=str)
def test_exactly_constant_on_negative_half(name: str) -> None:
    """For x <= 0 the net equals a_0 exactly (f_m(0) = 0, xt(0, y) = 0, clamp(0) = 0)."""
    coeffs = TARGETS[name]
    g = propagate(polyrelu_net(coeffs, 3), -1, 0)[0]
    assert set(g.ys) == {F(coeffs[0])}


@pytest.mark.parametrize("coeffs", [(F(2, 3),), (F(-1, 2), F(5, 7))], ids=["constant", "affine_relu"])
def test_low_order_is_exact(coeffs: tuple[Fraction, ...]) -> None:
    net, bound = relu_approx_polyrelu(coeffs, F(1, 1000))
    assert bound == 0
    assert sup_error(propagate(net, -1, 1)[0], polyrelu_target(coeffs)).upper == 0


@pytest.mark.parametrize("name", TARGETS, ids=str)
def test_size_is_affine_in_level(name: str) -> None:
    """count_params(polyrelu_net(a, q)) has zero second differences in q (q >= 2): size = c0 + c1 q."""
    sizes = [count_params(polyrelu_net(TARGETS[name], q)).params for q in range(2, 7)]
    assert len({b - a for a, b in zip(sizes, sizes[1:])}) == 1  # noqa: B905 - adjacent pairs


def test_ln_fit_beats_ln2_fit() -> None:
    """Sizes for eps = 2^-2..2^-20 follow a + b ln(1/eps) better than a + b ln^2(1/eps) (docs/paper.md §4.3).

    Not a theorem: a measured comparison of residuals (the ln model's residuals are the integer steps of q).
    """
    coeffs = TARGETS["cubic"]
    eps = [2.0 ** -e for e in range(2, 21)]
    sizes = [count_params(relu_approx_polyrelu(coeffs, F(1, 2 ** e))[0]).params for e in range(2, 21)]
    ln1, ln2 = fit_log_size(eps, sizes, 1), fit_log_size(eps, sizes, 2)
    assert ln1.b > 0
    assert ln1.rms < ln2.rms


def test_levels_for_validates_eps() -> None:
    with pytest.raises(ConfigError, match="eps"):
        levels_for((0, 0, 1), 1)
    with pytest.raises(ConfigError, match="q:"):
        polyrelu_net((0, 0, 1), 0)
    with pytest.raises(ConfigError, match="coeffs"):
        polyrelu_net((), 2)


def test_levels_for_is_minimal() -> None:
    coeffs = TARGETS["quartic"]
    eps = F(1, 2 ** 12)
    q = levels_for(coeffs, eps)
    assert error_bound(coeffs, q) < eps <= error_bound(coeffs, q - 1)


@pytest.mark.parametrize(("cid", "statement", "fn"), CHECKS, ids=[c[0] for c in CHECKS])
def test_verify_checks_prove(cid: str, statement: str, fn: object) -> None:
    result = fn()  # type: ignore[operator]
    assert result["id"] == cid
    assert result["status"] == "proved", result["details"]
    assert set(result) >= {"id", "statement", "status", "method", "seconds"}


def test_accepts_polyrelu_spec() -> None:
    from polyapprox.core.net import PolyReLU

    spec = PolyReLU(TARGETS["cubic"])
    assert relu_approx_polyrelu(spec, F(1, 64)) == relu_approx_polyrelu(TARGETS["cubic"], F(1, 64))


def test_benchmark_script_runs() -> None:
    """benchmarks/lemma2_sizes.py in a tiny configuration: rows, both fits, exact errors below the bounds."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "lemma2_sizes.py"
    spec = importlib.util.spec_from_file_location("lemma2_sizes", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    out = module.run(5, 5)
    for entry in out["targets"].values():
        assert [r["eps"] for r in entry["rows"]] == [2.0 ** -e for e in range(2, 6)]
        assert all(r["sup_upper"] <= r["bound"] < r["eps"] for r in entry["rows"])
        assert set(entry) >= {"fit_ln", "fit_ln2"}
