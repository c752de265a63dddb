"""The only layer loop, and the only PolyReLU formula, shared by every back end.

A back end supplies a handful of primitives for its number type (``Backend``): the input state, the
affine map of a layer, taking and re-assembling groups of units, constants and ReLU. The interpreter
groups each layer's units by activation spec and applies

    sigma_a(t) = a_0 + R(t) (a_1 + R(t) (a_2 + ... + R(t) a_r))      (Horner form of sum_i a_i R(t)^i)

to each group. Skipping multiplications by 1 and additions of 0 leaves every arithmetic exact.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any, Protocol

from polyapprox.core.net import Activation, Identity, Layer, Net, PolyReLU

#: unit indices of one activation group (a list of ints: array back ends index with it directly)
Indices = list[int]


class Backend(Protocol):
    def inputs(self, x: Any) -> Any: ...
    def affine(self, k: int, layer: Layer, a: Any) -> Any: ...
    def take(self, z: Any, idx: Indices) -> Any: ...
    def assemble(self, z: Any, parts: list[tuple[Indices, Any]]) -> Any: ...
    def constant(self, q: Fraction) -> Any: ...
    def relu(self, t: Any, where: tuple[int, Indices]) -> Any: ...
    def output(self, a: Any) -> Any: ...


class Units(list):
    """Per-unit scalars with elementwise ``+`` and ``*`` (with a scalar or a ``Units`` of the same length):
    the numpy object array of the one-point back ends, without numpy."""

    def _map(self, other: Any, op: Callable[[Any, Any], Any]) -> Units:
        if isinstance(other, Units):
            return Units(op(a, b) for a, b in zip(self, other, strict=True))
        return Units(op(a, other) for a in self)

    def __add__(self, other: Any) -> Units:  # type: ignore[override]
        return self._map(other, operator.add)

    def __radd__(self, other: Any) -> Units:
        return self._map(other, lambda a, b: b + a)

    def __mul__(self, other: Any) -> Units:  # type: ignore[override]
        return self._map(other, operator.mul)

    def __rmul__(self, other: Any) -> Units:  # type: ignore[override]
        return self._map(other, lambda a, b: b * a)

    __iadd__ = __add__  # type: ignore[assignment]
    __imul__ = __mul__  # type: ignore[assignment]


class ObjectArrays:
    """Shared primitives of the one-point back ends (exact Fractions, sympy, arb): the state is a Python list
    of per-unit scalars (no numpy: the exact path stays free of it); subclasses supply ``constant`` (the
    number type) and ``relu`` (any sequence of the unit values)."""

    def constant(self, q: Fraction) -> Any:
        raise NotImplementedError

    def inputs(self, x: Sequence[Any]) -> Units:
        return Units(x)

    def affine(self, k: int, layer: Layer, a: Sequence[Any]) -> Units:
        out = Units(self.constant(b) for b in layer.bias)
        for i, j, v in layer.weight.entries:
            out[i] = out[i] + self.constant(v) * a[j]
        return out

    def take(self, z: Sequence[Any], idx: Indices) -> Units:
        return Units(z[i] for i in idx)

    def assemble(self, z: Sequence[Any], parts: list[tuple[Indices, Any]]) -> Units:
        out = Units(z)
        for idx, values in parts:
            for i, v in zip(idx, values, strict=True):
                out[i] = v
        return out

    def output(self, a: Sequence[Any]) -> list[Any]:
        return list(a)


def activation_groups(layer: Layer) -> list[tuple[PolyReLU, Indices]]:
    """The layer's PolyReLU units grouped by spec: [(spec, unit indices)], in first-seen order."""
    groups: dict[Activation, list[int]] = {}
    for i, a in enumerate(layer.activations):
        if not isinstance(a, Identity):
            groups.setdefault(a, []).append(i)
    return [(a, idx) for a, idx in groups.items()]  # type: ignore[misc]


def polyrelu(backend: Backend, t: Any, coeffs: Sequence[Fraction], where: tuple[int, Indices]) -> Any:
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


#: ``activate(t, k, g)``: the activation of group g of layer k applied to its pre-activations ``t``, in
#: place of the spec's exact coefficients (a back end whose coefficients are variables, e.g. trainable)
Activate = Callable[[Any, int, int], Any]


def run(net: Net, backend: Backend, x: Any, groups: list[list[tuple[PolyReLU, Indices]]] | None = None,
        activate: Activate | None = None) -> Any:
    """Evaluate ``net`` at ``x`` in ``backend``'s arithmetic (``groups`` may be precomputed per layer;
    ``activate`` replaces ``polyrelu`` with the spec's coefficients when given)."""
    a = backend.inputs(x)
    for k, layer in enumerate(net.layers):
        z = backend.affine(k, layer, a)
        layer_groups = groups[k] if groups is not None else activation_groups(layer)
        if not layer_groups:
            a = z
            continue
        parts = [(idx, activate(backend.take(z, idx), k, g) if activate is not None
                  else polyrelu(backend, backend.take(z, idx), spec.coeffs, (k, idx)))
                 for g, (spec, idx) in enumerate(layer_groups)]
        a = backend.assemble(z, parts)
    return backend.output(a)
