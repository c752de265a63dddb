"""``polyapprox train ffn`` through ``polyapprox.cli.main``: payload, resume, construct-then-train, bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from polyapprox.cli import main
from polyapprox.core.results import read_json, write_json
from polyapprox.train import ffn_sweep

TINY = ["train", "ffn", "--method", "adam", "--target", "sin1", "--activations", "relu,polyrelu", "--widths", "2,4",
        "--steps", "20",
        "--lbfgs-steps", "5", "--eval-every", "5", "--train-points", "64", "--val-points", "32",
        "--grids", "2,4", "--quiet", "--json"]


pytestmark = pytest.mark.usefixtures("one_thread")


def _run(capsys, argv):
    code = main(argv)
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def _without_seconds(payload):
    for series in payload["activations"].values():
        for point in series["points"]:
            point.pop("seconds")
    return payload


@pytest.fixture
def count_training(monkeypatch):
    """Counts calls of the training function used by the sweep."""
    calls = []
    real = ffn_sweep.train_model

    def counted(model, data, config, progress=None):
        calls.append(1)
        return real(model, data, config, progress)

    monkeypatch.setattr(ffn_sweep, "train_model", counted)
    return calls


def test_payload_has_points_fits_and_the_construction(capsys, tmp_path):
    code, out, _ = _run(capsys, [*TINY, "--seeds", "0,1", "--out", str(tmp_path)])
    assert code == 0
    p = json.loads(out)
    assert set(p["activations"]) == {"relu", "polyrelu"}
    pts = p["activations"]["relu"]["points"]
    assert [(q["width"], q["seed"]) for q in pts] == [(2, 0), (2, 1), (4, 0), (4, 1)]
    assert [q["params"] for q in pts] == [3 * 2 + 1] * 2 + [3 * 4 + 1] * 2  # (d+1) w + w + 1, d = 1
    assert [q["params"] for q in p["activations"]["polyrelu"]["points"]] == [11, 11, 17, 17]  # + 4 coefficients
    for q in pts:
        assert set(q) >= {"width", "params", "seed", "train_loss", "sup_error", "l2_error"}
        assert q["l2_error"] <= q["sup_error"]
    fit = p["activations"]["relu"]["fit"]
    assert set(fit) >= {"slope", "local_range", "trend"} and np.isfinite(fit["slope"])
    assert [c["N"] for c in p["construction"]["points"]] == [2, 4]
    for ext in ("png", "svg"):
        assert (tmp_path / f"ffn_sweep.{ext}").stat().st_size > 0
    assert read_json(tmp_path / "sweep.json")["activations"]["relu"]["points"] == pts


def test_resume_retrains_nothing_and_gives_identical_json(capsys, tmp_path, count_training):
    argv = [*TINY, "--out", str(tmp_path)]
    first = _run(capsys, argv)[1]
    n_first = len(count_training)
    assert n_first == 4
    second = _run(capsys, [*argv, "--resume"])[1]
    assert len(count_training) == n_first  # nothing retrained
    assert second == first


def test_partial_results_resume_only_the_missing_points(capsys, tmp_path, count_training):
    argv = [*TINY, "--out", str(tmp_path)]
    full = _run(capsys, argv)[1]
    stored = read_json(tmp_path / "results.json")
    stored["runs"] = [r for r in stored["runs"] if not (r["activation"] == "polyrelu" and r["width"] == 4)]
    write_json(tmp_path / "results.json", stored)
    count_training.clear()
    resumed = _run(capsys, [*argv, "--resume"])[1]
    assert len(count_training) == 1  # only (polyrelu, 4, seed 0)
    # training is deterministic given the seeds: same payload up to the retrained point's wall time
    assert _without_seconds(json.loads(resumed)) == _without_seconds(json.loads(full))


def test_resume_with_another_config_is_refused(capsys, tmp_path):
    _run(capsys, [*TINY, "--out", str(tmp_path)])
    argv = [*TINY, "--out", str(tmp_path), "--resume"]
    argv[argv.index("--steps") + 1] = "21"
    code, out, err = _run(capsys, argv)
    assert code == 2 and out == ""
    assert err.startswith("polyapprox: error: resume:") and err.count("\n") == 1


def test_construct_then_train_reports_before_and_after(capsys):
    argv = [*TINY, "--init", "construct", "--grids", "2", "--steps", "0", "--lbfgs-steps", "0"]
    code, out, _ = _run(capsys, argv)
    assert code == 0
    p = json.loads(out)
    (pt,) = p["construct_trained"]["construct"]["points"]
    # no optimisation steps: the trained net is the construction, measured twice by the same code
    assert pt["sup_error"] == pt["before"]["sup_error"]
    assert pt["params_nnz"] == p["construction"]["points"][0]["params"]


def test_construct_then_train_never_ends_worse_on_validation(capsys):
    code, out, _ = _run(capsys, [*TINY, "--init", "construct", "--grids", "2", "--steps", "30"])
    assert code == 0
    (pt,) = json.loads(out)["construct_trained"]["construct"]["points"]
    assert pt["val_loss"] <= pt["init_val_loss"]  # keep-best starts from the construction itself
    assert pt["before"]["sup_error"] > 0 and np.isfinite(pt["sup_error"])


def test_user_data_file(capsys, tmp_path):
    rng = np.random.default_rng(0)
    x = rng.random((80, 2))
    np.savetxt(tmp_path / "d.csv", np.column_stack([x, x[:, 0] * x[:, 1]]), delimiter=",")
    code, out, _ = _run(capsys, [*TINY, "--data", str(tmp_path / "d.csv")])
    assert code == 0
    p = json.loads(out)
    assert p["dim"] == 2 and "construction" not in p
    assert p["activations"]["relu"]["points"][0]["measured"]["kind"] == "held-out data points"


@pytest.mark.parametrize("extra, needle", [
    (["--activations", "relu,tanh"], "activations: unknown 'tanh'"),
    (["--widths", "4,0"], "widths: 0 must be >= 1"),
    (["--target", "nosuchtarget"], "target: unknown 'nosuchtarget'"),
    (["--resume"], "resume: needs --out"),
], ids=["activation", "width", "target", "resume-without-out"])
def test_bad_input_exits_2_with_one_line(capsys, extra, needle):
    code, out, err = _run(capsys, [*TINY, *extra])
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and needle in err


def test_nan_in_user_data_exits_2(capsys, tmp_path):
    x, y = np.random.default_rng(0).random((30, 1)), np.zeros(30)
    y[3] = np.nan
    np.savez(tmp_path / "d.npz", x=x, y=y)
    code, out, err = _run(capsys, [*TINY, "--data", str(tmp_path / "d.npz")])
    assert code == 2 and out == ""
    assert err == "polyapprox: error: data: y[3] is nan (NaN/inf not allowed)\n"


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_without_gpu_exits_2(capsys):
    code, out, err = _run(capsys, [*TINY, "--device", "cuda"])
    assert code == 2 and out == "" and "no CUDA device" in err and err.count("\n") == 1


@pytest.mark.slow
def test_default_run_finishes_in_two_minutes_with_a_slope_per_activation(capsys):
    """The brief's budget: ``polyapprox train ffn`` with no flags, < 120 s on 2 cores, slopes printed."""
    import time

    t0 = time.perf_counter()
    code, out, _ = _run(capsys, ["train", "ffn", "--quiet", "--json"])
    assert code == 0 and time.perf_counter() - t0 < 120
    p = json.loads(out)
    assert set(p["activations"]) == {"relu", "relu2", "gelu", "swiglu", "polyrelu", "polynorm"}
    assert all(np.isfinite(s["fit"]["slope"]) for s in p["activations"].values())
