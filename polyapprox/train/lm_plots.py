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


def plot_loss_curves(runs: list[dict[str, Any]]) -> Figure:
    """Training loss (thin line) and validation loss (markers) against tokens, one colour per activation,
    one line style per size. Each run needs ``train_curve`` [[tokens, loss], ...] and ``val_curve``."""
    fig = Figure(figsize=(7, 4.5))
    ax = fig.add_subplot()
    acts = list(dict.fromkeys(r["activation"] for r in runs))
    sizes = list(dict.fromkeys(r["size"] for r in runs))
    colour = _colours(acts)
    for r in runs:
        style = _LINESTYLES[sizes.index(r["size"]) % len(_LINESTYLES)]
        t, loss = np.asarray(r["train_curve"], dtype=float).T
        ax.plot(
            t,
            loss,
            style,
            color=colour[r["activation"]],
            lw=0.8,
            alpha=0.6,
            label=f"{r['activation']} {r['size']} (train)",
        )
        vt, vloss = np.asarray(r["val_curve"], dtype=float).T
        ax.plot(
            vt,
            vloss,
            "o",
            color=colour[r["activation"]],
            ms=4,
            mfc="none",
            label=f"{r['activation']} {r['size']} (val)",
        )
    ax.set_xlabel("tokens")
    ax.set_ylabel("loss (nats / byte)")
    ax.set_title("LM loss curves")
    ax.legend(fontsize=6, ncol=2)
    return fig


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
