"""ReLU^2-only analogue of the PUT construction (docs/constructions.md §2.5; Li, Tang & Yu 2020): ``relu2`` baseline.

    f_1(x) = sum_{m in {-1..N+1}^d} phi_m(x) P_m(x),   phi_m(x) = prod_k B_2(N x_k - m_k + 3/2),
    B_2(t) = [R_2(t) - 3 R_2(t-1) + 3 R_2(t-2) - R_2(t-3)] / 2   (quadratic B-spline, support [0, 3], C^1),

with P_m the Taylor polynomial of degree n-1 at the clamped centre c_m = clip(m/N, 0, 1). Every unit is
ReLU^2 (a = e_2): layer 1 holds the shared truncated powers s_{k,j} = R_2(N x_k - j + 3/2), j = -1..N+1 (those
with j >= N+2 vanish on [0,1]) and the carrier x_k = [R_2(x_k + 1) - R_2(1 - x_k)]/4; products are the
polarization blocks, carriers the ReLU^2 bounded identity (all factors lie in [-1, 1]). The net is exact
(on [0,1]^d) for the rationalised coefficients; the error bound is (3/(2N))^n S_n(f).
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np

from polyapprox.construct.blocks import product_block
from polyapprox.construct.sobolev import (
    ONE,
    RELU2,
    Coefficients,
    Form,
    _LayerBuf,
    _lin,
    _multiply_pass,
    alphas,
    check_order,
)
from polyapprox.core.net import IDENTITY, Layer, Net, SparseMatrix
from polyapprox.targets.catalogue import Target


def centres(N: int) -> range:
    return range(-1, N + 2)


def clamped(m: int, N: int) -> Fraction:
    return min(max(Fraction(m, N), Fraction(0)), Fraction(1))


def taylor_coefficients_clamped(target: Target, n: int, N: int) -> dict:
    """a_{m,alpha} = D^alpha f(c_m)/alpha! at the clamped centres, m in {-1..N+1}^d (rationalised as in sobolev)."""
    from polyapprox.construct.sobolev import taylor_coefficients

    d = target.dim
    inner = taylor_coefficients(target, n, N)
    out = {}
    for m in itertools.product(centres(N), repeat=d):
        mc = tuple(min(max(mk, 0), N) for mk in m)
        for a in alphas(d, n):
            out[(m, a)] = inner[(mc, a)]
    return out


def relu2_net(coeffs: Coefficients, d: int, n: int, N: int) -> Net:
    """The ReLU^2-only net for coefficients keyed by (m in {-1..N+1}^d, alpha)."""
    check_order(d, n, N)
    buf = _LayerBuf([], [], [])
    half = Fraction(3, 2)
    spline: list[dict[int, Form]] = []
    ell: list[dict[int, Form]] = []
    for k in range(d):
        hi = buf.add(({k: Fraction(1)}, Fraction(1)), RELU2)
        lo = buf.add(({k: Fraction(-1)}, Fraction(1)), RELU2)
        xk: Form = ({hi: Fraction(1, 4), lo: Fraction(-1, 4)}, Fraction(0))
        s = {j: buf.add(({k: Fraction(N)}, half - j), RELU2) for j in range(-1, N + 2)}
        zero: Form = ({}, Fraction(0))
        unit = {j: ({u: Fraction(1)}, Fraction(0)) for j, u in s.items()}
        spline.append({m: _lin(*((Fraction(c, 2), unit.get(m + i, zero)) for i, c in enumerate((1, -3, 3, -1))))
                       for m in centres(N)})
        ell.append({m: _lin((1, xk), (-clamped(m, N), ONE)) for m in centres(N)})
    layers = [buf.layer(d)]
    width = len(buf.bias)
    terms, factors = [], []
    for m in itertools.product(centres(N), repeat=d):
        for a in alphas(d, n):
            c = Fraction(coeffs.get((m, a), 0))
            if c == 0:
                continue
            fs = [(spline[k][m[k]], True) for k in range(d)]
            for k in range(d):
                fs.extend([(ell[k][m[k]], False)] * a[k])
            terms.append(c)
            factors.append(fs)
    mul = product_block()
    while any(len(f) > 1 for f in factors):
        factors, width = _multiply_pass(factors, mul, width, layers, carrier="relu2")
    out = _lin(*((c, f[0][0]) for c, f in zip(terms, factors, strict=True))) if terms else ({}, Fraction(0))
    layers.append(Layer(SparseMatrix((1, width), tuple((0, j, v) for j, v in sorted(out[0].items()))),
                        (out[1],), (IDENTITY,)))
    return Net(d, tuple(layers))


def bspline2(t: np.ndarray) -> np.ndarray:
    """Quadratic B-spline B_2 on [0, 3] (closed form, piece by piece)."""
    return np.where((t >= 0) & (t < 1), t * t / 2,
                    np.where((t >= 1) & (t < 2), (-2 * t * t + 6 * t - 3) / 2,
                             np.where((t >= 2) & (t <= 3), (3 - t) ** 2 / 2, 0.0)))


class ClosedFormB2:
    """Vectorised float64 sum_m phi_m P_m for the B-spline partition (at most 3^d active m per point)."""

    def __init__(self, coeffs: Coefficients, d: int, n: int, N: int) -> None:
        self.d, self.n, self.N = d, n, N
        self.alphas = alphas(d, n)
        self.table = np.zeros(((N + 3) ** d, len(self.alphas)))
        for (m, a), c in coeffs.items():
            self.table[np.ravel_multi_index(tuple(mk + 1 for mk in m), (N + 3,) * d), self.alphas.index(a)] = float(c)
        self.powers = np.array(self.alphas, dtype=np.intp)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64).reshape(-1, self.d)
        N, d = self.N, self.d
        base = np.rint(x * N).astype(np.intp)
        out = np.zeros(x.shape[0])
        for corner in itertools.product((-1, 0, 1), repeat=d):
            m = base + np.array(corner, dtype=np.intp)
            ok = np.all((m >= -1) & (m <= N + 1), axis=1)
            mm = np.clip(m, -1, N + 1)
            phi = np.prod(bspline2(N * x - mm + 1.5), axis=1) * ok
            loc = x - np.clip(mm / N, 0.0, 1.0)
            mono = np.ones((x.shape[0], len(self.alphas)))
            for k in range(d):
                mono *= loc[:, k:k + 1] ** self.powers[None, :, k]
            rows = self.table[np.ravel_multi_index(tuple((mm + 1).T), (N + 3,) * d)]
            out += phi * np.sum(rows * mono, axis=1)
        return out


def a_priori_bound_relu2(target: Target, n: int, N: int) -> float:
    """(3/(2N))^n S_n(f) (docs/constructions.md §2.5)."""
    s_n, _ = target.norm_bound(n)
    return (1.5 / N) ** n * s_n if math.isfinite(s_n) else math.inf
