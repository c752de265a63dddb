"""Sweeps: structure of results, and (slow) the fitted rates against the docs/measurement.md §7.2 tolerances."""

from __future__ import annotations

import pytest

from polyapprox.approx.sweeps import SweepConfig, envelope_sweep, run_sweep
from polyapprox.errors import ConfigError
from polyapprox.targets.catalogue import get_target


def test_small_sweep_structure_and_resume() -> None:
    cfg = SweepConfig(get_target("sin1"), 2, sizes=(32, 8, 16, 64))
    res = run_sweep(cfg)
    assert [p.N for p in res.points] == [8, 16, 32, 64]
    assert all(p.sup_error <= p.bound for p in res.points)
    assert res.theory_slope == -2.0 and res.fit.theory_slope == -2.0 and res.fit_vs_N.theory_slope == -2.0
    assert res.fit.n_used == 4 and res.fit.asymptotic
    d = res.to_dict()
    assert d["points"][0]["measured_how"]["sup"]["kind"] == "breakpoint-aligned grid"
    again = run_sweep(cfg, previous=res.points)
    assert again.points == res.points  # resumed: nothing re-measured


def test_pre_asymptotic_sizes_are_reported_not_asymptotic() -> None:
    """sin(2 pi x), n = 2 at N = 4: local slope -1.6 vs -2, outside the window rule's +-0.2 band."""
    res = run_sweep(SweepConfig(get_target("sin1"), 2, sizes=(4, 8, 16, 32)))
    assert res.fit.status == "not asymptotic" and res.fit.agrees_with_theory is None


def test_closed_form_path_checks_the_net() -> None:
    cfg = SweepConfig(get_target("exp2"), 1, sizes=(4,), net_budget=0)
    p = run_sweep(cfg).points[0]
    check = p.measured_how["net_check"]
    assert check["max_gap"] <= check["max_rounding_bound"] + 1e-12


def test_config_errors() -> None:
    t = get_target("sin1")
    with pytest.raises(ConfigError, match="order"):
        SweepConfig(t, 0)
    with pytest.raises(ConfigError, match="unknown"):
        SweepConfig(t, 2, method="tanh")
    with pytest.raises(ConfigError, match="sizes"):
        SweepConfig(t, 2, sizes=(0, 4))


@pytest.mark.parametrize("method", ["relu", "relu2"])
def test_baseline_methods_sweep(method: str) -> None:
    res = run_sweep(SweepConfig(get_target("sin1"), 2, method=method, sizes=(4, 8, 16)))
    factor = 2 if method == "relu" else 1  # relu: coupling rule guarantees e <= 2 B(N); relu2: its own B(N)
    assert all(p.sup_error <= factor * p.bound for p in res.points)
    assert [p.q is not None for p in res.points] == [method == "relu"] * 3


def test_theory_slope_saturates_at_smoothness() -> None:
    assert SweepConfig(get_target("relu2"), 4).theory_slope == -2.0
    assert SweepConfig(get_target("hold25"), 4).theory_slope == -2.5
    assert SweepConfig(get_target("exp2"), 3).theory_slope == -1.5


# docs/measurement.md §7.2: |s_W / s_th - 1| <= 3 % (d = 1, N = 32..256), 8 % (d = 2, N = 8..64)
SLOW_CASES = [("sin1", 1, (32, 64, 128, 256), 0.03), ("sin1", 2, (32, 64, 128, 256), 0.03),
              ("sin1", 3, (32, 64, 128, 256), 0.03), ("sin1", 4, (8, 16, 32, 64), 0.03),
              ("exp1", 2, (32, 64, 128, 256), 0.03),
              ("exp2", 1, (8, 16, 32, 64), 0.08), ("exp2", 2, (8, 16, 32, 64), 0.08)]


@pytest.mark.slow
@pytest.mark.parametrize("name,n,sizes,rel", SLOW_CASES, ids=[f"{c[0]}-n{c[1]}" for c in SLOW_CASES])
def test_fitted_slope_matches_theory(name: str, n: int, sizes: tuple[int, ...], rel: float) -> None:
    res = run_sweep(SweepConfig(get_target(name), n, sizes=sizes))
    assert res.fit.asymptotic
    assert abs(res.fit.slope / res.theory_slope - 1) <= rel
    assert abs(res.fit_vs_N.slope / (-n) - 1) <= rel
    assert all(p.sup_error <= p.bound for p in res.points)


@pytest.mark.slow
@pytest.mark.parametrize("s,n", [(1, 2), (2, 3), (2, 4)], ids=lambda v: str(v))
def test_rate_saturates_at_smoothness(s: int, n: int) -> None:
    """relu_s with n > s: the shift-envelope slope vs N is -s (docs/measurement.md §7.2: |s_N + s| <= 0.02)."""
    env = envelope_sweep(s, n, (16, 32, 64, 128))
    assert abs(env["fit_vs_N"]["slope"] + s) <= 0.02
