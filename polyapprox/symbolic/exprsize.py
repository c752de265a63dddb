"""Cheap upper bounds on what expanding a sympy expression costs, computed without expanding it.

``Size`` bounds the total degree, the number of terms and the digits of the numerator and denominator of any
rational coefficient of ``sympy.expand(expr)``. Sub-expressions that expansion treats as
atoms (``sin(x)``, ``x**y``, ``sqrt(2)``) count as one term of degree 1 (0 without symbols); their arguments
are bounded separately. ``check_size`` refuses an expression over the limits ``degree``, ``expr_terms`` and
``number_digits`` of ``core.limits`` before any expansion or big-number arithmetic happens.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from polyapprox.core.limits import LIMITS, check

#: values saturate here, so that bounds of hostile expressions stay small integers
SATURATE = 10 ** 15


@dataclass(frozen=True)
class Size:
    degree: int
    terms: int
    num: int  # digits of any coefficient's numerator
    den: int  # digits of any coefficient's denominator (0: integer coefficients)
    gens: frozenset[sympy.Basic] = frozenset()  # the generators (symbols, atoms) it depends on
    work: int = 1  # terms produced while expanding it, all steps together

    @property
    def digits(self) -> int:
        """Digits of the larger part of any coefficient."""
        return max(self.num, self.den)

    def worst(self, other: Size) -> Size:
        """Component-wise maximum (of the numbers)."""
        return Size(max(self.degree, other.degree), max(self.terms, other.terms), max(self.num, other.num),
                    max(self.den, other.den), work=max(self.work, other.work))


ONE = Size(0, 1, 1, 0)


def _sized(degree: int, terms: int, num: int, den: int, parts: list[Size]) -> Size:
    """A saturated Size built from ``parts``: its term bound is also capped by the number of monomials of
    degree <= ``degree`` in their generators; its work is theirs plus its own terms."""
    degree, gens = _sat(degree), frozenset().union(*(p.gens for p in parts))
    terms = min(_sat(terms), _multisets(len(gens) + 1, degree))
    return Size(degree, terms, _sat(num), _sat(den), gens, _sat(terms + sum(p.work for p in parts)))


def _sat(value: int) -> int:
    return min(value, SATURATE)


def int_digits(n: int) -> int:
    """Decimal digits of ``n`` (an upper bound from the bit length: no int-to-str conversion)."""
    return abs(n).bit_length() * 30103 // 100000 + 1


def number_size(r: sympy.Rational) -> Size:
    """A rational constant: degree 0, one term, the digits of its numerator and denominator."""
    return Size(0, 1, int_digits(int(r.p)), int_digits(int(r.q)) if r.q != 1 else 0)


def _multisets(t: int, k: int) -> int:
    """comb(t + k - 1, k) (monomials of degree k in t terms), saturated, computed in at most ~60 steps."""
    r = min(k, t - 1)
    value = 1
    for i in range(1, r + 1):
        value = value * (t - 1 + k - r + i) // i
        if value >= SATURATE:
            return SATURATE
    return value


def add_size(parts: list[Size], keys: list[object] | None = None) -> Size:
    """A sum. Any term of a multi-term part may combine with any other; single terms combine only with single
    terms of the same ``keys`` entry (their monomial; default: all distinct, as in a built sympy Add).
    Combining p1/q1 + ... + pk/qk: denominator digits add, numerator digits <= max + those + digits(k)."""
    keys = keys if keys is not None else list(range(len(parts)))
    groups: dict[object, list[Size]] = {}
    for p, key in zip(parts, keys, strict=True):
        groups.setdefault(key if p.terms <= 1 else ("multi",), []).append(p)
    spread = groups.pop(("multi",), [])
    worst: tuple[int, int] = (0, 0)
    for group in [[]] + list(groups.values()):
        together = spread + group
        den = sum(p.den for p in together)
        num = max((p.num for p in together), default=0) + den + int_digits(len(together))
        worst = (max(worst[0], num), max(worst[1], den))
    return _sized(max((p.degree for p in parts), default=0), sum(p.terms for p in parts), worst[0], worst[1],
                  parts)


def mul_size(parts: list[Size]) -> Size:
    """A product: degrees and digits add; term counts multiply."""
    terms = 1
    for p in parts:
        terms = _sat(terms * p.terms)
    return _sized(sum(p.degree for p in parts), terms, sum(p.num for p in parts), sum(p.den for p in parts),
                  parts)


def pow_size(base: Size, k: int) -> Size:
    """``base**k`` for an integer k (a negative k expands the denominator the same way, upside down)."""
    if k == 0:
        return ONE
    grow = int_digits(base.terms) if base.terms > 1 else 0
    num, den = abs(k) * (base.num + grow), abs(k) * base.den
    num, den = (num, den) if k > 0 else (den, num)
    return _sized(base.degree * abs(k), _multisets(base.terms, abs(k)), num, den, [base])


def atom_size(expr: sympy.Basic) -> Size:
    """Something expansion does not open: one term, degree 1 if it depends on a symbol."""
    if expr.free_symbols:
        return Size(1, 1, 1, 0, frozenset([expr]))
    return ONE


def expression_size(expr: sympy.Basic, memo: dict[sympy.Basic, tuple[Size, Size]] | None = None
                    ) -> tuple[Size, Size]:
    """(bound for ``expand(expr)``, worst bound over every sub-expression, atoms' arguments included);
    ``memo`` may be shared between calls on related expressions."""
    memo = {} if memo is None else memo

    def visit(e: sympy.Basic) -> tuple[Size, Size]:
        if e in memo:
            return memo[e]
        if isinstance(e, sympy.Rational):
            own = number_size(e)
            out = (own, own)
        elif isinstance(e, sympy.Symbol) or not e.args:
            own = atom_size(e)
            out = (own, own)
        else:
            kids = [visit(a) for a in e.args]
            worst = kids[0][1]
            for _, w in kids[1:]:
                worst = worst.worst(w)
            own = _combine(e, [k[0] for k in kids])
            out = (own, worst.worst(own))
        memo[e] = out
        return out

    return visit(expr)


def _combine(e: sympy.Basic, parts: list[Size]) -> Size:
    if isinstance(e, sympy.Add):
        return add_size(parts)
    if isinstance(e, sympy.Mul):
        return mul_size(parts)
    if isinstance(e, sympy.Pow) and isinstance(e.exp, sympy.Integer):
        return pow_size(parts[0], int(e.exp))
    return atom_size(e)


def check_size(size: Size, where: str) -> None:
    """LimitError (naming the limit and its environment variable) if ``size`` is over a limit."""
    check("degree", size.degree, f"{where}: {LIMITS['degree'].meaning}")
    check("expr_terms", size.work, f"{where}: {LIMITS['expr_terms'].meaning}")
    check("number_digits", size.digits, f"{where}: digits of a number it computes")
