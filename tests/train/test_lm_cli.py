"""`polyapprox train lm` through polyapprox.cli.main: output, resume, and one-line errors for bad input."""

from __future__ import annotations

import json

import pytest

from polyapprox.cli import main

QUICK = ["--steps", "4", "--batch-size", "4", "--models", "tiny"]


def _run(capsys, *argv):
    code = main(["train", "lm", *argv])
    return code, capsys.readouterr()


@pytest.fixture
def text_folder(tmp_path):
    folder = tmp_path / "text"
    folder.mkdir()
    for i in range(4):
        (folder / f"{i}.txt").write_text(f"line {i}: the quick brown fox jumps over the lazy dog\n" * 30)
    return folder


def test_json_output_and_results_file(capsys, tmp_path, text_folder):
    out = tmp_path / "out"
    code, cap = _run(
        capsys,
        "--activations",
        "swiglu,polynorm",
        *QUICK,
        "--data",
        str(text_folder),
        "--out",
        str(out),
        "--json",
        "--device",
        "cpu",
    )
    assert code == 0
    payload = json.loads(cap.out)  # stdout holds the JSON alone
    runs = payload["runs"]
    assert [(r["activation"], r["size"]) for r in runs] == [("swiglu", "tiny"), ("polynorm", "tiny")]
    for r in runs:
        assert {"params", "tokens", "val_loss", "tokens_per_s", "train_loss", "erank", "cosine"} <= set(r)
        assert r["tokens"] == 4 * 4 * 64 and r["steps"] == 4
    assert runs[1]["params"] - runs[0]["params"] == 2 * 4  # parameter-matched up to 4 PolyNorm scalars/layer
    assert payload["fits"]["swiglu"]["status"].startswith("insufficient")
    saved = json.loads((out / "results.json").read_text())
    assert saved["runs"][0]["val_loss"] == runs[0]["val_loss"]
    assert (out / "loss_curves.png").exists()
    assert not (out / "scaling.png").exists()  # one model size: no scaling plot
    assert "step 4/4" in cap.err  # progress on stderr


def test_seeds_give_one_run_each(capsys, tmp_path, text_folder):
    out = tmp_path / "out"
    code, cap = _run(capsys, "--activations", "relu", *QUICK, "--seeds", "5,6", "--data",
                     str(text_folder), "--out", str(out), "--json", "--device", "cpu")
    assert code == 0
    runs = json.loads(cap.out)["runs"]
    assert [r["seed"] for r in runs] == [5, 6] and runs[0]["val_loss"] != runs[1]["val_loss"]
    assert (out / "runs" / "tiny-relu" / "checkpoint.pt").exists()
    assert (out / "runs" / "tiny-relu-s1" / "checkpoint.pt").exists()
    with pytest.raises(SystemExit) as exc:  # argparse's type check: exit 2, one line
        main(["train", "lm", "--activations", "relu", *QUICK, "--seeds", "5,5", "--out", str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "seeds" in err and err.count("\n") == 1


def test_resume_skips_finished_runs_and_refuses_other_config(capsys, tmp_path, text_folder):
    out = tmp_path / "out"
    common = ["--activations", "relu", *QUICK, "--data", str(text_folder), "--out", str(out), "--json"]
    assert _run(capsys, *common)[0] == 0
    first = (out / "results.json").read_bytes()
    code, cap = _run(capsys, *common, "--resume")
    assert code == 0 and "step" not in cap.err  # nothing retrained
    assert json.loads(cap.out)["runs"][0]["val_loss"] == json.loads(first)["runs"][0]["val_loss"]
    code, cap = _run(capsys, *common)  # same out without --resume
    assert code == 2 and "pass --resume" in cap.err
    code, cap = _run(capsys, *common[:-1], "--lr", "0.01", "--resume")
    assert code == 2 and "another config" in cap.err and cap.err.count("\n") == 1
    assert json.loads((out / "results.json").read_bytes())["runs"] == json.loads(first)["runs"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--activations", "tanh"], "--activations: unknown 'tanh'"),
        (["--models", "huge"], "--models: unknown 'huge'"),
        (["--steps", "0"], "--steps: 0 must be >= 1"),
        (["--device", "tpu"], "device: unknown 'tpu'"),
    ],
    ids=["activation", "size", "steps", "device"],
)
def test_bad_options_exit_2_with_one_line(capsys, tmp_path, argv, message):
    code, cap = _run(capsys, *argv, "--out", str(tmp_path / "o"))
    assert code == 2
    assert cap.err.startswith("polyapprox: error: ") and message in cap.err and cap.err.count("\n") == 1
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("kind", ["empty-folder", "binary-file", "missing"])
def test_bad_data_exits_2_with_one_line(capsys, tmp_path, kind):
    data = tmp_path / "data"
    if kind == "empty-folder":
        data.mkdir()
    elif kind == "binary-file":
        data.write_bytes(b"\x7fELF\x00\x00\x01")
    code, cap = _run(
        capsys, "--activations", "relu", *QUICK, "--data", str(data), "--out", str(tmp_path / "o")
    )
    assert code == 2 and cap.err.startswith("polyapprox: error: data: ") and cap.err.count("\n") == 1
    assert not (tmp_path / "o").exists()


def test_checkpoint_from_other_config_exits_2(capsys, tmp_path, text_folder):
    """A partial run's checkpoint (no results.json yet) made with another config is refused and kept."""
    out = tmp_path / "out"
    assert (
        _run(capsys, "--activations", "relu", *QUICK, "--data", str(text_folder), "--out", str(out))[0] == 0
    )
    (out / "results.json").unlink()  # as if interrupted before the results were written
    ckpt = out / "runs" / "tiny-relu" / "checkpoint.pt"
    before = ckpt.read_bytes()
    code, cap = _run(
        capsys,
        "--activations",
        "relu",
        *QUICK,
        "--seeds",
        "1",
        "--data",
        str(text_folder),
        "--out",
        str(out),
        "--resume",
    )
    assert code == 2 and "another config" in cap.err and cap.err.count("\n") == 1
    assert ckpt.read_bytes() == before


def test_cuda_without_gpu_exits_2(capsys, tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    code, cap = _run(capsys, "--device", "cuda", "--out", str(tmp_path / "o"))
    assert code == 2 and "cuda" in cap.err


def test_resume_continues_from_checkpoint_without_results(capsys, tmp_path, text_folder):
    """results.json lost after training: --resume rebuilds the record from the checkpoint, no retraining."""
    out = tmp_path / "out"
    argv = ["--activations", "relu", *QUICK, "--data", str(text_folder), "--out", str(out), "--json"]
    assert _run(capsys, *argv)[0] == 0
    first = json.loads((out / "results.json").read_text())["runs"][0]
    (out / "results.json").unlink()
    code, cap = _run(capsys, *argv, "--resume")
    assert code == 0 and "step" not in cap.err
    again = json.loads(cap.out)["runs"][0]
    for key in ("val_loss", "train_loss", "tokens", "steps", "tokens_per_s"):
        assert again[key] == first[key], key
