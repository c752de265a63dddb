"""LM checkpoints (written atomically by ``polyapprox.core.results.atomic_write``) and the config check that
guards ``--resume``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from polyapprox.core.results import atomic_write
from polyapprox.errors import ConfigError, InvalidDataError

CHECKPOINT_FORMAT = "polyapprox.lm-checkpoint"
CHECKPOINT_VERSION = 1


def save_checkpoint(path: str | os.PathLike[str], state: dict[str, Any]) -> Path:
    """``torch.save`` of ``state`` (plus format tags) to a temp file, then ``os.replace``."""
    payload = {"format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION, **state}
    return atomic_write(path, lambda fh: torch.save(payload, fh))


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Load a checkpoint onto the CPU; InvalidDataError if it is not one of ours."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # torch raises many types for a corrupt file
        raise InvalidDataError(f"checkpoint {path}: unreadable ({type(exc).__name__})") from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise InvalidDataError(f"checkpoint {path}: not a polyapprox LM checkpoint")
    if state.get("version") != CHECKPOINT_VERSION:
        raise InvalidDataError(f"checkpoint {path}: version {state.get('version')!r} != {CHECKPOINT_VERSION}")
    return state


def config_mismatch(saved: dict[str, Any], wanted: dict[str, Any], prefix: str = "") -> str | None:
    """The first field (dotted path) where two config dicts differ, as ``'field: saved != wanted'``."""
    for key in sorted(set(saved) | set(wanted)):
        a, b = saved.get(key, "<missing>"), wanted.get(key, "<missing>")
        if isinstance(a, dict) and isinstance(b, dict):
            found = config_mismatch(a, b, f"{prefix}{key}.")
            if found:
                return found
        elif a != b:
            return f"{prefix}{key}: {a!r} in the checkpoint, {b!r} requested"
    return None


def check_config(path: str | os.PathLike[str], state: dict[str, Any], wanted: dict[str, Any]) -> None:
    """ConfigError (nothing written) if the checkpoint was made with another config."""
    diff = config_mismatch(state.get("config", {}), wanted)
    if diff:
        raise ConfigError(f"checkpoint {path} is from another config ({diff}); use another --out")
