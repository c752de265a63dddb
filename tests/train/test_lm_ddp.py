"""Data-parallel training: 2 CPU processes (torchrun, gloo, 127.0.0.1) x batch b == 1 process x batch 2b.

Both see the same windows (``sample_batch`` draws ``world * b`` and each rank keeps its slice); DDP averages
the two ranks' mean-loss gradients, which equals the gradient of the mean over 2b windows. Only the order of
floating-point sums differs, so losses and parameters agree to float32 round-off amplified over a few Adam
steps, not bit for bit.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from polyapprox.cli import main

# float32 sums in another order differ by ~1 ulp per reduction; Adam divides by sqrt(v), which can amplify a
# tiny gradient difference on near-zero coordinates. Measured here (torch 2.13 CPU) over 4 steps: max |diff|
# 4.8e-7 in losses (~2 ulp of 2.0-5.5), 1.2e-7 in parameters; 1e-5 leaves ~20x headroom for other BLAS builds,
# while the losses themselves change by ~0.1 per step, so a wrong batch split fails it.
DDP_ATOL = 1e-5
ARGS = ["train", "lm", "--activations", "polynorm", "--models", "tiny", "--steps", "4", "--device", "cpu"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _text(folder: Path) -> Path:
    folder.mkdir()
    for i in range(6):
        (folder / f"{i}.txt").write_text(f"{i} the quick brown fox jumps over the lazy dog, again.\n" * 40)
    return folder


def test_two_processes_match_one_with_double_batch(tmp_path):
    data = _text(tmp_path / "text")
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        "OMP_NUM_THREADS": "1",
        "GLOO_SOCKET_IFNAME": "lo",
    }
    for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(key, None)
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nnodes",
        "1",
        "--nproc_per_node",
        "2",
        "--master_addr",
        "127.0.0.1",
        "--master_port",
        str(_free_port()),
        "-m",
        "polyapprox",
        *ARGS,
        "--batch-size",
        "2",
        "--data",
        str(data),
        "--out",
        str(tmp_path / "ddp"),
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert main([*ARGS, "--batch-size", "4", "--data", str(data), "--out", str(tmp_path / "one")]) == 0

    ddp = json.loads((tmp_path / "ddp" / "results.json").read_text())
    one = json.loads((tmp_path / "one" / "results.json").read_text())
    assert ddp["provenance"]["world_size"] == 2 and one["provenance"]["world_size"] == 1
    (r2,), (r1,) = ddp["runs"], one["runs"]
    assert r2["tokens"] == r1["tokens"] == 4 * 4 * 64
    losses2, losses1 = [v for _, v in r2["train_curve"]], [v for _, v in r1["train_curve"]]
    assert len(losses2) == len(losses1) == 4
    assert max(abs(a - b) for a, b in zip(losses2, losses1, strict=True)) < DDP_ATOL
    assert r2["val_loss"] == pytest.approx(r1["val_loss"], abs=DDP_ATOL)
    load = lambda p: torch.load(p, map_location="cpu", weights_only=False)["model"]  # noqa: E731
    m2, m1 = (load(tmp_path / d / "runs" / "tiny-polynorm" / "checkpoint.pt") for d in ("ddp", "one"))
    for name in m1:
        torch.testing.assert_close(m2[name], m1[name], atol=DDP_ATOL, rtol=0, msg=name)
