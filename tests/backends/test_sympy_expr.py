"""to_sympy: the expression at a rational point equals exact evaluation; relu rules; symbols."""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from polyapprox.backends.exact import evaluate_exact
from polyapprox.backends.sympy_expr import default_symbols, rational, to_sympy
from polyapprox.construct.blocks import power_block, product_block
from polyapprox.errors import ExpressionError
from polyapprox.verify.testing import random_net, random_points


@settings(max_examples=10)
@given(st.integers(0, 2**32 - 1), st.integers(1, 3), st.sampled_from(["max", "abs"]))
def test_expression_at_rational_point_equals_exact(seed, d, rule):
    rng = np.random.default_rng(seed)
    net = random_net(rng, d, (3, 2), 2, max_order=3, activations="mixed")
    syms = default_symbols(d)
    exprs = to_sympy(net, syms, relu=rule)
    for p in random_points(rng, 3, d):
        sub = {s: rational(v) for s, v in zip(syms, p, strict=True)}
        assert [e.subs(sub) for e in exprs] == [rational(v) for v in evaluate_exact(net, p)]


def test_abs_form_expands_to_the_polynomial():
    x, y = default_symbols(2)
    assert sympy.expand(to_sympy(product_block(), relu="abs")[0]) == x * y
    (x1,) = default_symbols(1)
    assert sympy.expand(to_sympy(power_block(3), relu="abs")[0]) == x1 ** 3


def test_callable_rule_and_default_symbols():
    x = sympy.Symbol("x", real=True)
    seen = []

    def rule(t, layer, unit):
        seen.append((layer, unit))
        return t  # pretend every pre-activation is positive

    assert sympy.expand(to_sympy(power_block(2), relu=rule)[0]) == 2 * x ** 2  # R(x)^2 + R(-x)^2 -> 2 x^2
    assert seen == [(0, 0), (0, 1)]
    assert [s.name for s in default_symbols(4)] == ["x1", "x2", "x3", "x4"]
    assert all(s.is_real for s in default_symbols(3))


def test_errors():
    with pytest.raises(ExpressionError, match="symbols: 1 given, the network takes 2"):
        to_sympy(product_block(), default_symbols(1))
    with pytest.raises(ExpressionError, match="relu: unknown rule"):
        to_sympy(product_block(), relu="tanh")
