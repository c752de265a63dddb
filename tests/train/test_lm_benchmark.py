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


def test_throughput_benchmark_reports_warmup_and_both_modes(capsys, monkeypatch):
    """--modes eager,compiled: both reported; warm-up (compile) time apart from the timed blocks."""
    spec = importlib.util.spec_from_file_location("lm_throughput", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module.torch, "compile", lambda model: model)  # the real compile takes minutes here
    argv = ["--activations", "relu", "--batch-size", "2", "--steps", "1", "--repeats", "1", "--warmup", "1"]
    assert module.main([*argv, "--device", "cpu", "--modes", "eager,compiled"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["modes"] == ["eager", "compiled"] and set(out["by_mode"]) == {"eager", "compiled"}
    assert out["activations"] == out["by_mode"]["eager"]
    assert all(v["warmup_s"] > 0 for mode in out["by_mode"].values() for v in mode.values())


def test_train_lm_clock_starts_after_warmup(monkeypatch):
    """A slow first step (standing in for torch.compile: 1000 s on a shifted clock) lands in warmup_s."""
    import time
    import types

    import polyapprox.train.lm_train as lm_train
    from polyapprox.train.data import load_corpus
    from polyapprox.train.lm import lm_config

    shift = [0.0]
    real_loss = lm_train.lm_loss

    def slow_first(*args):
        if shift[0] == 0.0:
            shift[0] = 1000.0
        return real_loss(*args)

    monkeypatch.setattr(lm_train, "lm_loss", slow_first)
    monkeypatch.setattr(lm_train, "time", types.SimpleNamespace(perf_counter=lambda: time.perf_counter() + shift[0]))
    cfg = lm_config("tiny", "relu", context=16)
    tcfg = lm_train.TrainConfig(steps=8, batch_size=2, lr=1e-3, warmup_steps=1, eval_interval=8, eval_batches=1)
    corpus = load_corpus(None, seed=0, max_bytes=20_000)
    _, res = lm_train.train_lm(cfg, tcfg, corpus, device=lm_train.torch.device("cpu"), log=None)
    assert res.warmup_s >= 1000.0
    assert res.train_s < 500.0  # the shifted second is not in the steady-state time
    assert res.tokens_per_s == pytest.approx((8 - lm_train.THROUGHPUT_WARMUP_STEPS) * 2 * 16 / res.train_s)
