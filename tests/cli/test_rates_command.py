"""CLI: polyapprox rates / targets / plot rates, through polyapprox.cli.main."""

from __future__ import annotations

import json

import pytest

from polyapprox.cli import main
from polyapprox.core import netjson
from polyapprox.core.counting import count_params


def test_rates_json_and_outputs(tmp_path, capsys) -> None:
    out = tmp_path / "run"
    code = main(["rates", "--target", "sin1", "--order", "1", "--grids", "8,16,32,64", "--out", str(out), "--json"])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert {"target", "dim", "order", "method", "theory_slope", "points", "fit"} <= set(doc)
    assert doc["theory_slope"] == -1.0 and [p["N"] for p in doc["points"]] == [8, 16, 32, 64]
    assert set(doc["fit"]) >= {"slope", "local_range", "trend", "window"} and "ci" not in doc["fit"]
    enc = doc["fit_enclosure"]
    assert enc["lower"]["slope"] <= enc["upper"]["slope"] + 0.05 and len(enc["upper"]["local_slopes"]) == 3
    # d = 1, n = 1: slope -1 within the docs/measurement.md §7.2 tolerance (3 %)
    assert abs(doc["fit"]["slope"] + 1.0) <= 0.03
    for p in doc["points"]:
        net = netjson.load(out / f"net_N{p['N']}.json")
        assert count_params(net).params == p["params"]
    assert (out / "rates.png").exists() and (out / "rates.svg").exists()
    saved = json.loads((out / "results.json").read_text())
    assert saved["summary"]["fit"]["slope"] == doc["fit"]["slope"] and "provenance" in saved

    fig = tmp_path / "f.png"
    assert main(["plot", "rates", str(out / "results.json"), "--out", str(fig)]) == 0
    assert fig.read_bytes()[:4] == b"\x89PNG" and not (tmp_path / "f.svg").exists()
    pdf = tmp_path / "f.pdf"
    assert main(["plot", "rates", str(out / "results.json"), "--out", str(pdf)]) == 0
    assert pdf.read_bytes()[:5] == b"%PDF-" and not (tmp_path / "f.pdf.png").exists()


def test_expression_target(capsys) -> None:
    assert main(["rates", "--target", "x*y", "--dim", "2", "--order", "1", "--grids", "2,3", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["dim"] == 2 and doc["fit"]["window"]  # 2 points: fit reported, not asymptotic
    assert doc["points"][0]["sup_error"] > 0


@pytest.mark.parametrize("argv,msg", [
    (["rates", "--target", "sin1", "--order", "0"], "order"),
    (["rates", "--target", "exp2", "--dim", "1", "--order", "2"], "dimension"),
    (["rates", "--target", "nosuch", "--order", "2"], "unknown 'nosuch'"),
    (["rates", "--target", "x1 +* 2", "--dim", "1", "--order", "2"], "cannot parse"),
    (["rates", "--target", "sin1", "--order", "2", "--method", "tanh"], "unknown 'tanh'"),
    (["rates", "--target", "sin1", "--order", "2", "--grids", "4,x"], "grids"),
], ids=["order0", "dim-mismatch", "unknown", "malformed", "method", "sizes"])
def test_bad_input_exit_2_one_line(argv, msg, capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("polyapprox: error:") and msg in err and err.count("\n") == 1


def test_targets_listing(capsys) -> None:
    assert main(["targets", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    names = {t["name"] for t in doc["targets"]}
    assert {"sin1", "exp2", "relu2"} <= names
    assert main(["targets", "--dim", "2"]) == 0
    assert "exp2" in capsys.readouterr().out


def test_plot_rejects_bad_file(tmp_path, capsys) -> None:
    bad = tmp_path / "x.json"
    bad.write_text("{}")
    assert main(["plot", "rates", str(bad), "--out", str(tmp_path / "f.png")]) == 2
    assert "not a rates results file" in capsys.readouterr().err
