"""Helpers shared by the check modules: symbols, the prover (imported lazily), fixed polynomials."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import sympy

X, Y, Z = sympy.symbols("x y z", real=True)


def relu(t: sympy.Expr) -> sympy.Expr:
    """max(t, 0) as the target expression of a statement."""
    return sympy.Max(t, 0)


def prove(net: Any, expr: sympy.Expr, symbols: tuple[sympy.Symbol, ...], domain: Any = None) -> Any:
    """``polyapprox.symbolic.prove_equal(net, expr, symbols, domain)`` (lazy import)."""
    from polyapprox.symbolic import prove_equal

    return prove_equal(net, expr, symbols=symbols, domain=domain)


def fixed_coeffs(k: int) -> list[Fraction]:
    """c_i = (-1)^i (i + 1) / (i + 2), i = 0..k: a fixed dense polynomial of degree exactly k."""
    return [Fraction((-1) ** i * (i + 1), i + 2) for i in range(k + 1)]


def poly_expr(coeffs: list[Fraction], x: sympy.Symbol) -> sympy.Expr:
    return sum((sympy.Rational(c.numerator, c.denominator) * x ** i for i, c in enumerate(coeffs)), sympy.S.Zero)


def box(d: int, lo: int = -1, hi: int = 1) -> list[tuple[Fraction, Fraction]]:
    """The box [lo, hi]^d as a list of (lo, hi) pairs."""
    return [(Fraction(lo), Fraction(hi))] * d


def dense_forward(layers: list[tuple[list[list[Any]], list[Any]]], syms: tuple[sympy.Symbol, ...],
                  act: Any) -> sympy.Expr:
    """The function x -> W_L act(... act(W_1 x + b_1) ...) + b_L written directly in sympy (exact rationals)."""
    def q(v: Any) -> sympy.Expr:
        f = Fraction(v)
        return sympy.Rational(f.numerator, f.denominator)

    a: list[sympy.Expr] = list(syms)
    for n, (w, b) in enumerate(layers):
        z = [sum((q(wij) * aj for wij, aj in zip(row, a, strict=True)), q(bi)) for row, bi in zip(w, b, strict=True)]
        a = z if n == len(layers) - 1 else [act(t) for t in z]
    return a[0]
