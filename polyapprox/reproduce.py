"""``polyapprox reproduce``: run every experiment step, keep each result as JSON, write the report.

Each step is a function ``(config, out_dir) -> dict`` registered in ``STEPS``; its JSON result is written
atomically to ``out_dir/results/<step>.json`` together with the config it ran under, so an interrupted run
resumes by skipping steps whose result file exists for the same config (``--resume``). Claims are computed
from those JSON results by ``polyapprox.claims`` and the report is rendered by ``polyapprox.report``.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from polyapprox.errors import ConfigError
from polyapprox.results import read_json, write_json


@dataclass(frozen=True)
class ReproduceConfig:
    """What ``reproduce`` runs; ``quick`` fits 2 CPU cores in < 10 minutes, ``full`` one GPU node."""

    preset: str = "quick"
    device: str = "auto"
    seed: int = 0
    # Sobolev rate sweeps: (d, n) pairs, and the largest grid N per dimension
    rate_pairs: tuple[tuple[int, int], ...] = ((1, 1), (1, 2), (1, 3), (1, 4), (2, 1), (2, 2), (2, 3), (3, 2))
    relu_pairs: tuple[tuple[int, int], ...] = ((1, 2), (1, 3), (2, 2))
    # trained FFN sweeps
    ffn_widths: tuple[int, ...] = (4, 8, 16, 32)
    ffn_steps: int = 1000
    ffn_seeds: int = 1
    # LM comparison
    lm_sizes: tuple[str, ...] = ("tiny",)
    lm_steps: int = 300


PRESETS = {
    "quick": ReproduceConfig(),
    "full": ReproduceConfig(preset="full", ffn_widths=(8, 16, 32, 64, 128, 256, 512, 1024), ffn_steps=6000,
                            ffn_seeds=3, lm_sizes=("tiny", "small", "medium"), lm_steps=3000),
}

Step = Callable[[ReproduceConfig, Path], dict[str, Any]]
STEPS: dict[str, tuple[str, Step]] = {}


def step(name: str, description: str) -> Callable[[Step], Step]:
    """Register a reproduce step (in run order)."""
    def deco(fn: Step) -> Step:
        STEPS[name] = (description, fn)
        return fn
    return deco


def _config_dict(cfg: ReproduceConfig) -> dict[str, Any]:
    """The config as it reads back from JSON (tuples become lists), so saved and current configs compare."""
    return json.loads(json.dumps(dataclasses.asdict(cfg)))


def run_steps(cfg: ReproduceConfig, out: Path, resume: bool, only: tuple[str, ...] | None = None,
              log: Callable[[str], None] = lambda s: print(s, file=sys.stderr, flush=True)) -> dict[str, Any]:
    """Run (or, with ``resume``, reuse) each step; returns {step: result}."""
    from polyapprox import reproduce_steps  # registers the steps

    version = reproduce_steps.fingerprint()

    names = [n for n in STEPS if only is None or n in only]
    if only is not None:
        unknown = sorted(set(only) - set(STEPS))
        if unknown:
            raise ConfigError(f"steps: unknown {unknown[0]!r}; choose from {', '.join(STEPS)}")
    results: dict[str, Any] = {}
    cfg_json = _config_dict(cfg)
    t_all = time.perf_counter()
    for k, name in enumerate(names, 1):
        description, fn = STEPS[name]
        path = out / "results" / f"{name}.json"
        if resume and path.exists():
            try:
                saved = read_json(path)
            except ValueError:
                saved = None
            if saved and saved.get("config") == cfg_json and saved.get("constants") == version and "result" in saved:
                log(f"[{k}/{len(names)}] {name}: done earlier, reused ({path})")
                results[name] = saved["result"]
                continue
        left = ", ".join(names[k:]) or "nothing"
        log(f"[{k}/{len(names)}] {name}: {description} ... (then: {left})")
        t0 = time.perf_counter()
        result = fn(cfg, out)
        seconds = time.perf_counter() - t0
        result = {**result, "seconds": seconds}
        write_json(path, {"step": name, "config": cfg_json, "constants": version, "result": result})
        results[name] = result
        log(f"[{k}/{len(names)}] {name}: finished in {seconds:.1f} s (total {time.perf_counter() - t_all:.0f} s)")
    return results
