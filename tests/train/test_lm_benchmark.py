"""Smoke test of benchmarks/lm_throughput.py: one JSON document with a ratio per activation."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "lm_throughput.py"


def test_throughput_benchmark_prints_ratios(capsys):
    spec = importlib.util.spec_from_file_location("lm_throughput", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    argv = [
        "--activations",
        "relu,polynorm",
        "--batch-size",
        "2",
        "--steps",
        "1",
        "--repeats",
        "1",
        "--warmup",
        "1",
        "--device",
        "cpu",
    ]
    assert module.main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    acts = out["activations"]
    assert list(acts) == ["swiglu", "relu", "polynorm"]  # the baseline is always measured
    assert acts["swiglu"]["ratio_to_swiglu"] == 1.0
    assert acts["relu"]["params"] == acts["swiglu"]["params"]  # equal parameters
    assert acts["polynorm"]["params"] == acts["swiglu"]["params"] + 2 * 4
    assert all(v["tokens_per_s"] > 0 for v in acts.values())
    with pytest.raises(SystemExit):
        module.main(["--size", "huge"])  # argparse choices: usage error, exit 2
