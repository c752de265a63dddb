"""Theorem 1 (paper 3.1; docs/constructions.md §1.7): ReLU, ReLU^k and polynomial-activation nets as PolyReLU nets.

* ``relu_to_polyrelu``: every ReLU unit becomes the order-3 PolyReLU unit with a = (0, 1, 0, 0); same
  weights, same depth and width. Because a PolyReLU spec is canonical (trailing zero coefficients
  stripped), ``PolyReLU((0, 1, 0, 0)) == PolyReLU((0, 1)) == RELU``: in this exact data model Theorem 1 is a
  *structural identity*, the converted net is ``==`` to the ReLU net read as a ``Net``. The content of the
  theorem is that reading: the ReLU network's function (e.g. a torch module) is the PolyReLU net's function.
* ``power`` k >= 2: ReLU^k nets with a = e_k, likewise structural.
* ``polynomial_activation_to_polyrelu``: a net whose units apply polynomials p(t) = sum_i c_i t^i (one per
  unit, degree <= r) becomes a PolyReLU net of the same depth and width 2K: p(t) = sigma_a(t) + sigma_a'(-t)
  with a = (c_0, c_1, ..., c_r), a'_i = (-1)^i c_i (i >= 1), a'_0 = 0 (Lemma 1). The minus sign of -t is
  folded into the second unit's input row and the sum into the next weight matrix (both units get the old
  unit's column).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from polyapprox.core.net import IDENTITY, RELU, Activation, Identity, Layer, Net, PolyReLU, SparseMatrix, as_fraction
from polyapprox.errors import ConfigError, NetError

#: Theorem 1's coefficient vector for ReLU at the paper's order 3; canonically equal to ``RELU``.
THEOREM1_A = PolyReLU((0, 1, 0, 0))


def _layers_from_description(desc: Sequence[Any]) -> Net:
    """[(W, b), ...]: hidden layers followed by ReLU, the last one affine."""
    if not desc:
        raise NetError("layers: empty description")
    layers = []
    for k, item in enumerate(desc):
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise NetError(f"layers[{k}]: expected (weight, bias)")
        w, b = item
        act: Activation = IDENTITY if k == len(desc) - 1 else RELU
        try:
            layers.append(Layer.make(w, b, act))
        except NetError as exc:
            raise NetError(f"layers[{k}].{exc}") from None
    in_dim = layers[0].in_dim
    return Net(in_dim, tuple(layers))


def _as_net(source: Any) -> Net:
    if isinstance(source, Net):
        return source
    if isinstance(source, (list, tuple)):
        return _layers_from_description(source)
    try:
        from torch import nn
    except ImportError:  # pragma: no cover - torch is a dependency
        nn = None
    if nn is not None and isinstance(source, nn.Module):
        from polyapprox.backends.torch_module import from_torch

        return from_torch(source)
    raise NetError(f"source: expected a Net, a torch nn.Sequential or [(W, b), ...], got {type(source).__name__}")


def relu_to_polyrelu(source: Any, power: int = 1) -> Net:
    """The PolyReLU net of Theorem 1: same weights, depth and width; ReLU^power units get a = e_power.

    ``source``: a ``Net`` whose hidden units are all ReLU^power or identity, a torch ``nn.Sequential`` of
    ``Linear`` and ReLU (or ``ReLUk(power)``), or ``[(W, b), ...]`` (ReLU after every layer but the last).
    Raises ``NetError`` naming the first unit of another kind.
    """
    if not isinstance(power, int) or isinstance(power, bool) or power < 1:
        raise ConfigError(f"power: {power!r} must be an integer >= 1")
    net = _as_net(source)
    if power != 1 and isinstance(source, (list, tuple)):
        net = Net(net.in_dim, tuple(
            Layer(layer.weight, layer.bias, tuple(PolyReLU.relu_power(power) if a == RELU else a
                                                  for a in layer.activations))
            for layer in net.layers))
    spec = THEOREM1_A if power == 1 else PolyReLU.relu_power(power)  # a = e_power (zero padding is stripped)
    layers = []
    for k, layer in enumerate(net.layers):
        acts = []
        for i, a in enumerate(layer.activations):
            if isinstance(a, Identity):
                acts.append(a)
            elif a == PolyReLU.relu_power(power):
                acts.append(spec)
            else:
                raise NetError(f"layers[{k}].activations[{i}]: {a} is not ReLU^{power} or identity")
        layers.append(Layer(layer.weight, layer.bias, tuple(acts)))
    return Net(net.in_dim, tuple(layers))


@dataclass(frozen=True)
class PolyActivationLayer:
    """One layer of a polynomial-activation net: unit i outputs p_i(W a_prev + b)_i, ``coeffs[i][m]``
    multiplying t^m.

    ``coeffs`` is None for the affine output layer, else one coefficient tuple per unit (``make`` also
    accepts a single tuple shared by every unit).
    """

    weight: SparseMatrix
    bias: tuple[Fraction, ...]
    coeffs: tuple[tuple[Fraction, ...], ...] | None

    @classmethod
    def make(cls, weight: object, bias: Sequence[object] | None, coeffs: Sequence[Any] | None
             ) -> PolyActivationLayer:
        layer = Layer.make(weight, bias)
        if coeffs is None:
            return cls(layer.weight, layer.bias, None)
        per_unit = list(coeffs) if coeffs and isinstance(coeffs[0], (list, tuple)) else [coeffs] * layer.out_dim
        if len(per_unit) != layer.out_dim:
            raise ConfigError(f"coeffs: {len(per_unit)} polynomials for {layer.out_dim} units")
        cs = []
        for u, poly in enumerate(per_unit):
            if not poly:
                raise ConfigError(f"coeffs[{u}]: empty polynomial")
            cs.append(tuple(as_fraction(c, f"coeffs[{u}][{m}]") for m, c in enumerate(poly)))
        return cls(layer.weight, layer.bias, tuple(cs))


def polynomial_activation_value(layers: Sequence[PolyActivationLayer], x: Sequence[Any]) -> list[Any]:
    """Evaluate a polynomial-activation net in any arithmetic closed under + and * (Fractions, sympy)."""
    a = list(x)
    for layer in layers:
        z: list[Any] = list(layer.bias)
        for i, j, v in layer.weight.entries:
            z[i] = z[i] + v * a[j]
        if layer.coeffs is not None:
            z = [sum((c * t ** m for m, c in enumerate(cs) if c != 0), Fraction(0))
                 for t, cs in zip(z, layer.coeffs, strict=True)]
        a = z
    return a


def polynomial_activation_to_polyrelu(layers: Sequence[PolyActivationLayer]) -> Net:
    """PolyReLU net of the same depth and width <= 2K equal to the polynomial-activation net on R^d."""
    if not layers or layers[-1].coeffs is not None:
        raise ConfigError("layers: the last layer must be affine (coeffs None)")
    out: list[Layer] = []
    doubled: list[tuple[int, int]] | None = None  # old unit -> (plus unit, minus unit)
    for k, layer in enumerate(layers):
        if k > 0 and layer.weight.shape[1] != len(doubled or ()):
            raise NetError(f"layers[{k}].weight: {layer.weight.shape[1]} columns, expected {len(doubled or ())}")
        entries = layer.weight.entries
        cols = layer.weight.shape[1]
        if doubled is not None:
            entries = tuple((i, doubled[j][s], v) for i, j, v in entries for s in (0, 1))
            cols = 2 * len(doubled)
        if layer.coeffs is None:
            if k != len(layers) - 1:
                raise ConfigError(f"layers[{k}]: only the last layer may be affine")
            out.append(Layer(SparseMatrix((layer.weight.shape[0], cols), entries), layer.bias,
                             (IDENTITY,) * layer.weight.shape[0]))
            break
        acts: list[PolyReLU] = []
        for c in layer.coeffs:  # p(t) = sigma_a(t) + sigma_a'(-t): a = c, a'_0 = 0, a'_m = (-1)^m c_m
            acts.append(PolyReLU(c))
            acts.append(PolyReLU((Fraction(0),) + tuple((-1) ** m * cm for m, cm in enumerate(c) if m >= 1)))
        rows = layer.weight.shape[0]
        new_entries = [(2 * i + s, j, v if s == 0 else -v) for i, j, v in entries for s in (0, 1)]
        bias = tuple(b if s == 0 else -b for b in layer.bias for s in (0, 1))
        out.append(Layer(SparseMatrix((2 * rows, cols), tuple(new_entries)), bias, tuple(acts)))
        doubled = [(2 * i, 2 * i + 1) for i in range(rows)]
    return Net(out[0].in_dim, tuple(out))


def random_rational(rng: np.random.Generator, max_den: int = 4, max_abs: int = 2) -> Fraction:
    """p/q with 1 <= q <= max_den and |p/q| <= max_abs."""
    q = int(rng.integers(1, max_den + 1))
    return Fraction(int(rng.integers(-max_abs * q, max_abs * q + 1)), q)


def random_relu_net(rng: np.random.Generator, d: int, widths: Sequence[int], out_dim: int = 1,
                    max_den: int = 4, max_abs: int = 2) -> Net:
    """A random dense ReLU net (rational weights p/q, q <= max_den, |.| <= max_abs): for tests and checks."""
    layers = []
    prev = d
    for n, w in enumerate(list(widths) + [out_dim]):
        last = n == len(widths)
        weight = [[random_rational(rng, max_den, max_abs) for _ in range(prev)] for _ in range(w)]
        bias = [random_rational(rng, max_den, max_abs) for _ in range(w)]
        layers.append(Layer.make(weight, bias, IDENTITY if last else RELU))
        prev = w
    return Net(d, tuple(layers))


def random_polynomial_activation_net(rng: np.random.Generator, d: int, widths: Sequence[int], degree: int = 2,
                                     out_dim: int = 1) -> list[PolyActivationLayer]:
    """A random polynomial-activation net: per hidden unit a random monic polynomial of the given degree."""
    layers = []
    prev = d
    for n, w in enumerate(list(widths) + [out_dim]):
        last = n == len(widths)
        weight = [[random_rational(rng, 4, 2) for _ in range(prev)] for _ in range(w)]
        bias = [random_rational(rng, 4, 1) for _ in range(w)]
        coeffs = None if last else [[random_rational(rng, 4, 2) for _ in range(degree)] + [Fraction(1)]
                                    for _ in range(w)]
        layers.append(PolyActivationLayer.make(weight, bias, coeffs))
        prev = w
    return layers
