"""``Net`` as a Python object: a short repr, the full dump on request, float64 calls, save/load."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

import polyapprox as pa
from polyapprox.core.net import RELU, Layer, Net


def _small() -> Net:
    return Net(1, (Layer.make([[1], [-1]], [0, 0], RELU), Layer.make([[1, -1]], [Fraction(1, 2)])))


def test_repr_is_one_short_line_for_a_theorem3_net() -> None:
    net = pa.sobolev_net(pa.get_target("exp2"), n=2, N=8)
    text = repr(net)
    assert "\n" not in text and len(text) < 200
    count = pa.count_params(net)
    assert f"params={count.params}" in text and f"depth={count.depth}" in text and "polyrelu" in text
    assert len(net.describe()) > 10 * len(text)


def test_repr_names_dims_width_and_kinds() -> None:
    assert repr(_small()) == "Net(in=1, out=1, depth=1, width=2, params=5, units: 2 polyrelu r<=1, 1 identity)"
    assert "Fraction(1, 2)" in _small().describe()


def test_call_is_float64_evaluation() -> None:
    y = _small()(np.array([-2.0, 0.0, 3.0]))
    assert y.dtype == np.float64 and y.shape == (3, 1)
    np.testing.assert_array_equal(y[:, 0], [-1.5, 0.5, 3.5])


def test_save_and_load_round_trip(tmp_path) -> None:
    net = _small()
    net.save(tmp_path / "n.json")
    assert Net.load(tmp_path / "n.json") == net
    assert pa.load_net(tmp_path / "n.json") == net
