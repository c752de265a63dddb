"""Files that flow between verbs, the inferred dimension of expression targets, deprecated flag spellings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from polyapprox.cli.main import main


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def rates_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("rates") / "run"
    assert main(["rates", "--target", "sin1", "--order", "1", "--grids", "4,8,16", "--out", str(out), "--json"]) == 0
    return out


def test_rates_out_is_announced_on_stderr(capsys, tmp_path) -> None:
    code, out, err = _run(capsys, "rates", "--target", "exp1", "--order", "1", "--grids", "2,4", "--out",
                          str(tmp_path / "r"))
    assert code == 0 and "results.json" in err and "rates.png" in err and "2 networks" in err
    assert "wrote" not in out


def test_plot_rates_reads_a_file_a_folder_and_a_report_result(capsys, rates_dir, tmp_path) -> None:
    sweep = json.loads((rates_dir / "results.json").read_text())
    report = tmp_path / "results" / "rates.json"
    report.parent.mkdir()
    report.write_text(json.dumps({"step": "rates", "config": {}, "constants": {},
                                  "result": {"polyrelu": [sweep, sweep], "relu": [], "relu_reference": []}}))
    for i, source in enumerate((rates_dir / "results.json", rates_dir, report)):
        fig = tmp_path / f"fig{i}.png"
        code, _, err = _run(capsys, "plot", "rates", str(source), "--out", str(fig))
        assert code == 0, err
        assert fig.is_file() and not fig.with_suffix(".svg").exists()  # the suffix names the one format


def test_plot_rates_names_the_bad_sweep_in_a_report(capsys, rates_dir, tmp_path) -> None:
    report = tmp_path / "rates.json"
    report.write_text(json.dumps({"step": "rates", "result": {"polyrelu": [{"target": 3}]}}))
    code, _, err = _run(capsys, "plot", "rates", str(report), "--out", str(tmp_path / "f.png"))
    assert code == 2 and "result.polyrelu[0]" in err and err.count("\n") == 1


@pytest.mark.parametrize(("target", "dim"), [("x1**2", 1), ("x1*x2", 2), ("x*y", 2), ("sin(x) + z", 3)])
def test_expression_dimension_is_inferred(capsys, target: str, dim: int) -> None:
    code, out, err = _run(capsys, "rates", "--target", target, "--order", "1", "--grids", "2", "--json")
    assert code == 0, err
    assert json.loads(out)["dim"] == dim


def test_expression_without_variables_needs_dim(capsys) -> None:
    code, _, err = _run(capsys, "rates", "--target", "1/2", "--order", "1", "--grids", "2")
    assert code == 2 and "pass --dim" in err


def test_old_spelling_is_a_hidden_alias_with_one_warning(capsys) -> None:
    code, out, err = _run(capsys, "rates", "--target", "exp1", "--order", "1", "--sizes", "2,4", "--json")
    assert code == 0 and [p["N"] for p in json.loads(out)["points"]] == [2, 4]
    assert err == "polyapprox: warning: --sizes is deprecated; use --grids\n"
    with pytest.raises(SystemExit):
        main(["rates", "--help"])
    assert "--sizes" not in capsys.readouterr().out
