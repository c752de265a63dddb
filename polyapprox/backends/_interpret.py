"""The only layer loop, and the only PolyReLU formula, shared by every back end.

A back end supplies a handful of primitives for its number type (``Backend``): the input state, the
affine map of a layer, taking and re-assembling groups of units, constants and ReLU. The interpreter
groups each layer's units by activation spec and applies

    sigma_a(t) = a_0 + R(t) (a_1 + R(t) (a_2 + ... + R(t) a_r))      (Horner form of sum_i a_i R(t)^i)

to each group. Skipping multiplications by 1 and additions of 0 leaves every arithmetic exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any, Protocol

import numpy as np

from polyapprox.core.net import Activation, Identity, Layer, Net, PolyReLU


class Backend(Protocol):
    def inputs(self, x: Any) -> Any: ...
    def affine(self, k: int, layer: Layer, a: Any) -> Any: ...
    def take(self, z: Any, idx: np.ndarray) -> Any: ...
    def assemble(self, z: Any, parts: list[tuple[np.ndarray, Any]]) -> Any: ...
    def constant(self, q: Fraction) -> Any: ...
    def relu(self, t: Any, where: tuple[int, np.ndarray]) -> Any: ...
    def output(self, a: Any) -> Any: ...


class ObjectArrays:
    """Shared primitives of the one-point back ends (exact Fractions, sympy): the state is a numpy object
    array of per-unit scalars; subclasses supply ``constant`` (the number type) and ``relu``."""

    def constant(self, q: Fraction) -> Any:
        raise NotImplementedError

    def inputs(self, x: Sequence[Any]) -> np.ndarray:
        return np.array(list(x), dtype=object)

    def affine(self, k: int, layer: Layer, a: np.ndarray) -> np.ndarray:
        out = np.array([self.constant(b) for b in layer.bias], dtype=object)
        for i, j, v in layer.weight.entries:
            out[i] = out[i] + self.constant(v) * a[j]
        return out

    def take(self, z: np.ndarray, idx: np.ndarray) -> np.ndarray:
        return z[idx]

    def assemble(self, z: np.ndarray, parts: list[tuple[np.ndarray, Any]]) -> np.ndarray:
        out = z.copy()
        for idx, v in parts:
            out[idx] = v
        return out

    def output(self, a: np.ndarray) -> list[Any]:
        return list(a)


def activation_groups(layer: Layer) -> list[tuple[PolyReLU, np.ndarray]]:
    """The layer's PolyReLU units grouped by spec: [(spec, unit indices)], in first-seen order."""
    groups: dict[Activation, list[int]] = {}
    for i, a in enumerate(layer.activations):
        if not isinstance(a, Identity):
            groups.setdefault(a, []).append(i)
    return [(a, np.asarray(idx, dtype=np.intp)) for a, idx in groups.items()]  # type: ignore[misc]


def polyrelu(backend: Backend, t: Any, coeffs: Sequence[Fraction], where: tuple[int, np.ndarray]) -> Any:
    """sum_i coeffs[i] * ReLU(t)**i by Horner's rule, in the back end's arithmetic."""
    r = backend.relu(t, where)
    acc: Any = None  # None stands for the exact constant coeffs[-1] until multiplied
    for c in reversed(coeffs[1:]):
        if acc is None:
            acc = r if c == 1 else r * backend.constant(c)
            continue
        if c != 0:
            acc = acc + backend.constant(c)
        acc = acc * r
    c0 = coeffs[0]
    if acc is None:  # constant activation: c0 + 0 * t keeps the shape
        return t * backend.constant(Fraction(0)) + backend.constant(c0)
    return acc + backend.constant(c0) if c0 != 0 else acc


def run(net: Net, backend: Backend, x: Any, groups: list[list[tuple[PolyReLU, np.ndarray]]] | None = None) -> Any:
    """Evaluate ``net`` at ``x`` in ``backend``'s arithmetic (``groups`` may be precomputed per layer)."""
    a = backend.inputs(x)
    for k, layer in enumerate(net.layers):
        z = backend.affine(k, layer, a)
        layer_groups = groups[k] if groups is not None else activation_groups(layer)
        if not layer_groups:
            a = z
            continue
        parts = [(idx, polyrelu(backend, backend.take(z, idx), spec.coeffs, (k, idx)))
                 for spec, idx in layer_groups]
        a = backend.assemble(z, parts)
    return backend.output(a)
