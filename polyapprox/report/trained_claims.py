"""The trained-network rows of the claims table (issue 14), computed from the ``ffn`` step's result.

* ``trained_rate``: the slope of the median (over seeds) sup error against nonzero parameters of trained
  PolyReLU (r = 3) and ReLU MLPs, against the free-knot spline thresholds of ``THRESHOLDS``, the
  construction's slope beside them;
* ``trained_beats``: the factor ReLU error / PolyReLU error (medians over seeds) at the largest width both
  were trained at (their nonzero-parameter counts shown; they differ only by weights trained to zero).
"""

from __future__ import annotations

from collections.abc import Mapping
from statistics import median
from typing import Any

from polyapprox.core.results import format_value
from polyapprox.report.verdicts import FAILS, HOLDS, NOT_CHECKED, NOT_RUN

#: (input dimension, activation) -> the largest slope that confirms the rate: 1-D free-knot splines give
#: -(r + 1) (-4 for PolyReLU_3, -2 for ReLU), less 15 %; d = 2: ReLU's piecewise-linear rate -1.
THRESHOLDS = {(1, "polyrelu"): -3.4, (1, "relu"): -1.8, (2, "polyrelu"): -1.0}


def _fmt(v: Any) -> str:
    return format_value(v, ".2f")


def _targets(results: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list(results.get("ffn", {}).get("targets", []))


def trained_rate(results: Mapping[str, Any]) -> tuple[str, str]:
    """(measured, verdict): every slope with a threshold must be at or below it."""
    if "ffn" not in results:
        return "ffn step not run", NOT_RUN
    parts, verdicts = [], []
    for t in _targets(results):
        acts, txt = t.get("activations", {}), []
        for act in ("polyrelu", "relu"):
            if act not in acts:
                continue
            slope = (acts[act].get("fit") or {}).get("slope")
            limit = THRESHOLDS.get((int(t["dim"]), act))
            if limit is not None:
                verdicts.append(slope is not None and slope <= limit)
            txt.append(f"{act} {_fmt(slope)}" + ("" if limit is None else f" (need <= {limit})"))
        txt.append(f"construction {_fmt((t.get('construction') or {}).get('slope'))}")
        parts.append(f"{t['target']} (d={t['dim']}): " + ", ".join(txt))
    if not verdicts:
        return ("; ".join(parts) or "no ReLU/PolyReLU runs in the ffn step"), NOT_CHECKED
    return "slope of median sup error vs nonzero params: " + "; ".join(parts), \
        HOLDS if all(verdicts) else FAILS


def medians(points: list[Mapping[str, Any]]) -> dict[int, tuple[int, float]]:
    """width -> (nonzero params of its first seed, median sup error over seeds)."""
    by: dict[int, list[Mapping[str, Any]]] = {}
    for p in points:
        by.setdefault(int(p["width"]), []).append(p)
    return {w: (int(ps[0].get("params_nnz", ps[0].get("params", 0))), median(p["sup_error"] for p in ps))
            for w, ps in by.items()}


def trained_beats(results: Mapping[str, Any]) -> tuple[str, str]:
    """(measured, verdict): PolyReLU's median error below ReLU's at the largest common width, every target."""
    if "ffn" not in results:
        return "ffn step not run", NOT_RUN
    parts, verdicts = [], []
    for t in _targets(results):
        acts = t.get("activations", {})
        if "relu" not in acts or "polyrelu" not in acts:
            continue
        relu, poly = medians(acts["relu"]["points"]), medians(acts["polyrelu"]["points"])
        common = sorted(set(relu) & set(poly))
        if not common:
            continue
        w = common[-1]
        factor = relu[w][1] / poly[w][1] if poly[w][1] > 0 else float("inf")
        verdicts.append(factor > 1)
        parts.append(f"{t['target']} (d={t['dim']}), width {w} ({relu[w][0]} vs {poly[w][0]} params): "
                     f"ReLU {relu[w][1]:.2g} / PolyReLU {poly[w][1]:.2g} = {factor:.3g}")
    if not verdicts:
        return "ffn step without relu and polyrelu", NOT_CHECKED
    return "; ".join(parts), HOLDS if all(verdicts) else FAILS
