"""Fast float64 evaluation on arrays of points: scipy.sparse layers, units-major state ``(width, P)``."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import scipy.sparse as sp

from polyapprox.backends import _interpret
from polyapprox.core.net import Layer, Net
from polyapprox.errors import InvalidDataError


def check_points(x: Any, d: int) -> np.ndarray:
    """``x`` as a float64 array of shape (P, d), or InvalidDataError naming the problem."""
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim == 1 and d == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[1] != d:
        raise InvalidDataError(f"x: shape {arr.shape}, expected (points, {d})")
    bad = ~np.isfinite(arr)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise InvalidDataError(f"x[{i}, {j}]: {arr[i, j]} is not finite")
    return arr


def sparse_weight(layer: Layer, dtype: type = np.float64) -> sp.csr_matrix:
    """The layer's weight as a CSR matrix (out_dim, in_dim) of floats (rounded to nearest)."""
    w = layer.weight
    if w.nnz == 0:
        return sp.csr_matrix(w.shape, dtype=dtype)
    i, j, v = zip(*w.entries, strict=True)
    return sp.csr_matrix((np.array([float(q) for q in v], dtype=dtype), (i, j)), shape=w.shape)


class _Float:
    def __init__(self, mats: list[sp.csr_matrix], biases: list[np.ndarray]) -> None:
        self.mats, self.biases = mats, biases

    def inputs(self, x: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(x.T)

    def affine(self, k: int, layer: Layer, a: np.ndarray) -> np.ndarray:
        z = np.asarray(self.mats[k] @ a)
        z += self.biases[k][:, None]
        return z

    def take(self, z: np.ndarray, idx: np.ndarray) -> np.ndarray:
        return z[idx]

    def assemble(self, z: np.ndarray, parts: list[tuple[np.ndarray, Any]]) -> np.ndarray:
        for idx, v in parts:
            z[idx] = v
        return z

    def constant(self, q: Fraction) -> float:
        return float(q)

    def relu(self, t: np.ndarray, where: object) -> np.ndarray:
        return np.maximum(t, 0.0)

    def output(self, a: np.ndarray) -> np.ndarray:
        return a.T


class FloatNet:
    """A net compiled for repeated float64 evaluation: ``FloatNet(net)(x)`` with x (P, in_dim) -> (P, out_dim).

    Sparse layers are evaluated sparsely (cost ~ nnz * P); points are processed in chunks of ``chunk``.
    """

    def __init__(self, net: Net, chunk: int = 1 << 15) -> None:
        self.net = net
        self.chunk = chunk
        self._backend = _Float([sparse_weight(layer) for layer in net.layers],
                               [np.array([float(b) for b in layer.bias]) for layer in net.layers])
        self._groups = [_interpret.activation_groups(layer) for layer in net.layers]

    def __call__(self, x: Any) -> np.ndarray:
        pts = check_points(x, self.net.in_dim)
        out = np.empty((pts.shape[0], self.net.out_dim))
        for s in range(0, pts.shape[0], self.chunk):
            out[s:s + self.chunk] = _interpret.run(self.net, self._backend, pts[s:s + self.chunk], self._groups)
        return out


def evaluate_float(net: Net, x: Any) -> np.ndarray:
    """net(x) in float64 for x of shape (P, in_dim) (or (P,) when in_dim = 1); returns (P, out_dim)."""
    return FloatNet(net)(x)
