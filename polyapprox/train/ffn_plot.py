"""Renderer of an FFN sweep payload: sup error against parameters per activation, the construction beside.

Pure: takes the JSON payload of ``Sweep.payload()``, returns a ``matplotlib.figure.Figure`` (no pyplot, no
global style). Per series: the measured points (one marker per seed), the fitted line over its fit window
with slope and 95 % CI in the legend.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

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
    ci = fit.get("ci") or [None, None]
    ci_txt = f" [{ci[0]:.2f}, {ci[1]:.2f}]" if None not in ci else ""
    return f"slope {fit['slope']:.2f}{ci_txt}"


def _size(payload: dict[str, Any], point: dict[str, Any]) -> Any:
    """A trained point's size in the payload's one convention (``size_key``; ``params`` for old payloads)."""
    return point.get(payload.get("size_key") or "params", point["params"])


def plot_sweep(payload: dict[str, Any], error: str = "sup_error") -> Figure:
    """Log-log plot of ``error`` (sup_error or l2_error) vs params for every series of ``payload``."""
    fig = Figure(figsize=(9.5, 4.8))
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
            ax.plot([_size(payload, p) for p in before], [p["before"][error] for p in before], "x", color=color,
                    label=f"{name} before training")
    constr = payload.get("construction") or {}
    cpts = [p for p in constr.get("points", []) if p.get("params") is not None]
    if cpts:
        label = _fit_line(ax, constr.get("fit", {}), "k") if error == "sup_error" else ""
        ax.plot([p["params"] for p in cpts], [p[error] for p in cpts], "k--o", ms=4,
                label=f"Theorem 3 construction (n={constr.get('n')}) {label}".rstrip())
        if constr.get("n") and payload.get("dim"):
            theory = -constr["n"] / payload["dim"]  # Theorem 3: e ~ W^(-n/d), anchored at the last point
            w1, e1 = cpts[-1]["params"], cpts[-1][error]
            xs = np.array([cpts[0]["params"], w1], dtype=float)
            ax.plot(xs, e1 * (xs / w1) ** theory, ":", color="0.4", label=f"theory slope {theory:.2f}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(payload.get("size_label") or "parameters")
    ax.set_ylabel("sup error" if error == "sup_error" else "L2 error")
    target = payload.get("target", {})
    ax.set_title(f"trained FFN blocks vs construction: {target.get('name', target.get('data', ''))}, "
                 f"d = {payload.get('dim')}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # outside: never hides points
    return fig
