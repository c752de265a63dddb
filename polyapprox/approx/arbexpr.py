"""Sympy expressions as ball-arithmetic functions (python-flint ``arb`` / ``arb_series``), without ``eval``.

``arb_function(expr, symbols)`` walks the sympy tree once and returns a function of a list of coordinates
(each an ``arb`` ball or an ``arb_series`` Taylor expansion); every node maps to a flint operation: Add,
Mul, Pow (integer, half-integer and general real exponents), sin, cos, tan, exp, log, sqrt, atan, asin,
acos, pi, E, Integer, Rational and Float (the float's exact binary value). Anything else (Piecewise, Abs,
Max, user functions, ...) raises ExpressionError: no enclosure is claimed for it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import sympy

from polyapprox.backends.arbnet import arb_of
from polyapprox.errors import ExpressionError

ArbFn = Callable[[Sequence[Any]], Any]

_UNARY = {sympy.sin: "sin", sympy.cos: "cos", sympy.tan: "tan", sympy.exp: "exp", sympy.log: "log",
          sympy.atan: "atan", sympy.asin: "asin", sympy.acos: "acos"}


def _const(e: sympy.Expr) -> ArbFn:
    from flint import arb

    if e is sympy.pi:
        return lambda xs: arb.pi()
    if e is sympy.E:
        return lambda xs: arb.const_e()
    if isinstance(e, (sympy.Integer, sympy.Rational)):
        v = arb_of(Fraction(int(e.p), int(e.q)))
        return lambda xs: v
    if isinstance(e, sympy.Float):
        v = arb_of(float(e))
        return lambda xs: v
    raise ExpressionError(f"expression: the constant {str(e)[:60]} has no ball-arithmetic form")


def _pow(base: ArbFn, ex: sympy.Expr, index: dict[sympy.Symbol, int]) -> ArbFn:
    if isinstance(ex, sympy.Integer):
        k = int(ex)
        if k >= 0:
            return lambda xs: base(xs) ** k
        return lambda xs: 1 / (base(xs) ** (-k))
    if ex == sympy.Rational(1, 2):
        return lambda xs: base(xs).sqrt()
    if isinstance(ex, sympy.Rational) and ex.q == 2:
        k = int(ex.p)
        return lambda xs: _int_pow(base(xs).sqrt(), k)
    expo = _walk(ex, index)  # b^e = exp(e log b)
    return lambda xs: (base(xs).log() * expo(xs)).exp()


def _int_pow(v: Any, k: int) -> Any:
    return v ** k if k >= 0 else 1 / (v ** (-k))


def arb_function(expr: sympy.Expr, symbols: Sequence[sympy.Symbol]) -> ArbFn:
    """``expr`` as a function of ``[x_1, ..., x_d]`` (arb or arb_series); ExpressionError for other nodes."""
    index = {s: i for i, s in enumerate(symbols)}
    return _walk(sympy.sympify(expr, strict=True), index)  # strict: a string is refused, never parsed


def _walk(e: sympy.Expr, index: dict[sympy.Symbol, int]) -> ArbFn:
    if isinstance(e, sympy.Symbol):
        if e not in index:
            raise ExpressionError(f"expression: unknown variable {e.name[:40]}")
        i = index[e]
        return lambda xs: xs[i]
    if e.is_Number or e in (sympy.pi, sympy.E):
        return _const(e)
    if isinstance(e, sympy.Add):
        parts = [_walk(a, index) for a in e.args]
        return lambda xs: _fold(parts, xs, lambda a, b: a + b)
    if isinstance(e, sympy.Mul):
        parts = [_walk(a, index) for a in e.args]
        return lambda xs: _fold(parts, xs, lambda a, b: a * b)
    if isinstance(e, sympy.Pow):
        if e.base is sympy.E:
            arg = _walk(e.exp, index)
            return lambda xs: arg(xs).exp()
        return _pow(_walk(e.base, index), e.exp, index)
    if e.func in _UNARY and len(e.args) == 1:
        arg, name = _walk(e.args[0], index), _UNARY[e.func]
        return lambda xs: getattr(arg(xs), name)()
    raise ExpressionError(f"expression: {type(e).__name__} ({str(e)[:50]}) has no certified ball-arithmetic form")


def _fold(parts: Sequence[ArbFn], xs: Sequence[Any], op: Callable[[Any, Any], Any]) -> Any:
    """op folded over the parts' values, left to right."""
    vals = [p(xs) for p in parts]
    acc = vals[0]
    for v in vals[1:]:
        acc = op(acc, v)
    return acc
