"""Rigorous float64 error bounds: the interpreter run on (value, bound) pairs.

For each intermediate quantity the back end carries the float64 value ``v`` and a bound ``e`` with
``|v - v*| <= e``, v* being the exact value of the exact network at the float input. The rules (standard
rounding-error analysis, Higham 2002, ch. 3, unit roundoff u = 2^-53, gamma_n = n u / (1 - n u)):

* affine z = sum_j w_j a_j + b with fan-in n and weights rounded to floats:
  e_z <= sum_j |w_j| e_j + (gamma_{n+1} + u (1 + gamma_{n+1})) (sum_j |w_j| |a_j| + |b|);
* product:  e <= |a| e_b + |b| e_a + e_a e_b + u |a b|;   sum: e <= e_a + e_b + u |a + b|;
* ReLU is 1-Lipschitz and exact in floats: e unchanged; constants carry |q - fl(q)|.

The bound at the output is the **precision floor** of the network at that point: errors measured below
(a small multiple of) it say nothing about approximation.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from polyapprox.backends import _interpret
from polyapprox.backends.floats import check_points, sparse_weight
from polyapprox.core.net import Layer, Net

U = 2.0 ** -53


def gamma(n: np.ndarray | int) -> np.ndarray:
    n = np.asarray(n, dtype=np.float64)
    return n * U / (1 - n * U)


@dataclass(frozen=True)
class ErrVal:
    """A float64 value (array) with an absolute error bound of the same shape."""

    v: Any
    e: Any

    def _lift(self, other: Any) -> ErrVal:
        return other if isinstance(other, ErrVal) else ErrVal(other, 0.0)

    def __add__(self, other: Any) -> ErrVal:
        o = self._lift(other)
        v = self.v + o.v
        return ErrVal(v, self.e + o.e + U * np.abs(v))

    __radd__ = __add__

    def __mul__(self, other: Any) -> ErrVal:
        o = self._lift(other)
        v = self.v * o.v
        return ErrVal(v, np.abs(self.v) * o.e + np.abs(o.v) * self.e + self.e * o.e + U * np.abs(v))

    __rmul__ = __mul__


class _Bound:
    def __init__(self, net: Net) -> None:
        self.mats = [sparse_weight(layer) for layer in net.layers]
        self.abs_mats = [abs(m) for m in self.mats]
        self.biases = [np.array([float(b) for b in layer.bias]) for layer in net.layers]
        self.fanin = [np.diff(m.indptr) for m in self.mats]

    def inputs(self, x: np.ndarray) -> ErrVal:
        return ErrVal(np.ascontiguousarray(x.T), np.zeros((x.shape[1], x.shape[0])))

    def affine(self, k: int, layer: Layer, a: ErrVal) -> ErrVal:
        v = np.asarray(self.mats[k] @ a.v) + self.biases[k][:, None]
        mag = np.asarray(self.abs_mats[k] @ np.abs(a.v)) + np.abs(self.biases[k])[:, None]
        g = gamma(self.fanin[k] + 1)[:, None]
        e = np.asarray(self.abs_mats[k] @ a.e) + (g + U * (1 + g)) * mag
        return ErrVal(v, e)

    def take(self, z: ErrVal, idx: np.ndarray) -> ErrVal:
        return ErrVal(z.v[idx], z.e[idx])

    def assemble(self, z: ErrVal, parts: list[tuple[np.ndarray, Any]]) -> ErrVal:
        v, e = z.v.copy(), z.e.copy()
        for idx, p in parts:
            v[idx], e[idx] = p.v, p.e
        return ErrVal(v, e)

    def constant(self, q: Fraction) -> ErrVal:
        f = float(q)
        return ErrVal(f, abs(float(q - Fraction(f))))

    def relu(self, t: ErrVal, where: object) -> ErrVal:
        return ErrVal(np.maximum(t.v, 0.0), t.e)

    def output(self, a: ErrVal) -> ErrVal:
        return ErrVal(a.v.T, a.e.T)


def float_error_bound(net: Net, x: Any) -> tuple[np.ndarray, np.ndarray]:
    """(values, bounds), each (P, out_dim): float64 net(x) and a rigorous bound on its rounding error."""
    pts = check_points(x, net.in_dim)
    out = _interpret.run(net, _Bound(net), pts)
    return np.asarray(out.v), np.asarray(out.e)
