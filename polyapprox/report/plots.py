"""Figure-returning renderers for rate sweeps (docs/measurement.md §6.6). No computation beyond the fits of
``approx.rates``, no pyplot state.

``rates_figure(results)`` draws, per result (one colour, ONE legend entry each):

* left panel, error vs parameters W (log-log): the error enclosure as a band (lower..upper) when the points
  carry one, the sampled sup error as markers (hollow: excluded from the fit, e.g. at the float floor), the
  fitted line over the asymptotic window, and the theory slope -n/d as a dashed reference line offset
  below the data (parallel to the fit when they agree, never on top of it, never anchored at a point);
  the float floor only where it comes within 100x of a point;
* right panel, the compensated error e x W^(n/d) against W: flat means "at the rate";
* optionally (``ratios``) a third panel: W_ReLU / W_PolyReLU at equal error against the error eps.

The legend sits outside the axes. Each ``result`` is a ``SweepResult.to_dict()`` (or the JSON the ``rates``
command writes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from polyapprox.approx.rates import enclosure, fit_enclosure, point_floor
from polyapprox.targets.tex import tex_target

__all__ = ["rates_figure", "tex_target"]

METHODS = {"polyrelu": "PolyReLU (Thm 3)", "relu": "ReLU (Yarotsky)", "relu2": "ReLU$^2$ (B-spline)"}
#: the theory reference line sits this factor below the data
THEORY_OFFSET = 1 / 4
#: a float floor is drawn only when it comes within this factor of a measured error
FLOOR_MATTERS = 100.0


def _series_label(res: Mapping[str, Any], fits: Any) -> str:
    lo, hi = fits.lower.slope, fits.upper.slope
    slope = f"{lo:.2f}" if f"{lo:.2f}" == f"{hi:.2f}" else f"{lo:.2f} (lower)..{hi:.2f} (upper)"
    return (f"{METHODS.get(res['method'], res['method'])}, $n={res['order']}$: slope {slope} "
            f"(theory ${res['theory_slope']:.3g}$)")


def _draw_series(ax: Any, cax: Any, res: Mapping[str, Any], i: int) -> None:
    color = f"C{i % 10}"
    pts = res["points"]
    th = res["theory_slope"]
    fits = fit_enclosure(pts, th)
    w = np.array([p["params"] for p in pts], dtype=float)
    lo, hi = (np.array(v, dtype=float) for v in zip(*(enclosure(p) for p in pts), strict=True))
    e = np.array([p["sup_error"] for p in pts], dtype=float)
    excluded = set(fits.lower.excluded_floor)
    used = np.array([j not in excluded for j in range(len(pts))])
    if np.any(hi > lo):
        ax.fill_between(w, lo, hi, color=color, alpha=0.25, linewidth=0, gid=f"band{i}")
    ax.plot(w[used], e[used], "o", color=color, ms=4, label=_series_label(res, fits), gid=f"points{i}")
    if (~used).any():
        ax.plot(w[~used], e[~used], "o", mfc="none", color=color, ms=4, gid=f"floorpoints{i}")
    fit = fits.lower
    window = list(fit.window)
    if len(window) >= 2 and np.isfinite(fit.slope):
        ww = w[window]
        ax.plot(ww, np.exp(fit.intercept) * ww ** fit.slope, "-", color=color, lw=1.5, gid=f"fit{i}")
        mid = float(np.exp(np.mean(np.log(ww))))
        anchor = float(np.exp(fit.intercept) * mid ** fit.slope) * THEORY_OFFSET
        ax.plot(ww, anchor * (ww / mid) ** th, "--", color=color, lw=1, gid=f"theory{i}")
    floors = np.array([point_floor(p) for p in pts])
    near = (floors > 0) & (FLOOR_MATTERS * floors >= lo)
    if near.any():
        ax.plot(w[near], floors[near], ":", color=color, lw=1, gid=f"floor{i}")
    cax.plot(w[used], e[used] * w[used] ** (-th), "o-", color=color, ms=4, lw=1, gid=f"comp{i}")
    if np.any(hi > lo):
        cax.fill_between(w, lo * w ** (-th), hi * w ** (-th), color=color, alpha=0.25, linewidth=0)


def _ratio_panel(ax: Any, ratios: Mapping[str, Sequence[tuple[float, float]]]) -> None:
    for k, (name, pairs) in enumerate(ratios.items()):
        if pairs:
            eps, q = zip(*pairs, strict=True)
            ax.plot(eps, q, "s-", color="k" if k == 0 else f"C{k % 10}", ms=4, label=name, gid=f"ratio{k}")
    ax.set_xscale("log")
    ax.invert_xaxis()
    ax.set_xlabel(r"error $\varepsilon$ (smaller to the right)")
    ax.set_ylabel(r"$W_{\mathrm{ReLU}} / W_{\mathrm{PolyReLU}}$ at equal error")
    ax.set_title("ReLU's extra factor (grows if $\\ln(1/\\varepsilon)$)")
    ax.grid(True, which="both", alpha=0.3)


def rates_figure(results: Sequence[Mapping[str, Any]], title: str | None = None,
                 ratios: Mapping[str, Sequence[tuple[float, float]]] | None = None) -> Figure:
    """Error vs parameters with the compensated panel (and the ratio panel with ``ratios``); a Figure."""
    ncols = 3 if ratios else 2
    fig = Figure(figsize=(5.2 * ncols, 4.8), layout="constrained")
    ax, cax = fig.add_subplot(1, ncols, 1), fig.add_subplot(1, ncols, 2)
    for i, res in enumerate(results):
        _draw_series(ax, cax, res, i)
    for a in (ax, cax):
        a.set_xscale("log")
        a.set_yscale("log")
        a.set_xlabel("parameters $W$ (nonzero weights + biases)")
        a.grid(True, which="both", alpha=0.3)
    ax.set_ylabel("sup error (band: certified enclosure)" if any(
        p.get("sup_error_upper") is not None for r in results for p in r["points"]) else "sup error (sampled, refined)")
    ax.set_title("error against parameters")
    cax.set_ylabel(r"compensated error $e \cdot W^{n/d}$")
    cax.set_title("flat = at the rate $W^{-n/d}$")
    if ratios:
        _ratio_panel(fig.add_subplot(1, ncols, 3), ratios)
    if title is None and results:
        title = f"{tex_target(results[0]['target'])} ($d = {results[0]['dim']}$)"
    if title:
        fig.suptitle(title)
    handles, labels = ax.get_legend_handles_labels()
    handles.append(Line2D([], [], ls="--", color="0.3", lw=1))
    labels.append(f"theory slope $-n/d$ (dashed, offset $\\times{THEORY_OFFSET:g}$)")
    fig.legend(handles, labels, loc="outside lower center", ncol=2, fontsize=8, frameon=False)
    return fig
