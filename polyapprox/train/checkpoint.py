"""LM checkpoints: written atomically (``polyapprox.core.results.atomic_write``), read safely.

Reading never executes code: ``torch.load(weights_only=True)`` accepts only tensors and plain data (dicts,
lists, tuples, numbers, strings, None), and every RNG state is stored as a uint8 tensor. The file size is
capped (limit ``file_bytes`` on top of the bytes the model and its optimizer moments need), and every field
is checked (types, shapes, finite values, step counts) before anything is restored, so a corrupt or tampered
checkpoint is an ``InvalidDataError`` (exit 2) and leaves model, optimizer and RNGs untouched.
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from polyapprox.core.limits import check
from polyapprox.core.results import atomic_write
from polyapprox.errors import ConfigError, InvalidDataError

CHECKPOINT_FORMAT = "polyapprox.lm-checkpoint"
CHECKPOINT_VERSION = 1
#: Tensors a checkpoint holds per model parameter: the weights and AdamW's two moments.
TENSORS_PER_PARAM = 3
ADAM_STATE = frozenset({"step", "exp_avg", "exp_avg_sq"})


def short(path: str | os.PathLike[str], keep: int = 80) -> str:
    """``path`` as text, cut to its last ``keep`` characters (messages quote at most ~80 characters)."""
    text = str(path)
    return text if len(text) <= keep else "..." + text[-(keep - 3):]


def save_checkpoint(path: str | os.PathLike[str], state: dict[str, Any]) -> Path:
    """``torch.save`` of ``state`` (plus format tags) to a temp file, then ``os.replace``."""
    payload = {"format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION, **state}
    return atomic_write(path, lambda fh: torch.save(payload, fh))


def tensor_bytes(module: torch.nn.Module) -> int:
    """Bytes of the parameters and buffers of ``module``."""
    return sum(t.numel() * t.element_size() for t in module.state_dict().values())


def load_checkpoint(path: str | os.PathLike[str], weight_bytes: int = 0) -> dict[str, Any]:
    """Load a checkpoint onto the CPU without running code; InvalidDataError if it is not one of ours.

    The file may hold ``TENSORS_PER_PARAM * weight_bytes`` plus the ``file_bytes`` limit (LimitError over it).
    """
    p = Path(path)
    if not p.is_file():
        raise InvalidDataError(f"checkpoint {short(p)}: not a regular file")
    allowance = TENSORS_PER_PARAM * weight_bytes
    check("file_bytes", p.stat().st_size - allowance,
          f"checkpoint {short(p)}: bytes beyond the {allowance} its tensors need")
    try:
        with warnings.catch_warnings():  # torch warns about a foreign file's pickle protocol: the error says it
            warnings.simplefilter("ignore")
            state = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a corrupt or unsafe file
        raise InvalidDataError(f"checkpoint {short(p)}: unreadable or unsafe ({type(exc).__name__})") from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise InvalidDataError(f"checkpoint {short(p)}: not a polyapprox LM checkpoint")
    if state.get("version") != CHECKPOINT_VERSION:
        raise InvalidDataError(f"checkpoint {short(p)}: version {str(state.get('version'))[:20]!r} "
                               f"!= {CHECKPOINT_VERSION}")
    return state


def config_mismatch(saved: dict[str, Any], wanted: dict[str, Any], prefix: str = "") -> str | None:
    """The first field (dotted path) where two config dicts differ, as ``'field: saved != wanted'``."""
    for key in sorted(set(saved) | set(wanted), key=str):
        a, b = saved.get(key, "<missing>"), wanted.get(key, "<missing>")
        if isinstance(a, dict) and isinstance(b, dict):
            found = config_mismatch(a, b, f"{prefix}{key}.")
            if found:
                return found
        elif a != b:
            return f"{prefix}{key}: {str(a)[:30]!r} in the checkpoint, {b!r} requested"
    return None


def check_config(path: str | os.PathLike[str], state: dict[str, Any], wanted: dict[str, Any]) -> None:
    """ConfigError (nothing written) if the checkpoint was made with another config."""
    saved = state.get("config")
    if not isinstance(saved, dict):
        raise InvalidDataError(f"checkpoint {short(path)}: config: not a dict")
    diff = config_mismatch(saved, wanted)
    if diff:
        raise ConfigError(f"checkpoint {short(path)} is from another config ({diff}); use another --out")


@dataclass(frozen=True)
class Progress:
    """The plain-data part of a checkpoint: where the run stands."""

    step: int
    train_losses: list[float]
    val_losses: list[tuple[int, float]]
    tokens: int
    train_time: float
    #: tokens trained after each session's warm-up steps (the throughput clock's tokens); ``tokens`` when absent
    timed_tokens: int


class _Checker:
    """Field checks of one loaded checkpoint; every failure is an InvalidDataError naming path and field."""

    def __init__(self, path: str | os.PathLike[str], state: dict[str, Any]) -> None:
        self.path, self.state = short(path), state

    def fail(self, field: str, problem: str) -> InvalidDataError:
        return InvalidDataError(f"checkpoint {self.path}: {field}: {problem}")

    def get(self, field: str, kinds: type | tuple[type, ...]) -> Any:
        if field not in self.state:
            raise self.fail(field, "missing")
        value = self.state[field]
        if not isinstance(value, kinds) or isinstance(value, bool):
            raise self.fail(field, f"{type(value).__name__}, expected {_names(kinds)}")
        return value

    def number(self, field: str, value: Any, kinds: type | tuple[type, ...], lo: float, hi: float) -> Any:
        if not isinstance(value, kinds) or isinstance(value, bool):
            raise self.fail(field, f"{type(value).__name__}, expected {_names(kinds)}")
        if not (lo <= value <= hi):  # also refuses NaN
            raise self.fail(field, f"{str(value)[:30]} is not in [{lo}, {hi}]")
        return value

    def tensor(self, field: str, value: Any, like: torch.Tensor) -> torch.Tensor:
        """``value`` must be a tensor of ``like``'s shape and dtype, finite if floating."""
        if not isinstance(value, torch.Tensor):
            raise self.fail(field, f"{type(value).__name__}, expected a tensor")
        if value.shape != like.shape or value.dtype != like.dtype:
            raise self.fail(field, f"{value.dtype} {tuple(value.shape)[:8]}, expected {like.dtype} "
                                   f"{tuple(like.shape)}")
        if value.is_floating_point() and not bool(torch.isfinite(value).all()):
            raise self.fail(field, "holds NaN or inf")
        return value

    def tensors(self, field: str, saved: Any, wanted: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        if not isinstance(saved, dict):
            raise self.fail(field, f"{type(saved).__name__}, expected a dict of tensors")
        if set(saved) != set(wanted):
            odd = sorted(map(str, set(saved) ^ set(wanted)))
            raise self.fail(field, f"keys differ from the model's ({', '.join(odd)[:60]})")
        return {k: self.tensor(f"{field}.{k}", saved[k], v) for k, v in wanted.items()}


def _plain_equal(a: Any, b: Any) -> bool:
    """``a == b`` for plain data (numbers, strings, None, lists and tuples of them), False for other types."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_plain_equal(x, y) for x, y in zip(a, b, strict=True))
    return isinstance(a, (int, float, str, type(None))) and a == b


def _names(kinds: type | tuple[type, ...]) -> str:
    return " or ".join(k.__name__ for k in (kinds if isinstance(kinds, tuple) else (kinds,)))


def _check_optimizer(c: _Checker, saved: Any, optimizer: torch.optim.Optimizer) -> None:
    """Same param groups (hyperparameters except lr, which the schedule sets) and well-shaped moments."""
    fresh = optimizer.state_dict()
    if not isinstance(saved, dict) or set(saved) != {"state", "param_groups"}:
        raise c.fail("optimizer", "expected a dict with 'state' and 'param_groups'")
    groups = saved["param_groups"]
    if not isinstance(groups, list) or len(groups) != len(fresh["param_groups"]):
        raise c.fail("optimizer.param_groups", "do not match the model's")
    for i, (got, want) in enumerate(zip(groups, fresh["param_groups"], strict=True)):
        if not isinstance(got, dict) or set(got) != set(want):
            raise c.fail(f"optimizer.param_groups[{i}]", "keys differ")
        for key in sorted(set(want) - {"lr"}):
            if not _plain_equal(got[key], want[key]):
                raise c.fail(f"optimizer.param_groups[{i}].{key}", f"{str(got[key])[:30]} != {want[key]}")
        c.number(f"optimizer.param_groups[{i}].lr", got["lr"], float, 0.0, math.inf)
    params = {i: p for g, pg in zip(groups, optimizer.param_groups, strict=True)
              for i, p in zip(g["params"], pg["params"], strict=True)}
    state = saved["state"]
    if not isinstance(state, dict) or not set(state) <= set(params):
        raise c.fail("optimizer.state", "entries for unknown parameters")
    for i, entry in state.items():
        if not isinstance(entry, dict) or set(entry) != ADAM_STATE:
            raise c.fail(f"optimizer.state[{i}]", f"expected keys {sorted(ADAM_STATE)}")
        c.tensor(f"optimizer.state[{i}].step", entry["step"], torch.zeros((), dtype=torch.float32))
        for key in ("exp_avg", "exp_avg_sq"):
            c.tensor(f"optimizer.state[{i}].{key}", entry[key], params[i].detach().cpu())


def _check_progress(c: _Checker, total_steps: int) -> Progress:
    """Step, loss histories, token count and time: types, ranges and mutual consistency."""
    step = c.number("step", c.get("step", int), int, 0, total_steps)
    losses = c.get("train_losses", list)
    if len(losses) != step:
        raise c.fail("train_losses", f"{len(losses)} values for step {step}")
    for i, v in enumerate(losses):
        c.number(f"train_losses[{i}]", v, float, -math.inf, math.inf)
    val: list[tuple[int, float]] = []
    for i, pair in enumerate(c.get("val_losses", list)):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise c.fail(f"val_losses[{i}]", "expected a (step, loss) pair")
        at = c.number(f"val_losses[{i}][0]", pair[0], int, val[-1][0] + 1 if val else 1, step)
        val.append((at, c.number(f"val_losses[{i}][1]", pair[1], float, -math.inf, math.inf)))
    tokens = c.number("tokens", c.get("tokens", int), int, 0, math.inf)
    seconds = c.number("train_time", c.get("train_time", (int, float)), (int, float), 0, math.inf)
    timed = c.number("timed_tokens", c.state.get("timed_tokens", tokens), int, 0, tokens)
    if any(not math.isfinite(v) for v in losses) or any(not math.isfinite(v) for _, v in val):
        raise c.fail("train_losses / val_losses", "hold NaN or inf")
    return Progress(step, list(losses), val, tokens, float(seconds), timed)


def restore_checkpoint(
    path: str | os.PathLike[str],
    wanted: dict[str, Any],
    total_steps: int,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    data_gen: torch.Generator,
    device: torch.device,
) -> Progress:
    """Load ``path``, check every field against the run it should continue, then restore model, optimizer,
    data generator and the CPU/CUDA RNGs. Nothing is restored unless every check passes."""
    state = load_checkpoint(path, tensor_bytes(model))
    check_config(path, state, wanted)
    c = _Checker(path, state)
    weights = c.tensors("model", c.get("model", dict), {k: v.cpu() for k, v in model.state_dict().items()})
    _check_optimizer(c, c.get("optimizer", dict), optimizer)
    gen_state = c.tensor("data_generator", c.get("data_generator", torch.Tensor), data_gen.get_state())
    rng_state = c.tensor("torch_rng", c.get("torch_rng", torch.Tensor), torch.get_rng_state())
    cuda_state = state.get("cuda_rng")
    if device.type == "cuda" and cuda_state is not None:
        cuda_state = c.tensor("cuda_rng", cuda_state, torch.cuda.get_rng_state(device))
    progress = _check_progress(c, total_steps)
    for field, value in (("data_generator", gen_state), ("torch_rng", rng_state)):
        try:  # a malformed CPU generator state is refused here, before anything changes
            torch.Generator().set_state(value)
        except RuntimeError:
            raise c.fail(field, "not a valid generator state") from None
    model.load_state_dict(weights)
    optimizer.load_state_dict(state["optimizer"])
    data_gen.set_state(gen_state)
    torch.set_rng_state(rng_state)
    if device.type == "cuda" and cuda_state is not None:
        torch.cuda.set_rng_state(cuda_state, device)
    return progress
