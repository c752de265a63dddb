"""Training one FFN block on a target on [0,1]^d: data, Adam then an L-BFGS polish, early stopping.

Regression by full-batch mean squared error. Phase 1: Adam with a cosine learning-rate decay; phase 2:
L-BFGS (strong Wolfe line search) from the best Adam state. The validation MSE is evaluated every
``eval_every`` steps; each phase stops after ``patience`` evaluations without improvement, and the model
ends in the best validation state seen (early stopping, keep best). Float64 on CPU by default. All
randomness comes from the arguments (``np.random.Generator`` for data, ``torch.Generator`` for the init).

Test errors are *not* computed here: ``numpy_callable(model)`` wraps the trained model as a float64
function x (P, d) -> (P,), which the sweep hands to the same ``measure_errors`` used for the constructions.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from polyapprox.core.limits import check
from polyapprox.errors import ConfigError, InvalidDataError

DTYPES = {"float64": torch.float64, "float32": torch.float32}
Progress = Callable[[str, int, int, float], None]  # (phase, step, total, loss)


@dataclass(frozen=True, slots=True)
class TrainConfig:
    """Optimisation settings for one run (one CLI flag each)."""

    steps: int = 1000  # Adam steps
    lr: float = 1e-2  # Adam peak learning rate (cosine decay to lr/100)
    lbfgs_steps: int = 200  # L-BFGS iterations after Adam (0: no polish)
    eval_every: int = 25  # validation period, in steps / L-BFGS iterations
    patience: int = 20  # evaluations without validation improvement before a phase stops
    dtype: str = "float64"
    device: str = "cpu"

    def __post_init__(self) -> None:
        for name in ("steps", "lbfgs_steps"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name}: {getattr(self, name)} must be >= 0")
        for name in ("eval_every", "patience"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name}: {getattr(self, name)} must be >= 1")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ConfigError(f"lr: {self.lr} must be a positive number")
        if self.dtype not in DTYPES:
            raise ConfigError(f"dtype: unknown {self.dtype!r}; choose from {', '.join(DTYPES)}")


@dataclass(frozen=True)
class Dataset:
    """Train / validation arrays (x: (P, d), y: (P,)); test arrays only for user data (else the target)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray | None = None
    y_test: np.ndarray | None = None

    @property
    def dim(self) -> int:
        return int(self.x_train.shape[1])


#: Training point layouts: uniform random, a uniform tensor grid, a Chebyshev-Lobatto tensor grid.
POINTS = ("random", "grid", "chebyshev")


def training_points(n: int, dim: int, kind: str, rng: np.random.Generator) -> np.ndarray:
    """Training inputs (P, dim) in [0,1]^dim: ``n`` uniform random points, or a tensor grid of m points per
    axis, ``m = floor(n^(1/dim))``, uniform (``k / (m-1)``) or Chebyshev-Lobatto (``(1 - cos(pi k/(m-1)))/2``);
    both grids hold the endpoints 0 and 1 of every axis (``m^dim <= n`` points)."""
    if kind not in POINTS:
        raise ConfigError(f"points: unknown {kind!r}; choose from {', '.join(POINTS)}")
    if kind == "random":
        return rng.random((n, dim))
    m = int(math.floor(n ** (1.0 / dim) + 1e-9))
    if m < 2:
        raise ConfigError(f"points: a {kind} needs train-points >= 2^dim = {2**dim} (got {n}); use random")
    k = np.arange(m) / (m - 1)
    axis = k if kind == "grid" else 0.5 - 0.5 * np.cos(np.pi * k)
    mesh = np.meshgrid(*([axis] * dim), indexing="ij")
    return np.stack([g.reshape(-1) for g in mesh], axis=1)


def sample_dataset(f: Callable[[np.ndarray], np.ndarray], dim: int, n_train: int, n_val: int,
                   rng: np.random.Generator, points: str = "random") -> Dataset:
    """Training points laid out by ``points`` (``training_points``) and uniform random validation points of
    [0,1]^dim, labelled by f (x (P, d) -> (P,))."""
    x_tr = training_points(n_train, dim, points, rng)
    x_va = rng.random((n_val, dim))
    return Dataset(x_tr, _labels(f, x_tr), x_va, _labels(f, x_va))


def _labels(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray) -> np.ndarray:
    y = np.asarray(f(x), dtype=np.float64).reshape(-1)
    bad = np.flatnonzero(~np.isfinite(y))
    if bad.size:
        raise InvalidDataError(f"target: non-finite value {y[bad[0]]} at x = {x[bad[0]].tolist()}")
    return y


def load_data_file(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """x (P, d), y (P,) from ``.npz`` (arrays ``x`` and ``y``) or ``.csv`` (last column y; optional header)."""
    path = Path(path)
    if not path.is_file():
        raise InvalidDataError(f"data: no such file {str(path)[-80:]!r}")
    check("file_bytes", path.stat().st_size, f"bytes in --data {path.name[-40:]}")
    try:
        if path.suffix == ".npz":
            _check_npz_size(path)
            with np.load(path, allow_pickle=False) as z:  # no pickled objects: arrays only
                if "x" not in z or "y" not in z:
                    raise InvalidDataError(f"data: {path.name} must hold arrays 'x' and 'y' (has {sorted(z)})")
                x, y = np.asarray(z["x"], dtype=np.float64), np.asarray(z["y"], dtype=np.float64)
        elif path.suffix == ".csv":
            text = path.read_text().strip().splitlines()
            first = text[0].split(",") if text else []
            header = bool(first) and not _is_number(first[0])
            table = np.loadtxt(path, delimiter=",", skiprows=int(header), ndmin=2, dtype=np.float64)
            x, y = table[:, :-1], table[:, -1]
        else:
            raise InvalidDataError(f"data: {path.name}: unknown format (use .npz with x, y or .csv)")
    except (ValueError, OSError) as exc:
        if isinstance(exc, InvalidDataError):
            raise
        raise InvalidDataError(f"data: cannot read {path.name}: {' '.join(str(exc).split())}") from None
    if x.ndim == 1:
        x = x[:, None]
    y = y.reshape(-1) if y.ndim == 2 and 1 in y.shape else y
    if x.ndim != 2 or y.ndim != 1 or x.shape[0] != y.shape[0] or x.shape[1] < 1:
        raise InvalidDataError(f"data: need x (P, d) and y (P,), got x {x.shape} and y {y.shape}")
    if x.shape[0] < 10:
        raise InvalidDataError(f"data: {x.shape[0]} points; need at least 10 (train, validation and test)")
    for name, a in (("x", x), ("y", y)):
        bad = np.argwhere(~np.isfinite(a))
        if bad.size:
            idx = ", ".join(str(int(i)) for i in bad[0])
            raise InvalidDataError(f"data: {name}[{idx}] is {a[tuple(bad[0])]} (NaN/inf not allowed)")
    return x, y


def _check_npz_size(path: Path) -> None:
    """LimitError (``memory_mb``) if the arrays of an .npz file would unpack to too much memory."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            unpacked = sum(info.file_size for info in z.infolist())
    except zipfile.BadZipFile:
        raise InvalidDataError(f"data: {path.name[-40:]}: not an .npz (zip) file") from None
    check("memory_mb", -(-unpacked // 2**20), f"memory for the {unpacked:,} unpacked bytes of {path.name[-40:]}, in MB")


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def split_dataset(x: np.ndarray, y: np.ndarray, rng: np.random.Generator,
                  val_fraction: float = 0.15, test_fraction: float = 0.15) -> Dataset:
    """Random train / validation / test split of user data (each part at least one point)."""
    p = x.shape[0]
    perm = rng.permutation(p)
    n_test, n_val = max(1, int(round(test_fraction * p))), max(1, int(round(val_fraction * p)))
    te, va, tr = perm[:n_test], perm[n_test:n_test + n_val], perm[n_test + n_val:]
    return Dataset(x[tr], y[tr], x[va], y[va], x[te], y[te])


def resolve_device(name: str) -> str:
    """``polyapprox.train.device.resolve_device`` as a string ('cpu', 'cuda:0')."""
    from polyapprox.train.device import resolve_device as _resolve

    dev = _resolve(name)
    return "cpu" if dev.type == "cpu" else str(dev)


@dataclass(frozen=True, slots=True)
class TrainResult:
    """Outcome of ``train``: losses are MSEs of the returned (best-validation) model."""

    train_loss: float
    val_loss: float
    init_val_loss: float  # validation MSE of the model as it came in (the bar that keep-best never exceeds)
    adam_steps: int
    lbfgs_steps: int
    best_phase: str  # "init", "adam" or "lbfgs"
    seconds: float


def train(model: nn.Module, data: Dataset, config: TrainConfig, progress: Progress | None = None) -> TrainResult:
    """Fit ``model`` (x (P, d) -> (P,)) to ``data`` in place; returns the best-validation losses."""
    t0 = time.perf_counter()
    dtype, device = DTYPES[config.dtype], config.device
    model.to(device=device, dtype=dtype)
    xt, yt = (torch.as_tensor(a, dtype=dtype, device=device) for a in (data.x_train, data.y_train))
    xv, yv = (torch.as_tensor(a, dtype=dtype, device=device) for a in (data.x_val, data.y_val))
    params = [p for p in model.parameters() if p.requires_grad]

    def loss_on(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return torch.mean((model(x) - y) ** 2)

    def val_loss() -> float:
        with torch.no_grad():
            return float(loss_on(xv, yv))

    init_val = val_loss()
    best = {"val": _finite_or_inf(init_val), "state": copy.deepcopy(model.state_dict()), "phase": "init"}

    def consider(phase: str) -> bool:
        v = _finite_or_inf(val_loss())
        if v < best["val"]:
            best.update(val=v, state=copy.deepcopy(model.state_dict()), phase=phase)
            return True
        return False

    adam_done = 0
    if config.steps:
        opt = torch.optim.Adam(params, lr=config.lr)
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda k: 0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * min(k, config.steps) / config.steps)))
        stale = 0
        for step in range(1, config.steps + 1):
            opt.zero_grad(set_to_none=True)
            loss = loss_on(xt, yt)
            if not torch.isfinite(loss):
                break
            loss.backward()
            opt.step()
            sched.step()
            adam_done = step
            if step % config.eval_every == 0 or step == config.steps:
                stale = 0 if consider("adam") else stale + 1
                if progress:
                    progress("adam", step, config.steps, float(loss.detach()))
                if stale >= config.patience:
                    break
        model.load_state_dict(best["state"])

    lbfgs_done = 0
    if config.lbfgs_steps:
        opt2 = torch.optim.LBFGS(params, lr=1.0, max_iter=config.eval_every, history_size=50,
                                 line_search_fn="strong_wolfe", tolerance_grad=0.0, tolerance_change=0.0)

        def closure() -> torch.Tensor:
            opt2.zero_grad(set_to_none=True)
            loss = loss_on(xt, yt)
            loss.backward()
            return loss

        stale = 0
        state = opt2.state[params[0]]  # L-BFGS keeps its counters on the first parameter
        while lbfgs_done < config.lbfgs_steps:
            opt2.param_groups[0]["max_iter"] = min(config.eval_every, config.lbfgs_steps - lbfgs_done)
            loss = opt2.step(closure)
            done_now = int(state.get("n_iter", 0)) - lbfgs_done
            lbfgs_done += done_now
            if not torch.isfinite(loss):
                break
            stale = 0 if consider("lbfgs") else stale + 1
            if progress:
                progress("lbfgs", lbfgs_done, config.lbfgs_steps, float(loss.detach()))
            if stale >= config.patience or done_now == 0:  # no progress possible (converged / line search failed)
                break
        model.load_state_dict(best["state"])

    with torch.no_grad():
        tl = float(loss_on(xt, yt))
    _check_finite(model, tl)
    return TrainResult(train_loss=tl, val_loss=float(best["val"]), init_val_loss=init_val, adam_steps=adam_done,
                       lbfgs_steps=lbfgs_done, best_phase=str(best["phase"]),
                       seconds=time.perf_counter() - t0)


def _check_finite(model: nn.Module, train_loss: float) -> None:
    """InvalidDataError if the returned (best-validation) model has a non-finite weight or training loss.

    Keep-best makes this unreachable from diverging steps (a NaN step is never the best); it guards the
    results against data whose scale overflows float arithmetic."""
    for name, p in model.named_parameters():
        if not bool(torch.isfinite(p).all()):
            raise InvalidDataError(f"train: weight {name} is NaN or inf after training (lr too large?)")
    if not math.isfinite(train_loss):
        raise InvalidDataError(f"train: training loss is {train_loss} (data too large for the dtype?)")


def _finite_or_inf(v: float) -> float:
    return v if math.isfinite(v) else math.inf


def numpy_callable(model: nn.Module, device: str = "cpu",
                   chunk: int | None = None) -> Callable[[np.ndarray], np.ndarray]:
    """A float64 copy of ``model`` as a vectorised function x (P, d) ndarray -> (P,) ndarray.

    Evaluated in chunks of ``chunk`` points (default: about 2^24 hidden activations per chunk).
    """
    m64 = copy.deepcopy(model).to(device=device, dtype=torch.float64).eval()
    if chunk is None:
        widest = max([p.shape[0] for p in m64.parameters() if p.dim() == 2] or [1])
        chunk = max(1024, (1 << 24) // widest)

    def fn(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        out = np.empty(x.shape[0], dtype=np.float64)
        with torch.no_grad():
            for s in range(0, x.shape[0], chunk):
                xb = torch.as_tensor(x[s:s + chunk], dtype=torch.float64, device=device)
                out[s:s + chunk] = m64(xb).reshape(-1).cpu().numpy()
        return out

    return fn


def describe(result: TrainResult) -> dict[str, Any]:
    return {"train_loss": result.train_loss, "val_loss": result.val_loss, "init_val_loss": result.init_val_loss,
            "adam_steps": result.adam_steps,
            "lbfgs_steps": result.lbfgs_steps, "best_phase": result.best_phase}
