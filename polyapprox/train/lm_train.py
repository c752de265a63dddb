"""Training loop for :mod:`polyapprox.train.lm`: AdamW, warmup + cosine, clipping, exact resume, DDP.

Randomness: model init from ``seed``; training windows from a ``torch.Generator`` seeded ``seed + 1``;
validation windows from a fresh generator seeded ``seed + 2`` at every evaluation (the same windows each
time). All activations of a sweep therefore see the same data in the same order. Resume is exact: the
checkpoint holds model, optimizer, step (the schedule is a pure function of it), the data generator state,
the CPU/CUDA RNG states and the loss history.

DDP (``torchrun``): every rank draws the same ``world * batch`` windows and keeps its slice, so ``W``
processes with batch ``b`` see the windows of one process with batch ``W b``; DDP averages gradients, and the
logged losses are all-reduced means, so both agree up to floating-point summation order.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from polyapprox.core.limits import check
from polyapprox.errors import ConfigError, InvalidDataError
from polyapprox.train.checkpoint import restore_checkpoint, save_checkpoint
from polyapprox.train.data import Corpus, check_length, sample_batch
from polyapprox.train.device import resolve_device as _resolve_device
from polyapprox.train.lm import LMConfig, build_model, count_params, ffn_params, lm_loss, param_groups

#: Float fields of :class:`TrainConfig`: (test, range as text). NaN and inf fail every test.
_FLOAT_FIELDS: dict[str, tuple[Callable[[float], bool], str]] = {
    "lr": (lambda v: 0 < v < math.inf, "> 0"),
    "grad_clip": (lambda v: 0 < v < math.inf, "> 0"),
    "weight_decay": (lambda v: 0 <= v < math.inf, ">= 0"),
    "min_lr_ratio": (lambda v: 0 <= v <= 1, "in [0, 1]"),
    "beta1": (lambda v: 0 <= v < 1, "in [0, 1)"),
    "beta2": (lambda v: 0 <= v < 1, "in [0, 1)"),
}


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings (paper §3.1: AdamW beta (0.9, 0.95), wd 0.1, clip 1.0, cosine to lr/10)."""

    steps: int = 300
    batch_size: int = 32
    lr: float = 3e-3
    min_lr_ratio: float = 0.1
    warmup_steps: int = 30
    weight_decay: float = 0.1
    beta1: float = 0.9
    beta2: float = 0.95
    grad_clip: float = 1.0
    eval_interval: int = 100
    eval_batches: int = 8
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("steps", "batch_size", "eval_interval", "eval_batches"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"{name}: {value!r} must be an integer >= 1")
        if not isinstance(self.warmup_steps, int) or self.warmup_steps < 0:
            raise ConfigError(f"warmup_steps: {self.warmup_steps!r} must be an integer >= 0")
        if not isinstance(self.seed, int) or not 0 <= self.seed < 2**63:
            raise ConfigError(f"seed: {self.seed!r} must be an integer in [0, 2^63)")
        for name, (ok, shown) in _FLOAT_FIELDS.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not ok(value):
                raise ConfigError(f"{name}: {value!r} must be a finite number {shown}")



#: Training presets per model size: (steps, batch_size, lr, warmup_steps). ``tiny`` is sized so that all six
#: activations train in about a minute on 2 CPU cores; the others are untuned starting points for a GPU.
TRAIN_PRESETS: dict[str, tuple[int, int, float, int]] = {
    "tiny": (240, 24, 3e-3, 24),
    "small": (2000, 32, 2e-3, 100),
    "medium": (5000, 32, 1e-3, 250),
    "base": (10000, 32, 6e-4, 500),
    "large": (20000, 32, 3e-4, 1000),
}
#: Validation points per run when ``eval_interval`` is not given; progress lines per run.
EVALS_PER_RUN = 5
LOGS_PER_RUN = 20


def train_config(size: str, **overrides: object) -> TrainConfig:
    """The preset of ``size`` with ``overrides`` (``None`` values ignored). Warmup is capped at 10% of the
    steps and ``eval_interval`` defaults to ``steps / EVALS_PER_RUN``, both computed after the overrides."""
    given = {k: v for k, v in overrides.items() if v is not None}
    steps, batch, lr, warmup = TRAIN_PRESETS[size]
    steps = given.get("steps", steps)
    if not isinstance(steps, int) or steps < 1:
        raise ConfigError(f"steps: {steps!r} must be an integer >= 1")
    fields = dict(
        steps=steps,
        batch_size=batch,
        lr=lr,
        warmup_steps=min(warmup, steps // 10),
        eval_interval=max(1, steps // EVALS_PER_RUN),
    )
    return TrainConfig(**{**fields, **given})


#: Steps per session run before the throughput clock starts (their time, which includes torch.compile's
#: first compilations, is ``TrainResult.warmup_s``). At most half of the session's steps.
THROUGHPUT_WARMUP_STEPS = 3


def memory_bytes(cfg: LMConfig, tcfg: TrainConfig) -> int:
    """A rough estimate of one process's training memory: float32 weights, gradients and two AdamW moments,
    activations kept for the backward pass (about 12 d + 3 h values per token and layer; attention goes
    through ``scaled_dot_product_attention``, which keeps no T x T scores) and the logits with their
    gradient."""
    per_layer = 4 * cfg.d_model**2 + ffn_params(cfg)
    weights = cfg.n_layer * per_layer + 2 * cfg.vocab_size * cfg.d_model
    tokens = tcfg.batch_size * cfg.context
    per_token = cfg.n_layer * (12 * cfg.d_model + 3 * cfg.ffn_hidden) + 3 * cfg.vocab_size
    return 4 * (4 * weights + tokens * per_token) + 8 * tokens


def check_memory(cfg: LMConfig, tcfg: TrainConfig, device: torch.device) -> None:
    """Refuse a run too big for the machine before any allocation: on the CPU, :func:`memory_bytes` against
    the limit ``memory_mb`` (LimitError); on a GPU, the host-side batches against that limit and
    :func:`memory_bytes` against the GPU's memory (ConfigError)."""
    need = memory_bytes(cfg, tcfg)
    host = need if device.type == "cpu" else 16 * tcfg.batch_size * (cfg.context + 1)
    check("memory_mb", -(-host // 2**20), f"estimated memory of training {cfg.activation} "
          f"d={cfg.d_model} with batch {tcfg.batch_size} ({host:,} bytes), in MB")
    if device.type == "cuda":
        have = torch.cuda.get_device_properties(device).total_memory
        if need > have:
            raise ConfigError(f"batch_size: {tcfg.batch_size} needs about {need:,} bytes on {device}, "
                              f"which has {have:,}")


def learning_rate(step: int, cfg: TrainConfig) -> float:
    """Linear warmup over ``warmup_steps``, then cosine from ``lr`` to ``min_lr_ratio * lr`` at ``steps``."""
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    progress = (step - cfg.warmup_steps) / max(1, cfg.steps - cfg.warmup_steps)
    floor = cfg.min_lr_ratio * cfg.lr
    return floor + 0.5 * (cfg.lr - floor) * (1.0 + math.cos(math.pi * min(1.0, progress)))


@dataclass(frozen=True)
class DistInfo:
    """Process rank and count from ``torchrun``'s RANK / WORLD_SIZE / LOCAL_RANK (1 process if absent)."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        return self.rank == 0


def dist_from_env() -> DistInfo:
    env = os.environ
    return DistInfo(int(env.get("RANK", 0)), int(env.get("WORLD_SIZE", 1)), int(env.get("LOCAL_RANK", 0)))


def resolve_device(name: str, dist: DistInfo = DistInfo()) -> torch.device:
    """``polyapprox.train.device.resolve_device`` on this process's GPU (``LOCAL_RANK``)."""
    return _resolve_device(name, dist.local_rank)


def init_distributed(device: torch.device, dist: DistInfo) -> None:
    """Join the process group (gloo on CPU, nccl on CUDA) when launched with WORLD_SIZE > 1."""
    import torch.distributed as tdist

    if dist.world > 1 and not tdist.is_initialized():
        if device.type == "cuda":
            torch.cuda.set_device(device)
        tdist.init_process_group("nccl" if device.type == "cuda" else "gloo")


def _mean_over_ranks(values: torch.Tensor, dist: DistInfo) -> torch.Tensor:
    if dist.world > 1:
        import torch.distributed as tdist

        values = values.clone()
        tdist.all_reduce(values)
        values /= dist.world
    return values


@dataclass(frozen=True)
class TrainResult:
    """One finished (or stopped) run: per-step train losses, (step, val loss) pairs, throughput."""

    params: int
    ffn_params: int
    step: int
    tokens: int
    train_losses: list[float] = field(repr=False)
    val_losses: list[tuple[int, float]]
    tokens_per_s: float  # after the warm-up steps (compile excluded)
    train_s: float  # seconds spent in training steps (all sessions), excluding eval, checkpoints, warm-up
    warmup_s: float = 0.0  # this session's first THROUGHPUT_WARMUP_STEPS steps (torch.compile happens here)

    @property
    def train_loss(self) -> float:
        """Mean training loss over the last 10% of steps (at least one)."""
        tail = self.train_losses[-max(1, len(self.train_losses) // 10) :]
        return sum(tail) / len(tail)

    @property
    def val_loss(self) -> float:
        return self.val_losses[-1][1]


@torch.no_grad()
def evaluate(
    model: torch.nn.Module,
    corpus: Corpus,
    cfg: LMConfig,
    tcfg: TrainConfig,
    device: torch.device,
    dist: DistInfo,
) -> float:
    """Mean validation loss (nats/byte) on ``eval_batches`` fixed batches (generator seed ``seed + 2``)."""
    was_training = model.training
    model.eval()
    gen = torch.Generator().manual_seed(tcfg.seed + 2)
    losses = []
    for _ in range(tcfg.eval_batches):
        x, y = sample_batch(corpus.val, tcfg.batch_size, cfg.context, gen, dist.rank, dist.world)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
            losses.append(lm_loss(model, x.to(device), y.to(device)))
    model.train(was_training)
    return float(_mean_over_ranks(torch.stack(losses).mean(), dist))


def _finite_losses(losses: list[float], before: int, what: str = "loss") -> list[float]:
    """``losses`` (of steps ``before + 1, ...``) if all finite, else InvalidDataError naming the first bad step."""
    for i, v in enumerate(losses):
        if not math.isfinite(v):
            shown = "NaN" if math.isnan(v) else v
            raise InvalidDataError(f"{what} became {shown} at step {before + i + 1} (lr too large?); "
                                   "no checkpoint or result written for this step")
    return losses


def check_finite_weights(model: torch.nn.Module, step: int) -> None:
    """InvalidDataError if any parameter of ``model`` is NaN or inf (after ``step`` steps)."""
    for name, p in model.named_parameters():
        if not bool(torch.isfinite(p).all()):
            raise InvalidDataError(f"weights became non-finite at step {step} ({name}; lr too large?); "
                                   "no checkpoint or result written for this step")


def _stderr(msg: str) -> None:
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


def train_lm(
    cfg: LMConfig,
    tcfg: TrainConfig,
    corpus: Corpus,
    *,
    device: torch.device,
    checkpoint: Path | None = None,
    resume: bool = False,
    compile: bool = False,
    stop_after: int | None = None,
    checkpoint_interval: int | None = None,
    dist: DistInfo = DistInfo(),
    log: Callable[[str], None] | None = _stderr,
    label: str = "",
) -> tuple[torch.nn.Module, TrainResult]:
    """Train (or resume) one model; returns the trained (unwrapped) model and its :class:`TrainResult`.

    ``stop_after``: stop once this global step is reached (a checkpoint is written), e.g. to resume later.
    ``checkpoint_interval`` defaults to ``tcfg.eval_interval``. Only rank 0 writes and logs.
    """
    check_length(corpus, cfg.context)
    check_memory(cfg, tcfg, device)
    wanted = {"model": cfg.to_dict(), "train": asdict(tcfg), "data": corpus.sha256}
    model = build_model(cfg, tcfg.seed).to(device)
    optimizer = torch.optim.AdamW(
        param_groups(model, tcfg.weight_decay), lr=tcfg.lr, betas=(tcfg.beta1, tcfg.beta2)
    )
    data_gen = torch.Generator().manual_seed(tcfg.seed + 1)
    step, train_losses, val_losses, tokens_before, time_before = 0, [], [], 0, 0.0
    timed_before = 0
    if resume and checkpoint is not None and (checkpoint.exists() or checkpoint.is_symlink()):
        done = restore_checkpoint(checkpoint, wanted, tcfg.steps, model, optimizer, data_gen, device)
        step, train_losses, val_losses = done.step, done.train_losses, done.val_losses
        tokens_before, time_before = done.tokens, done.train_time
        timed_before = done.timed_tokens
    elif checkpoint is not None and checkpoint.exists():
        raise ConfigError(
            f"checkpoint {checkpoint} exists; pass --resume to continue it or use another --out"
        )

    train_model = model
    if dist.world > 1:
        from torch.nn.parallel import DistributedDataParallel

        train_model = DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None
        )
    if compile:
        train_model = torch.compile(train_model)
    interval = checkpoint_interval or tcfg.eval_interval
    log_interval = max(1, min(tcfg.eval_interval, tcfg.steps // LOGS_PER_RUN))  # progress lines on stderr
    tokens_per_step = tcfg.batch_size * cfg.context * dist.world

    def save() -> None:
        if checkpoint is None or not dist.main:
            return
        check_finite_weights(model, step)  # never write a checkpoint with non-finite weights
        save_checkpoint(
            checkpoint,
            {
                "config": wanted,
                "step": step,
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "data_generator": data_gen.get_state(),
                "torch_rng": torch.get_rng_state(),
                "cuda_rng": torch.cuda.get_rng_state(device) if device.type == "cuda" else None,
                "train_losses": train_losses,
                "val_losses": val_losses,
                "tokens": tokens_before + (step - start) * tokens_per_step,
                "train_time": time_before + train_time,
                "timed_tokens": timed_before + max(0, step - start - warm) * tokens_per_step,
            },
        )

    start, train_time, pending = step, 0.0, []  # train_time: this session's seconds in training steps
    end = tcfg.steps if stop_after is None else min(tcfg.steps, stop_after)
    warm, warmup_s = min(THROUGHPUT_WARMUP_STEPS, (end - start) // 2), 0.0  # clock starts after `warm` steps
    t0 = time.perf_counter()
    while step < end:
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, tcfg)
        x, y = sample_batch(corpus.train, tcfg.batch_size, cfg.context, data_gen, dist.rank, dist.world)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
            loss = lm_loss(train_model, x.to(device), y.to(device))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), tcfg.grad_clip)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        pending.append(loss.detach())
        step += 1
        if warm and step - start == warm:  # end of warm-up: its time (compile included) is reported apart
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            warmup_s, train_time, t0 = train_time + time.perf_counter() - t0, 0.0, time.perf_counter()
        if step % log_interval == 0 or step % tcfg.eval_interval == 0 or step == end:
            train_losses.extend(_finite_losses(_mean_over_ranks(torch.stack(pending), dist).tolist(),
                                               len(train_losses)))
            pending = []
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            train_time += time.perf_counter() - t0
            if step % tcfg.eval_interval == 0 or step == tcfg.steps:
                val_losses.append((step, evaluate(model, corpus, cfg, tcfg, device, dist)))
                _finite_losses([val_losses[-1][1]], step - 1, "validation loss")
            if log is not None and dist.main:
                val = f" val {val_losses[-1][1]:.4f}" if val_losses and val_losses[-1][0] == step else ""
                rate = max(0, step - start - warm) * tokens_per_step / max(train_time, 1e-9)
                log(f"{label} step {step}/{tcfg.steps} loss {train_losses[-1]:.4f}{val} tok/s {rate:,.0f}")
            if step % interval == 0 or step == end:
                save()
            t0 = time.perf_counter()
    check_finite_weights(model, step)
    tokens = tokens_before + (step - start) * tokens_per_step
    total_time = time_before + train_time
    timed_tokens = timed_before + max(0, step - start - warm) * tokens_per_step
    result = TrainResult(
        params=count_params(model),
        ffn_params=ffn_params(cfg) * cfg.n_layer,
        step=step,
        tokens=tokens,
        train_losses=train_losses,
        val_losses=val_losses,
        tokens_per_s=timed_tokens / total_time if total_time > 0 else 0.0,
        train_s=total_time,
        warmup_s=warmup_s,
    )
    return model, result
