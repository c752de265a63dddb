"""Timings of representative proofs (slow; prints a table): ``pytest -m slow -s tests/test_symbolic_timings.py``.

Each row asserts its status, so the table is also a check; the seconds are measurements, not expectations.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import sympy

from polyapprox.backends.sympy_expr import to_sympy
from polyapprox.construct.blocks import identity_block, polynomial_1d_block, power_block, product_block, relu_block
from polyapprox.core.algebra import add, compose, linear, parallel
from polyapprox.core.net import RELU, Layer, Net
from polyapprox.symbolic import prove_equal
from polyapprox.verify.mutation import mutation_outcomes, summary
from polyapprox.verify.testing import random_net

X, Y = sympy.symbols("x y", real=True)
PSI = sympy.Piecewise((0, X < -2), (X + 2, X < -1), (1, X <= 1), (2 - X, X <= 2), (0, True))


def _trapezoid() -> Net:
    return Net(1, (Layer.make([[1], [1], [1], [1]], [2, 1, -1, -2], RELU), Layer.make([[1, -1, -1, 1]])))


def _hat_grid(n: int) -> Net:
    """sum_{m,k} phi_m(x) phi_k(y) on [0, 1]^2 (hats at m/n, products by the polarization block) = 1."""
    def hat(m: int, col: int) -> Net:
        rows = [[n if c == col else 0 for c in range(2)] for _ in range(3)]
        return Net(2, (Layer.make(rows, [-m + 1, -m, -m - 1], RELU), Layer.make([[1, -2, 1]])))

    return add(*[compose(product_block(), parallel(hat(m, 0), hat(k, 1))) for m in range(n + 1) for k in range(n + 1)])


@pytest.mark.slow
def test_print_proof_timings():
    rng = np.random.default_rng(20250101)
    net2d = random_net(rng, in_dim=2, widths=(4, 3), activations="relu", density=0.9)
    hyperbola = compose(relu_block(), compose(linear([[1]], ["-1/4"]), product_block()))
    abs_sum = Net(2, (Layer.make([[1, 0], [-1, 0], [0, 1], [0, -1]], None, RELU), Layer.make([[1, 1, 1, 1]])))
    cases = [
        ("identity_block = x", identity_block(), X, (X,), None, {}, "proved"),
        ("relu_block = Max(x, 0)", relu_block(), sympy.Max(X, 0), (X,), None, {}, "proved"),
        ("power_block(7) = x^7", power_block(7), X ** 7, (X,), None, {}, "proved"),
        ("product_block = xy", product_block(), X * Y, (X, Y), None, {}, "proved"),
        ("poly_1d degree 3", polynomial_1d_block([1, -2, 3, "1/2"]), 1 - 2 * X + 3 * X ** 2 + X ** 3 / 2, (X,),
         None, {}, "proved"),
        ("trapezoid = Piecewise on [-3,3]", _trapezoid(), PSI, (X,), [(-3, 3)], {}, "proved"),
        ("trapezoid = Piecewise on R", _trapezoid(), PSI, (X,), None, {}, "proved"),
        ("random 2-D ReLU (4,3) = Max form, [-1,1]^2, regionwise", net2d, to_sympy(net2d, relu="max")[0], (X, Y),
         [(-1, 1), (-1, 1)], {"method": "regionwise"}, "proved"),
        ("|x|+|y| = max(|x+y|,|x-y|) on [-1,1]^2", abs_sum, sympy.Max(sympy.Abs(X + Y), sympy.Abs(X - Y)), (X, Y),
         [(-1, 1), (-1, 1)], {}, "proved"),
        ("|x|+|y| = max(|x+y|,|x-y|) on R^2 (sign cases)", abs_sum,
         sympy.Max(sympy.Abs(X + Y), sympy.Abs(X - Y)), (X, Y), None, {}, "proved"),
        ("R(xy - 1/4) = Piecewise on [0,1]^2 (sign cases)", hyperbola,
         sympy.Piecewise((X * Y - sympy.Rational(1, 4), X * Y > sympy.Rational(1, 4)), (0, True)), (X, Y),
         [(0, 1), (0, 1)], {}, "proved"),
        ("power_block(3) vs x^3 + x/1000", power_block(3), X ** 3 + X / 1000, (X,), None, {}, "refuted"),
        ("hat grid n=2 = 1 on [0,1]^2", _hat_grid(2), sympy.Integer(1), (X, Y), [(0, 1), (0, 1)], {}, "proved"),
        ("hat grid n=4 = 1 on [0,1]^2", _hat_grid(4), sympy.Integer(1), (X, Y), [(0, 1), (0, 1)], {}, "proved"),
    ]
    print()
    for name, net, expr, syms, dom, kw, status in cases:
        cert = prove_equal(net, expr, syms, domain=dom, **kw)
        print(f"{name:55s} {cert.status:8s} {cert.method:20s} regions={cert.regions:3d} {cert.seconds:7.3f} s")
        assert cert.status == status, (name, cert)
    for name, net, expr, syms, dom in [
        ("mutants: product_block", product_block(), X * Y, (X, Y), None),
        ("mutants: trapezoid on [-3,3]", _trapezoid(), PSI, (X,), [(-3, 3)]),
        ("mutants: random 1-D ReLU (3,3) on [-2,2]", *_random_1d(rng), (X,), [(-2, 2)]),
    ]:
        start = time.perf_counter()
        outcomes = mutation_outcomes(net, expr, syms, dom)
        print(f"{name:55s} {summary(outcomes)} {time.perf_counter() - start:7.3f} s")
        assert summary(outcomes)["unverified"] == 0


def _random_1d(rng: np.random.Generator) -> tuple[Net, sympy.Expr]:
    net = random_net(rng, in_dim=1, widths=(3, 3), activations="relu", density=0.8)
    return net, to_sympy(net, relu="max")[0]
