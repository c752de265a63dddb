"""The Lemma 2 figure: measured sizes and both fitted models, tested on its artists."""

from __future__ import annotations

import math

import numpy as np

from polyapprox.report.lemma2_figure import lemma2_figure


def test_lines_follow_the_fits() -> None:
    rows = [{"eps": 2.0 ** -e, "size": 8 * e} for e in range(2, 12, 2)]
    fits = {"fit_ln": {"a": 0.0, "b": 8 / math.log(2), "rms": 0.0}, "fit_ln2": {"a": 10.0, "b": 1.0, "rms": 5.0}}
    fig = lemma2_figure({"t": {"rows": rows, **fits}})
    ax = fig.axes[0]
    lines = {line.get_gid(): line for line in ax.get_lines()}
    x, y = lines["fit_ln0"].get_data()
    assert np.allclose(y, 8 / math.log(2) * np.asarray(x))
    x2, y2 = lines["fit_ln20"].get_data()
    assert np.allclose(y2, 10 + np.asarray(x2) ** 2)
    assert ax.get_xlabel() == r"$\ln(1/\varepsilon)$"
    assert "rms 5.0" in [t.get_text() for t in ax.get_legend().get_texts()][2]
