"""Exact evaluation in ``Fraction`` arithmetic at rational points (lists of Fractions; no numpy)."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from polyapprox.backends import _interpret
from polyapprox.core.net import Net, as_fraction
from polyapprox.errors import InvalidDataError


class _Exact(_interpret.ObjectArrays):
    def inputs(self, x: Sequence[object]) -> _interpret.Units:
        return _interpret.Units(as_fraction(v, f"x[{i}]") for i, v in enumerate(x))

    def constant(self, q: Fraction) -> Fraction:
        return q

    def relu(self, t: Sequence[Fraction], where: object) -> _interpret.Units:
        return _interpret.Units(v if v > 0 else Fraction(0) for v in t)


def evaluate_exact(net: Net, x: Sequence[object]) -> list[Fraction]:
    """net(x) exactly, for one rational point ``x`` (length in_dim; ints, Fractions or 'p/q' strings)."""
    if len(x) != net.in_dim:
        raise InvalidDataError(f"x: {len(x)} coordinates, the network takes {net.in_dim}")
    return _interpret.run(net, _Exact(), x)
