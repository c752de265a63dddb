"""Exact evaluation in ``Fraction`` arithmetic at rational points (object arrays of Fractions)."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from polyapprox.backends import _interpret
from polyapprox.errors import InvalidDataError
from polyapprox.net import Layer, Net, as_fraction


class _Exact:
    def inputs(self, x: Sequence[object]) -> np.ndarray:
        return np.array([as_fraction(v, f"x[{i}]") for i, v in enumerate(x)], dtype=object)

    def affine(self, k: int, layer: Layer, a: np.ndarray) -> np.ndarray:
        out = np.array(list(layer.bias), dtype=object)
        for i, j, v in layer.weight.entries:
            out[i] += v * a[j]
        return out

    def take(self, z: np.ndarray, idx: np.ndarray) -> np.ndarray:
        return z[idx]

    def assemble(self, z: np.ndarray, parts: list[tuple[np.ndarray, Any]]) -> np.ndarray:
        out = z.copy()
        for idx, v in parts:
            out[idx] = v
        return out

    def constant(self, q: Fraction) -> Fraction:
        return q

    def relu(self, t: np.ndarray, where: object) -> np.ndarray:
        return np.array([v if v > 0 else Fraction(0) for v in t], dtype=object)

    def output(self, a: np.ndarray) -> list[Fraction]:
        return list(a)


def evaluate_exact(net: Net, x: Sequence[object]) -> list[Fraction]:
    """net(x) exactly, for one rational point ``x`` (length in_dim; ints, Fractions or 'p/q' strings)."""
    if len(x) != net.in_dim:
        raise InvalidDataError(f"x: {len(x)} coordinates, the network takes {net.in_dim}")
    return _interpret.run(net, _Exact(), x)
