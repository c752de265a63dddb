"""Atomic checkpoint and JSON writes, and the config check that guards ``--resume``.

A write goes to a temporary file in the target folder, then ``os.replace`` (atomic on POSIX), so an
interrupted run leaves either the old file or the new one, never a torn one.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import torch

from polyapprox.errors import ConfigError, InvalidDataError

CHECKPOINT_FORMAT = "polyapprox.lm-checkpoint"
CHECKPOINT_VERSION = 1


def _atomic(path: Path, write: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; results are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def write_json_atomic(path: str | os.PathLike[str], payload: Any) -> Path:
    """Atomic JSON write (indent 2; non-JSON values via ``str``)."""
    text = json.dumps(payload, indent=2, default=str) + "\n"
    return _atomic(Path(path), lambda fh: fh.write(text.encode()))


def save_checkpoint(path: str | os.PathLike[str], state: dict[str, Any]) -> Path:
    """``torch.save`` of ``state`` (plus format tags) to a temp file, then ``os.replace``."""
    payload = {"format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION, **state}
    return _atomic(Path(path), lambda fh: torch.save(payload, fh))


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
