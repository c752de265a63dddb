"""rates_figure: two log-log panels (error, compensated error), one legend entry per series, an offset theory
line, the enclosure band when points carry one, hollow excluded points, the ratio panel; figure suffixes."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from polyapprox.approx.rates import fit_rate
from polyapprox.cli.main import main
from polyapprox.core.results import save_figure
from polyapprox.errors import ConfigError
from polyapprox.report.plots import rates_figure


def _result(slope: float = -2.0, floor_last: bool = False, band: bool = False) -> dict:
    w = 100.0 * 2.0 ** np.arange(6)
    e = 3.0 * w ** slope
    floors = np.full(6, 1e-30)
    if floor_last:
        floors[-1] = e[-1]  # last point at its floor
    fit = fit_rate(w, e, floor=floors, theory_slope=-1.5)
    pts = [{"N": int(k), "params": float(wi), "sup_error": float(ei), "floor": float(fl)}
           for k, (wi, ei, fl) in enumerate(zip(w, e, floors, strict=True))]
    if band:
        for p in pts:
            p.update(sup_error_lower=p["sup_error"], sup_error_upper=1.5 * p["sup_error"])
    return {"target": "sin1", "dim": 1, "order": 2, "method": "polyrelu", "theory_slope": -1.5,
            "points": pts, "fit": fit.to_dict()}


def _line(ax, gid: str):
    lines = [ln for ln in ax.get_lines() if ln.get_gid() == gid]
    assert len(lines) == 1, gid
    return lines[0]


def _loglog_slope(line) -> float:
    x, y = (np.asarray(v, dtype=float) for v in line.get_data())
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def test_axes_lines_and_legend() -> None:
    fig = rates_figure([_result(), _result(-1.0)])
    ax, cax = fig.axes
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log" and cax.get_yscale() == "log"
    assert _loglog_slope(_line(ax, "fit0")) == pytest.approx(-2.0, abs=1e-9)
    theory = _line(ax, "theory0")
    assert _loglog_slope(theory) == pytest.approx(-1.5, abs=1e-9)
    yt = np.asarray(theory.get_ydata())
    pts = np.asarray(_line(ax, "points0").get_ydata())
    assert np.all(yt < pts)  # offset below the data: visible, not anchored on a point
    # compensated panel: e W^(n/d) grows like W^(-2 + 1.5)
    assert _loglog_slope(_line(cax, "comp0")) == pytest.approx(-0.5, abs=1e-9)
    (legend,) = fig.legends
    texts = [t.get_text() for t in legend.get_texts()]
    assert len(texts) == 3  # one entry per series + the theory-line key
    assert "slope -2.00" in texts[0] and "theory" in texts[-1] and ax.get_legend() is None
    assert r"\sin(2\pi x)" in fig.get_suptitle()


def test_band_only_with_enclosures() -> None:
    plain = rates_figure([_result()])
    assert not [c for c in plain.axes[0].collections if c.get_gid() == "band0"]
    banded = rates_figure([_result(band=True)])
    assert len([c for c in banded.axes[0].collections if c.get_gid() == "band0"]) == 1


def test_floor_points_hollow_and_floor_drawn_only_near_data() -> None:
    fig = rates_figure([_result(floor_last=True)])
    ax = fig.axes[0]
    hollow = _line(ax, "floorpoints0")
    assert hollow.get_markerfacecolor() == "none" and len(hollow.get_xdata()) == 1
    assert len(_line(ax, "points0").get_xdata()) == 5
    assert len(_line(ax, "floor0").get_xdata()) == 1  # the 1e-30 floors of the other points are not drawn
    assert not [ln for ln in rates_figure([_result()]).axes[0].get_lines() if ln.get_gid() == "floor0"]


def test_ratio_panel() -> None:
    fig = rates_figure([_result()], ratios={"ReLU / PolyReLU": [(1e-2, 5.0), (1e-3, 6.0)]})
    assert len(fig.axes) == 3
    assert list(_line(fig.axes[2], "ratio0").get_ydata()) == [5.0, 6.0]


@pytest.mark.parametrize("suffix,magic", [("png", b"\x89PNG"), ("pdf", b"%PDF-"), ("svg", b"<?xml")])
def test_suffix_sets_the_format(tmp_path, suffix: str, magic: bytes) -> None:
    (path,) = save_figure(rates_figure([_result()]), str(tmp_path / f"fig.{suffix}"))
    assert path.endswith(suffix) and (tmp_path / f"fig.{suffix}").read_bytes().startswith(magic)
    assert len(list(tmp_path.iterdir())) == 1


def test_unknown_suffix_refused(tmp_path, capsys) -> None:
    for name in ("fig.jpg", "fig", "fig.png.bak"):
        with pytest.raises(ConfigError, match="must end in .png, .pdf or .svg"):
            save_figure(Figure(), str(tmp_path / name))
        assert main(["plot", "rates", str(tmp_path / "missing.json"), "--out", str(tmp_path / name)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and ".png, .pdf or .svg" in err
    assert list(tmp_path.iterdir()) == []


def test_explicit_formats_write_each(tmp_path) -> None:
    paths = save_figure(rates_figure([_result(), _result(-1.0)]), str(tmp_path / "fig.png"), formats=("png", "svg"))
    assert [p[-3:] for p in paths] == ["png", "svg"]
    assert b"<svg" in (tmp_path / "fig.svg").read_bytes()[:500]
