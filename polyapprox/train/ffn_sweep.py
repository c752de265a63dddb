"""Width sweeps of trained FFN blocks: error against parameters per activation, with the construction beside.

For each (activation, width, seed) point: sample train/validation points (seeded by ``seed``; the same
data for every activation and width), build and init the FFN (``torch.Generator`` seeded by ``seed``),
train (``polyapprox.train.ffn.train``), then measure sup and L2 test errors of the float64 model with the
same measurement code as the exact constructions. Each finished point is written to ``results.json``
atomically, so an interrupted sweep resumes with only the missing points (``resume=True``).

``init="construct"`` instead starts from the exact Theorem 3 construction ``sobolev_net(target, n, N)``
(``to_torch``) for each N in ``grids`` and reports the error before and after training: approximation
error (before) against what optimisation does with it (after). With VarPro the net's last layer is the solved
output layer and the rest (nonzero weights, biases, one PolyReLU coefficient vector per group of units sharing
a spec) is trained by LM (``polyapprox.train.ffn_construct``).
"""

from __future__ import annotations

import dataclasses
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import torch

from polyapprox.core.limits import check
from polyapprox.core.results import provenance, read_json, write_json
from polyapprox.errors import ConfigError, InvalidDataError
from polyapprox.nn import ACTIVATIONS
from polyapprox.train import ffn_adapters as adapt
from polyapprox.train.ffn import (
    POINTS,
    Dataset,
    TrainConfig,
    load_data_file,
    numpy_callable,
    sample_dataset,
    split_dataset,
)
from polyapprox.train.ffn import train as train_model
from polyapprox.train.ffn_keep import keep
from polyapprox.train.ffn_model import FFN, GATED, init_ffn_, param_counts, plain_param_count
from polyapprox.train.varpro import VarProConfig, jacobian_bytes, spread_init_

RESULTS_FORMAT = "polyapprox.ffn-sweep"
RESULTS_NAME = "results.json"
METHODS = ("varpro", "adam")
NETS_FOLDER = "nets"
#: The one size convention of every fit and plot that puts trained and constructed nets together.
SIZE_KEY = "params_nnz"
SIZE_LABEL = "nonzero weights + biases (count_params; activation coefficients excluded)"
#: Construction grid sizes N by dimension: past the pre-asymptotic N = 2 in d = 1, and a few seconds each.
DEFAULT_GRIDS = {1: (4, 8, 16, 32), 2: (2, 4, 8)}


@dataclass(frozen=True)
class SweepConfig:
    """One sweep; every field is one CLI flag (``polyapprox train ffn --help``)."""

    target: str = "sin1"
    dim: int | None = None
    activations: tuple[str, ...] = ACTIVATIONS
    widths: tuple[int, ...] = (4, 8, 16, 32)
    seeds: int | tuple[int, ...] = 1  # per (activation, width): a count (seeds 0, 1, ...) or the seeds
    depth: int = 1
    order: int = 3  # PolyReLU / PolyNorm order r
    n_train: int = 1024
    n_val: int = 256
    points: str = "random"  # training points: random, grid or chebyshev (``training_points``); the CLI's
    # varpro default is grid (both endpoints in, no gaps: the sup error of a fit lives at the ends and gaps)
    train: TrainConfig = field(default_factory=TrainConfig)  # --method adam
    # varpro (VarPro + Levenberg-Marquardt; the CLI's default) or adam (Adam + L-BFGS; kept as the library
    # default so that callers that set only ``train`` -- the reproduce ffn step -- keep their behaviour)
    method: str = "adam"
    varpro: VarProConfig = field(default_factory=VarProConfig)
    init: str = "random"  # or "construct"
    construction_n: int = 3  # Theorem 3 smoothness order n of the reference construction
    grids: tuple[int, ...] | None = None  # construction grid sizes N (None: DEFAULT_GRIDS by dimension)
    data: str | None = None  # user data file (.npz / .csv); then no target function and no construction
    boost: bool = False  # varpro: a second net of the same width on the first one's residual (``ffn_boost``)

    def __post_init__(self) -> None:
        for a in self.activations:
            if a not in ACTIVATIONS:
                raise ConfigError(f"activations: unknown {a!r}; choose from {', '.join(ACTIVATIONS)}")
        for name, values in (("widths", self.widths), ("grids", self.grids or (1,))):
            if not values or any(v < 1 for v in values):
                raise ConfigError(f"{name}: {list(values)} must be a non-empty list of integers >= 1")
        if isinstance(self.seeds, tuple) and (not self.seeds or any(not isinstance(v, int) or v < 0
                                                                     for v in self.seeds)):
            raise ConfigError(f"seeds: {str(self.seeds)[:40]} must be a non-empty list of integers >= 0")
        for name in ("depth", "order", "n_train", "n_val", "construction_n") + (
                () if isinstance(self.seeds, tuple) else ("seeds",)):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name}: {getattr(self, name)} must be >= 1")
        self._check_limits()
        if self.init not in ("random", "construct"):
            raise ConfigError(f"init: unknown {self.init!r}; choose from random, construct")
        if self.points not in POINTS:
            raise ConfigError(f"points: unknown {self.points!r}; choose from {', '.join(POINTS)}")
        if self.method not in METHODS:
            raise ConfigError(f"method: unknown {self.method!r}; choose from {', '.join(METHODS)}")
        if self.boost and (self.method != "varpro" or self.init != "random"):
            raise ConfigError("boost: needs --method varpro and --init random")
        if self.init == "construct" and self.data is not None:
            raise ConfigError("init: construct needs a target function, not --data")

    def _check_limits(self) -> None:
        """Every declared size against ``polyapprox.core.limits``, then the memory estimate, before any work."""
        for w in self.widths:
            check("width", w, "width of one trained FFN (--widths)")
        for n in self.grids or ():
            check("grid", n, "grid size N of the reference construction (--grids)")
        if self.dim is not None:
            check("dim", self.dim, "input dimension (--dim)")
        check("layers", self.depth, "hidden layers (--depth)")
        check("exponent", self.order, "PolyReLU / PolyNorm order (--order)")
        check("exponent", self.construction_n, "order n of the reference construction (--construction-n)")
        check("points", self.n_train + self.n_val, "training + validation points")
        need = self.memory_bytes()
        check("memory_mb", -(-need // 2**20), f"estimated memory of the widest point ({need:,} bytes), in MB")

    @property
    def seed_list(self) -> tuple[int, ...]:
        """The seeds of every (activation, width) point: ``seeds`` itself, or 0 .. seeds - 1 for a count."""
        return self.seeds if isinstance(self.seeds, tuple) else tuple(range(self.seeds))

    def memory_bytes(self) -> int:
        """A rough estimate of the widest point's memory: activations of all training points kept for the
        backward pass (about order + 4 values per hidden unit, doubled with gated units), and the parameters
        with their gradient, two Adam moments and L-BFGS's 2 x 50 history vectors (adam), or the projected
        Jacobian (training points x inner parameters, twice; varpro)."""
        width, item = max(self.widths), 8 if self.train.dtype == "float64" else 4
        gate = 2 if any(a in GATED for a in self.activations) else 1
        per_point = gate * width * self.depth * (self.order + 4)
        params = 2 * plain_param_count(self.dim or 1, width, self.depth)
        if self.method == "varpro":  # training features, plus the LM Jacobian unless L-BFGS replaces it
            from polyapprox.core.limits import limit

            inner = plain_param_count(self.dim or 1, width, self.depth) - width - 1 + self.depth * (self.order + 1)
            inner *= gate
            jac = jacobian_bytes(self.n_train, inner)
            return 8 * self.n_train * per_point + (jac if jac <= limit("memory_mb") * 2**20 else 0)
        return item * ((self.n_train + self.n_val) * per_point + 104 * params)

    def fingerprint(self) -> dict[str, Any]:
        """The fields a resumed sweep must share with the stored one (lists of points and device excluded)."""
        d = dataclasses.asdict(self)
        for k in ("activations", "widths", "seeds", "grids"):
            d.pop(k)
        d["train"].pop("device")
        d["varpro"].pop("device")
        d["varpro"].pop("batch_seeds")  # how the seeds are scheduled, not what is fitted
        return d


class ProgressLine:
    """One-line progress on a stream (stderr): rewritten in place on a TTY, one line per point otherwise."""

    def __init__(self, total: int, stream: TextIO | None = None, enabled: bool = True) -> None:
        self.total, self.done, self.stream, self.enabled = total, 0, stream or sys.stderr, enabled
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.t0 = time.perf_counter()

    def update(self, label: str) -> None:
        if self.enabled and self.tty:
            self.stream.write(f"\r[{self.done}/{self.total}] {label}\x1b[K")
            self.stream.flush()

    def finish_point(self, label: str) -> None:
        self.done += 1
        if self.enabled:
            el = time.perf_counter() - self.t0
            self.stream.write(("\r" if self.tty else "") + f"[{self.done}/{self.total}] {label} ({el:.0f}s)"
                              + ("\x1b[K\n" if self.tty else "\n"))
            self.stream.flush()


def _key(run: dict[str, Any]) -> tuple[str, int, int]:
    return (run["activation"], int(run["width"]), int(run["seed"]))


class Sweep:
    """Runs a ``SweepConfig``; ``out`` (a folder) enables the results file and resuming."""

    def __init__(self, config: SweepConfig, out: str | Path | None = None, resume: bool = False,
                 progress: ProgressLine | None = None, log: Callable[[str], None] | None = None) -> None:
        self.config, self.out = config, Path(out) if out is not None else None
        if resume and self.out is None:
            raise ConfigError("resume: needs --out DIR (the folder holding results.json)")
        self.progress = progress
        self.runs: dict[tuple[str, int, int], dict[str, Any]] = {}
        self.construction: dict[int, dict[str, Any]] = {}
        if resume and self.results_path is not None and self.results_path.exists():
            self._load()
        self._target: Any = None
        self._data: dict[int, Dataset] = {}

    # ---- results file -------------------------------------------------------------------------
    @property
    def results_path(self) -> Path | None:
        return None if self.out is None else self.out / RESULTS_NAME

    def _load(self) -> None:
        assert self.results_path is not None
        try:
            stored = read_json(self.results_path)
        except ValueError as exc:
            raise InvalidDataError(f"resume: {self.results_path} is not valid JSON ({exc})") from None
        if not isinstance(stored, dict) or stored.get("format") != RESULTS_FORMAT:
            raise InvalidDataError(f"resume: {self.results_path} is not a {RESULTS_FORMAT} results file")
        old, new = stored.get("fingerprint", {}), _jsonable(self.config.fingerprint())
        if old != new:
            diff = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
            k = diff[0]
            raise ConfigError(f"resume: {self.results_path} was made with {k}={old.get(k)!r}, now {new.get(k)!r}; "
                              "rerun without --resume or use another --out")
        self.runs = {_key(r): r for r in stored.get("runs", [])}
        self.construction = {int(c["N"]): c for c in stored.get("construction", [])}

    def _save(self) -> None:
        if self.results_path is None:
            return
        write_json(self.results_path, {
            "format": RESULTS_FORMAT, "version": 1, "fingerprint": _jsonable(self.config.fingerprint()),
            "runs": [self.runs[k] for k in sorted(self.runs)],
            "construction": [self.construction[n] for n in sorted(self.construction)],
        })

    # ---- target and data ----------------------------------------------------------------------
    @property
    def target(self) -> Any:
        if self._target is None and self.config.data is None:
            self._target = adapt.resolve_target(self.config.target, self.config.dim)
        return self._target

    @property
    def grids(self) -> tuple[int, ...]:
        return self.config.grids or DEFAULT_GRIDS.get(self.dim, (2, 4))

    @property
    def dim(self) -> int:
        return self.target.dim if self.config.data is None else self.dataset(0).dim

    def dataset(self, seed: int) -> Dataset:
        if seed not in self._data:
            rng = np.random.default_rng(seed)
            if self.config.data is not None:
                x, y = load_data_file(self.config.data)
                if self.config.dim is not None and x.shape[1] != self.config.dim:
                    raise ConfigError(f"dim: {self.config.dim} does not match the data's x with {x.shape[1]} columns")
                self._data[seed] = split_dataset(x, y, rng)
            else:
                t = self.target
                self._data[seed] = sample_dataset(lambda x: adapt.target_values(t, x), t.dim,
                                                  self.config.n_train, self.config.n_val, rng, self.config.points)
        return self._data[seed]

    def _measure(self, fn: Callable[[np.ndarray], np.ndarray], seed: int) -> dict[str, Any]:
        if self.config.data is None:
            return adapt.measure(fn, self.target, seed=seed)
        data = self.dataset(seed)
        assert data.x_test is not None and data.y_test is not None
        e = fn(data.x_test) - data.y_test
        return {"sup_error": float(np.max(np.abs(e))), "l2_error": float(np.sqrt(np.mean(e**2))),
                "how": {"kind": "held-out data points", "points": int(len(e)), "sup": "max |f - y|",
                        "l2": "RMS of f - y"}}

    # ---- points -------------------------------------------------------------------------------
    def planned(self) -> list[tuple[str, int, int]]:
        c = self.config
        if c.init == "construct":
            return [("construct", n, s) for n in self.grids for s in c.seed_list]
        return [(a, w, s) for a in c.activations for w in c.widths for s in c.seed_list]

    def run(self) -> dict[str, Any]:
        """Train every missing point (saving after each), then the construction curve; returns the payload."""
        todo = [k for k in self.planned() if k not in self.runs]
        n_constr = 0 if self.config.data is not None else len([n for n in self.grids
                                                                 if n not in self.construction])
        if self.progress is not None:
            self.progress.total = len(todo) + n_constr
        for group in self._groups(todo):
            for key, point in zip(group, self._run_group(group), strict=True):
                self.runs[key] = point
                self._save()
                if self.progress is not None:
                    self.progress.finish_point(f"{key[0]} {'N' if key[0] == 'construct' else 'w'}={key[1]} "
                                               f"seed={key[2]}: sup {point['sup_error']:.3g}, "
                                               f"L2 {point['l2_error']:.3g}")
        if self.config.data is None:
            for n in self.grids:
                if n not in self.construction:
                    point = self._construction_point(n)
                    if point.get("params") is None:  # not available here: not stored, so a resume retries it
                        self.progress and self.progress.finish_point(f"construction N={n}: not available")
                        continue
                    self.construction[n] = point
                    self._save()
                    if self.progress is not None:
                        self.progress.finish_point(f"construction N={n}: sup {point['sup_error']:.3g}")
        return self.payload()

    def _report(self, phase: str) -> Callable[[str, int, int, float], None] | None:
        if self.progress is None:
            return None
        p = self.progress
        return lambda ph, k, tot, loss: p.update(f"{phase} {ph} {k}/{tot} loss {loss:.3g}")

    def _groups(self, todo: list[tuple[str, int, int]]) -> list[list[tuple[str, int, int]]]:
        """The points to run together: the missing seeds of one (activation, width) when VarPro batches seeds
        (``VarProConfig.batched``), else one point each."""
        c = self.config
        if c.method != "varpro" or not c.varpro.batched:
            return [[k] for k in todo]
        groups: dict[tuple[str, int], list[tuple[str, int, int]]] = {}
        for k in todo:
            groups.setdefault(k[:2], []).append(k)
        return list(groups.values())

    def _run_group(self, keys: list[tuple[str, int, int]]) -> list[dict[str, Any]]:
        """Build, train (VarPro: the group as one batch), save and measure the points ``keys``."""
        c = self.config
        built = [self._build(*k) for k in keys]
        label = f"{keys[0][0]} {keys[0][1]} s{','.join(str(k[2]) for k in keys)}"
        if c.method == "varpro":
            from polyapprox.train.varpro_batch import train_varpro_batch

            results = train_varpro_batch([b[0] for b in built], [self.dataset(k[2]) for k in keys], c.varpro,
                                         progress=self._report(label))
            trained = [({"method": "varpro", **describe_varpro(r)}, r.seconds) for r in results]
            if c.boost:
                built, trained = self._boost(keys, built, trained)
        else:
            trained = []
            for (model, _, _), k in zip(built, keys, strict=True):
                result = train_model(model, self.dataset(k[2]), c.train, progress=self._report(label))
                trained.append(({"method": "adam", **describe_adam(result)}, result.seconds))
        return [self._finish(k, b, t, secs) for k, b, (t, secs) in zip(keys, built, trained, strict=True)]

    def _boost(self, keys: list[tuple[str, int, int]], built: list[Any],
               trained: list[tuple[dict[str, Any], float]]) -> tuple[list[Any], list[tuple[dict[str, Any], float]]]:
        """Boosting: per point a second FFN of the same width (knots from ``seed + 1``, adaptive to the
        residual) fitted by VarPro to the first one's scaled residual; the points become the sums."""
        from polyapprox.train.ffn_boost import Boosted, rescale_head_, residual_data
        from polyapprox.train.varpro_batch import train_varpro_batch

        c = self.config
        residuals = [residual_data(b[0], self.dataset(k[2])) for k, b in zip(keys, built, strict=True)]
        models = [spread_init_(FFN(d.dim, w, a, depth=c.depth, order=c.order), torch.as_tensor(d.x_train),
                               c.varpro.init, torch.Generator().manual_seed(seed + 1), torch.as_tensor(d.y_train))
                  for (a, w, seed), (d, _) in zip(keys, residuals, strict=True)]
        second = train_varpro_batch(models, [d for d, _ in residuals], c.varpro,
                                    progress=self._report(f"boost {keys[0][0]} {keys[0][1]}"))
        out_built, out_trained = [], []
        for b, (row, secs), m2, (_, scale), r2 in zip(built, trained, models, residuals, second, strict=True):
            out_built.append((Boosted(b[0], rescale_head_(m2, scale)), None, None))
            out_trained.append(({**row, "boost": {"scale": scale, "train_sup": r2.train_sup * scale,
                                                  "train_loss": r2.train_loss * scale**2,
                                                  "lm_steps": r2.steps, "accepted": r2.accepted}},
                                secs + r2.seconds))
        return out_built, out_trained

    def _build(self, activation: str, width: int, seed: int) -> tuple[torch.nn.Module, dict[str, Any] | None,
                                                                     int | None]:
        """The initialised model of one point, its errors before training and its nonzero count (construct
        points: the Theorem 3 net with trainable weights; else a seeded FFN, knots spread for VarPro)."""
        c = self.config
        data = self.dataset(seed)
        gen = torch.Generator().manual_seed(seed)
        if activation == "construct":
            net = adapt.construction_net(self.target, c.construction_n, width)
            if net is None:
                raise ConfigError("init: construct needs polyapprox.construct.sobolev (not available)")
            from polyapprox.backends.torch_module import to_torch
            from polyapprox.core.counting import count_params
            from polyapprox.train.ffn_construct import ConstructedFFN

            # varpro: the last layer becomes the solved head; adam: the whole net trains as one module
            model = ConstructedFFN(net) if c.method == "varpro" else _Squeeze(to_torch(net, dtype=torch.float64))
            return model, self._measure(numpy_callable(model), seed), count_params(net).params
        if c.method == "varpro":
            model = FFN(data.dim, width, activation, depth=c.depth, order=c.order)
            spread_init_(model, torch.as_tensor(data.x_train), c.varpro.init, gen, torch.as_tensor(data.y_train))
            return model, None, None
        return init_ffn_(FFN(data.dim, width, activation, depth=c.depth, order=c.order), gen), None, None

    def _finish(self, key: tuple[str, int, int], built: tuple[torch.nn.Module, dict[str, Any] | None, int | None],
                trained: dict[str, Any], seconds: float) -> dict[str, Any]:
        """Save and measure a trained point; its results row."""
        activation, width, seed = key
        model, before, nnz = built
        m, files = self._measure_kept(model, activation, width, seed)
        counts = param_counts(model)
        point: dict[str, Any] = {
            "activation": activation, "width": width, "seed": seed,
            "hidden": getattr(model, "hidden", width), "params": counts.params,
            "params_nnz": counts.params_nnz if nnz is None else nnz,
            "coefficients": getattr(model, "coefficient_count", counts.coefficients), **trained,
            "sup_error": m["sup_error"], "l2_error": m["l2_error"], "measured": _how(m),
            "seconds": round(seconds, 3), **({"files": files} if files else {}),
        }
        if before is not None:
            point["before"] = {"sup_error": before["sup_error"], "l2_error": before["l2_error"]}
        return point

    def _measure_kept(self, model: torch.nn.Module, activation: str, width: int,
                      seed: int) -> tuple[dict[str, Any], dict[str, str]]:
        """Save the trained model under ``out/nets`` (if ``out``) and measure it: the exact ``Net`` read back
        from its saved JSON for relu / relu2 / polyrelu on a target, the float64 module otherwise."""
        folder = None if self.out is None else self.out / NETS_FOLDER
        net, files = keep(model, activation, folder, f"{activation}_w{width}_s{seed}")
        if net is not None and self.config.data is None:
            m = adapt.measure_net(net, self.target)
            m["how"] = {**(m.get("how") or {}), "model": "exact Net (from_torch)" + (" read back from its saved JSON"
                                                                                    if files else "")}
            return m, files
        return self._measure(numpy_callable(model, device=self._device), seed), files

    @property
    def _device(self) -> str:
        return self.config.varpro.device if self.config.method == "varpro" else self.config.train.device

    def _construction_point(self, n_grid: int) -> dict[str, Any]:
        from polyapprox.core.counting import count_params

        net = adapt.construction_net(self.target, self.config.construction_n, n_grid)
        if net is None:
            return {"N": n_grid, "params": None, "sup_error": None, "l2_error": None,
                    "note": "construction not available in this checkout"}
        m = adapt.measure_net(net, self.target, grid_cells=n_grid)
        return {"N": n_grid, "params": count_params(net).params, "sup_error": m["sup_error"],
                "l2_error": m["l2_error"], "measured": _how(m)}

    # ---- payload ------------------------------------------------------------------------------
    def payload(self) -> dict[str, Any]:
        """The emitted JSON: per activation ``points`` and ``fit`` (sup error vs ``params``), the construction."""
        c = self.config
        groups: dict[str, list[dict[str, Any]]] = {}
        for key in self.planned():
            if key in self.runs:
                groups.setdefault(key[0], []).append(self.runs[key])
        series = {}
        for act, pts in groups.items():
            seeds = seed_summary(pts)
            series[act] = {"points": pts, "seeds": seeds,
                           "fit": adapt.fit([s["size"] for s in seeds], [s["median_sup"] for s in seeds]),
                           "fit_best": adapt.fit([s["size"] for s in seeds], [s["best_sup"] for s in seeds]),
                           "fit_l2": adapt.fit([size(p) for p in pts], [p["l2_error"] for p in pts])}
        out: dict[str, Any] = {
            "target": self._target_info(), "dim": self.dim,
            "config": _jsonable(dataclasses.asdict(c)),
            "params_convention": "params = all trainable parameters (weights, biases, activation coefficients); "
                                 "params_nnz = nonzero weights + biases (count_params convention)",
            "size_key": SIZE_KEY, "size_label": SIZE_LABEL,
            "activations" if c.init == "random" else "construct_trained": series,
        }
        if c.data is None:
            cpts = [self.construction[n] for n in self.grids if n in self.construction]
            ok = [p for p in cpts if p.get("params") is not None]
            out["construction"] = {"n": c.construction_n, "points": cpts,
                                   "fit": adapt.fit([p["params"] for p in ok], [p["sup_error"] for p in ok])}
        out["provenance"] = {k: v for k, v in provenance().items() if k != "platform"}
        return out

    def _target_info(self) -> dict[str, Any]:
        if self.config.data is not None:
            return {"data": str(self.config.data)}
        t = self.target
        s = getattr(t, "smoothness", None)
        return {"name": getattr(t, "name", self.config.target), "dim": t.dim,
                "smoothness": s if not isinstance(s, float) or math.isfinite(s) else str(s)}


def size(point: dict[str, Any]) -> int:
    """The size of a trained point in the one convention of fits and plots (``SIZE_KEY``)."""
    return int(point.get(SIZE_KEY, point["params"]))


def seed_summary(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per width: the median and best sup error over seeds, and their number."""
    by_width: dict[int, list[dict[str, Any]]] = {}
    for p in points:
        by_width.setdefault(int(p["width"]), []).append(p)
    return [{"width": w, "size": size(ps[0]), "seeds": len(ps),
             "median_sup": float(np.median([p["sup_error"] for p in ps])),
             "best_sup": float(min(p["sup_error"] for p in ps))} for w, ps in sorted(by_width.items())]


def describe_varpro(result: Any) -> dict[str, Any]:
    from polyapprox.train.varpro import describe

    return describe(result)


def describe_adam(result: Any) -> dict[str, Any]:
    from polyapprox.train.ffn import describe

    return describe(result)


def _how(m: dict[str, Any]) -> dict[str, Any]:
    """A short record of how an error was measured (sup sample kind and size, refinement gain, L2 rule)."""
    how = m.get("how") or {}
    sup, l2 = how.get("sup"), how.get("l2")
    if not isinstance(sup, dict):
        return how
    return {"sup": {k: sup.get(k) for k in ("kind", "points", "refinement_gain")},
            "l2": {k: l2.get(k) for k in ("kind", "points", "randomisations")} if isinstance(l2, dict) else l2,
            "floor": m.get("floor")}


class _Squeeze(torch.nn.Module):
    """(P, 1) -> (P,) around a ``NetModule`` so it trains like an FFN."""

    def __init__(self, inner: torch.nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.inner(x).squeeze(-1)


def _jsonable(obj: Any) -> Any:
    """Tuples -> lists (as JSON would give back), so a stored fingerprint compares equal after a reload."""
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    return obj
