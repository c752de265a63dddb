"""Shared coefficients: one PolyReLU sigma for every hidden unit, by the Vandermonde trick (docs/constructions.md §1.2).

Let ``sigma(t) = a_0 + sum_{i=1..r} a_i R(t)^i`` and pick distinct scales ``t_1..t_r > 0`` (default 1..r).
Because ``R(t x)^i = t^i R(x)^i`` for t > 0, solving the r x r Vandermonde system

    sum_j c_j t_j^i = delta_{ik} / a_k      (i = 1..r, exact over QQ)

gives, for all real x, ``R_k(x) = sum_j c_j sigma(t_j x) - a_0 sum_j c_j`` (needs a_k != 0). Any per-unit
PolyReLU unit ``u(z) = b_0 + sum_i b_i R_i(z)`` of order <= r is therefore the combination
``sum_j C_j sigma(t_j z) + b_0 - a_0 sum_j C_j`` with ``C = sum_i b_i c^(i)``, and an identity unit is
``R(z) - R(-z)``. ``shared_form`` rewrites every hidden unit this way: r units per PolyReLU unit, 2r per
identity unit, the combination folded into the next layer's weights and bias. Same depth, exact on R^d.

Golden values (a = (0, 1/3, 1/3, 1/3), t = (1, 2, 3)): ReLU = (9, -9/2, 1), ReLU^2 = (-15/2, 6, -3/2),
ReLU^3 = (3/2, -3/2, 1/2) on (sigma(x), sigma(2x), sigma(3x)).
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from polyapprox.core.net import Identity, Layer, Net, PolyReLU, SparseMatrix, as_fraction
from polyapprox.errors import ConfigError

#: The paper's initialisation w = (1/3, 1/3, 1/3), b = 0, in our ordering a = (a_0, a_1, a_2, a_3).
PAPER_SIGMA = PolyReLU((0, Fraction(1, 3), Fraction(1, 3), Fraction(1, 3)))


def solve_rational(matrix: Sequence[Sequence[Fraction]], rhs: Sequence[Fraction]) -> list[Fraction]:
    """The unique solution of the square system ``matrix @ c = rhs``, exactly (Gauss-Jordan over QQ).

    Raises ``ConfigError`` when the matrix is singular.
    """
    n = len(matrix)
    aug = [[Fraction(v) for v in row] + [Fraction(b)] for row, b in zip(matrix, rhs, strict=True)]
    for col in range(n):
        pivot = next((r for r in range(col, n) if aug[r][col] != 0), None)
        if pivot is None:
            raise ConfigError(f"solve_rational: singular {n}x{n} system (column {col})")
        aug[col], aug[pivot] = aug[pivot], aug[col]
        p = aug[col][col]
        row_c = [v / p for v in aug[col]]
        aug[col] = row_c
        for r in range(n):
            f = aug[r][col]
            if r != col and f != 0:
                aug[r] = [v - f * w for v, w in zip(aug[r], row_c, strict=True)]
    return [aug[r][n] for r in range(n)]


def default_scales(r: int) -> tuple[Fraction, ...]:
    """t = (1, 2, ..., r)."""
    return tuple(Fraction(j) for j in range(1, r + 1))


def _check_scales(scales: Sequence[object], r: int) -> tuple[Fraction, ...]:
    ts = tuple(as_fraction(t, f"scales[{j}]") for j, t in enumerate(scales))
    if len(ts) != r:
        raise ConfigError(f"scales: {len(ts)} given, sigma has order {r} (one scale per power)")
    if any(t <= 0 for t in ts) or len(set(ts)) != len(ts):
        raise ConfigError(f"scales: {[str(t) for t in ts]} must be distinct and > 0")
    return ts


def vandermonde_weights(sigma: PolyReLU, k: int, scales: Sequence[object] | None = None) -> tuple[Fraction, ...]:
    """c with R(x)^k = sum_j c_j sigma(t_j x) - a_0 sum_j c_j for all real x (docs/constructions.md §1.2).

    Needs 1 <= k <= r = sigma.order and a_k != 0; ``scales`` default to (1, ..., r).
    """
    r = sigma.order
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= r:
        raise ConfigError(f"k: {k!r} must be an integer in 1..{r} (the order of sigma)")
    a_k = sigma.coeffs[k]
    if a_k == 0:
        raise ConfigError(f"sigma: coefficient a_{k} is 0, so ReLU^{k} is not recoverable from sigma")
    ts = _check_scales(scales if scales is not None else default_scales(r), r)
    matrix = [[t ** i for t in ts] for i in range(1, r + 1)]
    rhs = [Fraction(1) / a_k if i == k else Fraction(0) for i in range(1, r + 1)]
    return tuple(solve_rational(matrix, rhs))


def unit_weights(unit: PolyReLU, sigma: PolyReLU, scales: Sequence[object] | None = None
                 ) -> tuple[tuple[Fraction, ...], Fraction]:
    """(C, beta): unit(z) = sum_j C_j sigma(t_j z) + beta for all real z, for a PolyReLU ``unit`` of order <= r."""
    r = sigma.order
    if unit.order > r:
        raise ConfigError(f"unit: order {unit.order} exceeds the order {r} of the shared sigma")
    total = [Fraction(0)] * r
    for i, b in enumerate(unit.coeffs[1:], start=1):
        if b != 0:
            c = vandermonde_weights(sigma, i, scales)
            total = [s + b * cj for s, cj in zip(total, c, strict=True)]
    beta = unit.coeffs[0] - sigma.coeffs[0] * sum(total, Fraction(0))
    return tuple(total), beta


class _HiddenLayer:
    """Accumulates the rewritten hidden layer: sigma units with scaled input rows."""

    def __init__(self) -> None:
        self.entries: list[tuple[int, int, Fraction]] = []
        self.bias: list[Fraction] = []

    def unit(self, row: list[tuple[int, Fraction]], b: Fraction, scale: Fraction) -> int:
        """Add the unit sigma(scale * (row . a + b)); returns its index."""
        n = len(self.bias)
        self.entries.extend((n, j, scale * v) for j, v in row)
        self.bias.append(scale * b)
        return n


def shared_form(net: Net, sigma: PolyReLU = PAPER_SIGMA, scales: Sequence[object] | None = None,
                keep_sigma_units: bool = True) -> Net:
    """An equal net whose hidden units all use the one activation ``sigma`` (convention C of docs/conventions.md §1.4).

    Each hidden PolyReLU unit of order <= r becomes r sigma-units (inputs scaled by t_j), each hidden identity
    unit z becomes the 2r sigma-units of R(z) - R(-z) (needs a_1 != 0); the next layer takes the
    combinations (units whose combination weight is 0 are dropped). Units already equal to ``sigma`` are
    kept as they are when ``keep_sigma_units``. The output layer is unchanged in kind. Exact on R^d, same depth.
    """
    if sigma.order < 1:
        raise ConfigError("sigma: a constant activation cannot carry a network")
    ts = _check_scales(scales if scales is not None else default_scales(sigma.order), sigma.order)
    out_layers: list[Layer] = []
    # old unit of the previous layer -> [(new unit, weight)] and the constant its combination adds
    carry: list[list[tuple[int, Fraction]]] | None = None
    carry_bias: list[Fraction] = []
    new_width = net.in_dim
    for k, layer in enumerate(net.layers):
        weight, bias = layer.weight, list(layer.bias)
        if carry is not None:  # substitute old-unit columns by their combinations of new units
            entries: dict[tuple[int, int], Fraction] = {}
            for i, j, v in weight.entries:
                bias[i] += v * carry_bias[j]
                for nj, w in carry[j]:
                    entries[(i, nj)] = entries.get((i, nj), Fraction(0)) + v * w
            weight = SparseMatrix((weight.shape[0], new_width), tuple((i, j, v) for (i, j), v in entries.items()))
        if k == len(net.layers) - 1:
            out_layers.append(Layer(weight, tuple(bias), layer.activations))
            break
        rows = weight.rows()
        hidden = _HiddenLayer()
        carry, carry_bias = [], []
        for i, act in enumerate(layer.activations):
            if keep_sigma_units and act == sigma:
                carry.append([(hidden.unit(rows[i], bias[i], Fraction(1)), Fraction(1))])
                carry_bias.append(Fraction(0))
                continue
            if isinstance(act, Identity):  # z = R(z) - R(-z); the two constants cancel
                combo, _ = unit_weights(PolyReLU((0, 1)), sigma, ts)
                parts = [(sign, t, sign * c) for sign in (1, -1) for t, c in zip(ts, combo, strict=True)]
                beta = Fraction(0)
            else:
                combo, beta = unit_weights(act, sigma, ts)
                parts = [(1, t, c) for t, c in zip(ts, combo, strict=True)]
            carry.append([(hidden.unit(rows[i], bias[i], sign * t), c) for sign, t, c in parts if c != 0])
            carry_bias.append(beta)
        new_width = len(hidden.bias)
        out_layers.append(Layer(SparseMatrix((new_width, weight.shape[1]), tuple(hidden.entries)),
                                tuple(hidden.bias), (sigma,) * new_width))
    return Net(net.in_dim, tuple(out_layers))
