"""Certificates for the PUT-PolyReLU construction (docs/constructions.md §1.8, §2.1, §2.3), box by box over QQ.

* ``partition_of_unity(d, N)``: (a) the layer-1 forms satisfy sum_m psi_{k,m} = 1 as an identity of affine
  combinations of the ramp units (telescoping, all x in R); (b) on every box of the 3N-grid of [0,1]^d the
  trapezoids psi(3N x_k - 3m) are affine and sum_m prod_k psi = 1 is a polynomial identity.
* ``net_equals_formula(coeffs, d, n, N)``: on every box of the 3N-grid the layer-1 ReLUs have a fixed sign
  (their breakpoints are box faces), so they are replaced by their affine pieces. A deeper unit R(t) is
  replaced by t or 0 when t is a product of affine factors whose sign is constant on the closed box (checked
  at the corners), otherwise by the algebraic form (t + |t|)/2 (docs/constructions.md §1.1: the polarization blocks
  cancel |t| since |t|^2 = t^2). The net's output then has to expand to exactly sum_m phi_m P_m restricted
  to the box: a polynomial identity with rational coefficients, i.e. a proof on the closed box.

Both return a ``SobolevCertificate``; ``CHECKS = [(id, statement, fn)]`` registers small instances for
``polyapprox verify``. Transcendental targets are certified for their *rationalised* coefficients.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import sympy

from polyapprox.backends.sympy_expr import rational, to_sympy
from polyapprox.construct.sobolev import Coefficients, _first_layer, _LayerBuf, alphas, grid_points, put_net
from polyapprox.core.net import Net
from polyapprox.targets.catalogue import symbols


@dataclass(frozen=True)
class SobolevCertificate:
    """Outcome of a box-by-box proof: ``proved`` or a failing box with the nonzero difference."""

    check: str
    proved: bool
    method: str
    boxes: int
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def boxes(d: int, N: int) -> list[tuple[tuple[Fraction, Fraction], ...]]:
    """All boxes prod_k [j_k/(3N), (j_k+1)/(3N)] of the 3N-grid of [0,1]^d."""
    k = 3 * N
    cells = [(Fraction(j, k), Fraction(j + 1, k)) for j in range(k)]
    return list(itertools.product(cells, repeat=d))


def _psi_piece(t_mid: Fraction, t: sympy.Expr) -> sympy.Expr:
    """The affine piece of psi(t) = clip(2 - |t|, 0, 1) containing t_mid (pieces break at |t| = 1, 2)."""
    a = abs(t_mid)
    if a >= 2:
        return sympy.Integer(0)
    if a <= 1:
        return sympy.Integer(1)
    return 2 - t if t_mid > 0 else 2 + t


def formula_on_box(coeffs: Coefficients, d: int, n: int, N: int, box: tuple[tuple[Fraction, Fraction], ...],
                   syms: tuple[sympy.Symbol, ...]) -> sympy.Expr:
    """sum_m phi_m P_m as a polynomial on ``box`` (exact rationals)."""
    mid = [(lo + hi) / 2 for lo, hi in box]
    total = sympy.Integer(0)
    for m in grid_points(d, N):
        phi = sympy.Integer(1)
        for k in range(d):
            phi *= _psi_piece(3 * N * mid[k] - 3 * m[k], 3 * N * syms[k] - 3 * m[k])
            if phi == 0:
                break
        if phi == 0:
            continue
        p = sympy.Integer(0)
        for a in alphas(d, n):
            c = coeffs.get((m, a), 0)
            if c:
                p += rational(Fraction(c)) * sympy.Mul(*[(syms[k] - sympy.Rational(m[k], N)) ** a[k] for k in range(d)])
        total += phi * p
    return sympy.expand(total)


def _sign_on_box(t: sympy.Expr, syms: tuple[sympy.Symbol, ...], corners: list[dict]) -> int | None:
    """+1 / -1 if t (a product of affine factors) keeps a weak sign on the closed box, else None."""
    if t.has(sympy.Abs):
        return None
    _, factors = sympy.factor_list(t, *syms)
    sign = 1 if sympy.factor_list(t, *syms)[0] > 0 else -1
    for f, e in factors:
        if sympy.Poly(f, *syms).total_degree() > 1:
            return None
        vals = [f.subs(c) for c in corners]
        if all(v >= 0 for v in vals):
            s = 1
        elif all(v <= 0 for v in vals):
            s = -1
        else:
            return None
        sign *= s ** e
    return sign


def _relu_rule(box: tuple[tuple[Fraction, Fraction], ...], syms: tuple[sympy.Symbol, ...]) -> Callable:
    mid = {s: rational((lo + hi) / 2) for s, (lo, hi) in zip(syms, box, strict=True)}
    corners = [{s: rational(v) for s, v in zip(syms, c, strict=True)} for c in itertools.product(*box)]

    def rule(t: sympy.Expr, layer: int, unit: int) -> sympy.Expr:
        t = sympy.expand(t)
        if t.is_number:
            return t if t > 0 else sympy.Integer(0)
        if layer == 0:  # affine in one coordinate, breakpoint on a box face: the midpoint decides
            return t if t.subs(mid) > 0 else sympy.Integer(0)
        s = _sign_on_box(t, syms, corners)
        if s is not None:
            return t if s > 0 else sympy.Integer(0)
        return (t + sympy.Abs(t)) / 2

    return rule


def net_equals_formula(coeffs: Coefficients, d: int, n: int, N: int) -> SobolevCertificate:
    """Prove put_net(coeffs) == sum_m phi_m P_m on [0,1]^d, box by box (module docstring)."""
    return prove_net_formula(put_net(coeffs, d, n, N), coeffs, d, n, N)


def prove_net_formula(net: Net, coeffs: Coefficients, d: int, n: int, N: int) -> SobolevCertificate:
    """Prove net == sum_m phi_m P_m (with these coefficients) on [0,1]^d, or return the failing box."""
    syms = symbols(d)
    bx = boxes(d, N)
    for box in bx:
        out = sympy.expand(to_sympy(net, syms, relu=_relu_rule(box, syms))[0])
        diff = sympy.expand(out - formula_on_box(coeffs, d, n, N, box, syms))
        if diff != 0:
            return SobolevCertificate("sobolev.net_equals_formula", False, "region-wise (3N-grid boxes)", len(bx),
                                      f"box {[(str(lo), str(hi)) for lo, hi in box]}: difference {diff}")
    return SobolevCertificate("sobolev.net_equals_formula", True, "region-wise (3N-grid boxes), exact rationals",
                              len(bx), f"d={d}, n={n}, N={N}, {len(coeffs)} coefficients")


def partition_of_unity(d: int, N: int) -> SobolevCertificate:
    """Prove sum_m phi_m = 1 on [0,1]^d: telescoping forms (all of R) and box-wise polynomial identity."""
    buf = _LayerBuf([], [], [])
    psi, _ = _first_layer(d, N, buf)
    for k in range(d):
        acc: dict[int, Fraction] = {}
        const = Fraction(0)
        for terms, c in psi[k]:
            for j, v in terms.items():
                acc[j] = acc.get(j, Fraction(0)) + v
            const += c
        if any(v != 0 for v in acc.values()) or const != 1:
            return SobolevCertificate("sobolev.partition_of_unity", False, "telescoping forms", 0,
                                      f"coordinate {k}: sum of psi forms is {acc} + {const}")
    syms = symbols(d)
    ones = {(m, tuple([0] * d)): Fraction(1) for m in grid_points(d, N)}
    bx = boxes(d, N)
    for box in bx:
        val = formula_on_box(ones, d, 1, N, box, syms)
        if val != 1:
            return SobolevCertificate("sobolev.partition_of_unity", False, "box-wise", len(bx),
                                      f"box {box}: sum is {val}")
    return SobolevCertificate("sobolev.partition_of_unity", True,
                              "telescoping identity of layer-1 forms + box-wise polynomial identity", len(bx),
                              f"d={d}, N={N}")


def _random_coeffs(d: int, n: int, N: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    return {(m, a): Fraction(int(rng.integers(-99, 100)), int(rng.integers(1, 30)))
            for m in grid_points(d, N) for a in alphas(d, n)}


def _target_coeffs(name: str, n: int, N: int) -> dict:
    from polyapprox.construct.sobolev import taylor_coefficients
    from polyapprox.targets.catalogue import get_target

    return taylor_coefficients(get_target(name), n, N)


CHECKS: list[tuple[str, str, Callable[[], SobolevCertificate]]] = [
    ("sobolev.pou.d1", "sum_m psi(3Nx - 3m) = 1 on [0,1] (N = 3)", lambda: partition_of_unity(1, 3)),
    ("sobolev.pou.d2", "sum_m phi_m = 1 on [0,1]^2 (N = 2)", lambda: partition_of_unity(2, 2)),
    ("sobolev.net.d1n3", "PUT-PolyReLU net == sum_m phi_m P_m (d=1, n=3, N=2, random rationals)",
     lambda: net_equals_formula(_random_coeffs(1, 3, 2), 1, 3, 2)),
    ("sobolev.net.sin1n2", "PUT-PolyReLU net for sin(2 pi x), n=2, N=3 == rationalised formula",
     lambda: net_equals_formula(_target_coeffs("sin1", 2, 3), 1, 2, 3)),
    ("sobolev.net.d2n2", "PUT-PolyReLU net == sum_m phi_m P_m (d=2, n=2, N=1, random rationals)",
     lambda: net_equals_formula(_random_coeffs(2, 2, 1), 2, 2, 1)),
]
