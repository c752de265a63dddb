"""Claims are computed from results: verdicts follow the measured numbers, and missing steps are not checked."""

from __future__ import annotations

from polyapprox.report.claims import NOT_CHECKED, compute_claims, equal_error_ratio


def _by_claim(results: dict, preset: str = "quick") -> dict[str, str]:
    return {c.claim.split(" (")[0][:40]: c.verdict for c in compute_claims(results, preset)}


def _verify(status: str) -> dict:
    return {"checks": [{"id": "lemma1.x", "status": status, "seconds": 0.1},
                       {"id": "lemma1.y", "status": "proved", "seconds": 0.1}]}


def _sweep(slope: float, theory: float, status: str = "asymptotic") -> dict:
    return {"dim": 1, "order": 2, "target": "sin1", "theory_slope": theory,
            "fit": {"slope": slope, "ci": [slope - 0.01, slope + 0.01], "status": status}}


def test_no_results_means_not_checked_except_arithmetic() -> None:
    claims = compute_claims({})
    checked = [c for c in claims if c.verdict != NOT_CHECKED]
    assert {c.source for c in checked} == {"paper 4.1 / docs/paper.md §3.1", "paper 4.3 / docs/paper.md §1.6"}


def test_verify_family_verdicts() -> None:
    assert compute_claims({"verify": _verify("proved")})[0].verdict == "holds"
    bad = compute_claims({"verify": _verify("refuted")})[0]
    assert bad.verdict == "does not hold" and "lemma1.x (refuted)" in bad.measured


def test_theorem3_verdict_follows_slope() -> None:
    def verdict(slope: float, status: str = "asymptotic") -> str:
        claims = compute_claims({"rates": {"polyrelu": [_sweep(slope, -2.0, status)]}})
        return next(c for c in claims if "Theorem 3)" in c.claim).verdict

    assert verdict(-2.05) == "holds"
    assert verdict(-1.7) == "does not hold"
    assert verdict(-2.0, "not asymptotic") == "does not hold"


def test_equal_error_ratio_interpolates_loglog() -> None:
    poly = {"points": [{"params": 100, "sup_error": 1e-2}, {"params": 1000, "sup_error": 1e-4}]}
    relu = {"points": [{"params": 1000, "sup_error": 1e-3}, {"params": 10**5, "sup_error": 1e-5}]}
    ratios = equal_error_ratio(poly, relu)
    # error 1e-3 lies halfway in log between the PolyReLU points: W_poly = 10^2.5
    assert len(ratios) == 1 and abs(ratios[0][1] - 1000 / 10**2.5) < 1e-9


def test_lm_claims_withheld_in_quick_preset() -> None:
    runs = [{"size": "tiny", "activation": a, "val_loss": v, "erank_mean": {"w_in": 1.0}}
            for a, v in (("swiglu", 2.0), ("polynorm", 1.9), ("polyrelu", 1.95))]
    quick = [c for c in compute_claims({"lm": {"runs": runs}}, "quick") if "validation loss" in c.claim][0]
    full = [c for c in compute_claims({"lm": {"runs": runs}}, "full") if "validation loss" in c.claim][0]
    assert quick.verdict == NOT_CHECKED and "agrees" in quick.measured
    assert full.verdict == "holds"
