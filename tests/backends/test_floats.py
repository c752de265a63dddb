"""float64 evaluation lies within the rigorous error bound of the exact value (compared exactly)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polyapprox.backends.errorbound import float_error_bound
from polyapprox.backends.exact import evaluate_exact
from polyapprox.backends.floats import FloatNet, check_points, evaluate_float
from polyapprox.construct.blocks import power_block
from polyapprox.errors import InvalidDataError
from polyapprox.verify.testing import random_net


@settings(max_examples=25)
@given(st.integers(0, 2**32 - 1), st.integers(1, 3), st.sampled_from(["relu", "polyrelu", "mixed"]))
def test_float_within_error_bound_of_exact(seed, d, acts):
    rng = np.random.default_rng(seed)
    net = random_net(rng, d, (4, 3), 2, max_order=3, activations=acts)
    x = rng.uniform(-2, 2, size=(6, d))
    values, bounds = float_error_bound(net, x)
    floats = evaluate_float(net, x)
    assert floats.shape == values.shape == bounds.shape == (6, 2)
    for p in range(x.shape[0]):
        exact = evaluate_exact(net, [Fraction(float(v)) for v in x[p]])  # the float input, exactly
        for o in range(2):
            bound = Fraction(float(bounds[p, o]))
            assert abs(Fraction(float(values[p, o])) - exact[o]) <= bound
            assert abs(Fraction(float(floats[p, o])) - exact[o]) <= bound


def test_bound_is_a_small_relative_bound():
    # x^4 = R_4(x) + R_4(-x): input affine map (relative error <= gamma_2 + u(1 + gamma_2) ~ 3u on z),
    # three Horner products (4 * 3u inherited + 3u), output sum (~3u): about 18u relative in all.
    u = 2.0 ** -53
    x = np.array([[0.5], [-1.25], [2.0]])
    values, bounds = float_error_bound(power_block(4), x)
    assert np.array_equal(values[:, 0], x[:, 0] ** 4)  # dyadic inputs: every operation happens to be exact
    assert np.all(bounds > 0)
    assert np.all(bounds <= 20 * u * np.abs(values))


def test_chunked_evaluation_matches_unchunked(rng):
    net = random_net(rng, 2, (5, 5), 1, activations="polyrelu")
    x = rng.uniform(-1, 1, size=(1000, 2))
    # Not bitwise: the two runs may use different SIMD/FMA paths for different array lengths. Both lie within
    # the rigorous rounding bound of the exact value, so they differ by at most twice that bound (triangle
    # inequality); a misplaced chunk would differ by O(1).
    values, bounds = float_error_bound(net, x)
    chunked, whole = FloatNet(net, chunk=64)(x), FloatNet(net)(x)
    assert np.all(np.abs(chunked - whole) <= 2 * bounds)
    assert np.all(np.abs(chunked - values) <= 2 * bounds)


@pytest.mark.parametrize(("x", "message"), [
    (np.zeros((3, 2)), r"x: shape \(3, 2\), expected \(points, 1\)"),
    (np.array([[np.nan]]), r"x\[0, 0\]: nan is not finite"),
    (np.array([[1.0], [np.inf]]), r"x\[1, 0\]: inf is not finite"),
], ids=["shape", "nan", "inf"])
def test_check_points_rejects(x, message):
    with pytest.raises(InvalidDataError, match=message):
        check_points(x, 1)


def test_one_dimensional_input_accepted():
    assert evaluate_float(power_block(2), np.array([1.0, -3.0])).tolist() == [[1.0], [9.0]]
