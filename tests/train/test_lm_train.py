"""Training loop: schedule, exact resume, checkpoint config guard, device choice."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from polyapprox.errors import ConfigError
from polyapprox.train.data import Corpus, load_corpus
from polyapprox.train.lm import lm_config
from polyapprox.train.lm_train import (
    TRAIN_PRESETS,
    TrainConfig,
    learning_rate,
    resolve_device,
    train_config,
    train_lm,
)

CPU = torch.device("cpu")
STEPS = 6  # K; the interrupted run stops at K / 2


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return load_corpus(None, seed=0, max_bytes=200_000)


def _cfgs(activation: str = "polynorm"):
    cfg = lm_config("tiny", activation, context=32)
    tcfg = TrainConfig(steps=STEPS, batch_size=4, lr=3e-3, warmup_steps=2, eval_interval=2, eval_batches=2)
    return cfg, tcfg


def test_learning_rate_schedule():
    cfg = TrainConfig(steps=100, lr=1.0, warmup_steps=10, min_lr_ratio=0.1)
    assert learning_rate(0, cfg) == 0.1
    assert learning_rate(9, cfg) == 1.0
    assert learning_rate(10, cfg) == 1.0  # cosine starts at the peak
    assert learning_rate(100, cfg) == pytest.approx(0.1, abs=1e-15)
    lrs = [learning_rate(s, cfg) for s in range(10, 101)]
    assert all(a >= b for a, b in zip(lrs, lrs[1:], strict=False))


@pytest.mark.parametrize("activation", ["swiglu", "polynorm"])
def test_resume_is_exact(tmp_path, corpus, activation):
    cfg, tcfg = _cfgs(activation)
    full_model, full = train_lm(cfg, tcfg, corpus, device=CPU, checkpoint=tmp_path / "a.pt", log=None)
    ckpt = tmp_path / "b.pt"
    _, half = train_lm(cfg, tcfg, corpus, device=CPU, checkpoint=ckpt, stop_after=STEPS // 2, log=None)
    assert half.step == STEPS // 2
    model, resumed = train_lm(cfg, tcfg, corpus, device=CPU, checkpoint=ckpt, resume=True, log=None)
    assert resumed.step == STEPS and resumed.tokens == full.tokens
    assert resumed.train_losses == full.train_losses  # exact float equality, every step
    assert resumed.val_losses == full.val_losses
    for (name, p), q in zip(full_model.named_parameters(), model.parameters(), strict=True):
        assert torch.equal(p, q), name


def test_checkpoint_from_other_config_is_refused_and_kept(tmp_path, corpus):
    cfg, tcfg = _cfgs()
    ckpt = tmp_path / "c.pt"
    train_lm(cfg, tcfg, corpus, device=CPU, checkpoint=ckpt, stop_after=2, log=None)
    before = ckpt.read_bytes()
    with pytest.raises(ConfigError, match=r"another config \(train.lr"):
        train_lm(
            cfg,
            dataclasses.replace(tcfg, lr=1e-3),
            corpus,
            device=CPU,
            checkpoint=ckpt,
            resume=True,
            log=None,
        )
    with pytest.raises(ConfigError, match=r"model.activation"):
        train_lm(
            dataclasses.replace(cfg, activation="relu"),
            tcfg,
            corpus,
            device=CPU,
            checkpoint=ckpt,
            resume=True,
            log=None,
        )
    with pytest.raises(ConfigError, match="pass --resume"):
        train_lm(cfg, tcfg, corpus, device=CPU, checkpoint=ckpt, log=None)
    assert ckpt.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["c.pt"]  # no temp files left behind


def test_training_lowers_validation_loss(corpus):
    cfg, tcfg = _cfgs("polyrelu")
    tcfg = dataclasses.replace(tcfg, steps=30, eval_interval=30, batch_size=8)
    _, res = train_lm(cfg, tcfg, corpus, device=CPU, log=None)
    first_train = res.train_losses[0]
    assert first_train == pytest.approx(5.545, abs=0.1)  # ln 256: near-uniform predictions at init (std 0.02)
    assert res.val_loss < first_train - 1.0


def test_device_choice():
    assert resolve_device("cpu") == CPU
    with pytest.raises(ConfigError, match="device"):
        resolve_device("tpu")
    if torch.cuda.is_available():
        assert resolve_device("auto").type == "cuda"
    else:
        assert resolve_device("auto") == CPU
        with pytest.raises(ConfigError, match="cuda"):
            resolve_device("cuda")


def test_train_config_derives_warmup_and_eval_from_overridden_steps():
    cfg = train_config("tiny", steps=20, lr=None)
    assert cfg.steps == 20 and cfg.warmup_steps == 2 and cfg.eval_interval == 4
    assert cfg.lr == TRAIN_PRESETS["tiny"][2]
    assert train_config("tiny", eval_interval=7).eval_interval == 7
