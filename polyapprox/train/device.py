"""Device choice for every training entry point: ``auto`` (CUDA if available), ``cpu`` or ``cuda``."""

from __future__ import annotations

import torch

from polyapprox.errors import ConfigError


def resolve_device(name: str, local_rank: int = 0) -> torch.device:
    """``auto``: CUDA (GPU ``local_rank``) if available, else CPU; ``cuda`` without a GPU is a ConfigError."""
    if name not in ("auto", "cpu", "cuda"):
        raise ConfigError(f"device: unknown {name!r}; choose from auto, cpu, cuda")
    has_cuda = torch.cuda.is_available()
    if name == "cuda" and not has_cuda:
        raise ConfigError("device: 'cuda' requested but no CUDA device is available (use --device auto or cpu)")
    if name == "cpu" or not has_cuda:
        return torch.device("cpu")
    return torch.device("cuda", local_rank)
