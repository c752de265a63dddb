"""The trained-network claims rows: verdicts follow the thresholds (failing slopes show), factors are measured."""

from __future__ import annotations

from polyapprox.report.claims import NOT_CHECKED, compute_claims


def _points(errors: dict[int, list[float]]) -> list[dict]:
    return [{"width": w, "seed": s, "params_nnz": 3 * w + 1, "sup_error": e}
            for w, es in errors.items() for s, e in enumerate(es)]


def _target(name: str, dim: int, poly: float, relu: float) -> dict:
    return {"target": name, "dim": dim, "construction": {"slope": -3.1},
            "activations": {"polyrelu": {"fit": {"slope": poly}, "points": _points({8: [1e-3], 64: [1e-8, 1.0]})},
                            "relu": {"fit": {"slope": relu}, "points": _points({8: [1e-2], 64: [1e-4, 1e-4]})}}}


def _rows(targets: list[dict]) -> dict[str, tuple[str, str]]:
    claims = compute_claims({"ffn": {"targets": targets}})
    return {("rate" if "reach their rate" in c.claim else "beats"): (c.measured, c.verdict)
            for c in claims if c.claim.startswith("Trained PolyReLU")}


def test_rate_row_holds_only_within_every_threshold() -> None:
    ok = _rows([_target("sin1", 1, -4.2, -2.0), _target("gauss2", 2, -2.7, -1.1)])
    assert ok["rate"][1] == "holds" and "polyrelu -4.20 (need <= -3.4)" in ok["rate"][0]
    assert "construction -3.10" in ok["rate"][0]
    for poly, relu, d2 in ((-3.3, -2.0, -2.7), (-4.2, -1.7, -2.7), (-4.2, -2.0, -0.9)):
        bad = _rows([_target("sin1", 1, poly, relu), _target("gauss2", 2, d2, -1.1)])
        assert bad["rate"][1] == "does not hold"


def test_beats_row_uses_medians_at_the_largest_common_width() -> None:
    row = _rows([_target("sin1", 1, -4.2, -2.0)])["beats"]
    # width 64: PolyReLU median of (1e-8, 1.0) is 0.5 -> ReLU 1e-4 / 0.5 < 1: does not hold (a bad seed shows)
    assert row[1] == "does not hold" and "width 64" in row[0]
    t = _target("sin1", 1, -4.2, -2.0)
    t["activations"]["polyrelu"]["points"] = _points({8: [1e-3], 64: [1e-8, 2e-8, 3e-8]})
    row = _rows([t])["beats"]
    assert row[1] == "holds" and "= 5e+03" in row[0]  # 1e-4 / 2e-8


def test_rows_not_checked_without_the_ffn_step() -> None:
    rows = _rows([])
    assert rows["rate"][1] == NOT_CHECKED and rows["beats"][1] == NOT_CHECKED
