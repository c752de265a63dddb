"""PolyCom's Theorem 3 made explicit: the PUT-PolyReLU network (docs/constructions.md §2.1–2.3; docs/paper.md §2.5).

    f_1(x) = sum_{m in {0..N}^d} phi_m(x) P_m(x),   phi_m(x) = prod_k psi(3N x_k - 3 m_k),
    P_m(x) = sum_{|alpha| <= n-1} a_{m,alpha} (x - m/N)^alpha,   a_{m,alpha} = D^alpha f(m/N) / alpha!

* **Layer 1** (ReLU, shared-unit form): per coordinate k a carrier c_k = R(x_k) and the ramps
  u_{k,m} = R(3N x_k - 3m - 1), w_{k,m} = R(3N x_k - 3m - 2), m = 0..N-1. With v_{k,m} = u_{k,m} - w_{k,m},
  v_{k,-1} = 1, v_{k,N} = 0, the trapezoid is psi_{k,m} = v_{k,m-1} - v_{k,m}, so sum_m psi_{k,m} = 1
  exactly (telescoping); l_{k,m} = c_k - m/N.
* **Product layers.** Each term (m, alpha) is the list [psi_{1,m_1}..psi_{d,m_d}] + [l_{k,m_k}] * alpha_k;
  consecutive factors are multiplied pairwise by a product block (exact: xy by polarization, 4 ReLU^2
  units; or Yarotsky's approximate product ``approx_product_net(q, 2)``) until one factor is left; odd
  factors are carried by R(a) (a >= 0, the psi products) or R(a), R(-a). Depth 1 + ceil(log2(d+n-1)) (times
  the product block's depth).
* **Output** sum_tau a_tau (final factor of tau). Zero coefficients are dropped.

Transcendental Taylor coefficients are rationalised as ``Fraction(float(a))`` (exact dyadics; polynomial
targets get exact rational coefficients). The exactness certificate (``verify_sobolev``) proves that the net
equals the *rationalised* formula; the approximation error is a separate, numerical claim with the hard
a-priori bound ``B(N) = (2/(3N))^n S_n(f)`` (docs/constructions.md §2.2).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from polyapprox.core.net import IDENTITY, RELU, Layer, Net, PolyReLU, SparseMatrix
from polyapprox.errors import ConfigError
from polyapprox.targets.catalogue import Target

Form = tuple[dict[int, Fraction], Fraction]  # (unit -> coefficient, constant) over the previous layer
ONE: Form = ({}, Fraction(1))
RELU2 = PolyReLU.relu_power(2)
Coefficients = Mapping[tuple[tuple[int, ...], tuple[int, ...]], Fraction]  # (m, alpha) -> a_{m,alpha}

#: Exact W (nnz params) of the generic PUT-PolyReLU net for N >= 2 (docs/constructions.md §2.3 table).
SIZE_TABLE: dict[tuple[int, int], tuple[int, ...]] = {  # (d, n) -> coefficients of N^0, N^1, ...
    (1, 1): (2, 6), (1, 2): (15, 37), (1, 3): (60, 100), (1, 4): (106, 164),
    (2, 1): (8, 56, 36), (2, 2): (73, 262, 165), (2, 3): (199, 632, 389), (2, 4): (516, 1430, 844),
    (3, 1): (30, 132, 153, 60), (3, 2): (164, 690, 853, 336), (3, 3): (629, 2409, 2870, 1099),
    (4, 1): (44, 248, 444, 352, 100), (4, 2): (325, 1668, 2970, 2268, 629),
}
UNITS_TABLE: dict[tuple[int, int], tuple[int, ...]] = {
    (1, 1): (1, 2), (1, 2): (6, 7), (1, 3): (19, 20), (1, 4): (31, 32),
    (2, 1): (6, 12, 4), (2, 2): (27, 54, 25), (2, 3): (63, 126, 61), (2, 4): (154, 308, 152),
    (3, 1): (12, 33, 27, 9), (3, 2): (48, 141, 135, 45), (3, 3): (175, 522, 516, 172),
    (4, 1): (16, 56, 72, 48, 12), (4, 2): (97, 380, 558, 372, 93),
}


def check_order(d: int, n: int, N: int) -> None:
    for name, v, lo in (("dim", d, 1), ("order", n, 1), ("N", N, 1)):
        if not isinstance(v, int) or isinstance(v, bool) or v < lo:
            raise ConfigError(f"{name}: {v!r} must be an integer >= {lo}")


def alphas(d: int, n: int) -> list[tuple[int, ...]]:
    """Multi-indices |alpha| <= n - 1, lexicographic (docs/constructions.md §2.3)."""
    return [a for a in itertools.product(range(n), repeat=d) if sum(a) <= n - 1]


def grid_points(d: int, N: int) -> list[tuple[int, ...]]:
    return list(itertools.product(range(N + 1), repeat=d))


def depth(d: int, n: int) -> int:
    """Hidden layers of the exact construction: 1 + ceil(log2(d + n - 1))."""
    return 1 + math.ceil(math.log2(d + n - 1))


def size_formula(N: int, d: int, n: int) -> tuple[int, int, int]:
    """(params, units, depth) of the generic exact net from the docs/constructions.md §2.3 table (N >= 2)."""
    if (d, n) not in SIZE_TABLE:
        raise ConfigError(f"order: no size formula for (d, n) = ({d}, {n})")
    w = sum(c * N ** i for i, c in enumerate(SIZE_TABLE[(d, n)]))
    u = sum(c * N ** i for i, c in enumerate(UNITS_TABLE[(d, n)]))
    return w, u, depth(d, n)


def taylor_coefficients(target: Target, n: int, N: int) -> dict[tuple[tuple[int, ...], tuple[int, ...]], Fraction]:
    """a_{m,alpha} = D^alpha f(m/N) / alpha!: exact for rational polynomials, else Fraction(float) (dyadic)."""
    d = target.dim
    check_order(d, n, N)
    ms = grid_points(d, N)
    out: dict[tuple[tuple[int, ...], tuple[int, ...]], Fraction] = {}
    if target.is_polynomial:
        import sympy

        for a in alphas(d, n):
            poly = sympy.Poly(target.derivative(a), *target.symbols, domain="QQ")
            terms = [(mon, Fraction(int(c.p), int(c.q))) for mon, c in poly.terms()]
            fact = math.prod(math.factorial(k) for k in a)
            for m in ms:
                val = sum((c * math.prod(Fraction(mk, N) ** e for mk, e in zip(m, mon, strict=True))
                           for mon, c in terms), Fraction(0))
                out[(m, a)] = val / fact
        return out
    pts = np.array(ms, dtype=np.float64) / N
    for a in alphas(d, n):
        vals = target.derivative_values(a, pts) / math.prod(math.factorial(k) for k in a)
        if not np.all(np.isfinite(vals)):
            raise ConfigError(f"target {target.name}: D^{a} f is not finite at a grid point (N = {N})")
        for m, v in zip(ms, vals, strict=True):
            out[(m, a)] = Fraction(float(v))
    return out


@dataclass
class _LayerBuf:
    """Rows of one layer being built: weight entries, biases, activations."""

    entries: list[tuple[int, int, Fraction]]
    bias: list[Fraction]
    acts: list[object]

    def add(self, form: Form, act: object) -> int:
        row = len(self.bias)
        self.entries.extend((row, j, v) for j, v in form[0].items() if v != 0)
        self.bias.append(form[1])
        self.acts.append(act)
        return row

    def layer(self, in_dim: int) -> Layer:
        return Layer(SparseMatrix((len(self.bias), in_dim), tuple(self.entries)), tuple(self.bias), tuple(self.acts))


def _lin(*parts: tuple[Fraction | int, Form]) -> Form:
    """sum_i c_i F_i as a form (fast paths for c = 0, +1, -1: most product-block weights)."""
    acc: dict[int, Fraction] = {}
    const = Fraction(0)
    for c, (terms, k) in parts:
        if c == 0:
            continue
        if c == 1:
            for j, v in terms.items():
                acc[j] = acc[j] + v if j in acc else v
            const += k
        elif c == -1:
            for j, v in terms.items():
                acc[j] = acc[j] - v if j in acc else -v
            const -= k
        else:
            for j, v in terms.items():
                acc[j] = acc[j] + c * v if j in acc else c * v
            const += c * k
    return {j: v for j, v in acc.items() if v != 0}, const


def _first_layer(d: int, N: int, buf: _LayerBuf) -> tuple[list[list[Form]], list[list[Form]]]:
    """Layer-1 units; returns psi[k][m] and ell[k][m] as forms over layer-1 units."""
    three_n = Fraction(3 * N)
    psi, ell = [], []
    for k in range(d):
        c = buf.add(({k: Fraction(1)}, Fraction(0)), RELU)
        v: list[Form] = [({}, Fraction(1))]  # v_{-1} = 1
        for m in range(N):
            u = buf.add(({k: three_n}, Fraction(-(3 * m + 1))), RELU)
            w = buf.add(({k: three_n}, Fraction(-(3 * m + 2))), RELU)
            v.append(({u: Fraction(1), w: Fraction(-1)}, Fraction(0)))
        v.append(({}, Fraction(0)))  # v_N = 0
        psi.append([_lin((1, v[m]), (-1, v[m + 1])) for m in range(N + 1)])
        ell.append([({c: Fraction(1)}, Fraction(-m, N)) for m in range(N + 1)])
    return psi, ell


def _product_block(product: str, q: int | None) -> Net:
    if product == "exact":
        from polyapprox.construct.blocks import product_block

        return product_block()
    try:
        from polyapprox.construct.yarotsky import approx_product_net
    except ImportError:  # pragma: no cover - the baseline lives on another branch until merged
        raise ConfigError("product: 'relu' needs polyapprox.construct.yarotsky (not available)") from None
    return approx_product_net(q, 2)


def _multiply_pass(factors: list[list[tuple[Form, bool]]], mul: Net, in_dim: int,
                   layers: list[Layer], carrier: str = "relu") -> tuple[list[list[tuple[Form, bool]]], int]:
    """One tree level: pair factors through ``mul`` (hidden layers, then its affine output), carry the rest.

    Carriers: ``"relu"``: R(a) when a >= 0 (flag), else R(a) - R(-a); ``"relu2"``: the ReLU^2 bounded identity
    a = [R_2(a + 1) - R_2(1 - a)] / 4, valid for |a| <= 1 (docs/constructions.md §1.3; one-layer product blocks only).
    """
    hidden = mul.layers[:-1]
    out_layer = mul.layers[-1]
    bufs = [_LayerBuf([], [], []) for _ in hidden]
    wrows = [layer.weight.rows() for layer in hidden]
    first_rows = [(dict(r), b, a) for r, b, a in zip(wrows[0], hidden[0].bias, hidden[0].activations, strict=True)]
    out_row = out_layer.weight.rows()[0]
    new: list[list[tuple[Form, bool]]] = []
    for term in factors:
        nxt: list[tuple[Form, bool]] = []
        for i in range(0, len(term), 2):
            if i + 1 < len(term):
                (a, fa), (b, fb) = term[i], term[i + 1]
                rows = [bufs[0].add(_lin((coeff.get(0, 0), a), (coeff.get(1, 0), b), (bias, ONE)), act)
                        for coeff, bias, act in first_rows]
                for li in range(1, len(hidden)):
                    lay = hidden[li]
                    rows = [bufs[li].add(({rows[j]: v for j, v in wr}, b0), act)
                            for wr, b0, act in zip(wrows[li], lay.bias, lay.activations, strict=True)]
                nxt.append((({rows[j]: v for j, v in out_row}, out_layer.bias[0]), fa and fb))
            else:
                a, fa = term[i]
                if carrier == "relu2":
                    hi = bufs[0].add(_lin((1, a), (1, ONE)), RELU2)
                    lo = bufs[0].add(_lin((-1, a), (1, ONE)), RELU2)
                    nxt.append((({hi: Fraction(1, 4), lo: Fraction(-1, 4)}, Fraction(0)), fa))
                elif fa:
                    u = bufs[0].add(a, RELU)
                    for li in range(1, len(hidden)):
                        u = bufs[li].add(({u: Fraction(1)}, Fraction(0)), RELU)
                    nxt.append((({u: Fraction(1)}, Fraction(0)), True))
                else:
                    p = bufs[0].add(a, RELU)
                    mneg = bufs[0].add(_lin((-1, a)), RELU)
                    for li in range(1, len(hidden)):
                        p = bufs[li].add(({p: Fraction(1)}, Fraction(0)), RELU)
                        mneg = bufs[li].add(({mneg: Fraction(1)}, Fraction(0)), RELU)
                    nxt.append((({p: Fraction(1), mneg: Fraction(-1)}, Fraction(0)), False))
        new.append(nxt)
    width = in_dim
    for buf in bufs:
        layers.append(buf.layer(width))
        width = len(buf.bias)
    return new, width


def put_net(coeffs: Coefficients, d: int, n: int, N: int, product: str = "exact", q: int | None = None) -> Net:
    """The PUT net for given Taylor coefficients (m, alpha) -> a (zeros dropped); product 'exact' or 'relu'."""
    check_order(d, n, N)
    if product not in ("exact", "relu"):
        raise ConfigError(f"product: unknown {product!r}; choose exact or relu")
    mul = _product_block(product, q)
    if not mul.layers[-1].is_affine or any(layer.is_affine for layer in mul.layers[:-1]):
        raise ConfigError("product: the product block must be hidden layers followed by one affine layer")
    buf1 = _LayerBuf([], [], [])
    psi, ell = _first_layer(d, N, buf1)
    layers = [buf1.layer(d)]
    width = len(buf1.bias)
    terms: list[Fraction] = []
    factors: list[list[tuple[Form, bool]]] = []
    for m in grid_points(d, N):
        for a in alphas(d, n):
            c = Fraction(coeffs.get((m, a), 0))
            if c == 0:
                continue
            fs = [(psi[k][m[k]], True) for k in range(d)]
            for k in range(d):
                fs.extend([(ell[k][m[k]], False)] * a[k])
            terms.append(c)
            factors.append(fs)
    while any(len(f) > 1 for f in factors):
        factors, width = _multiply_pass(factors, mul, width, layers)
    out = _lin(*((c, f[0][0]) for c, f in zip(terms, factors, strict=True))) if terms else ({}, Fraction(0))
    layers.append(Layer(SparseMatrix((1, width), tuple((0, j, v) for j, v in sorted(out[0].items()))),
                        (out[1],), (IDENTITY,)))
    return Net(d, tuple(layers))


def a_priori_bound(target: Target, n: int, N: int) -> float:
    """B(N) = (2/(3N))^n S_n(f) (docs/constructions.md §2.2): hard bound on ||f - f_1||_inf for f in W^{n,inf}."""
    s_n, _ = target.norm_bound(n)
    return (2.0 / (3.0 * N)) ** n * s_n


def coupling_q(coeffs: Coefficients, d: int, n: int, bound: float, q_max: int = 40) -> int:
    """Smallest q >= 1 with S_x 4^-q <= B(N), S_x = 2^(d+1) M^2 sum_alpha (d + |alpha| - 1) A_alpha, M = 2."""
    amax: dict[tuple[int, ...], float] = {}
    for (_, a), c in coeffs.items():
        amax[a] = max(amax.get(a, 0.0), abs(float(c)))
    s_x = 2 ** (d + 1) * 4 * sum((d + sum(a) - 1) * v for a, v in amax.items())
    if s_x == 0:
        return 1
    if not 0 < bound < math.inf:
        raise ConfigError(f"product: the coupling rule needs a finite positive a-priori bound B(N), got {bound} "
                          "(is the target in W^{n,inf}?)")
    q = max(1, math.ceil(math.log(s_x / bound, 4)))
    while q > 1 and s_x * 4.0 ** -(q - 1) <= bound:
        q -= 1
    while s_x * 4.0 ** -q > bound:
        q += 1
    if q > q_max:
        raise ConfigError(f"product: coupling rule asks for q = {q} > {q_max}")
    return q


@dataclass(frozen=True)
class SobolevNet:
    """A built construction: the net, its Taylor data and the parameters it was built with."""

    net: Net
    coeffs: dict[tuple[tuple[int, ...], tuple[int, ...]], Fraction]
    dim: int
    order: int
    N: int
    product: str
    q: int | None


def build_sobolev(target: Target, n: int, N: int, product: str = "exact") -> SobolevNet:
    coeffs = taylor_coefficients(target, n, N)
    q = None
    if product == "relu":
        q = coupling_q(coeffs, target.dim, n, a_priori_bound(target, n, N))
    return SobolevNet(put_net(coeffs, target.dim, n, N, product, q), coeffs, target.dim, n, N, product, q)


def sobolev_net(target: Target, n: int, N: int, product: str = "exact") -> Net:
    """Theorem 3's PolyReLU net (product='exact') or the Yarotsky-skeleton ReLU baseline (product='relu')."""
    return build_sobolev(target, n, N, product).net


# ------------------------------------------------------------------------------------------------ oracles

def psi(t: np.ndarray) -> np.ndarray:
    """Trapezoid psi(t) = clip(2 - |t|, 0, 1)."""
    return np.clip(2.0 - np.abs(t), 0.0, 1.0)


class ClosedForm:
    """Fast vectorised float64 evaluator of sum_m phi_m(x) P_m(x) with the (rationalised) coefficients.

    Only the <= 2^d cells with m_k in {floor(N x_k), floor(N x_k) + 1} can be active (supp psi radius 2/(3N)).
    """

    def __init__(self, coeffs: Coefficients, d: int, n: int, N: int) -> None:
        self.d, self.n, self.N = d, n, N
        self.alphas = alphas(d, n)
        self.table = np.zeros(((N + 1) ** d, len(self.alphas)))
        for (m, a), c in coeffs.items():
            self.table[np.ravel_multi_index(m, (N + 1,) * d), self.alphas.index(a)] = float(c)
        self.powers = np.array(self.alphas, dtype=np.intp)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64).reshape(-1, self.d)
        N, d = self.N, self.d
        base = np.clip(np.floor(x * N).astype(np.intp), 0, N)
        out = np.zeros(x.shape[0])
        for corner in itertools.product((0, 1), repeat=d):
            m = base + np.array(corner, dtype=np.intp)
            ok = np.all(m <= N, axis=1)
            mm = np.minimum(m, N)
            phi = np.prod(psi(3.0 * N * x - 3.0 * mm), axis=1) * ok
            loc = x - mm / N
            mono = np.ones((x.shape[0], len(self.alphas)))
            for k in range(d):
                mono *= loc[:, k:k + 1] ** self.powers[None, :, k]
            rows = self.table[np.ravel_multi_index(tuple(mm.T), (N + 1,) * d)]
            out += phi * np.sum(rows * mono, axis=1)
        return out


def closed_form_exact(coeffs: Coefficients, d: int, n: int, N: int, point: Sequence[Fraction]) -> Fraction:
    """sum_m phi_m P_m at a rational point, exactly (Fractions)."""
    def psi_q(t: Fraction) -> Fraction:
        return min(max(2 - abs(t), Fraction(0)), Fraction(1))

    total = Fraction(0)
    base = [min(math.floor(p * N), N) for p in point]
    for corner in itertools.product((0, 1), repeat=d):
        m = tuple(b + c for b, c in zip(base, corner, strict=True))
        if any(mk > N for mk in m):
            continue
        phi = math.prod((psi_q(3 * N * p - 3 * mk) for p, mk in zip(point, m, strict=True)), start=Fraction(1))
        if phi == 0:
            continue
        for a in alphas(d, n):
            c = coeffs.get((m, a), 0)
            if c:
                total += phi * c * math.prod((p - Fraction(mk, N)) ** e for p, mk, e in zip(point, m, a, strict=True))
    return total


__all__ = ["ClosedForm", "SobolevNet", "a_priori_bound", "alphas", "build_sobolev",
           "closed_form_exact", "coupling_q", "depth", "put_net", "size_formula", "sobolev_net",
           "taylor_coefficients"]
