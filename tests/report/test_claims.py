"""Claims are computed from results: verdict rules (with thresholds) follow the measured numbers, every
command cell is a real command of the CLI, and missing steps are "not run"."""

from __future__ import annotations

import shlex

import pytest

from polyapprox.approx.rates import fit_enclosure
from polyapprox.cli.main import build_parser, main
from polyapprox.report.claims import (
    FAILS,
    HOLDS,
    INCONCLUSIVE,
    NOT_CHECKED,
    NOT_RUN,
    RULES,
    WITHIN_NOISE,
    compare,
    compute_claims,
    equal_error_ratio,
)


def _verify(status: str) -> dict:
    return {"checks": [{"id": "lemma1.x", "status": status, "seconds": 0.1},
                       {"id": "lemma1.y", "status": "proved", "seconds": 0.1}]}


def _points(slope: float, upper_slope: float | None = None, wiggle: tuple[float, ...] = ()) -> list[dict]:
    """Points e = W^slope (upper end W^upper_slope x 2); ``wiggle`` adds log offsets to the last points."""
    ws = [100.0 * 2.0 ** k for k in range(5)]
    pts = []
    for k, w in enumerate(ws):
        off = 1.0
        if wiggle and k >= len(ws) - len(wiggle):
            off = 2.718281828 ** wiggle[k - (len(ws) - len(wiggle))]
        lo = off * w ** slope
        pts.append({"N": 2 ** k, "params": w, "sup_error": lo, "sup_error_lower": lo,
                    "sup_error_upper": 2 * w ** (upper_slope if upper_slope is not None else slope) * off})
    return pts


def _sweep(points: list[dict], d: int = 1, n: int = 2) -> dict:
    return {"dim": d, "order": n, "target": "sin1", "theory_slope": -n / d, "points": points,
            "fit": {"slope": -2.0, "status": "asymptotic"}, "fit_vs_N": {"slope": -2.0}}


def _theorem3_verdict(points: list[dict]) -> str:
    claims = compute_claims({"rates": {"polyrelu": [_sweep(points)]}})
    return next(c for c in claims if c.claim.startswith("Theorem 3, d = 1, n = 2")).verdict


def test_no_results_means_not_run() -> None:
    assert {c.verdict for c in compute_claims({})} == {NOT_RUN}


def test_verify_family_verdicts() -> None:
    assert compute_claims({"verify": _verify("proved")})[0].verdict == HOLDS
    bad = compute_claims({"verify": _verify("refuted")})[0]
    assert bad.verdict == FAILS and "lemma1.x (refuted)" in bad.measured


def test_theorem3_rule_needs_both_enclosure_ends_and_trend() -> None:
    assert _theorem3_verdict(_points(-2.0)) == HOLDS
    assert _theorem3_verdict(_points(-2.0, upper_slope=-1.7)) == FAILS  # one sub-test (upper end) disagrees
    assert _theorem3_verdict(_points(-1.7)) == FAILS
    # slopes within 0.1 but the last local slope moves away from -2: not "holds"
    assert _theorem3_verdict(_points(-2.0, wiggle=(0.0, 0.0, 0.1))) == INCONCLUSIVE
    # the fallback: points without an enclosure use the sampled error for both ends
    plain = [{k: p[k] for k in ("N", "params", "sup_error")} for p in _points(-2.0)]
    row = next(c for c in compute_claims({"rates": {"polyrelu": [_sweep(plain)]}}) if "n = 2" in c.claim)
    assert row.verdict == HOLDS and "no enclosure" in row.measured
    # a partly enclosed sweep (d = 3: no enclosure at N = 16) names the points without one
    part = _points(-2.0)
    part[-1]["sup_error_upper"] = None
    row = next(c for c in compute_claims({"rates": {"polyrelu": [_sweep(part)]}}) if "n = 2" in c.claim)
    assert "enclosure [lower, upper] (no enclosure at N = 16: lower end only there)" in row.measured


def test_upper_end_is_fitted_over_certified_points_only() -> None:
    """A sampled sup error is a lower bound: it must not enter the upper end's fit next to certified points."""
    part = _points(-2.0)
    part[-1]["sup_error_upper"] = None
    part[-1]["sup_error"] = part[-1]["sup_error_lower"] = part[-2]["sup_error_lower"] * 10  # far off the line
    fits = fit_enclosure(part, -2.0)
    last = len(part) - 1
    assert last in fits.lower.window and last not in fits.upper.window
    assert not fits.certified
    assert abs(fits.upper.slope + 2.0) < 0.05  # the certified points alone lie on the line


def test_one_row_per_theorem3_fit_each_with_its_command() -> None:
    rows = [c for c in compute_claims({}) if c.claim.startswith("Theorem 3, ")]
    assert len(rows) == 8 and len({c.command for c in rows}) == 8
    assert all(c.command.startswith("polyapprox rates --target ") and "--grids" in c.command for c in rows)


def _relu_rows(verdicts: list[str]) -> dict:
    poly = {"dim": 1, "order": 2, "points": [{"params": 100, "sup_error": 1e-2}, {"params": 10**4, "sup_error": 1e-6}]}
    relu = [{"dim": 1, "order": 2, "target": "sin1", "log_factor": {"verdict": v, "loglog_slope": 1.0},
             "points": [{"params": 1000, "sup_error": 1e-3}, {"params": 10**5, "sup_error": 1e-5}]}
            for v in verdicts]
    return {"rates": {"relu": relu, "relu_reference": [poly]}}


def test_relu_log_factor_row_holds_only_when_every_sub_row_says_so() -> None:
    def verdict(vs: list[str]) -> str:
        return next(c for c in compute_claims(_relu_rows(vs)) if "ln(1/eps) factor" in c.claim).verdict

    assert verdict(["log factor", "log factor"]) == HOLDS
    assert verdict(["log factor", "inconclusive"]) == INCONCLUSIVE
    assert verdict(["log factor", "no log factor"]) == FAILS


def test_equal_error_ratio_interpolates_loglog() -> None:
    poly = {"points": [{"params": 100, "sup_error": 1e-2}, {"params": 1000, "sup_error": 1e-4}]}
    relu = {"points": [{"params": 1000, "sup_error": 1e-3}, {"params": 10**5, "sup_error": 1e-5}]}
    ratios = equal_error_ratio(poly, relu)
    # error 1e-3 lies halfway in log between the PolyReLU points: W_poly = 10^2.5
    assert len(ratios) == 1 and abs(ratios[0][1] - 1000 / 10**2.5) < 1e-9


def _lm(vals: dict[str, list[float]]) -> dict:
    return {"lm": {"runs": [{"size": "tiny", "activation": a, "val_loss": v, "erank_mean": {"w_in": 1.0}}
                            for a, vs in vals.items() for v in vs]}}


def _lm_row(vals: dict[str, list[float]], preset: str) -> object:
    return next(c for c in compute_claims(_lm(vals), preset) if "validation loss" in c.claim)


def test_lm_noise_rule() -> None:
    assert compare([1.90, 1.91, 1.92], [2.00, 2.01, 2.02], "lower")[0] == "agrees"
    assert compare([2.10, 2.11, 2.12], [2.00, 2.01, 2.02], "lower")[0] == "disagrees"
    # a 0.001-nat gap between seeds that scatter by 0.01 is noise, whichever way it points
    assert compare([1.945, 1.955, 1.935], [1.946, 1.956, 1.936], "lower")[0] == WITHIN_NOISE
    assert compare([1.9], [2.0], "lower")[0] == WITHIN_NOISE  # one seed: no noise estimate, no finding


def test_lm_verdicts_by_preset() -> None:
    clear = {"swiglu": [2.0, 2.01, 2.02], "polynorm": [1.9, 1.91, 1.92], "polyrelu": [1.93, 1.94, 1.95]}
    noisy = {**clear, "polyrelu": [2.0, 2.02, 2.01]}
    assert _lm_row(clear, "full").verdict == HOLDS
    assert _lm_row(noisy, "full").verdict == WITHIN_NOISE
    quick = _lm_row(clear, "quick")
    assert quick.verdict == NOT_CHECKED and "3 seeds" in quick.measured and "agrees" in quick.measured
    assert _lm_row(clear, "full").command == "polyapprox reproduce --full --steps lm"


def _all_claims() -> list:
    full = {"verify": _verify("proved"), **_relu_rows(["log factor"]), **_lm({"swiglu": [2.0, 2.1]})}
    return compute_claims({}) + compute_claims(full, "full")


@pytest.mark.parametrize("command", sorted({c.command for c in _all_claims()}))
def test_every_command_parses(command: str) -> None:
    argv = shlex.split(command)
    assert argv[0] == "polyapprox"
    args = build_parser().parse_args(argv[1:])
    assert callable(args.func)


def test_cheap_commands_run(capsys: pytest.CaptureFixture[str]) -> None:
    cheap = [c.command for c in compute_claims({}) if c.command.startswith("polyapprox verify --only paper.")]
    assert len(cheap) == 2
    for command in cheap:
        assert main(shlex.split(command)[1:]) == 0
    assert "proved" in capsys.readouterr().out


def test_rules_state_their_thresholds() -> None:
    text = " ".join(RULES)
    assert "within 0.1 of -n/d" in text and "2 x the combined standard error" in text and "not run" in text
