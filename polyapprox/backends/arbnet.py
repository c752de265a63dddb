"""Ball-arithmetic evaluation of a Net (python-flint ``arb``): rigorous enclosures at points or over boxes.

``evaluate_arb(net, x)`` runs the shared interpreter with every quantity an ``arb`` ball: at a point (exact
binary floats or rationals) the result is a tiny ball around the exact value of the exact net; over a box
(balls as inputs) it encloses the net's range there. ReLU of a ball straddling 0 is the ball [0, upper].
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from fractions import Fraction
from typing import Any

import numpy as np

from polyapprox.backends import _interpret
from polyapprox.core.net import Net
from polyapprox.errors import InvalidDataError

#: working precision (bits) of point evaluations: far below float64 rounding, cheap for nets of any size here
POINT_PREC = 128


def arb_of(q: Fraction | int | float) -> Any:
    """The arb ball of a rational or binary float (exact for floats; radius ~2^-prec for other rationals)."""
    from flint import arb, fmpq

    q = Fraction(q)
    return arb(fmpq(q.numerator, q.denominator))


class Straddle(ArithmeticError):
    """A ReLU's argument (an arb_series over a box) may change sign there: no Taylor form of the net."""


def relu_ball(v: Any) -> Any:
    """max(0, v) for an arb ball v, as a ball. For an arb_series: v or 0 where its sign is certain; else, for
    length <= 2, (R(v_0), [0, 1] v_1) (value and Clarke generalised derivative), and Straddle for longer series."""
    from flint import arb, arb_series

    if type(v).__name__ == "arb_series":
        if v[0] >= 0:
            return v
        if v[0] <= 0:
            return v * 0
        if v.prec <= 2:
            return arb_series([relu_ball(v[0]), arb(0.5, 0.5) * v[1]], prec=v.prec)
        raise Straddle("ReLU argument changes sign on the box")
    if v >= 0:
        return v
    if v <= 0:
        return arb(0)
    hi = v.upper()
    return arb(hi / 2, hi / 2)


def objects(values: Sequence[Any]) -> np.ndarray:
    """A 1-D object array of the values (arb_series are sequences: np.array would unpack them)."""
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        out[i] = v
    return out


class _Arb(_interpret.ObjectArrays):
    def inputs(self, x: Sequence[Any]) -> np.ndarray:
        return objects([v if type(v).__name__ in ("arb", "arb_series") else arb_of(v) for v in x])

    def constant(self, q: Fraction) -> Any:
        return arb_of(q)

    def relu(self, t: np.ndarray, where: object) -> np.ndarray:
        return objects([relu_ball(v) for v in t])


@contextmanager
def working_precision(bits: int) -> Iterator[None]:
    """Run the block with flint's ball precision set to ``bits`` (restored afterwards)."""
    from flint import ctx

    old = ctx.prec
    ctx.prec = bits
    try:
        yield
    finally:
        ctx.prec = old


def evaluate_arb(net: Net, x: Sequence[Any], prec: int = POINT_PREC) -> list[Any]:
    """net(x) in ball arithmetic at ``prec`` bits; x: in_dim numbers (floats, Fractions) or arb balls."""
    if len(x) != net.in_dim:
        raise InvalidDataError(f"x: {len(x)} coordinates, the network takes {net.in_dim}")
    with working_precision(prec):
        return _interpret.run(net, _Arb(), x)
