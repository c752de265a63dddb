"""The exact data model: canonical specs, validation messages naming the field, floats refused."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy

from polyapprox.core.net import IDENTITY, RELU, Layer, Net, PolyReLU, SparseMatrix, as_fraction
from polyapprox.errors import NetError


@pytest.mark.parametrize(("value", "expected"), [
    (3, Fraction(3)), ("-1/4", Fraction(-1, 4)), (" 2/6 ", Fraction(1, 3)), (Fraction(5, 7), Fraction(5, 7)),
    (sympy.Rational(-2, 3), Fraction(-2, 3)),
], ids=["int", "string", "string-spaces", "fraction", "sympy-rational"])
def test_as_fraction_exact(value, expected):
    assert as_fraction(value) == expected


@pytest.mark.parametrize(("value", "message"), [
    (0.5, "w: float 0.5 is not exact"), (True, "w: True is a bool"), ("abc", 'w: not a rational: "abc"'),
    ("1/0", 'w: not a rational: "1/0"'), (None, "w: not a rational: None"),
], ids=["float", "bool", "garbage", "zero-denominator", "none"])
def test_as_fraction_refuses(value, message):
    with pytest.raises(NetError) as info:
        as_fraction(value, "w")
    assert str(info.value).startswith(message)


def test_floats_refused_naming_the_field():
    with pytest.raises(NetError, match=r"^coeffs\[1\]: float 0.5 is not exact"):
        PolyReLU((0, 0.5))
    with pytest.raises(NetError, match=r"^weight\[1\]\[0\]: float 0.25 is not exact"):
        Layer.make([[1], [0.25]])
    with pytest.raises(NetError, match=r"^bias\[0\]: float"):
        Layer.make([[1]], [0.1])
    with pytest.raises(NetError, match=r"^entries\[0\]: float"):
        SparseMatrix((1, 1), ((0, 0, 1.5),))


def test_polyrelu_canonical_form():
    assert PolyReLU((0, 1, 0, 0)) == PolyReLU((0, 1)) == RELU == PolyReLU.relu()
    assert PolyReLU.relu_power(3).coeffs == (0, 0, 0, 1)
    assert PolyReLU.relu_power(3).order == 3
    assert PolyReLU((0, 0)).coeffs == (Fraction(0),) and PolyReLU(()).order == 0
    assert hash(PolyReLU(("1/2", 1))) == hash(PolyReLU((Fraction(1, 2), Fraction(1))))
    with pytest.raises(NetError, match="order"):
        PolyReLU.relu_power(0)


def test_sparse_matrix_canonical_and_validated():
    a = SparseMatrix((2, 2), ((1, 0, 3), (0, 1, "1/2"), (0, 0, 0)))
    assert a.entries == ((0, 1, Fraction(1, 2)), (1, 0, Fraction(3)))
    assert a == SparseMatrix.from_dense([[0, "1/2"], [3, 0]])
    assert a.nnz == 2 and a.to_dense() == [[0, Fraction(1, 2)], [3, 0]]
    assert a.matmul(a).to_dense() == [[Fraction(3, 2), 0], [0, Fraction(3, 2)]]
    assert a.apply([Fraction(2), Fraction(4)]) == [2, 6]
    with pytest.raises(NetError, match=r"entries\[0\]: column 2 out of range"):
        SparseMatrix((2, 2), ((0, 2, 1),))
    with pytest.raises(NetError, match=r"entries\[1\]: duplicate entry \(0, 0\)"):
        SparseMatrix((2, 2), ((0, 0, 1), (0, 0, 2)))
    with pytest.raises(NetError, match="shape"):
        SparseMatrix((-1, 2))
    with pytest.raises(NetError, match="do not chain"):
        a.matmul(SparseMatrix((3, 1)))


def test_layer_and_net_shapes():
    layer = Layer.make([[1, 2], [3, 4], [5, 6]], activations=RELU)
    assert (layer.in_dim, layer.out_dim, layer.is_affine) == (2, 3, False)
    assert layer.bias == (0, 0, 0) and layer.activations == (RELU,) * 3
    with pytest.raises(NetError, match="bias: 1 entries, expected 3"):
        Layer.make([[1], [1], [1]], [0])
    with pytest.raises(NetError, match="activations: 2 entries, expected 3"):
        Layer.make([[1], [1], [1]], activations=(RELU, IDENTITY))
    with pytest.raises(NetError, match=r"layers\[1\].weight: 2 columns, expected 3"):
        Net(2, (layer, Layer.make([[1, 1]])))
    with pytest.raises(NetError, match="in_dim"):
        Net(0, (layer,))
    with pytest.raises(NetError, match="at least one layer"):
        Net(2, ())
    net = Net(2, (layer, Layer.make([[1, 1, 1]])))
    assert net.out_dim == 1
    with pytest.raises(AttributeError):
        net.in_dim = 3  # frozen
