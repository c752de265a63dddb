"""The default `polyapprox train lm` run (all six activations, tiny, stdlib corpus) and a CUDA smoke run."""

from __future__ import annotations

import json
import math

import pytest

from polyapprox.cli import main
from polyapprox.nn.activations import ACTIVATIONS

# "Well below" ln 256: at most half the uniform-prediction loss (measured defaults: 2.00-2.15 nats/byte).
WELL_BELOW_UNIFORM = 0.5 * math.log(256)


@pytest.mark.slow
def test_default_run_learns_for_every_activation(capsys, tmp_path):
    assert main(["train", "lm", "--out", str(tmp_path / "out"), "--device", "cpu", "--json"]) == 0
    runs = json.loads(capsys.readouterr().out)["runs"]
    assert [r["activation"] for r in runs] == list(ACTIVATIONS)
    for r in runs:
        assert r["val_loss"] < WELL_BELOW_UNIFORM, r["activation"]


@pytest.mark.gpu
def test_cuda_bf16_run(capsys, tmp_path):
    import torch

    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    argv = [
        "train",
        "lm",
        "--activations",
        "swiglu,polynorm,polyrelu",
        "--steps",
        "60",
        "--device",
        "cuda",
        "--out",
        str(tmp_path / "out"),
        "--json",
    ]
    assert main(argv) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["provenance"]["device"].startswith("cuda")
    for r in payload["runs"]:
        assert math.isfinite(r["val_loss"]) and r["val_loss"] < math.log(256) - 1.0, r["activation"]
