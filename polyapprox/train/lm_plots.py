"""Figures for LM sweeps, built on ``matplotlib.figure.Figure`` (no pyplot state); inputs are result dicts."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

_LINESTYLES = ("-", "--", ":", "-.")


def _colours(activations: list[str]) -> dict[str, Any]:
    from matplotlib import colormaps

    cmap = colormaps["tab10"]
    return {a: cmap(i % 10) for i, a in enumerate(activations)}


#: smoothing factor of the exponential moving average of the training loss
EMA_ALPHA = 0.1


def ema(values: np.ndarray, alpha: float = EMA_ALPHA) -> np.ndarray:
    """Exponential moving average, started at the first value."""
    out = np.empty(len(values), dtype=float)
    acc = float(values[0]) if len(values) else 0.0
    for i, v in enumerate(values):
        acc = alpha * float(v) + (1 - alpha) * acc
        out[i] = acc
    return out


def _seed_stack(runs: list[dict[str, Any]], key: str, smooth: bool) -> tuple[np.ndarray, np.ndarray]:
    """(tokens, losses of shape (seeds, points)) on the common prefix of the runs' curves."""
    curves = [np.asarray(r[key], dtype=float) for r in runs]
    k = min(len(c) for c in curves)
    ys = np.array([ema(c[:k, 1]) if smooth else c[:k, 1] for c in curves])
    return curves[0][:k, 0], ys


def _draw_activation(axes: list[Any], runs: list[dict[str, Any]], colour: Any, style: str, label: str) -> None:
    t, train = _seed_stack(runs, "train_curve", smooth=True)
    vt, val = _seed_stack(runs, "val_curve", smooth=False)
    for ax in axes:
        ax.plot(t, train.mean(axis=0), style, color=colour, lw=1.2, label=label if ax is axes[0] else None)
        if len(runs) > 1:
            ax.fill_between(t, train.min(axis=0), train.max(axis=0), color=colour, alpha=0.2, lw=0, gid="seedband")
        ax.plot(vt, val.mean(axis=0), "o", color=colour, ms=3.5, mfc="none")


def plot_loss_curves(runs: list[dict[str, Any]]) -> Figure:
    """Training loss (EMA-smoothed, mean over seeds, band = min..max over seeds) and validation loss (hollow
    markers, mean over seeds) against tokens: the whole run and, zoomed, its last half. One colour per
    activation, one line style per size, ONE legend entry per (activation, size), outside the axes. Each run
    needs ``train_curve`` [[tokens, loss], ...] and ``val_curve``."""
    fig = Figure(figsize=(11, 4.6), layout="constrained")
    axes = [fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)]
    acts = list(dict.fromkeys(r["activation"] for r in runs))
    sizes = list(dict.fromkeys(r["size"] for r in runs))
    colour = _colours(acts)
    seeds = 1
    for size in sizes:
        for act in acts:
            group = [r for r in runs if r["activation"] == act and r["size"] == size]
            if group:
                seeds = max(seeds, len(group))
                label = act if len(sizes) == 1 else f"{act} ({size})"
                _draw_activation(axes, group, colour[act], _LINESTYLES[sizes.index(size) % len(_LINESTYLES)], label)
    _zoom_last_half(axes[1])
    axes[0].set_title("whole run")
    axes[1].set_title("last half (zoomed)")
    for ax in axes:
        ax.set_xlabel("tokens")
        ax.grid(True, alpha=0.3)
    axes[0].set_ylabel("loss (nats / byte)")
    band = f"band: min..max over {seeds} seeds; " if seeds > 1 else ""
    fig.suptitle(f"LM loss: train (EMA, $\\alpha = {EMA_ALPHA:g}$, mean over seeds; {band}hollow: validation)")
    fig.legend(loc="outside right upper", fontsize=8, frameon=False)
    return fig


def _zoom_last_half(ax: Any) -> None:
    """Limit ``ax`` to the second half of its x range and to the y range of the data there."""
    lines = [ln for ln in ax.get_lines() if len(ln.get_xdata())]
    if not lines:
        return
    xmax = max(float(np.max(ln.get_xdata())) for ln in lines)
    ys = [np.asarray(ln.get_ydata(), dtype=float)[np.asarray(ln.get_xdata(), dtype=float) >= xmax / 2]
          for ln in lines]
    ys = [y for y in ys if y.size]
    if ys:
        lo, hi = min(float(y.min()) for y in ys), max(float(y.max()) for y in ys)
        pad = 0.05 * (hi - lo or 1.0)
        ax.set_ylim(lo - pad, hi + pad)
    ax.set_xlim(xmax / 2, xmax * 1.02)


def plot_scaling(runs: list[dict[str, Any]], fits: dict[str, dict[str, Any]]) -> Figure:
    """Final validation loss against parameters (log x) per activation, with the fitted
    L(N) = E + A (N / N_ref)^(-alpha) where one exists; the legend gives alpha +- its standard error."""
    fig = Figure(figsize=(6, 4.5))
    ax = fig.add_subplot()
    acts = list(dict.fromkeys(r["activation"] for r in runs))
    colour = _colours(acts)
    for act in acts:
        pts = sorted((r["params"], r["val_loss"]) for r in runs if r["activation"] == act)
        N, L = np.asarray(pts, dtype=float).T
        ax.plot(N, L, "o", color=colour[act], mfc="none", label=act)
        fit = fits.get(act, {})
        if fit.get("alpha") is not None:
            grid = np.geomspace(N.min(), N.max(), 50)
            pred = (fit["E"] or 0.0) + fit["A"] * (grid / fit["N_ref"]) ** (-fit["alpha"])
            se = fit["stderr"].get("alpha")
            ci = f" ± {se:.3f}" if se is not None else " (no s.e.)"
            ax.plot(
                grid, pred, "-", color=colour[act], lw=1, label=f"{act} fit: alpha = {fit['alpha']:.3f}{ci}"
            )
    all_n = [r["params"] for r in runs]
    if all_n and max(all_n) >= 2 * min(all_n):
        ax.set_xscale("log")
    else:  # one model size: a log axis over a 0.01 % range prints unreadable tick labels
        from matplotlib.ticker import MaxNLocator

        ax.ticklabel_format(axis="x", style="plain", useOffset=False)
        ax.xaxis.set_major_locator(MaxNLocator(3, integer=True))
        ax.set_title("Validation loss vs. parameters (one model size: no scaling fit)")
    ax.set_xlabel("parameters N")
    ax.set_ylabel("validation loss (nats / byte)")
    if not ax.get_title():
        ax.set_title("Validation loss vs. parameters")
    ax.legend(fontsize=7)
    return fig
