"""Lemma 1 building blocks (paper section 3.1; docs/constructions.md §1.1), exact on all of R unless noted.

| block | formula | units | params (nnz) |
|---|---|---|---|
| ``identity_block()`` | x = R(x) - R(-x) | 2 | 4 |
| ``relu_block(k)`` | R(x)^k, one unit, a = e_k | 1 | 2 |
| ``power_block(k)`` | x^k = R_k(x) + (-1)^k R_k(-x) | 2 | 4 |
| ``product_block()`` | xy = [R_2(x+y) + R_2(-x-y) - R_2(x-y) - R_2(y-x)] / 4 | 4 | 12 |
| ``polynomial_1d_block(c)`` | p(x) = sigma_a(x) + sigma_a'(-x), a_i = c_i, a'_i = (-1)^i c_i (i >= 1) | 2 | <= 5 |

Every block holds algebraically (R(t) = (t + |t|)/2 and |t|^2 = t^2), so its certificate needs no regions.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from polyapprox.core.net import RELU, Layer, Net, PolyReLU, as_fraction
from polyapprox.errors import ConfigError


def _check_k(k: int, name: str = "k") -> int:
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise ConfigError(f"{name}: {k!r} must be an integer >= 1")
    return k


def identity_block() -> Net:
    """x = R(x) - R(-x) on R: 2 ReLU units, 4 nonzero weights, depth 1."""
    return Net(1, (Layer.make([[1], [-1]], activations=RELU), Layer.make([[1, -1]])))


def relu_block(k: int = 1) -> Net:
    """R(x)^k as one PolyReLU unit with one-hot coefficients e_k (ReLU for k = 1): 2 nonzero weights."""
    return Net(1, (Layer.make([[1]], activations=PolyReLU.relu_power(_check_k(k))), Layer.make([[1]])))


def power_block(k: int) -> Net:
    """x^k = R_k(x) + (-1)^k R_k(-x) on R: 2 ReLU^k units, 4 nonzero weights, depth 1."""
    act = PolyReLU.relu_power(_check_k(k))
    return Net(1, (Layer.make([[1], [-1]], activations=act), Layer.make([[1, (-1) ** k]])))


def product_block() -> Net:
    """(x, y) -> xy = [R_2(x+y) + R_2(-x-y) - R_2(x-y) - R_2(y-x)] / 4: 4 ReLU^2 units, 12 nonzeros."""
    q = Fraction(1, 4)
    return Net(2, (
        Layer.make([[1, 1], [-1, -1], [1, -1], [-1, 1]], activations=PolyReLU.relu_power(2)),
        Layer.make([[q, q, -q, -q]]),
    ))


def polynomial_1d_block(coeffs: Sequence[object]) -> Net:
    """p(x) = sum_i coeffs[i] x^i with two PolyReLU units of order deg p (Lemma 1; docs/constructions.md §1.1).

    sigma_a(x) + sigma_a'(-x) with a_i = c_i, a'_i = (-1)^i c_i for i >= 1; the constant c_0 goes into the
    output bias. Exact on R.
    """
    c = [as_fraction(v, f"coeffs[{i}]") for i, v in enumerate(coeffs)]
    if not c:
        raise ConfigError("coeffs: empty polynomial")
    plus = PolyReLU(tuple([Fraction(0)] + c[1:]))
    minus = PolyReLU(tuple([Fraction(0)] + [(-1) ** i * ci for i, ci in enumerate(c) if i >= 1]))
    return Net(1, (
        Layer.make([[1], [-1]], activations=(plus, minus)),
        Layer.make([[1, 1]], bias=[c[0]]),
    ))
