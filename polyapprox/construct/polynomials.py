"""Exact one-hidden-layer PolyReLU networks for monomials and multivariate polynomials (docs/constructions.md §1.5).

**Polynomials** (``polynomial_net``; docs/constructions.md §1.5, on all of R^d). Split p = c_0 + sum_{j=1..k} H_j into
homogeneous parts. The linear part H_1 is one linear form L, written ``L = R(L) - R(-L)``. For j >= 2 the
j-th powers ``(beta . x)^j`` over the simplex-lattice directions ``beta in N^d, |beta| = j`` span the
homogeneous polynomials of degree j (the principal lattice is unisolvent), so
``H_j = sum_beta c_beta (beta . x)^j`` with the unique rational ``c_beta`` of a square linear system, solved
exactly for each j. Each power is the pair ``z^j = R_j(z) + (-1)^j R_j(-z)`` (two one-hot ReLU^j units, valid on
all of R), and c_0 is the output bias. Directions are divided by their gcd (``(2,0).x = 2 x_1`` becomes x_1
with the factor 2^j moved to the output weight); only the variables present in H_j get lattice directions;
zero c_beta get no units. When it needs fewer directions, the finite-difference form below (summed over
the monomials of H_j, parallel directions merged) is used for H_j instead: sparse parts such as x^2 y z
or x^6 + y^6 then cost fewer units than the full lattice.

Size for a dense polynomial of total degree k >= 1 in d variables (``polynomial_net_size``; exact for generic
coefficients, an upper bound always):

* units   U = 2 (C(k+d, d) - d)                      (2 for H_1, 2 C(j+d-1, d-1) for each j >= 2)
* params  W = 2 d C(k+d-1, d) + U + 1                (input weights: each beta has |supp beta| nonzeros and
  sum_{|beta|=j} |supp beta| = d C(j+d-2, d-1), hockey stick; one output weight per unit; the output bias)
* depth 1, width U.

**Monomials** (``monomial_net``): x^alpha with |alpha| = k by the finite-difference identity
``k! x^alpha = sum_{0 <= beta <= alpha} (-1)^{|alpha - beta|} prod_i C(alpha_i, beta_i) ((beta + s) . x)^k``
(expand and use sum_b (-1)^{a-b} C(a,b) b^g = a! S(g, a), which vanishes for g < a; any shift s works since
only the top-degree part in beta survives). With s = -alpha/2 the directions of beta and alpha - beta are
opposite and merge: at most ceil(prod_i (alpha_i + 1) / 2) directions (2^(k-1) for x_1 ... x_k, the
polarization formula, docs/constructions.md §1.5), 2 units each.

Every unit is one-hot (R_j), so ``construct.shared.shared_form`` turns these nets into shared-sigma nets.
With per-unit coefficients allowed, fewer units suffice: for d = 1, ``blocks.polynomial_1d_block`` needs 2
units for any degree (all powers share the direction x), against 2k here.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from itertools import product
from math import comb, factorial, gcd

import sympy

from polyapprox.construct.shared import solve_rational
from polyapprox.core.net import Layer, Net, PolyReLU, SparseMatrix
from polyapprox.errors import ConfigError, ExpressionError
from polyapprox.symbolic.expressions import as_polynomial, parse_variables, to_expression

Direction = tuple[int, ...]


def polynomial_net_size(k: int, d: int) -> dict[str, int]:
    """Closed-form size of ``polynomial_net`` for a dense degree-k polynomial in d variables (see module doc).

    Returns ``{"units", "params", "weights", "biases", "depth", "width"}``; exact for generic coefficients
    with a nonzero constant term, an upper bound for every polynomial of degree <= k.
    """
    for name, v in (("k", k), ("d", d)):
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise ConfigError(f"{name}: {v!r} must be an integer >= 1")
    units = 2 * (comb(k + d, d) - d)
    weights = 2 * d * comb(k + d - 1, d) + units
    return {"units": units, "params": weights + 1, "weights": weights, "biases": 1, "depth": 1, "width": units}


def simplex_lattice(j: int, d: int) -> list[Direction]:
    """All beta in N^d with |beta| = j, in lexicographic order (C(j+d-1, d-1) of them)."""
    if d == 1:
        return [(j,)]
    return [(b,) + rest for b in range(j, -1, -1) for rest in simplex_lattice(j - b, d - 1)]


def _multinomial(alpha: Sequence[int]) -> int:
    out = factorial(sum(alpha))
    for a in alpha:
        out //= factorial(a)
    return out


def _power_coefficients(h: dict[Direction, Fraction], j: int, d: int) -> dict[Direction, Fraction]:
    """c_beta with sum_beta c_beta (beta . x)^j = h (h: exponent -> coefficient, all |alpha| = j).

    Lattice over the variables present in h only; solved exactly.
    """
    present = [i for i in range(d) if any(alpha[i] for alpha in h)]
    sub = simplex_lattice(j, len(present))

    def lift(e: Sequence[int]) -> Direction:
        full = [0] * d
        for i, v in zip(present, e, strict=True):
            full[i] = v
        return tuple(full)

    betas = [lift(b) for b in sub]
    alphas = betas  # the monomials of degree j in the present variables are indexed by the same lattice
    matrix = [[Fraction(_multinomial(a) * _prod_pow(b, a)) for b in betas] for a in alphas]
    rhs = [h.get(a, Fraction(0)) for a in alphas]
    c = solve_rational(matrix, rhs)
    return {b: v for b, v in zip(betas, c, strict=True) if v != 0}


def _prod_pow(b: Sequence[int], a: Sequence[int]) -> int:
    out = 1
    for bi, ai in zip(b, a, strict=True):
        out *= bi ** ai
    return out


def _power_terms(d: int, terms: list[tuple[Sequence[Fraction], int, Fraction]], constant: Fraction) -> Net:
    """Net of ``constant + sum coeff * (w . x)^j`` over (w, j, coeff), each power as an R_j pair."""
    entries: list[tuple[int, int, Fraction]] = []
    acts: list[PolyReLU] = []
    out: list[tuple[int, int, Fraction]] = []
    n = 0
    for w, j, coeff in terms:
        act = PolyReLU.relu_power(j)
        for sign in (1, -1):
            entries.extend((n, i, sign * wi) for i, wi in enumerate(w) if wi != 0)
            acts.append(act)
            out.append((0, n, coeff if sign == 1 else (-1) ** j * coeff))
            n += 1
    if n == 0:  # a constant: one affine layer
        return Net(d, (Layer.make(SparseMatrix((1, d)), [constant]),))
    hidden = Layer(SparseMatrix((n, d), tuple(entries)), (Fraction(0),) * n, tuple(acts))
    output = Layer.make(SparseMatrix((1, n), tuple(out)), [constant])
    return Net(d, (hidden, output))


def _primitive(beta: Direction, j: int, c: Fraction) -> tuple[Direction, Fraction]:
    """c (beta . x)^j = c' (w . x)^j with w = beta / g primitive and its first nonzero entry positive."""
    g = 0
    for b in beta:
        g = gcd(g, b)
    if next(b for b in beta if b) < 0:
        g = -g
    return tuple(b // g for b in beta), c * Fraction(g) ** j


def _resolve(expr_or_str: object, variables: object) -> tuple[sympy.Poly, int]:
    if isinstance(variables, str):
        syms = parse_variables(variables)
    elif isinstance(variables, Sequence) and variables and all(isinstance(s, sympy.Symbol) for s in variables):
        syms = tuple(variables)
    elif isinstance(variables, Sequence) and variables:
        syms = parse_variables([str(v) for v in variables])
    else:
        raise ExpressionError(f"vars: expected 'x,y' or a list of symbols, got {variables!r}")
    expr = to_expression(expr_or_str, syms)
    if isinstance(expr_or_str, sympy.Basic):
        unknown = sorted(str(s) for s in expr.free_symbols if s not in syms)
        if unknown:
            raise ExpressionError(f"expression {expr}: unknown variable {unknown[0]!r} "
                                  f"(variables: {', '.join(map(str, syms))})")
    return as_polynomial(expr, syms), len(syms)


def polynomial_net(expr_or_str: object, variables: object) -> Net:
    """A depth-1 PolyReLU net equal to the polynomial on all of R^d (module doc; docs/constructions.md §1.5).

    ``expr_or_str``: a sympy expression or a string (parsed by ``parse_expression``); ``variables``: 'x,y',
    a list of names, or sympy symbols (their order is the input order).
    """
    poly, d = _resolve(expr_or_str, variables)
    by_degree: dict[int, dict[Direction, Fraction]] = {}
    constant = Fraction(0)
    for alpha, coeff in poly.terms():
        q = Fraction(int(coeff.numerator), int(coeff.denominator))
        if sum(alpha) == 0:
            constant = q
        else:
            by_degree.setdefault(sum(alpha), {})[tuple(alpha)] = q
    terms: list[tuple[Sequence[Fraction], int, Fraction]] = []
    for j in sorted(by_degree):
        h = by_degree[j]
        if j == 1:  # the linear part is one linear form L = R(L) - R(-L)
            w = [Fraction(0)] * d
            for alpha, q in h.items():
                w[alpha.index(1)] = q
            terms.append((w, 1, Fraction(1)))
            continue
        lattice = _merge(_power_coefficients(h, j, d).items(), j)
        differences = _merge(((beta, q * c) for alpha, q in h.items() for beta, c in _difference_terms(alpha)), j)
        best = lattice if len(lattice) <= len(differences) else differences
        terms.extend(([Fraction(b) for b in w], j, c) for w, c in best.items())
    return _power_terms(d, terms, constant)


def _merge(pairs: object, j: int) -> dict[Direction, Fraction]:
    """sum c (beta . x)^j grouped by primitive direction (zero totals dropped)."""
    merged: dict[Direction, Fraction] = {}
    for beta, c in pairs:  # type: ignore[attr-defined]
        prim, coeff = _primitive(beta, j, c)
        merged[prim] = merged.get(prim, Fraction(0)) + coeff
    return {w: c for w, c in merged.items() if c != 0}


def _difference_terms(alpha: Direction) -> list[tuple[Direction, Fraction]]:
    """(v, c) with x^alpha = sum c (v . x)^k, k = |alpha|, by the centred finite-difference identity.

    k! x^alpha = sum_{0 <= beta <= alpha} (-1)^{|alpha-beta|} prod_i C(alpha_i, beta_i) ((beta - alpha/2) . x)^k
    (module doc; the shift -alpha/2 is allowed because the alpha-th difference of a degree-k polynomial in beta
    only sees its top-degree part). v = 2 beta - alpha, so beta and alpha - beta give opposite, hence merged,
    directions: about prod_i (alpha_i + 1) / 2 of them (the polarization formula for x_1 ... x_k).
    """
    k = sum(alpha)
    out = []
    for beta in product(*(range(a + 1) for a in alpha)):
        v = tuple(2 * b - a for b, a in zip(beta, alpha, strict=True))
        if any(v):
            c = Fraction((-1) ** (k - sum(beta)), factorial(k) * 2 ** k)
            for a, b in zip(alpha, beta, strict=True):
                c *= comb(a, b)
            out.append((v, c))
    return out



def monomial_net(exponents: Sequence[int]) -> Net:
    """x^alpha on R^d (d = len(alpha)) by the centred finite-difference identity of the module doc.

    At most ceil(prod_i (alpha_i + 1) / 2) directions (parallel ones merged), 2 one-hot ReLU^k units each
    (k = |alpha|); depth 1.
    """
    alpha = tuple(exponents)
    if not alpha or any(not isinstance(a, int) or isinstance(a, bool) or a < 0 for a in alpha):
        raise ConfigError(f"exponents: {exponents!r} must be a non-empty list of integers >= 0")
    d, k = len(alpha), sum(alpha)
    if k == 0:
        return _power_terms(d, [], Fraction(1))
    terms = [([Fraction(b) for b in w], k, c) for w, c in _merge(_difference_terms(alpha), k).items()]
    return _power_terms(d, terms, Fraction(0))
