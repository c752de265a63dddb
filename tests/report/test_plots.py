"""rates_figure: artists on log axes, fitted and theory slopes, hollow floor markers, legend text."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from polyapprox.approx.rates import fit_rate
from polyapprox.core.results import save_figure
from polyapprox.report.plots import rates_figure


def _result(slope: float = -2.0, floor_last: bool = False) -> dict:
    w = 100.0 * 2.0 ** np.arange(6)
    e = 3.0 * w ** slope
    floors = np.full(6, 1e-30)
    if floor_last:
        floors[-1] = e[-1]  # last point at its floor
    fit = fit_rate(w, e, floor=floors, theory_slope=-1.5)
    pts = [{"N": int(k), "params": float(wi), "sup_error": float(ei), "floor": float(fl)}
           for k, (wi, ei, fl) in enumerate(zip(w, e, floors, strict=True))]
    return {"target": "sin1", "dim": 1, "order": 2, "method": "polyrelu", "theory_slope": -1.5,
            "points": pts, "fit": fit.to_dict()}


def _line(fig: Figure, gid: str):
    (ax,) = fig.axes
    lines = [ln for ln in ax.get_lines() if ln.get_gid() == gid]
    assert len(lines) == 1, gid
    return lines[0]


def _loglog_slope(line) -> float:
    x, y = (np.asarray(v, dtype=float) for v in line.get_data())
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def test_axes_lines_and_legend() -> None:
    fig = rates_figure([_result()])
    (ax,) = fig.axes
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert _loglog_slope(_line(fig, "fit0")) == pytest.approx(-2.0, abs=1e-9)
    theory = _line(fig, "theory0")
    assert _loglog_slope(theory) == pytest.approx(-1.5, abs=1e-9)
    xt, yt = theory.get_data()
    pts = _line(fig, "points0").get_data()
    assert yt[-1] == pytest.approx(pts[1][-1])  # anchored at the last point
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("slope -2.000 [" in t and "theory -1.500" in t for t in texts)


def test_floor_points_hollow() -> None:
    fig = rates_figure([_result(floor_last=True)])
    hollow = _line(fig, "floorpoints0")
    assert hollow.get_markerfacecolor() == "none"
    assert len(hollow.get_xdata()) == 1
    assert len(_line(fig, "points0").get_xdata()) == 5


def test_save_png_svg(tmp_path) -> None:
    paths = save_figure(rates_figure([_result(), _result(-1.0)]), str(tmp_path / "fig.png"))
    assert [p[-3:] for p in paths] == ["png", "svg"]
    assert (tmp_path / "fig.png").read_bytes()[:4] == b"\x89PNG"
    assert b"<svg" in (tmp_path / "fig.svg").read_bytes()[:500]
