"""The canonical Abs form used by the algebraic proof method (docs/conventions.md §4.1).

For real arguments: Max(a, b) = (a + b + |a - b|)/2, Min(a, b) = (a + b - |a - b|)/2, ReLU(t) = (t + |t|)/2,
and |u|^(2k) = u^(2k), |u|^(2k+1) = u^(2k) |u|. ``canonical`` rewrites an expression bottom-up so that every
``Abs`` argument is an expanded primitive polynomial (integer coefficients, content 1) with a fixed sign
convention, monomial arguments are split into |c| prod |x_i|^e_i, and powers of ``Abs`` are reduced. Two
expressions built from the same piecewise formulas then expand to identical trees, so "the difference
expands to 0" proves equality on all of R^d. No ``simplify`` is used anywhere. Piecewise, Heaviside, sign
and other functions are left in place (their arguments canonicalised); the region-wise method handles them.
"""

from __future__ import annotations

import sympy

from polyapprox.core.deadline import check_deadline


def _abs_of(u: sympy.Expr) -> sympy.Expr:
    """|u| for an already canonical u, in canonical form."""
    u = sympy.expand(u)
    if u == 0:
        return sympy.S.Zero
    if u.is_number:
        return abs(u)
    if not u.is_Add:  # a monomial c * prod x_i^e_i (or another single factor): split the product
        out = sympy.S.One
        for f in sympy.Mul.make_args(u):
            if f.is_number:
                out *= abs(f)
            elif f.is_Pow and f.exp.is_Integer and int(f.exp) % 2 == 0:
                out *= f
            elif f.is_Pow and f.exp.is_Integer and int(f.exp) > 0:
                out *= f.base ** (int(f.exp) - 1) * _abs_atom(f.base)
            else:
                out *= _abs_atom(f)
        return out
    content, prim = u.as_content_primitive()
    return abs(content) * _abs_atom(prim)


def _abs_atom(p: sympy.Expr) -> sympy.Expr:
    """Abs(p) with the sign convention: p is replaced by -p when sympy can extract a minus sign."""
    if p.could_extract_minus_sign():
        p = sympy.expand(-p)
    return sympy.Abs(p, evaluate=False) if not p.is_number else abs(p)


def _fold(op: str, args: list[sympy.Expr]) -> sympy.Expr:
    acc = args[0]
    for b in args[1:]:
        d = _abs_of(acc - b)
        acc = (acc + b + d) / 2 if op == "max" else (acc + b - d) / 2
        acc = sympy.expand(acc)
    return acc


def canonical(expr: sympy.Expr) -> sympy.Expr:
    """The canonical Abs form of ``expr`` (expanded; see module doc). Checks the current deadline."""
    check_deadline()
    return reduce_abs_powers(sympy.expand(_rewrite(sympy.sympify(expr, strict=True))))  # strict: no strings


def _rewrite(e: sympy.Expr) -> sympy.Expr:
    if e.is_Atom:
        return e
    if isinstance(e, sympy.Abs):
        return _abs_of(canonical(e.args[0]))
    if isinstance(e, (sympy.Max, sympy.Min)):
        return _fold("max" if isinstance(e, sympy.Max) else "min", [canonical(a) for a in e.args])
    if e.is_Add:
        return sympy.Add(*[_rewrite(a) for a in e.args])
    if e.is_Mul:
        return sympy.Mul(*[_rewrite(a) for a in e.args])
    if e.is_Pow:
        return sympy.Pow(_rewrite(e.base), e.exp)
    if isinstance(e, sympy.Piecewise):
        return sympy.Piecewise(*[(_rewrite(v), c) for v, c in e.args])
    if isinstance(e, sympy.Expr) and e.args:
        return e.func(*[_rewrite(a) if isinstance(a, sympy.Expr) else a for a in e.args])
    return e


def reduce_abs_powers(e: sympy.Expr) -> sympy.Expr:
    """Replace Abs(u)**n by u**n (n even) or u**(n-1) Abs(u) (n odd), expanding until none is left."""
    while True:
        pows = [p for p in e.atoms(sympy.Pow) if isinstance(p.base, sympy.Abs) and p.exp.is_Integer
                and int(p.exp) >= 2]
        if not pows:
            return e
        rep = {}
        for p in pows:
            n, u = int(p.exp), p.base.args[0]
            rep[p] = u ** n if n % 2 == 0 else u ** (n - 1) * p.base
        e = sympy.expand(e.xreplace(rep))


def has_abs(e: sympy.Expr) -> bool:
    return e.has(sympy.Abs)


def relu_abs(t: sympy.Expr) -> sympy.Expr:
    """ReLU(t) = (t + |t|)/2 in canonical form (t canonical)."""
    t = sympy.expand(t)
    return sympy.expand((t + _abs_of(t)) / 2)
