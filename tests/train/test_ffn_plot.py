"""The sweep renderer, tested on its artists (log axes, one series per activation, fitted line's slope)."""

from __future__ import annotations

import numpy as np

from polyapprox.train.ffn_plot import plot_sweep

ROUNDOFF = 1e-12  # a few exp/log round-offs (each ~1e-16 relative) on O(1) logs


def _payload():
    sizes = [10.0, 20.0, 40.0, 80.0]
    errs = [2.0 * s ** -1.5 for s in sizes]
    pts = [{"params": s, "sup_error": e, "l2_error": e / 3, "width": k, "seed": 0} for k, (s, e) in
           enumerate(zip(sizes, errs, strict=True))]
    fit = {"slope": -1.5, "local_range": [-1.6, -1.4], "window_params": sizes, "sizes": sizes, "errors": errs}
    constr = {"n": 3, "points": [{"N": 2, "params": 200, "sup_error": 0.5, "l2_error": 0.2},
                                 {"N": 4, "params": 400, "sup_error": 0.06, "l2_error": 0.02}],
              "fit": {"slope": None, "local_range": None}}
    return {"target": {"name": "sin1"}, "dim": 1, "activations": {"relu": {"points": pts, "fit": fit,
                                                                           "fit_l2": fit}},
            "construction": constr}


def test_plot_has_log_axes_series_and_the_fitted_slope():
    fig = plot_sweep(_payload())
    (ax,) = fig.axes
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0].startswith("relu: slope -1.50, local -1.60..-1.40")  # a range, not a "CI"
    assert any(lab.startswith("Theorem 3 construction ($n=3$)") for lab in labels)
    assert any(lab.startswith("theory slope $-n/d = -3.00$") for lab in labels)  # n = 3, d = 1
    assert len(labels) == 3  # one entry per series (the before-training crosses have none)
    theory = next(ln for ln in ax.lines if ln.get_gid() == "theory")
    assert np.all(np.asarray(theory.get_ydata()) < np.array([0.5, 0.06]))  # offset below, not on a point
    assert "NOT the same count" in ax.get_xlabel()  # no convention declared: the axis says the counts differ
    one = plot_sweep({**_payload(), "size_label": "nonzero weights + biases"}).axes[0].get_xlabel()
    assert "nonzero weights + biases, trained and constructed alike" in one
    assert r"\sin(2\pi x)" in ax.get_title()
    fitted = ax.lines[0]  # the fit line is drawn first
    x, y = (np.asarray(v, dtype=float) for v in fitted.get_data())
    slope = np.log(y[1] / y[0]) / np.log(x[1] / x[0])
    assert abs(slope + 1.5) < ROUNDOFF
