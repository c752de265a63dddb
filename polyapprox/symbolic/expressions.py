"""Parsing user expressions (CLI ``EXPR`` arguments, targets): one safe parser for the whole toolkit.

``parse_expression("x**2*y - 1/3", ["x", "y"])`` returns a sympy expression in real symbols with exact
rationals (``1/3`` is ``Rational(1, 3)``, decimals such as ``0.5`` become exact rationals). Unknown names,
syntax errors and non-finite constants raise ``ExpressionError`` with a one-line message.
"""

from __future__ import annotations

import tokenize
from collections.abc import Sequence

import sympy
from sympy.parsing.sympy_parser import (
    auto_number,
    convert_xor,
    factorial_notation,
    implicit_multiplication,
    parse_expr,
    rationalize,
)

from polyapprox.errors import ExpressionError

#: Functions a user expression may call (all elementary, real-analytic away from their singularities).
FUNCTIONS = {name: getattr(sympy, name) for name in (
    "sin", "cos", "tan", "exp", "log", "sqrt", "Abs", "Max", "Min", "sinh", "cosh", "tanh", "atan",
    "asin", "acos", "Piecewise", "Heaviside", "sign", "erf", "Rational",
)}
FUNCTIONS.update({"abs": sympy.Abs, "max": sympy.Max, "min": sympy.Min, "pi": sympy.pi, "E": sympy.E})
_TRANSFORMS = (auto_number, factorial_notation, convert_xor, rationalize, implicit_multiplication)


def parse_variables(spec: str | Sequence[str]) -> tuple[sympy.Symbol, ...]:
    """'x,y' or ['x', 'y'] -> real symbols; names must be identifiers and distinct."""
    names = [n.strip() for n in spec.split(",")] if isinstance(spec, str) else [str(n).strip() for n in spec]
    if not names or any(not n for n in names):
        raise ExpressionError(f"vars: empty variable name in {spec!r}")
    for n in names:
        if not n.isidentifier() or n in FUNCTIONS:
            raise ExpressionError(f"vars: {n!r} is not a usable variable name")
    if len(set(names)) != len(names):
        raise ExpressionError(f"vars: duplicate variable in {spec!r}")
    return tuple(sympy.Symbol(n, real=True) for n in names)


def parse_expression(text: str, variables: str | Sequence[str] | Sequence[sympy.Symbol]) -> sympy.Expr:
    """Parse ``text`` over the given variables (real symbols); exact rationals; one-line errors."""
    if variables and isinstance(variables, (list, tuple)) and isinstance(variables[0], sympy.Symbol):
        syms = tuple(variables)
    else:
        syms = parse_variables(variables)  # type: ignore[arg-type]
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("expression: empty")
    local = dict(FUNCTIONS)
    local.update({s.name: s for s in syms})
    try:
        expr = parse_expr(text, local_dict=local, global_dict={"__builtins__": {}, **_sympy_core()},
                          transformations=_TRANSFORMS, evaluate=True)
    except NameError as exc:
        name = str(exc).split("'")[1] if "'" in str(exc) else str(exc)
        names = ", ".join(s.name for s in syms)
        raise ExpressionError(f"expression {text!r}: unknown name {name!r} (variables: {names})") from None
    except (SyntaxError, tokenize.TokenError, TypeError, ValueError, AttributeError, ZeroDivisionError,
            sympy.SympifyError) as exc:
        raise ExpressionError(f"expression {text!r}: cannot parse ({type(exc).__name__})") from None
    if not isinstance(expr, sympy.Expr):
        raise ExpressionError(f"expression {text!r}: not an arithmetic expression")
    unknown = sorted(str(s) for s in expr.free_symbols if s not in syms)
    if unknown:
        names = ", ".join(s.name for s in syms)
        raise ExpressionError(f"expression {text!r}: unknown variable {unknown[0]!r} (variables: {names})")
    if expr.has(sympy.zoo, sympy.oo, -sympy.oo, sympy.nan):
        raise ExpressionError(f"expression {text!r}: not finite")
    return expr


def _sympy_core() -> dict[str, object]:
    return {"Integer": sympy.Integer, "Rational": sympy.Rational, "Float": sympy.Float, "Symbol": sympy.Symbol}


def as_polynomial(expr: sympy.Expr, syms: Sequence[sympy.Symbol]) -> sympy.Poly:
    """``expr`` as a Poly over QQ in ``syms``; ExpressionError if it is not a polynomial with rational coefficients."""
    try:
        poly = sympy.Poly(sympy.expand(expr), *syms, domain="QQ")
    except (sympy.PolynomialError, sympy.CoercionFailed, sympy.GeneratorsNeeded) as exc:
        raise ExpressionError(f"expression {expr}: not a polynomial with rational coefficients "
                              f"in {', '.join(map(str, syms))} ({type(exc).__name__})") from None
    return poly
