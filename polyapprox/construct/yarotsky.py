"""Yarotsky's ReLU squaring and approximate product (Yarotsky 2017, Props. 2-3; docs/constructions.md §2.4.1–2.4.2).

Strict ReLU MLPs with exact rational (dyadic) weights, built by a small *layer program*: each signal is an
affine form over the units of the current layer, and every layer is ReLU of a list of such forms.

* Tent ``g(x) = 2R(x) - 4R(x - 1/2)`` on [0, 1]; sawtooth ``g_s = g o ... o g`` (s times).
* Squaring ``f_m(x) = x - sum_{s=1..m} g_s(x) / 4^s``, the piecewise-linear interpolant of x^2 at k/2^m,
  so ``0 <= f_m(x) - x^2 <= 2^(-2m-2)`` on [0, 1], attained at the cell midpoints.
  Layer j holds p = R(t), h = R(t - 1/2) (t = g_{j-1}(x), g_0 = x) and, for j >= 2, r = R(f_{j-1}(x)).
  Units 3m - 1, params (nnz) 8m - 3, depth m.
* Product ``xt(x, y) = 2M^2 [f_q(|x+y|/2M) - f_q(|x|/2M) - f_q(|y|/2M)]`` on [-M, M]^2 with
  ``|t| = R(t) + R(-t)``: error in [-M^2 4^-q, M^2 4^-q / 2] (the three f_q errors lie in [0, 4^-q/4]
  with signs +, -, -); ``xt(0, y) = xt(x, 0) = 0`` exactly. Units 9q + 3, params 24q + 5, depth q + 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from polyapprox.core.net import IDENTITY, RELU, Activation, Layer, Net, SparseMatrix, as_fraction
from polyapprox.errors import ConfigError

HALF = Fraction(1, 2)


@dataclass(frozen=True)
class Form:
    """An affine form ``const + sum_i terms[i] * unit_i`` over the units of the current layer."""

    terms: tuple[tuple[int, Fraction], ...] = ()
    const: Fraction = Fraction(0)

    @classmethod
    def unit(cls, i: int) -> Form:
        return cls(((i, Fraction(1)),))

    @classmethod
    def constant(cls, c: object) -> Form:
        return cls((), as_fraction(c, "const"))

    def __add__(self, other: Form | int | Fraction) -> Form:
        if not isinstance(other, Form):
            return Form(self.terms, self.const + as_fraction(other, "const"))
        acc = dict(self.terms)
        for i, v in other.terms:
            acc[i] = acc.get(i, Fraction(0)) + v
        return Form(tuple(sorted((i, v) for i, v in acc.items() if v != 0)), self.const + other.const)

    def __mul__(self, c: object) -> Form:
        q = as_fraction(c, "scale")
        if q == 0:
            return Form()
        return Form(tuple((i, v * q) for i, v in self.terms), self.const * q)

    __rmul__ = __mul__

    def __sub__(self, other: Form | int | Fraction) -> Form:
        return self + (other * -1 if isinstance(other, Form) else -as_fraction(other, "const"))

    def __neg__(self) -> Form:
        return self * -1

    @property
    def is_constant(self) -> bool:
        return not self.terms


class Channel:
    """One synchronous stage of a layer program: ``forms()`` are its pre-activations for the next layer
    (all ReLU units), ``advance(signals)`` receives those units as forms over the new layer."""

    def forms(self) -> list[Form]:
        raise NotImplementedError

    def advance(self, signals: list[Form]) -> None:
        raise NotImplementedError


class Carry(Channel):
    """Carries a value v >= 0 through a layer as R(v) = v (one unit); a constant form costs nothing."""

    def __init__(self, value: Form) -> None:
        self.value = value

    def forms(self) -> list[Form]:
        return [] if self.value.is_constant else [self.value]

    def advance(self, signals: list[Form]) -> None:
        if signals:
            self.value = signals[0]


class Square(Channel):
    """Yarotsky's f_m applied to an input form s with values in [0, 1]; ``value`` is f_j after j layers."""

    def __init__(self, s: Form) -> None:
        self.t = s  # g_{j}(s), the sawtooth after j layers
        self.value: Form = s  # f_0(s) = s (only used before the first layer)
        self.j = 0

    def forms(self) -> list[Form]:
        pre = [self.t, self.t - HALF]
        return pre + [self.value] if self.j >= 1 else pre

    def advance(self, signals: list[Form]) -> None:
        p, h = signals[0], signals[1]
        g = p * 2 - h * 4
        self.j += 1
        if self.j == 1:
            self.value = p * HALF + h  # f_1 = s - g_1/4 with s = R(s) on [0, 1]
        else:
            self.value = signals[2] - g * Fraction(1, 4 ** self.j)
        self.t = g


@dataclass
class LayerProgram:
    """Accumulates ReLU layers; signals are ``Form`` s over the current layer (initially the inputs)."""

    in_dim: int
    layers: list[Layer] = field(default_factory=list)

    def inputs(self) -> list[Form]:
        return [Form.unit(i) for i in range(self.in_dim)]

    @property
    def width(self) -> int:
        return self.layers[-1].out_dim if self.layers else self.in_dim

    def relu_layer(self, forms: Sequence[Form], act: Activation = RELU) -> list[Form]:
        """Emit a layer of units act(form_i) (ReLU by default); return the new units as forms."""
        self.layers.append(_layer(forms, self.width, act))
        return [Form.unit(i) for i in range(len(forms))]

    def run(self, channels: Sequence[Channel], n_layers: int) -> None:
        """Advance all channels together through ``n_layers`` ReLU layers."""
        for _ in range(n_layers):
            per = [c.forms() for c in channels]
            units = self.relu_layer([f for fs in per for f in fs])
            k = 0
            for c, fs in zip(channels, per, strict=True):
                c.advance(units[k:k + len(fs)])
                k += len(fs)

    def finish(self, outputs: Sequence[Form]) -> Net:
        """Append the affine output layer and return the net."""
        return Net(self.in_dim, tuple(self.layers) + (_layer(outputs, self.width, IDENTITY),))


def _layer(forms: Sequence[Form], in_width: int, act: Activation) -> Layer:
    entries = tuple((r, i, v) for r, f in enumerate(forms) for i, v in f.terms)
    return Layer(SparseMatrix((len(forms), in_width), entries), tuple(f.const for f in forms),
                 (act,) * len(forms))


def _check_level(m: object, name: str) -> int:
    if not isinstance(m, int) or isinstance(m, bool) or m < 1:
        raise ConfigError(f"{name}: {m!r} must be an integer >= 1")
    return m


def square_error_bound(m: int) -> Fraction:
    """sup_[0,1] |f_m(x) - x^2| = 2^(-2m-2) (attained at the midpoints (2k+1)/2^(m+1))."""
    return Fraction(1, 4 ** (_check_level(m, "m") + 1))


def product_error_bound(q: int, M: object = 1) -> Fraction:
    """sup_[-M,M]^2 |xt(x, y) - xy| <= M^2 4^-q (attained at x = y = M 2^-q)."""
    mm = as_fraction(M, "M")
    return mm * mm / 4 ** _check_level(q, "q")


def yarotsky_square(m: int) -> Net:
    """ReLU net f_m with 0 <= f_m(x) - x^2 <= 2^(-2m-2) on [0, 1] (Yarotsky 2017, Prop. 2).

    Exact dyadic weights; strict MLP of width 3, depth m, 3m - 1 units, 8m - 3 nonzero params.
    f_m is the piecewise-linear interpolant of x^2 at k/2^m; outside [0, 1] it is not an approximation.
    """
    _check_level(m, "m")
    prog = LayerProgram(1)
    sq = Square(prog.inputs()[0])
    prog.run([sq], m)
    return prog.finish([sq.value])


def approx_product_net(q: int, M: object = 1) -> Net:
    """ReLU net xt(x, y) with |xt(x, y) - xy| <= M^2 4^-q on [-M, M]^2 (docs/constructions.md §2.4.2).

    xt = 2M^2 [f_q(|x+y|/2M) - f_q(|x|/2M) - f_q(|y|/2M)], |t| = R(t) + R(-t). Inputs (x, y), one output.
    Exact; 9q + 3 units, 24q + 5 nonzero params, depth q + 1; xt(0, y) = xt(x, 0) = 0 for all x, y.
    """
    _check_level(q, "q")
    mm = as_fraction(M, "M")
    if mm <= 0:
        raise ConfigError(f"M: {M!r} must be > 0")
    prog = LayerProgram(2)
    x, y = prog.inputs()
    u = prog.relu_layer([x + y, -(x + y), x, -x, y, -y])
    c = 1 / (2 * mm)
    squares = [Square((u[2 * k] + u[2 * k + 1]) * c) for k in range(3)]
    prog.run(squares, q)
    s_sum, s_x, s_y = (s.value for s in squares)
    return prog.finish([(s_sum - s_x - s_y) * (2 * mm * mm)])


def nonneg_product_channels(x: Form, y: Form) -> list[Square]:
    """Square channels for xt(x, y) on [0, 1]^2 (M = 1, no |.| layer needed since x, y >= 0).

    After q layers, ``nonneg_product_value(channels)`` is 2 [f_q((x+y)/2) - f_q(x/2) - f_q(y/2)],
    within [-4^-q, 4^-q / 2] of xy.
    """
    return [Square((x + y) * HALF), Square(x * HALF), Square(y * HALF)]


def nonneg_product_value(channels: Sequence[Square]) -> Form:
    s_sum, s_x, s_y = (c.value for c in channels)
    return (s_sum - s_x - s_y) * 2
