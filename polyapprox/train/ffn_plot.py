"""Renderer of an FFN sweep payload: sup error against parameters per activation, the construction beside.

Pure: takes the JSON payload of ``Sweep.payload()``, returns a ``matplotlib.figure.Figure`` (no pyplot, no
global style). Per series: the measured points (one marker per seed), the fitted line over its fit window
with its slope and the range of its local slopes in the legend (one entry per series, outside the axes).
Trained and constructed nets are drawn against ONE parameter count (the payload's ``size_key``), whose
meaning (``size_label`` or ``convention``) is written on the x axis; the theory slope is a dashed reference
line offset below the construction's points.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from polyapprox.targets.tex import tex_target

MARKERS = "osD^v<>ph*"


def _fit_line(ax: Any, fit: dict[str, Any], color: Any) -> str:
    if fit.get("slope") is None:
        return "no fit"
    win = fit.get("window_params") or fit.get("sizes") or []
    errs = dict(zip(fit.get("sizes", []), fit.get("errors", []), strict=False))
    if len(win) >= 2:
        lw = np.log([float(w) for w in win])
        le = np.log([errs[w] for w in win])
        c = float(np.mean(le - fit["slope"] * lw))
        xs = np.array([min(win), max(win)], dtype=float)
        ax.plot(xs, np.exp(c) * xs ** fit["slope"], "-", color=color, lw=1.2)
    rng = fit.get("local_range") or [None, None]
    rng_txt = f", local {rng[0]:.2f}..{rng[1]:.2f}" if None not in rng else ""
    return f"slope {fit['slope']:.2f}{rng_txt}"


#: the x-axis label for old payloads without ``size_label``: trained nets counted densely (``params``), the
#: construction by nonzero weights + biases
MIXED = "trained: dense trainable parameters; construction: nonzero weights + biases (NOT the same count)"


def _size(payload: dict[str, Any], point: dict[str, Any]) -> Any:
    """A trained point's size in the payload's one convention (``size_key``; ``params`` for old payloads)."""
    return point.get(payload.get("size_key") or "params", point["params"])


def plot_sweep(payload: dict[str, Any], error: str = "sup_error", convention: str | None = None) -> Figure:
    """Log-log plot of ``error`` (sup_error or l2_error) vs parameters for every series of ``payload``.

    Trained points are placed by the payload's ``size_key`` and the construction by its ``params`` (nonzero
    weights + biases); ``convention`` (default: the payload's ``size_label``) names that one count on the
    axis. An old payload without it is labelled as counting the two differently."""
    convention = convention or payload.get("size_label")
    fig = Figure(figsize=(10, 4.8), layout="constrained")
    ax = fig.add_subplot(1, 1, 1)
    series = payload.get("activations") or payload.get("construct_trained") or {}
    colors = [f"C{k}" for k in range(10)]
    for k, (name, s) in enumerate(series.items()):
        pts = s["points"]
        color = colors[k % len(colors)]
        label = _fit_line(ax, s["fit"] if error == "sup_error" else s.get("fit_l2", {}), color)
        ax.plot([_size(payload, p) for p in pts], [p[error] for p in pts], MARKERS[k % len(MARKERS)], color=color,
                mfc="none", label=f"{name}: {label}")
        before = [p for p in pts if "before" in p]
        if before:
            ax.plot([_size(payload, p) for p in before], [p["before"][error] for p in before], "x", color=color)
    constr = payload.get("construction") or {}
    cpts = [p for p in constr.get("points", []) if p.get("params") is not None]
    if cpts:
        label = _fit_line(ax, constr.get("fit", {}), "k") if error == "sup_error" else ""
        ax.plot([p["params"] for p in cpts], [p[error] for p in cpts], "k--o", ms=4,
                label=f"Theorem 3 construction ($n={constr.get('n')}$) {label}".rstrip())
        if constr.get("n") and payload.get("dim"):
            theory = -constr["n"] / payload["dim"]  # Theorem 3: e ~ W^(-n/d), offset below the points
            ws = np.array([p["params"] for p in cpts], dtype=float)
            es = np.array([p[error] for p in cpts], dtype=float)
            mid = float(np.exp(np.mean(np.log(ws))))
            anchor = float(np.exp(np.mean(np.log(es) - theory * np.log(ws / mid)))) / 4
            ax.plot(ws, anchor * (ws / mid) ** theory, ":", color="0.4", gid="theory",
                    label=f"theory slope $-n/d = {theory:.2f}$ (offset $\\times 1/4$)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(f"parameters $W$: {convention}, trained and constructed alike" if convention
                  else f"parameters $W$ ({MIXED})")
    ax.set_ylabel("sup error" if error == "sup_error" else "$L^2$ error")
    target = payload.get("target", {})
    name = target.get("name", target.get("data", ""))
    ax.set_title(f"trained FFN blocks vs construction: {tex_target(name)}, $d = {payload.get('dim')}$")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)  # outside the data
    return fig
