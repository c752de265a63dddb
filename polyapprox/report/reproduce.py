"""``polyapprox reproduce``: run every experiment step, keep each result as JSON, write the report.

Each step is a function ``(config, out_dir) -> dict`` registered in ``STEPS``; its JSON result is written
atomically to ``out_dir/results/<step>.json`` together with the config it ran under, so an interrupted run
resumes by skipping steps whose result file exists for the same config (``--resume``). Claims are computed
from those JSON results by ``polyapprox.report.claims`` and the report is rendered by ``polyapprox.report.render``.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from polyapprox.core.results import read_json, write_json
from polyapprox.errors import ConfigError
from polyapprox.report import steps as reproduce_steps  # registers the steps
from polyapprox.report.config import PRESETS, STEPS, ReproduceConfig, Step, step

__all__ = ["PRESETS", "STEPS", "ReproduceConfig", "Step", "run_steps", "step"]


def _config_dict(cfg: ReproduceConfig) -> dict[str, Any]:
    """The config as it reads back from JSON (tuples become lists), so saved and current configs compare."""
    return json.loads(json.dumps(dataclasses.asdict(cfg)))


def run_steps(cfg: ReproduceConfig, out: Path, resume: bool, only: tuple[str, ...] | None = None,
              log: Callable[[str], None] = lambda s: print(s, file=sys.stderr, flush=True)) -> dict[str, Any]:
    """Run (or, with ``resume``, reuse) each step; returns {step: result}."""
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
