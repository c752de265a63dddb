"""ReLU^2-only Sobolev construction with the quadratic B-spline partition of unity (theory.md 2.6).

f_1(x) = sum_m phi_m(x) P_m(x) on [0,1]^d, m in {-1, ..., N+1}^d, with

* phi_m(x) = prod_k B2(N x_k - m_k + 3/2), B2(t) = [R2(t) - 3 R2(t-1) + 3 R2(t-2) - R2(t-3)] / 2 (support
  [0, 3], sum_j B2(t - j) = 1, C^1), so supp phi_m lies within 3/(2N) of m/N in each coordinate;
* P_m the Taylor polynomial of degree n-1 at the clamped centre c_m = clip(m/N, 0, 1) (the distance from
  the support on [0,1] to c_m stays <= 3/(2N));
* every product exact by polarization ab = [R2(a+b) + R2(-a-b) - R2(a-b) - R2(b-a)]/4 and every carried
  factor |a| <= 1 by the ReLU^2 bounded identity a = [R2(a+1) - R2(1-a)]/4; x_k itself likewise.

Every unit is ReLU^2 (PolyReLU e_2): a pure RePU net, C^1, constant depth 1 + ceil(log2(d + n - 1)).
Error (same proof as theory.md 2.2, phi_m >= 0, sum = 1): ||f - f_1||_inf <= (3/(2N))^n S_n(f).
Size Theta(N^d) at constant depth: the rate eps^(-d/n) with no log factor [literature: Li-Tang-Yu 2020].
The net equals f_1 exactly on [0,1]^d when the coefficients are exact (polynomial targets).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from fractions import Fraction

from polyapprox.construct.yarotsky import Form, LayerProgram
from polyapprox.errors import ConfigError
from polyapprox.net import Net, PolyReLU

R2 = PolyReLU.relu_power(2)
B2_WEIGHTS = (Fraction(1, 2), Fraction(-3, 2), Fraction(3, 2), Fraction(-1, 2))
Coefficients = Mapping[tuple[tuple[int, ...], tuple[int, ...]], Fraction]


def _check(d: int, n: int, N: int) -> None:
    for name, v in (("d", d), ("n", n), ("N", N)):
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise ConfigError(f"{name}: {v!r} must be an integer >= 1")


def b2(t: Fraction) -> Fraction:
    """The cardinal quadratic B-spline B2(t), exact."""
    return sum((w * max(t - i, Fraction(0)) ** 2 for i, w in enumerate(B2_WEIGHTS)), Fraction(0))


def spline_alphas(d: int, n: int) -> list[tuple[int, ...]]:
    """Multi-indices |alpha| <= n - 1, lexicographic."""
    return [a for a in itertools.product(range(n), repeat=d) if sum(a) <= n - 1]


def _clip(m: tuple[int, ...], N: int) -> tuple[int, ...]:
    return tuple(min(max(mk, 0), N) for mk in m)


def relu2_net(coeffs: Coefficients, d: int, n: int, N: int) -> Net:
    """The ReLU^2 net of the module docstring from Taylor data ``coeffs[(m, alpha)]`` (m in {0..N}^d,
    a_{m,alpha} = D^alpha f(m/N)/alpha!); cells m outside {0..N}^d use the clamped centre's data."""
    _check(d, n, N)
    prog = LayerProgram(d)
    xs = prog.inputs()
    pre, spline_idx, ident_idx = [], {}, []
    for k in range(d):
        for j in range(-1, N + 2):  # R2(N x_k + 3/2 - j); j >= N + 2 vanishes on [0, 1]
            spline_idx[(k, j)] = len(pre)
            pre.append(xs[k] * N + (Fraction(3, 2) - j))
        if n >= 2:  # x_k is needed only by the local factors l = x_k - c
            ident_idx.append(len(pre))
            pre += [xs[k] + 1, -xs[k] + 1]
    units = prog.relu_layer(pre, R2)
    x_form = [(units[i] - units[i + 1]) * Fraction(1, 4) for i in ident_idx]

    def spline(k: int, m: int) -> Form:
        acc = Form()
        for i, w in enumerate(B2_WEIGHTS):
            if (k, m + i) in spline_idx:
                acc = acc + units[spline_idx[(k, m + i)]] * w
        return acc

    terms: list[tuple[Fraction, list[Form]]] = []
    for m in itertools.product(range(-1, N + 2), repeat=d):
        c = _clip(m, N)
        for a in spline_alphas(d, n):
            coef = Fraction(coeffs.get((c, a), 0))
            if coef == 0:
                continue
            factors = [spline(k, m[k]) for k in range(d)]
            factors += [x_form[k] - Fraction(c[k], N) for k in range(d) for _ in range(a[k])]
            terms.append((coef, factors))
    while any(len(f) > 1 for _, f in terms):
        pre, plan = [], []
        for _, factors in terms:
            slots = []
            for i in range(0, len(factors), 2):
                if i + 1 < len(factors):
                    a, b = factors[i], factors[i + 1]
                    slots.append((len(pre), 4))
                    pre += [a + b, -(a + b), a - b, b - a]
                else:
                    slots.append((len(pre), 2))
                    pre += [factors[i] + 1, -factors[i] + 1]
            plan.append(slots)
        units = prog.relu_layer(pre, R2)
        terms = [(coef, [(units[s] + units[s + 1] - units[s + 2] - units[s + 3]) * Fraction(1, 4) if size == 4
                         else (units[s] - units[s + 1]) * Fraction(1, 4) for s, size in slots])
                 for (coef, _), slots in zip(terms, plan, strict=True)]
    out = Form()
    for coef, (factor,) in terms:
        out = out + factor * coef
    return prog.finish([out])


def closed_form(coeffs: Coefficients, d: int, n: int, N: int, point: Sequence[Fraction]) -> Fraction:
    """sum_m phi_m(x) P_m(x) at a rational point, computed directly (the oracle for ``relu2_net``)."""
    total = Fraction(0)
    for m in itertools.product(range(-1, N + 2), repeat=d):
        phi = Fraction(1)
        for k in range(d):
            phi *= b2(N * point[k] - m[k] + Fraction(3, 2))
        if phi == 0:
            continue
        c = _clip(m, N)
        local = sum((Fraction(coeffs.get((c, a), 0)) *
                     _prod(point[k] - Fraction(c[k], N) for k in range(d) for _ in range(a[k]))
                     for a in spline_alphas(d, n)), Fraction(0))
        total += phi * local
    return total


def _prod(values: object) -> Fraction:
    out = Fraction(1)
    for v in values:  # type: ignore[attr-defined]
        out *= v
    return out


def relu2_a_priori_bound(s_n: float, n: int, N: int) -> float:
    """(3/(2N))^n S_n(f): hard bound on ||f - f_1||_inf for f in W^{n,inf} (theory.md 2.6)."""
    return (1.5 / N) ** n * s_n


def relu2_sobolev_net(target: object, n: int, N: int) -> Net:
    """ReLU^2-only Sobolev net for a ``polyapprox.targets.Target`` (Taylor data from construct.sobolev)."""
    from polyapprox.construct.sobolev import taylor_coefficients

    d = target.dim  # type: ignore[attr-defined]
    return relu2_net(taylor_coefficients(target, n, N), d, n, N)  # type: ignore[arg-type]
