"""``polyapprox reproduce``: run every experiment step, keep each result as JSON, write the report.

Each step is a function ``(config, out_dir, resume) -> dict`` registered in ``STEPS``; its JSON result is
written atomically to ``out_dir/results/<step>.json`` together with the config it ran under. With
``resume`` a step whose result file exists for the same config is reused (the file checked against the
step's schema first), and the training steps continue from their own results and checkpoints; without it
they start over. A folder already holding results of the selected steps is refused unless ``resume`` or
``force`` (``force`` removes the steps' old state first). ``run_steps`` returns the selected steps' results
merged with the other steps' saved results for the same config, so ``--steps X`` keeps the full report.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from polyapprox.core.outdir import OutputError
from polyapprox.core.results import read_json, write_json
from polyapprox.core.schema import check
from polyapprox.errors import ConfigError, shorten
from polyapprox.report import steps as reproduce_steps  # registers the steps
from polyapprox.report.config import PRESETS, STEPS, ReproduceConfig, Step, step

__all__ = ["PRESETS", "STEPS", "ReproduceConfig", "Step", "run_steps", "step"]

#: the envelope of every results/<step>.json
SAVED = {"step": str, "config": dict, "constants": str, "result": dict}


def _config_dict(cfg: ReproduceConfig) -> dict[str, Any]:
    """The config as it reads back from JSON (tuples become lists), so saved and current configs compare."""
    return json.loads(json.dumps(dataclasses.asdict(cfg)))


def _select(only: tuple[str, ...] | None) -> list[str]:
    if only is not None:
        unknown = sorted(set(only) - set(STEPS))
        if unknown:
            raise ConfigError(f"steps: unknown {shorten(unknown[0])!r}; choose from {', '.join(STEPS)}")
    return [n for n in STEPS if only is None or n in only]


def load_saved(path: Path, name: str, cfg_json: dict[str, Any], version: str) -> dict[str, Any] | None:
    """The result stored in ``path`` (checked: envelope and the step's schema) if it was made with this
    config and these constants, else None. A tampered file is an ``InvalidDataError`` naming the field."""
    if not path.exists():
        return None
    where = shorten(str(path))
    saved = check(read_json(path), SAVED, where)
    if saved["config"] != cfg_json or saved["constants"] != version or saved["step"] != name:
        return None
    return check(saved["result"], reproduce_steps.SCHEMAS.get(name, dict), f"{where}: result")


def _refuse_existing(out: Path, names: list[str], resume: bool, force: bool) -> None:
    """No step's earlier result is replaced without ``resume`` or ``force``."""
    done = [n for n in names if (out / "results" / f"{n}.json").exists()]
    if done and not (resume or force):
        raise OutputError(f"out: {shorten(str(out))} already holds results of {', '.join(done)}; pass --resume "
                          "to reuse them or --force to run them again")


def run_steps(cfg: ReproduceConfig, out: Path, resume: bool, only: tuple[str, ...] | None = None,
              log: Callable[[str], None] = lambda s: print(s, file=sys.stderr, flush=True),
              force: bool = False) -> dict[str, Any]:
    """Run (or, with ``resume``, reuse) each selected step; returns {step: result} for every step with a
    result for this config, the selected ones and the ones saved earlier (in ``STEPS`` order)."""
    version = reproduce_steps.fingerprint()
    names = _select(only)
    _refuse_existing(out, names, resume, force)
    cfg_json = _config_dict(cfg)
    results: dict[str, Any] = {}
    t_all = time.perf_counter()
    for k, name in enumerate(names, 1):
        description, fn = STEPS[name]
        path = out / "results" / f"{name}.json"
        saved = load_saved(path, name, cfg_json, version) if resume else None
        if saved is not None:
            log(f"[{k}/{len(names)}] {name}: done earlier, reused ({path})")
            results[name] = saved
            continue
        if force and not resume:
            for folder in reproduce_steps.STATE.get(name, ()):
                shutil.rmtree(out / folder, ignore_errors=True)
        left = ", ".join(names[k:]) or "nothing"
        log(f"[{k}/{len(names)}] {name}: {description} ... (then: {left})")
        t0 = time.perf_counter()
        result = fn(cfg, out, resume)
        result = {**result, "seconds": time.perf_counter() - t0}
        write_json(path, {"step": name, "config": cfg_json, "constants": version, "result": result})
        results[name] = result
        log(f"[{k}/{len(names)}] {name}: finished in {result['seconds']:.1f} s "
            f"(total {time.perf_counter() - t_all:.0f} s)")
    for name in STEPS:  # merge: the other steps' results of the same config stay in the report
        if name not in results:
            saved = load_saved(out / "results" / f"{name}.json", name, cfg_json, version)
            if saved is not None:
                results[name] = saved
    return {name: results[name] for name in STEPS if name in results}
