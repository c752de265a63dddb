"""Lemma 2 made explicit: a ReLU net approximating one PolyReLU unit on [-1, 1] (docs/constructions.md §3.1).

The paper's statement: docs/paper.md §2.3.

PolyReLU(x) = Q(R(x)), Q(t) = sum_i a_i t^i. With t = R(x) in [0, 1] the powers are computed by Yarotsky
gadgets (docs/constructions.md §2.4): P_2 = f_m(t) (in [0, 1]); for k >= 3, P_k = xt(t, C_{k-1}) with the nonnegative
product (M = 1) and C_j = clamp(P_j) = R(P_j) - R(P_j - 1) the projection onto [0, 1] (C_2 = P_2). The
output is a_0 + sum_k a_k C_k (P_r for the top power), accumulated on one carrier unit offset by
B = sum_i max(-a_i, 0) so that it stays >= 0 through ReLU carriers.

Error bound (rigorous; proof: the clamp is a projection onto a set holding t^k, |t| <= 1, and the product
error is <= 4^-q): E_2 = 4^-(m+1), E_k = E_{k-1} + 4^-q, so sup |net - PolyReLU| <= sum_k |a_k| E_k.
For x <= 0 the net is exactly a_0 (f_m(0) = 0 and xt(0, y) = 0). With m = q chosen minimal for a given eps,
q = log_4(S/eps) + O(1). Each level q adds one layer to each of the r - 1 power stages (3 f_q channels of 3
units plus 2 carriers: t and the offset accumulator), so the size is exactly c_0 + c_1 q with c_1 = O(r):
size = O(r ln(r A/eps)) = a + b ln(1/eps) for fixed coefficients -- docs/paper.md §4.3, against the
paper's O(ln^2(1/eps)) (true but loose).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from polyapprox.construct.yarotsky import (
    Carry,
    Channel,
    Form,
    LayerProgram,
    Square,
    nonneg_product_channels,
    nonneg_product_value,
)
from polyapprox.core.net import Layer, Net, PolyReLU, as_fraction
from polyapprox.errors import ConfigError


class Clamp(Channel):
    """One layer: ``value`` = R(P) - R(P - 1), the projection of P onto [0, 1]."""

    def __init__(self, p: Form) -> None:
        self.value = p

    def forms(self) -> list[Form]:
        return [self.value, self.value - 1]

    def advance(self, signals: list[Form]) -> None:
        self.value = signals[0] - signals[1]


def _coeffs(coeffs: Sequence[object] | PolyReLU) -> list[Fraction]:
    if isinstance(coeffs, PolyReLU):
        coeffs = coeffs.coeffs
    a = [as_fraction(c, f"coeffs[{i}]") for i, c in enumerate(coeffs)]
    while len(a) > 1 and a[-1] == 0:
        a.pop()
    if not a:
        raise ConfigError("coeffs: empty polynomial")
    return a


def error_bound(coeffs: Sequence[object], q: int, m: int | None = None) -> Fraction:
    """sum_{k>=2} |a_k| E_k with E_2 = 4^-(m+1), E_k = E_{k-1} + 4^-q (m defaults to q)."""
    a = _coeffs(coeffs)
    m = q if m is None else m
    total, e = Fraction(0), Fraction(1, 4 ** (m + 1))
    for k in range(2, len(a)):
        if k >= 3:
            e += Fraction(1, 4 ** q)
        total += abs(a[k]) * e
    return total


def levels_for(coeffs: Sequence[object], eps: object) -> int:
    """The smallest q >= 1 with error_bound(coeffs, q, m=q) < eps."""
    e = as_fraction(eps, "eps")
    if not 0 < e < 1:
        raise ConfigError(f"eps: {e} must lie in (0, 1)")
    q = 1
    while error_bound(coeffs, q) >= e:
        q += 1
    return q


def polyrelu_net(coeffs: Sequence[object], q: int, m: int | None = None) -> Net:
    """The ReLU net of the module docstring with squaring level m and product level q (exact weights)."""
    a = _coeffs(coeffs)
    if not isinstance(q, int) or isinstance(q, bool) or q < 1:
        raise ConfigError(f"q: {q!r} must be an integer >= 1")
    m = q if m is None else m
    r = len(a) - 1
    if r == 0:
        return Net(1, (Layer.make([[0]], [a[0]]),))
    prog = LayerProgram(1)
    t = prog.relu_layer(prog.inputs())[0]
    offset = sum((max(-c, Fraction(0)) for c in a[1:]), Fraction(0))
    acc = Form.constant(offset) + t * a[1]
    if r == 1:
        return prog.finish([acc + (a[0] - offset)])
    sq, carry_t, carry_acc = Square(t), Carry(t), Carry(acc)
    prog.run([sq, carry_acc] + ([carry_t] if r >= 3 else []), m)
    p, t, acc = sq.value, carry_t.value, carry_acc.value
    for k in range(3, r + 1):
        if k >= 4:  # C_{k-1} = clamp(P_{k-1}); P_2 = f_m(t) already lies in [0, 1]
            clamp, carry_t, carry_acc = Clamp(p), Carry(t), Carry(acc)
            prog.run([clamp, carry_t, carry_acc], 1)
            p, t, acc = clamp.value, carry_t.value, carry_acc.value
        acc = acc + p * a[k - 1]
        prod, carry_acc = nonneg_product_channels(t, p), Carry(acc)
        carries: list[Channel] = [carry_acc]
        if k < r:
            carry_t = Carry(t)
            carries.append(carry_t)
        prog.run([*prod, *carries], q)
        p, acc = nonneg_product_value(prod), carry_acc.value
        if k < r:
            t = carry_t.value
    return prog.finish([acc + p * a[r] + (a[0] - offset)])


def relu_approx_polyrelu(coeffs: Sequence[object], eps: object) -> tuple[Net, Fraction]:
    """(ReLU net g, bound) with sup_[-1,1] |g(x) - sum_i a_i R(x)^i| <= bound < eps (Lemma 2, explicit).

    ``coeffs`` = (a_0, ..., a_r), exact rationals, or a ``PolyReLU`` spec. The bound is the rigorous
    ``error_bound`` at the smallest level q meeting eps (m = q). Size a + b ln(1/eps) for fixed coefficients.
    """
    q = levels_for(coeffs, eps)
    return polyrelu_net(coeffs, q), error_bound(coeffs, q)


def polyrelu_target(coeffs: Sequence[object]) -> list[tuple[Fraction, Fraction, tuple[Fraction, ...]]]:
    """PolyReLU on [-1, 1] as polynomial pieces for ``pieces.sup_error``: a_0 on [-1, 0], Q on [0, 1]."""
    a = _coeffs(coeffs)
    return [(Fraction(-1), Fraction(0), (a[0],)), (Fraction(0), Fraction(1), tuple(a))]


@dataclass(frozen=True)
class LogFit:
    """Least squares size = a + b * ln(1/eps)^power, with residuals (size - fit)."""

    power: int
    a: float
    b: float
    residuals: tuple[float, ...]

    @property
    def rms(self) -> float:
        return float(np.sqrt(np.mean(np.square(self.residuals))))

    @property
    def max_abs(self) -> float:
        return float(np.max(np.abs(self.residuals)))

    def to_dict(self) -> dict[str, object]:
        return {"model": f"a + b ln(1/eps)^{self.power}", "a": self.a, "b": self.b, "rms": self.rms,
                "max_abs_residual": self.max_abs, "residuals": list(self.residuals)}


def fit_log_size(eps: Sequence[float], sizes: Sequence[int], power: int) -> LogFit:
    """Fit size = a + b ln(1/eps)^power by ordinary least squares (power 1: the [note]; 2: the paper)."""
    x = np.log(1.0 / np.asarray(eps, dtype=float)) ** power
    y = np.asarray(sizes, dtype=float)
    design = np.column_stack([np.ones_like(x), x])
    (a, b), *_ = np.linalg.lstsq(design, y, rcond=None)
    return LogFit(power, float(a), float(b), tuple(float(v) for v in y - (a + b * x)))
