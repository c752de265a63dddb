"""measure_errors on approximants with known sup and L2 errors (callables and Nets)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from polyapprox.approx.measure import breakpoint_axis, measure_errors
from polyapprox.construct.blocks import product_block
from polyapprox.errors import ConfigError
from polyapprox.targets.catalogue import get_target, user_target

X0 = 1 / math.sqrt(7)  # an irrational peak position that no grid hits
A, WIDTH = 1e-3, 1e-3


def _bumped(target_name: str):
    t = get_target(target_name)

    def model(x: np.ndarray) -> np.ndarray:
        return t.f(x) - A * np.exp(-np.sum((x - X0) ** 2, axis=1) / WIDTH)

    return t, model


@pytest.mark.parametrize("grid_cells", [None, 4], ids=["uniform", "aligned"])
def test_sup_refinement_finds_off_grid_peak(grid_cells: int | None) -> None:
    t, model = _bumped("sin1")
    rep = measure_errors(model, t, grid_cells=grid_cells, per_cell=4)
    # the refined maximum is the true peak A up to the optimiser tolerance (~1e-8 relative)
    assert rep.sup_error == pytest.approx(A, rel=1e-7)
    assert rep.argmax[0] == pytest.approx(X0, abs=1e-4)
    assert rep.how["sup"]["grid_max"] <= rep.sup_error
    assert rep.floor is None and rep.how["model"] == "callable"


def test_l2_gauss_and_sobol_against_closed_form() -> None:
    t, model = _bumped("sin1")
    # int_0^1 A^2 exp(-2 (x - x0)^2 / w) dx, closed form with erf
    s = math.sqrt(WIDTH / 2)
    exact = A * math.sqrt(math.sqrt(math.pi) * s / 2 * (math.erf((1 - X0) / s) + math.erf(X0 / s)))
    rep = measure_errors(model, t, grid_cells=16, refine=0)
    assert rep.how["l2"]["kind"].startswith("composite Gauss")
    assert rep.l2_error == pytest.approx(exact, rel=1e-6)  # 48 cells x 5 nodes on a width-0.03 bump
    sob = measure_errors(model, t, refine=0, sobol_log2=12)
    assert sob.how["l2"]["kind"] == "scrambled Sobol"
    assert abs(sob.l2_error - exact) <= 5 * sob.l2_stderr + 1e-3 * exact


def test_net_input_reports_floor() -> None:
    t = user_target("x1*x2", 2)
    rep = measure_errors(product_block(), t, grid_cells=3, per_cell=4, refine=2)
    assert rep.floor is not None and 0 < rep.floor < 1e-14
    assert rep.sup_error <= rep.floor  # exact product: only rounding remains
    assert rep.how["floor"]["kind"].startswith("float_error_bound")


def test_dimension_mismatch() -> None:
    with pytest.raises(ConfigError, match="R\\^2"):
        measure_errors(product_block(), get_target("sin1"))


def test_breakpoint_axis_contains_breakpoints() -> None:
    ax = breakpoint_axis(2, 3, 0)
    for k in range(7):
        assert np.any(np.isclose(ax, k / 6, rtol=0, atol=1e-15))
    assert ax.size == 6 * 3 + 1
