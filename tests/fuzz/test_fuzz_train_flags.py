"""Hostile ``train lm`` / ``train ffn`` flags and data files: exit 2, one line, nothing written, before any
large allocation; a learning rate that makes the loss blow up stops with a clear error and leaves no NaN
checkpoint or result."""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from polyapprox.cli.main import main

LM = ["train", "lm", "--activations", "relu", "--models", "tiny", "--steps", "4", "--batch-size", "2"]
FFN = ["train", "ffn", "--target", "sin1", "--activations", "relu", "--widths", "4", "--steps", "2",
       "--lbfgs-steps", "0", "--train-points", "32", "--val-points", "16", "--quiet"]

BAD_LM: dict[str, list[str]] = {
    "lr-inf": ["--lr", "inf"], "lr-nan": ["--lr", "nan"], "lr-neg": ["--lr", "-1"], "lr-zero": ["--lr", "0"],
    "lr-text": ["--lr", "fast"], "lr-overflow": ["--lr", "1e999"], "lr-empty": ["--lr", ""],
    "steps-zero": ["--steps", "0"], "steps-text": ["--steps", "1e3"], "batch-neg": ["--batch-size", "-3"],
    "batch-huge": ["--batch-size", "1000000000"], "batch-10e30": ["--batch-size", "1" + "0" * 30],
    "seed-neg": ["--seed", "-1"], "seed-2^64": ["--seed", str(2**64)], "size-unknown": ["--models", "huge"],
    "data-dev-zero": ["--data", "/dev/zero"], "data-missing": ["--data", "no/such/file"],
}

BAD_FFN: dict[str, list[str]] = {
    "lr-inf": ["--lr", "inf"], "lr-nan": ["--lr", "nan"], "lr-neg": ["--lr", "-0.5"], "lr-text": ["--lr", "x"],
    "widths-1e9": ["--widths", "1000000000"], "widths-zero": ["--widths", "0"], "widths-empty": ["--widths", ""],
    "widths-gap": ["--widths", "4,,8"], "widths-text": ["--widths", "four"],
    "widths-memory": ["--widths", "60000", "--train-points", "100000"],
    "points-huge": ["--train-points", "1000000000"], "dim-huge": ["--target", "x1*x2", "--dim", "1000000000"],
    "depth-huge": ["--depth", "1000000"], "order-huge": ["--order", "1000000"],
    "grids-huge": ["--init", "construct", "--grids", "1000000000"],
    "construction-n-huge": ["--init", "construct", "--order", "100000"],
    "steps-neg": ["--steps", "-1"], "seeds-repeated": ["--seeds", "0,0"],
    "seeds-neg": ["--seeds", "-1"], "eval-zero": ["--eval-every", "0"],
    "data-dev-zero": ["--data", "/dev/zero"],
}


def _refused(capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], progress: bool = False) -> str:
    """Run ``argv`` in-process with ``--out tmp/out``: exit 2, one stderr line (after training progress lines
    if ``progress``), nothing under tmp/out."""
    capsys.readouterr()
    try:
        code = main([*argv, "--out", str(tmp_path / "out")])
    except SystemExit as exc:  # argparse usage errors (the console entry turns these into the exit code)
        code = exc.code
    err = capsys.readouterr().err
    lines = [ln for ln in err.strip().splitlines() if not (progress and not ln.startswith("polyapprox:"))]
    assert code == 2, err[-2000:]
    assert "Traceback" not in err
    assert len(lines) == 1 and lines[0].startswith("polyapprox: error: "), err[-2000:]
    assert len(lines[0]) < 400, lines[0]
    if not progress:
        assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*"))
    return lines[0]


@pytest.fixture(scope="module")
def text(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data") / "corpus.txt"
    path.write_text("def f(x):\n    return x * x + 1\n" * 400)
    return path


@pytest.mark.parametrize("name", sorted(BAD_LM))
def test_bad_lm_flag(name: str, text: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [*LM, "--data", str(text), *BAD_LM[name]]
    _refused(capsys, tmp_path, argv)


@pytest.mark.parametrize("name", sorted(BAD_FFN))
def test_bad_ffn_flag(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _refused(capsys, tmp_path, [*FFN, *BAD_FFN[name]])


def test_lm_huge_batch_names_the_memory_estimate(text: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    line = _refused(capsys, tmp_path, [*LM, "--data", str(text), "--batch-size", "1000000000"])
    assert "bytes" in line and "POLYAPPROX_MAX_MEMORY_MB" in line


def test_lm_diverging_lr_stops_without_checkpoint_or_result(text: Path, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Divergence is caught in the trainer, not only by the flag's range: the CLI's cap on --lr (10, which
    does not diverge in 4 steps) is lifted here so that lr = 1e30 reaches the training loop."""
    from polyapprox.cli import train as train_cli

    monkeypatch.setattr(train_cli, "float_flag", lambda field, low, high, above=True: float)
    line = _refused(capsys, tmp_path, [*LM, "--data", str(text), "--lr", "1e30"], progress=True)
    assert "lr too large" in line and "step" in line
    out = tmp_path / "out"
    assert not (out / "results.json").exists() and not list(out.glob("*.png"))
    for ckpt in out.rglob("*.pt"):  # earlier, still finite steps may have been checkpointed: never NaN ones
        state = torch.load(ckpt, weights_only=True)
        assert all(bool(torch.isfinite(t).all()) for t in state["model"].values())
        assert all(math.isfinite(v) for v in state["train_losses"])


def test_ffn_bad_data_files(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                            monkeypatch: pytest.MonkeyPatch) -> None:
    x, y = np.zeros((20, 1)), np.zeros(20)
    np.savez(tmp_path / "objects.npz", x=np.array([object()] * 20, dtype=object), y=y)  # needs pickle
    x_nan = x.copy()
    x_nan[3, 0] = np.nan
    np.savez(tmp_path / "nan.npz", x=x_nan, y=y)
    with zipfile.ZipFile(tmp_path / "bomb.npz", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("x.npy", b"\x00" * (8 * 2**20))  # 8 MB unpacked from a few kB
    (tmp_path / "garbage.npz").write_bytes(b"PK\x03\x04 not really a zip")
    (tmp_path / "big.csv").write_text("1,2\n" * 300_000)  # ~1.2 MB
    monkeypatch.setenv("POLYAPPROX_MAX_MEMORY_MB", "6")  # the adam sweep itself needs ~5 MB (varpro's ~11 MB)
    monkeypatch.setenv("POLYAPPROX_MAX_FILE_BYTES", str(2**20))
    for name, expect in (("objects.npz", "cannot read"), ("nan.npz", "nan"), ("bomb.npz", "MAX_MEMORY_MB"),
                         ("garbage.npz", "not an .npz"), ("big.csv", "MAX_FILE_BYTES")):
        line = _refused(capsys, tmp_path, [*FFN[:2], "--method", "adam", "--data", str(tmp_path / name), "--quiet"])
        assert expect in line, (name, line)
