"""Public checkers and strategies: ``random_net`` (for property tests), ``assert_net_equals`` (exact)."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from polyapprox.core.net import IDENTITY, Activation, Layer, Net, PolyReLU, SparseMatrix


def random_rational(rng: np.random.Generator, max_den: int = 8, max_abs: int = 3) -> Fraction:
    """A random rational p/q with 1 <= q <= max_den and |p/q| <= max_abs."""
    q = int(rng.integers(1, max_den + 1))
    p = int(rng.integers(-max_abs * q, max_abs * q + 1))
    return Fraction(p, q)


def random_net(rng: np.random.Generator, in_dim: int = 2, widths: Sequence[int] = (3, 3), out_dim: int = 1,
               max_order: int = 3, density: float = 0.7, activations: str = "mixed") -> Net:
    """A random exact net: hidden layers of the given widths, then an affine output layer.

    ``activations``: 'relu' (all ReLU), 'polyrelu' (random PolyReLU of order <= max_order per unit) or
    'mixed' (PolyReLU and identity units mixed).
    """
    layers = []
    prev = in_dim
    for w in list(widths) + [out_dim]:
        last = len(layers) == len(widths)
        entries = [(i, j, random_rational(rng)) for i in range(w) for j in range(prev) if rng.random() < density]
        bias = tuple(random_rational(rng) for _ in range(w))
        acts: list[Activation] = []
        for _ in range(w):
            if last:
                acts.append(IDENTITY)
            elif activations == "relu":
                acts.append(PolyReLU((0, 1)))
            elif activations == "mixed" and rng.random() < 0.2:
                acts.append(IDENTITY)
            else:
                order = int(rng.integers(1, max_order + 1))
                acts.append(PolyReLU(tuple(random_rational(rng, 4, 2) for _ in range(order + 1))))
        layers.append(Layer(SparseMatrix((w, prev), tuple(entries)), bias, tuple(acts)))
        prev = w
    return Net(in_dim, tuple(layers))


def random_points(rng: np.random.Generator, n: int, d: int, lo: int = -2, hi: int = 2,
                  max_den: int = 16) -> list[list[Fraction]]:
    """n random rational points in [lo, hi]^d with denominators <= max_den."""
    out = []
    for _ in range(n):
        pt = []
        for _ in range(d):
            q = int(rng.integers(1, max_den + 1))
            pt.append(Fraction(int(rng.integers(lo * q, hi * q + 1)), q))
        out.append(pt)
    return out


def assert_net_equals(a: Net, b: Net, points: Sequence[Sequence[Fraction]]) -> None:
    """Exact evaluation of ``a`` and ``b`` agrees at every point (evidence, not proof)."""
    from polyapprox.backends.exact import evaluate_exact

    for p in points:
        va, vb = evaluate_exact(a, p), evaluate_exact(b, p)
        assert va == vb, f"nets differ at {p}: {va} != {vb}"
