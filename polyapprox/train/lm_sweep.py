"""A sweep of activations x sizes x seeds: train each LM, analyse it, fit L(N) per activation, write results.

Layout of ``out``: ``results.json`` (rewritten atomically after every run), ``runs/<size>-<activation>/
checkpoint.pt`` (the first seed; ``runs/<size>-<activation>-s<k>/`` the k-th further one), ``loss_curves.png``,
and ``scaling.png`` when at least two sizes ran (one size has no scaling to show). With ``resume`` finished
runs are kept and partial runs continue from their checkpoints; without it an ``out`` that already holds
results is refused.
"""

from __future__ import annotations

import math
import platform
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from polyapprox.core.results import write_json
from polyapprox.errors import ConfigError, InvalidDataError
from polyapprox.nn.activations import ACTIVATIONS
from polyapprox.train.checkpoint import config_mismatch
from polyapprox.train.data import Corpus, load_corpus, sample_batch
from polyapprox.train.lm import SIZES, lm_config
from polyapprox.train.lm_analysis import ffn_effective_ranks, layer_cosine_similarity, polycom_coefficients
from polyapprox.train.lm_scaling import fit_power_law
from polyapprox.train.lm_train import (
    DistInfo,
    TrainResult,
    check_memory,
    dist_from_env,
    init_distributed,
    resolve_device,
    train_config,
    train_lm,
)

RESULTS_FORMAT = "polyapprox.lm-sweep"
#: Windows used for the cosine-similarity analysis (validation split, generator seed ``seed + 3``).
ANALYSIS_BATCH = 8


@dataclass(frozen=True)
class SweepConfig:
    """One CLI flag per field; ``None`` means "the size preset's value"."""

    activations: tuple[str, ...] = ACTIVATIONS
    sizes: tuple[str, ...] = ("tiny",)
    steps: int | None = None
    batch_size: int | None = None
    lr: float | None = None
    seed: int = 0
    data: str | None = None
    seeds: int | tuple[int, ...] = 1  # runs per (size, activation): a count (seeds seed, seed + 1, ...) or the seeds

    def __post_init__(self) -> None:
        for a in self.activations:
            if a not in ACTIVATIONS:
                raise ConfigError(f"activations: unknown {a!r}; choose from {', '.join(ACTIVATIONS)}")
        for s in self.sizes:
            if s not in SIZES:
                raise ConfigError(f"sizes: unknown {s!r}; choose from {', '.join(SIZES)}")
        if isinstance(self.seeds, tuple):
            if not self.seeds or any(not isinstance(v, int) or not 0 <= v < 2**63 for v in self.seeds):
                raise ConfigError(f"seeds: {str(self.seeds)[:40]} must be integers in [0, 2^63)")
        for name in ("steps", "batch_size") + (() if isinstance(self.seeds, tuple) else ("seeds",)):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
                raise ConfigError(f"{name}: {str(value)[:40]} must be an integer >= 1")
        if self.lr is not None and not (isinstance(self.lr, (int, float)) and 0 < self.lr < math.inf):
            raise ConfigError(f"lr: {str(self.lr)[:40]} must be a finite number > 0")
        if not isinstance(self.seed, int) or not 0 <= self.seed < 2**63:
            raise ConfigError(f"seed: {str(self.seed)[:40]} must be an integer in [0, 2^63)")


    @property
    def seed_list(self) -> tuple[int, ...]:
        """The training seeds of every (size, activation): ``seeds`` itself, or seed, seed + 1, ... for a count."""
        return self.seeds if isinstance(self.seeds, tuple) else tuple(range(self.seed, self.seed + self.seeds))


def _provenance(device: torch.device, dist: DistInfo) -> dict[str, Any]:
    from polyapprox import __version__

    return {
        "polyapprox": __version__,
        "torch": torch.__version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "device": str(device),
        "world_size": dist.world,
    }


def _run_record(
    act: str,
    size: str,
    model: torch.nn.Module,
    res: TrainResult,
    corpus: Corpus,
    wanted: dict[str, Any],
    device: torch.device,
    tokens_per_step: int,
) -> dict[str, Any]:
    gen = torch.Generator().manual_seed(wanted["train"]["seed"] + 3)
    x, _ = sample_batch(corpus.val, ANALYSIS_BATCH, wanted["model"]["context"], gen)
    eranks = ffn_effective_ranks(model)
    return {
        "activation": act,
        "size": size,
        "seed": wanted["train"]["seed"],
        "params": res.params,
        "ffn_params": res.ffn_params,
        "tokens": res.tokens,
        "steps": res.step,
        "val_loss": res.val_loss,
        "train_loss": res.train_loss,
        "tokens_per_s": res.tokens_per_s,
        "train_s": res.train_s,
        "erank": eranks,
        "erank_mean": {k: sum(e[k] for e in eranks) / len(eranks) for k in ("w_in", "w_out")},
        "cosine": layer_cosine_similarity(model, x.to(device)),
        "coefficients": polycom_coefficients(model),
        "val_curve": [[s * tokens_per_step, v] for s, v in res.val_losses],
        "train_curve": [[(i + 1) * tokens_per_step, v] for i, v in enumerate(res.train_losses)],
        "config": wanted,
    }


def _run_seed(run: dict[str, Any]) -> int:
    """The training seed of a finished run record (its config's ``train.seed``)."""
    return int(run.get("seed", run.get("config", {}).get("train", {}).get("seed", 0)))


def fits_by_activation(runs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """:func:`fit_power_law` of final validation loss against params, per activation."""
    out = {}
    for act in dict.fromkeys(r["activation"] for r in runs):
        pts = [(r["params"], r["val_loss"]) for r in runs if r["activation"] == act]
        out[act] = fit_power_law([p for p, _ in pts], [v for _, v in pts]).to_dict()
    return out


def run_sweep(
    sweep: SweepConfig,
    out: Path,
    *,
    device_name: str = "auto",
    resume: bool = False,
    compile: bool = False,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Train every (size, activation) pair; returns the payload also written to ``out/results.json``."""
    dist = dist_from_env()
    device = resolve_device(device_name, dist)
    results_path = out / "results.json"
    previous: dict[tuple[str, str], dict[str, Any]] = {}
    if results_path.exists():
        if not resume:
            raise ConfigError(f"out: {out} already holds results.json; pass --resume or use another --out")
        try:
            import json

            previous = {(r["activation"], r["size"], _run_seed(r)): r
                        for r in json.loads(results_path.read_text())["runs"]}
        except (ValueError, KeyError, TypeError):
            raise InvalidDataError(f"out: {results_path}: not a readable results file") from None
    corpus = load_corpus(sweep.data, sweep.seed)
    init_distributed(device, dist)
    seeds = sweep.seed_list
    kept = {k: v for k, v in previous.items()
            if (k[0] not in sweep.activations or k[1] not in sweep.sizes or k[2] not in seeds)}
    runs: list[dict[str, Any]] = []
    plan = []  # every config is built and checked against finished runs before anything trains
    for size in sweep.sizes:
        for act in sweep.activations:
            for k, seed in enumerate(seeds):
                cfg = lm_config(size, act)
                tcfg = train_config(size, steps=sweep.steps, batch_size=sweep.batch_size, lr=sweep.lr, seed=seed)
                check_memory(cfg, tcfg, device)
                wanted = {"model": cfg.to_dict(), "train": asdict(tcfg), "data": corpus.sha256}
                done = previous.get((act, size, seed))
                name = f"{size}-{act}" + (f"-s{k}" if k else "")
                if done is not None:
                    diff = config_mismatch(done.get("config", {}), wanted)
                    if diff:
                        raise ConfigError(f"out: {results_path}: run {name} is from another config ({diff})")
                plan.append((size, act, name, cfg, tcfg, wanted, done))
    for size, act, name, cfg, tcfg, wanted, done in plan:
        if done is not None:
            runs.append(done)
            continue
        ckpt = out / "runs" / name / "checkpoint.pt"
        model, res = train_lm(
            cfg,
            tcfg,
            corpus,
            device=device,
            checkpoint=ckpt,
            resume=resume,
            compile=compile,
            dist=dist,
            log=log,
            label=f"{act}/{size}/seed {tcfg.seed}",
        )
        if dist.main:
            tokens_per_step = tcfg.batch_size * cfg.context * dist.world
            runs.append(_run_record(act, size, model, res, corpus, wanted, device, tokens_per_step))
            payload = _payload(sweep, list(kept.values()) + runs, corpus, device, dist)
            write_json(results_path, payload)
    payload = _payload(sweep, list(kept.values()) + runs, corpus, device, dist)
    if dist.main:
        write_json(results_path, payload)
        from polyapprox.core.results import save_figure
        from polyapprox.train.lm_plots import plot_loss_curves, plot_scaling

        save_figure(plot_loss_curves(payload["runs"]), str(out / "loss_curves.png"))
        if len({r["size"] for r in payload["runs"]}) >= 2:  # one size: nothing to scale
            save_figure(plot_scaling(payload["runs"], payload["fits"]), str(out / "scaling.png"))
    return payload


def _payload(
    sweep: SweepConfig, runs: list[dict[str, Any]], corpus: Corpus, device: torch.device, dist: DistInfo
) -> dict[str, Any]:
    return {
        "format": RESULTS_FORMAT,
        "version": 1,
        "sweep": asdict(sweep),
        "corpus": corpus.describe(),
        "provenance": _provenance(device, dist),
        "runs": runs,
        "fits": fits_by_activation(runs),
    }
