"""Net algebra is exact: compose/parallel/add/scale/strict/pad_depth against exact evaluation."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polyapprox.backends.exact import evaluate_exact
from polyapprox.core.algebra import add, compose, identity_net, linear, pad_depth, parallel, scale, strict
from polyapprox.core.net import Identity
from polyapprox.errors import NetError
from polyapprox.verify.testing import random_net, random_points

seeds = st.integers(0, 2**32 - 1)


def _net(seed: int, d: int, out: int, widths=(3, 2)):
    return random_net(np.random.default_rng(seed), d, widths, out, max_order=3, activations="mixed")


@settings(max_examples=25)
@given(seeds, seeds, st.integers(1, 3), st.integers(1, 3))
def test_exact_evaluation_commutes_with_compose(s1, s2, d, m):
    g = _net(s1, d, m)
    f = _net(s2, m, 2, widths=(2,))
    fg = compose(f, g)
    assert len(fg.layers) == len(f.layers) + len(g.layers) - 1  # the affine output of g is merged
    for p in random_points(np.random.default_rng(s1 ^ s2), 5, d):
        assert evaluate_exact(fg, p) == evaluate_exact(f, evaluate_exact(g, p))


@settings(max_examples=20)
@given(seeds, st.integers(1, 3))
def test_parallel_add_scale(seed, d):
    rng = np.random.default_rng(seed)
    f, g = _net(seed, d, 2, (2,)), _net(seed + 1, d, 2, (3, 2, 2))
    par, total, half = parallel(f, g), add(f, g, weights=[2, "-1/3"]), scale(f, "1/2")
    for p in random_points(rng, 5, d):
        vf, vg = evaluate_exact(f, p), evaluate_exact(g, p)
        assert evaluate_exact(par, p) == vf + vg
        assert evaluate_exact(total, p) == [2 * a - b / 3 for a, b in zip(vf, vg, strict=True)]
        assert evaluate_exact(half, p) == [a / 2 for a in vf]


@settings(max_examples=25)
@given(seeds, st.integers(1, 3))
def test_strict_has_no_hidden_identity_units_and_is_equal(seed, d):
    net = _net(seed, d, 1, (4, 3))
    s = strict(net)
    assert not any(isinstance(a, Identity) for layer in s.layers[:-1] for a in layer.activations)
    assert len(s.layers) == len(net.layers)
    for p in random_points(np.random.default_rng(seed), 6, d):
        assert evaluate_exact(s, p) == evaluate_exact(net, p)


def test_pad_depth_linear_identity(rng):
    net = _net(5, 2, 2)
    padded = pad_depth(net, len(net.layers) + 2)
    assert len(padded.layers) == len(net.layers) + 2
    lin = linear([[1, 2], ["1/2", 0]], [0, -1])
    for p in random_points(rng, 5, 2):
        assert evaluate_exact(padded, p) == evaluate_exact(net, p)
        assert evaluate_exact(identity_net(2), p) == p
        assert evaluate_exact(lin, p) == [p[0] + 2 * p[1], p[0] / 2 - 1]
    with pytest.raises(NetError, match="pad_depth"):
        pad_depth(net, 1)


def test_errors_name_the_problem():
    f, g = _net(1, 2, 1), _net(2, 3, 2)
    with pytest.raises(NetError, match="compose: f takes 2 inputs but g gives 3"):
        compose(f, _net(3, 2, 3))
    with pytest.raises(NetError, match=r"parallel: nets\[1\] takes 3 inputs"):
        parallel(f, g)
    with pytest.raises(NetError, match=r"add: nets\[1\] has 2 outputs"):
        add(f, _net(4, 2, 2))
    with pytest.raises(NetError, match="add: 1 weights for 2 nets"):
        add(f, f, weights=[1])
    assert evaluate_exact(scale(f, 0), [Fraction(1), Fraction(2)]) == [0]
