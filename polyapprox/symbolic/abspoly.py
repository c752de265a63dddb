"""The canonical Abs form in exact rational arithmetic, without sympy: a fast proof for nets whose ReLUs act on
affine forms (every Lemma 1 block; docs/conventions.md §4.1).

Values live in Q[x_1, ..., x_d, |l_1|, ..., |l_m|] for affine forms l_j, as ``{(exponents, atoms): Fraction}``.
Only identities valid for every real x are applied:

    ReLU(t) = (t + |t|)/2,  Max(a, b) = (a + b + |a - b|)/2,  Min(a, b) = (a + b - |a - b|)/2,
    |c l| = |c| |l|  (l normalised: its first nonzero coefficient is 1),  |l| |l| = l^2.

So if net - target reduces to the zero polynomial, net = target on all of R^d: a proof. A nonzero remainder
proves nothing (|x|, |y|, |x + y| are not algebraically independent); then, and whenever a ReLU / Abs / Max /
Min argument is not affine or the target has another function, ``difference_is_zero`` answers None and the
sympy prover decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import sympy

from polyapprox.core.deadline import check_deadline
from polyapprox.core.net import Identity, Net

Key = tuple[tuple[int, ...], tuple[int, ...]]  # (exponent of each x_i, sorted ids of the |l_j| factors)
Poly = dict[Key, Fraction]
#: a value with more terms is not expanded here (the sympy prover, with its deadline, takes over)
MAX_TERMS = 4096
#: highest power of a target sub-expression expanded here
MAX_EXPONENT = 64


class NotDecided(Exception):
    """This fast path does not apply (non-affine Abs argument, unknown function, too large)."""


class Split(Exception):
    """A sign condition changes inside the current 1-D cell: cut it at ``at``."""

    def __init__(self, at: Fraction) -> None:
        super().__init__(f"split at {at}")
        self.at = at


class PolyAlgebra:
    """Exact polynomials in d variables (and, in ``AbsAlgebra``, Abs atoms); a subclass defines ``abs``."""

    def __init__(self, d: int) -> None:
        self.d = d
        self.zero_exp = (0,) * d
        self.squares: list[Poly] = []  # squares[j] = l_j^2 for the atom |l_j| (atom-free)

    def const(self, c: Fraction) -> Poly:
        return {(self.zero_exp, ()): Fraction(c)} if c else {}

    def var(self, i: int) -> Poly:
        return {(tuple(int(k == i) for k in range(self.d)), ()): Fraction(1)}

    @staticmethod
    def add(p: Poly, q: Poly, scale: Fraction = Fraction(1)) -> Poly:
        """p + scale * q."""
        out = dict(p)
        for k, c in q.items():
            _accumulate(out, k, c if scale == 1 else scale * c)
        return out

    def mul(self, p: Poly, q: Poly) -> Poly:
        """p * q, with |l_j| |l_j| replaced by l_j^2."""
        check_deadline()
        out: Poly = {}
        for (e1, a1), c1 in p.items():
            for (e2, a2), c2 in q.items():
                e = tuple(i + j for i, j in zip(e1, e2, strict=True))
                if not (a1 and a2):
                    _accumulate(out, (e, a1 or a2), c1 * c2)
                    continue
                term: Poly = {(e, tuple(sorted(set(a1) ^ set(a2)))): c1 * c2}
                for j in set(a1) & set(a2):
                    term = self.mul(term, self.squares[j])
                for k, c in term.items():
                    _accumulate(out, k, c)
        if len(out) > MAX_TERMS:
            raise NotDecided(f"more than {MAX_TERMS} terms")
        return out

    def power(self, p: Poly, k: int) -> Poly:
        if not 0 <= k <= MAX_EXPONENT:
            raise NotDecided(f"exponent {k}")
        out = self.const(Fraction(1))
        for _ in range(k):
            out = self.mul(out, p)
        return out

    def affine(self, p: Poly) -> tuple[Fraction, ...]:
        """(c_1, ..., c_d, c_0) for p = sum c_i x_i + c_0; NotDecided if p has atoms or degree > 1."""
        coeffs = [Fraction(0)] * (self.d + 1)
        for (e, atoms), c in p.items():
            if atoms or sum(e) > 1:
                raise NotDecided("an Abs argument that is not affine")
            coeffs[e.index(1) if sum(e) else self.d] = c
        return tuple(coeffs)

    def abs(self, p: Poly) -> Poly:
        raise NotImplementedError

    def polyrelu(self, t: Poly, coeffs: Sequence[Fraction]) -> Poly:
        """sum_i coeffs[i] ReLU(t)^i (ReLU^0 = 1)."""
        raise NotImplementedError

    def max_min(self, a: Poly, b: Poly, sign: int) -> Poly:
        """Max(a, b) (sign 1) or Min(a, b) (sign -1) = (a + b +- |a - b|)/2."""
        s = self.add(self.add(a, b), self.abs(self.add(a, b, Fraction(-1))), Fraction(sign))
        return {k: c / 2 for k, c in s.items()}


def _accumulate(out: Poly, key: Key, value: Fraction) -> None:
    """out[key] += value, dropping zero coefficients."""
    old = out.get(key)
    v = value if old is None else old + value
    if v:
        out[key] = v
    else:
        out.pop(key, None)


class AbsAlgebra(PolyAlgebra):
    """Abs atoms |l_j| of normalised affine forms (registered on first use): identities on all of R^d."""

    def __init__(self, d: int) -> None:
        super().__init__(d)
        self.atoms: dict[tuple[Fraction, ...], int] = {}

    def abs(self, p: Poly) -> Poly:
        """|p| for affine p: |c| |l| with l normalised (a number: its absolute value)."""
        v = self.affine(p)
        lead = next((c for c in v[:-1] if c), None)
        if lead is None:
            return self.const(abs(v[-1]))
        norm = tuple(c / lead for c in v)
        if norm not in self.atoms:
            self.atoms[norm] = len(self.squares)
            line: Poly = {(tuple(int(k == i) for k in range(self.d)), ()): c for i, c in enumerate(norm[:-1]) if c}
            line = self.add(line, self.const(norm[-1]))
            self.squares.append(self.mul(line, line))
        return {(self.zero_exp, (self.atoms[norm],)): abs(lead)}

    def polyrelu(self, t: Poly, coeffs: Sequence[Fraction]) -> Poly:
        """sum_i c_i ReLU(t)^i = c_0 + sum_{i>=1} c_i (t^i + |t| t^(i-1))/2 for affine t."""
        a = self.abs(t)
        powers = [self.const(Fraction(1))]
        for _ in coeffs[1:]:
            powers.append(self.mul(powers[-1], t))
        out = self.const(coeffs[0])
        for i, c in enumerate(coeffs[1:], start=1):
            if c:
                out = self.add(out, self.add(powers[i], self.mul(powers[i - 1], a)), c / 2)
        return out


class CellAlgebra(PolyAlgebra):
    """One variable on an open cell (lo, hi) (None: unbounded) where every Abs / ReLU argument met so far has a
    fixed sign: |p| = +-p; an affine argument with its root inside the cell raises ``Split``."""

    def __init__(self, lo: Fraction | None, hi: Fraction | None) -> None:
        super().__init__(1)
        self.lo, self.hi = lo, hi

    def inner_point(self) -> Fraction:
        lo, hi = self.lo, self.hi
        if lo is None:
            return Fraction(0) if hi is None else hi - 1
        return lo + 1 if hi is None else (lo + hi) / 2

    def sign(self, p: Poly) -> int:
        """The sign of affine p on the cell (Split if it changes there)."""
        a, b = self.affine(p)
        if a:
            root = -b / a
            if (self.lo is None or self.lo < root) and (self.hi is None or root < self.hi):
                raise Split(root)
        v = a * self.inner_point() + b
        return (v > 0) - (v < 0)

    def abs(self, p: Poly) -> Poly:
        return self.add({}, p, Fraction(self.sign(p)))

    def polyrelu(self, t: Poly, coeffs: Sequence[Fraction]) -> Poly:
        """sum_i c_i t^i where t > 0 on the cell, else c_0."""
        if self.sign(t) <= 0:
            return self.const(coeffs[0])
        out: Poly = {}
        for c in reversed(coeffs):
            out = self.add(self.mul(out, t), self.const(c))
        return out


def net_values(net: Net, alg: PolyAlgebra) -> list[Poly]:
    """The net's outputs in the algebra (NotDecided when a ReLU acts on a non-affine pre-activation)."""
    a = [alg.var(i) for i in range(net.in_dim)]
    for layer in net.layers:
        z = [alg.const(b) for b in layer.bias]
        for i, j, v in layer.weight.entries:
            z[i] = alg.add(z[i], a[j], v)
        a = [zi if isinstance(act, Identity) else alg.polyrelu(zi, act.coeffs)
             for zi, act in zip(z, layer.activations, strict=True)]
    return a


def from_sympy(e: sympy.Expr, syms: Sequence[sympy.Symbol], alg: PolyAlgebra) -> Poly:
    """A sympy expression built from rationals, the symbols, +, *, integer powers >= 0, Abs, Max and Min."""
    if e.is_Rational:
        return alg.const(Fraction(int(e.p), int(e.q)))
    if e.is_Symbol:
        if e not in syms:
            raise NotDecided(f"unknown symbol {e}")
        return alg.var(list(syms).index(e))
    args = [from_sympy(a, syms, alg) for a in e.args] if not e.is_Pow else []
    if e.is_Add:
        out: Poly = {}
        for a in args:
            out = alg.add(out, a)
        return out
    if e.is_Mul:
        out = alg.const(Fraction(1))
        for a in args:
            out = alg.mul(out, a)
        return out
    if e.is_Pow and e.exp.is_Integer:
        return alg.power(from_sympy(e.base, syms, alg), int(e.exp))
    if isinstance(e, sympy.Abs):
        return alg.abs(args[0])
    if isinstance(e, (sympy.Max, sympy.Min)):
        acc = args[0]
        for b in args[1:]:
            acc = alg.max_min(acc, b, 1 if isinstance(e, sympy.Max) else -1)
        return acc
    raise NotDecided(f"function {type(e).__name__}")


def difference_is_zero(net: Net, exprs: Sequence[sympy.Expr], syms: Sequence[sympy.Symbol]) -> bool | None:
    """True when every net output minus its expression reduces to 0 (a proof on all of R^d); None otherwise
    (nothing is concluded: the caller proves or refutes another way)."""
    try:
        return True if _vanishes(AbsAlgebra(len(syms)), net, exprs, syms) else None
    except NotDecided:
        return None


def _vanishes(alg: PolyAlgebra, net: Net, exprs: Sequence[sympy.Expr], syms: Sequence[sympy.Symbol]) -> bool:
    """Whether every net output minus its expression is the zero element of ``alg``."""
    values = net_values(net, alg)
    return all(not alg.add(v, from_sympy(e, syms, alg), Fraction(-1)) for v, e in zip(values, exprs, strict=True))


def cells_1d(net: Net, exprs: Sequence[sympy.Expr], sym: sympy.Symbol,
             domain: tuple[Fraction, Fraction] | None, max_cells: int) -> int | None:
    """One variable: the number of cells (cut at every root of an affine ReLU / Abs / Max / Min argument) on
    which net - expr is the zero polynomial, when they cover the domain (None: the real line); else None.
    Both sides are continuous, so equality on each open cell extends to its closure: a proof."""
    todo: list[tuple[Fraction | None, Fraction | None]] = [domain if domain is not None else (None, None)]
    done = 0
    while todo:
        lo, hi = todo.pop()
        try:
            zero = _vanishes(CellAlgebra(lo, hi), net, exprs, (sym,))
        except Split as cut:
            todo += [(cut.at, hi), (lo, cut.at)]
            if done + len(todo) > max_cells:
                return None
            continue
        except NotDecided:
            return None
        if not zero:
            return None
        done += 1
    return done
