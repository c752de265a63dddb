"""Figure-returning renderers for rate sweeps (docs/measurement.md §6.6). No computation, no pyplot state.

``rates_figure(results)`` draws sup error against parameters (W = nonzero weights + biases) on log-log axes,
one line per result (method / order), with

* filled markers for the points used by the fit, hollow markers for points at the float floor
  (error < 10 x floor, excluded from fits);
* the fitted line over the asymptotic window, with slope and bootstrap 95 % CI in the legend;
* the theory slope drawn from its formula, anchored at the last point (dashed);
* the float64 precision floor of each sweep (dotted).

Each ``result`` is a ``SweepResult.to_dict()`` (or the JSON the ``rates`` command writes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure


def _label(res: Mapping[str, Any]) -> str:
    fit = res["fit"]
    lo, hi = fit["ci"]
    status = "" if fit.get("status") == "asymptotic" else f", {fit.get('status')}"
    return (f"{res['method']} n={res['order']}: slope {fit['slope']:.3f} [{lo:.3f}, {hi:.3f}]"
            f" (theory {res['theory_slope']:.3f}{status})")


def rates_figure(results: Sequence[Mapping[str, Any]], title: str | None = None) -> Figure:
    """Error vs parameters, one line per result (see module docstring); returns a Figure."""
    fig = Figure(figsize=(7.0, 5.0), layout="constrained")
    ax = fig.add_subplot()
    ax.set_xscale("log")
    ax.set_yscale("log")
    colors = [f"C{i}" for i in range(10)]
    for i, res in enumerate(results):
        color = colors[i % 10]
        pts = res["points"]
        w = np.array([p["params"] for p in pts], dtype=float)
        e = np.array([p["sup_error"] for p in pts], dtype=float)
        fit = res["fit"]
        floor_idx = set(fit.get("excluded_floor", ()))
        used = np.array([j not in floor_idx for j in range(len(pts))])
        ax.plot(w, e, color=color, linewidth=0.8, alpha=0.5, gid=f"data{i}")
        ax.plot(w[used], e[used], "o", color=color, label=_label(res), gid=f"points{i}")
        if (~used).any():
            ax.plot(w[~used], e[~used], "o", markerfacecolor="none", color=color, gid=f"floorpoints{i}",
                    label=f"{res['method']} n={res['order']}: at float floor (excluded)")
        window = list(fit.get("window", ()))
        if len(window) >= 2 and np.isfinite(fit["slope"]):
            ww = w[window]
            ax.plot(ww, np.exp(fit["intercept"]) * ww ** fit["slope"], "-", color=color, linewidth=2,
                    gid=f"fit{i}")
        th = res.get("theory_slope")
        if th is not None and len(w):
            ax.plot(w, e[-1] * (w / w[-1]) ** th, "--", color=color, linewidth=1,
                    label=f"theory W^{th:.3g} (anchored at last point)", gid=f"theory{i}")
        floors = np.array([p.get("floor") or np.nan for p in pts], dtype=float)
        if np.isfinite(floors).any():
            ax.plot(w, floors, ":", color=color, linewidth=1, label="float64 precision floor", gid=f"floor{i}")
    ax.set_xlabel("parameters W (nonzero weights + biases)")
    ax.set_ylabel("sup error (sampled, refined)")
    if title is None and results:
        title = f"{results[0]['target']} (d = {results[0]['dim']})"
    if title:
        ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")
    return fig
