"""Figure for Lemma 2: ReLU network size against ln(1/eps), with both fitted models (pure renderer)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib.figure import Figure


def lemma2_figure(targets: Mapping[str, Mapping[str, Any]]) -> Figure:
    """Size (nonzero weights + biases) vs ln(1/eps) per PolyReLU target, with the a + b ln and a + b ln^2 fits.

    ``targets[name] = {"rows": [{"eps", "size", ...}], "fit_ln": {"a", "b", ...}, "fit_ln2": {...}}``.
    """
    fig = Figure(figsize=(9.5, 4.5), layout="constrained")
    ax = fig.add_subplot()
    for i, (name, t) in enumerate(targets.items()):
        color = f"C{i % 10}"
        x = np.array([math.log(1 / r["eps"]) for r in t["rows"]])
        y = np.array([r["size"] for r in t["rows"]], dtype=float)
        ax.plot(x, y, "o", color=color, label=f"{name}: measured size", gid=f"data{i}")
        xs = np.linspace(x.min(), x.max(), 100)
        for key, power, style in (("fit_ln", 1, "-"), ("fit_ln2", 2, ":")):
            f = t[key]
            ax.plot(xs, f["a"] + f["b"] * xs ** power, style, color=color, linewidth=1,
                    label=f"{name}: $a + b\\,\\ln{'^2' if power == 2 else ''}(1/\\varepsilon)$, rms {f['rms']:.1f}",
                    gid=f"{key}{i}")
    ax.set_xlabel(r"$\ln(1/\varepsilon)$")
    ax.set_ylabel("ReLU network size W (nonzero weights + biases)")
    ax.set_title("Lemma 2: ReLU nets approximating one PolyReLU unit on $[-1, 1]$")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)  # outside the data
    return fig
