"""What ``polyapprox reproduce`` runs: the config presets and the registry of steps (filled by ``steps``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from polyapprox.core.names import ACTIVATIONS


@dataclass(frozen=True)
class ReproduceConfig:
    """What ``reproduce`` runs; ``quick`` fits 2 CPU cores in < 10 minutes, ``full`` one GPU node."""

    preset: str = "quick"
    device: str = "auto"
    seed: int = 0
    # Sobolev rate sweeps: (d, n) pairs, and the largest grid N per dimension
    rate_pairs: tuple[tuple[int, int], ...] = ((1, 1), (1, 2), (1, 3), (1, 4), (2, 1), (2, 2), (2, 3), (3, 2))
    relu_pairs: tuple[tuple[int, int], ...] = ((1, 2), (1, 3), (2, 2))
    # trained FFN sweeps (VarPro + Levenberg-Marquardt, grid training points, adaptive knots)
    ffn_activations: tuple[str, ...] = ("relu", "polyrelu")
    ffn_widths: tuple[int, ...] = (4, 8, 16, 32, 64, 128)
    ffn_steps: int = 300  # Levenberg-Marquardt iterations per fit
    ffn_seeds: int = 1
    ffn_points: int = 2000  # training points (a grid of m^d <= ffn_points)
    # LM comparison
    lm_sizes: tuple[str, ...] = ("tiny",)
    lm_steps: int = 150
    lm_seeds: int = 3  # >= 3 seeds per activation: the LM verdicts compare means against standard errors
    # quick: the three activations the LM claims compare (9 runs x 150 steps < the former 6 x 300); full: all
    lm_activations: tuple[str, ...] = ("swiglu", "polynorm", "polyrelu")


PRESETS = {
    "quick": ReproduceConfig(),
    "full": ReproduceConfig(preset="full", ffn_activations=ACTIVATIONS, ffn_widths=(8, 16, 32, 64, 128, 256, 512),
                            ffn_steps=300, ffn_seeds=3, ffn_points=8192, lm_sizes=("tiny", "small", "medium"),
                            lm_steps=3000,
                            lm_activations=("relu", "relu2", "gelu", "swiglu", "polyrelu", "polynorm")),
}

#: a step: (config, output folder, resume) -> JSON-ready result
Step = Callable[[ReproduceConfig, Path, bool], dict[str, Any]]
STEPS: dict[str, tuple[str, Step]] = {}


def step(name: str, description: str) -> Callable[[Step], Step]:
    """Register a reproduce step (in run order)."""
    def deco(fn: Step) -> Step:
        STEPS[name] = (description, fn)
        return fn
    return deco
