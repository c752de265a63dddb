"""Sympy back end: a net as exact expressions in real symbols (Rational weights).

``relu`` chooses how ReLU is written: ``"max"`` (``Max(t, 0)``), ``"abs"`` (``(t + |t|)/2``, the form the
algebraic proof method expands), or a callable ``relu(t, layer, unit) -> expr`` used by the region-wise
prover to fix signs unit by unit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction

import sympy

from polyapprox.backends import _interpret
from polyapprox.core.deadline import check_deadline
from polyapprox.core.net import Net
from polyapprox.errors import ExpressionError

ReluRule = str | Callable[[sympy.Expr, int, int], sympy.Expr]


def rational(q: Fraction) -> sympy.Rational:
    return sympy.Rational(q.numerator, q.denominator)


def default_symbols(d: int) -> tuple[sympy.Symbol, ...]:
    """x (d = 1), x, y (2), x, y, z (3), else x1..xd; all real."""
    names = {1: "x", 2: "x y", 3: "x y z"}.get(d, " ".join(f"x{i + 1}" for i in range(d)))
    syms = sympy.symbols(names, real=True)
    return syms if isinstance(syms, tuple) else (syms,)


class _Sympy(_interpret.ObjectArrays):
    def __init__(self, relu: ReluRule) -> None:
        self.rule = relu

    def constant(self, q: Fraction) -> sympy.Rational:
        return rational(q)

    def relu(self, t: Sequence[sympy.Expr], where: tuple[int, _interpret.Indices]) -> _interpret.Units:
        check_deadline()  # once per layer group: a timeout stops a long build between layers
        k, idx = where
        rule = self.rule
        if rule == "max":
            vals = [sympy.Max(v, 0) for v in t]
        elif rule == "abs":
            vals = [(v + sympy.Abs(v)) / 2 for v in t]
        elif callable(rule):
            vals = [rule(v, k, int(i)) for v, i in zip(t, idx, strict=True)]
        else:
            raise ExpressionError(f"relu: unknown rule {rule!r} (max, abs or a callable)")
        return _interpret.Units(vals)

    def output(self, a: Sequence[sympy.Expr]) -> list[sympy.Expr]:
        return [sympy.sympify(v, strict=True) for v in a]  # net values only; strict never parses text


def to_sympy(net: Net, symbols: Sequence[sympy.Symbol] | None = None, relu: ReluRule = "max") -> list[sympy.Expr]:
    """The outputs of ``net`` as sympy expressions in ``symbols`` (default: ``default_symbols(in_dim)``)."""
    syms = tuple(symbols) if symbols is not None else default_symbols(net.in_dim)
    if len(syms) != net.in_dim:
        raise ExpressionError(f"symbols: {len(syms)} given, the network takes {net.in_dim} inputs")
    return _interpret.run(net, _Sympy(relu), syms)
