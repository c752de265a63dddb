"""The exact network description: ``Net``, ``Layer``, ``SparseMatrix`` and the activation specs.

A ``Net`` computes ``a_0 = x``, ``a_l = act_l(W_l a_{l-1} + b_l)`` (l = 1..L), output ``a_L``, with one
activation spec per unit: ``Identity()`` or ``PolyReLU(coeffs)``, the latter being
``t -> sum_i coeffs[i] * ReLU(t)**i`` with ``ReLU(t)**0 := 1`` (docs/conventions.md §1.1). ReLU is
``PolyReLU((0, 1))`` and ReLU^k the one-hot ``PolyReLU.relu_power(k)``.

Every number is an exact ``Fraction``; floats are refused (the one sanctioned float entry point is
``backends.torch_module.from_torch``). All values are frozen and canonical (sparse entries sorted, no
stored zeros, trailing zero coefficients stripped), so ``==`` is mathematical equality of the descriptions.
This module imports neither torch nor sympy.

``Net``'s convenience methods (``net(x)``, ``save``, ``load``, ``describe``, the one-line ``repr``) delegate
to the modules that own each job (``backends.floats``, ``core.netjson``, ``core.counting``) through the
lazy public facade ``polyapprox`` (``_api``), so that this module keeps importing none of them (they import
it) and ``import polyapprox.core.net`` stays free of numpy and scipy.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from polyapprox.errors import NetError

RationalLike = int | Fraction | str


def as_fraction(value: object, where: str = "value") -> Fraction:
    """Exact conversion of int / Fraction / 'p/q' string / rational number types; floats are refused."""
    if isinstance(value, bool):
        raise NetError(f"{where}: {value!r} is a bool, not a rational")
    if isinstance(value, Fraction):
        return value
    if isinstance(value, numbers.Integral):
        return Fraction(int(value))
    if isinstance(value, numbers.Rational):  # e.g. sympy.Rational
        return Fraction(int(value.numerator), int(value.denominator))
    if isinstance(value, str):
        try:
            return Fraction(value.strip())
        except (ValueError, ZeroDivisionError):
            raise NetError(f'{where}: not a rational: "{value}"') from None
    if isinstance(value, numbers.Real):
        raise NetError(f"{where}: float {value!r} is not exact; pass Fraction or a string such as '1/2'")
    raise NetError(f"{where}: not a rational: {value!r}")


@dataclass(frozen=True, slots=True)
class Identity:
    """The identity activation t -> t (a free carrier unit; not a PolyReLU unit)."""

    @property
    def kind(self) -> str:
        return "identity"


@dataclass(frozen=True, slots=True)
class PolyReLU:
    """Activation a(t) = sum_i coeffs[i] * ReLU(t)**i (coeffs[0] is a constant, ReLU^0 := 1).

    Paper Eq. (2) (Zhuo et al. 2025). Canonical form: trailing zero coefficients stripped, at least one
    coefficient kept, so ``PolyReLU((0, 1, 0)) == PolyReLU((0, 1)) == PolyReLU.relu()``.
    """

    coeffs: tuple[Fraction, ...]

    def __post_init__(self) -> None:
        cs = [as_fraction(c, f"coeffs[{i}]") for i, c in enumerate(self.coeffs)]
        while len(cs) > 1 and cs[-1] == 0:
            cs.pop()
        if not cs:
            cs = [Fraction(0)]
        object.__setattr__(self, "coeffs", tuple(cs))

    @property
    def kind(self) -> str:
        return "polyrelu"

    @property
    def order(self) -> int:
        """Highest power r with a nonzero coefficient (0 for a constant)."""
        return len(self.coeffs) - 1

    @classmethod
    def relu(cls) -> PolyReLU:
        return cls((0, 1))

    @classmethod
    def relu_power(cls, k: int) -> PolyReLU:
        """ReLU(t)**k as a one-hot PolyReLU (k >= 1)."""
        if not isinstance(k, int) or k < 1:
            raise NetError(f"order: {k!r} must be an integer >= 1")
        return cls(tuple([0] * k + [1]))


Activation = Identity | PolyReLU
IDENTITY = Identity()
RELU = PolyReLU((0, 1))


@dataclass(frozen=True, slots=True)
class SparseMatrix:
    """Canonical COO matrix: ``entries`` sorted by (row, col), each (row, col) once, no stored zeros."""

    shape: tuple[int, int]
    entries: tuple[tuple[int, int, Fraction], ...] = field(default=())

    def __post_init__(self) -> None:
        rows, cols = self.shape
        if not (isinstance(rows, int) and isinstance(cols, int)) or rows < 0 or cols < 0:
            raise NetError(f"shape: {self.shape!r} is not a pair of non-negative integers")
        seen: dict[tuple[int, int], Fraction] = {}
        for k, e in enumerate(self.entries):
            if len(e) != 3:
                raise NetError(f"entries[{k}]: expected (row, col, value), got {e!r}")
            i, j, v = e
            if not isinstance(i, int) or isinstance(i, bool) or not 0 <= i < rows:
                raise NetError(f"entries[{k}]: row {i!r} out of range ({rows} rows)")
            if not isinstance(j, int) or isinstance(j, bool) or not 0 <= j < cols:
                raise NetError(f"entries[{k}]: column {j!r} out of range ({cols} columns)")
            if (i, j) in seen:
                raise NetError(f"entries[{k}]: duplicate entry ({i}, {j})")
            seen[(i, j)] = as_fraction(v, f"entries[{k}]")
        canon = tuple(sorted((i, j, v) for (i, j), v in seen.items() if v != 0))
        object.__setattr__(self, "shape", (rows, cols))
        object.__setattr__(self, "entries", canon)

    @classmethod
    def from_dense(cls, rows: Sequence[Sequence[object]], cols: int | None = None) -> SparseMatrix:
        """From a row-major list of lists (``cols`` needed only when there are no rows)."""
        ncols = len(rows[0]) if rows else (cols or 0)
        entries = []
        for i, row in enumerate(rows):
            if len(row) != ncols:
                raise NetError(f"weight[{i}]: {len(row)} entries, expected {ncols}")
            for j, v in enumerate(row):
                q = as_fraction(v, f"weight[{i}][{j}]")
                if q != 0:
                    entries.append((i, j, q))
        return cls((len(rows), ncols), tuple(entries))

    @classmethod
    def identity(cls, n: int) -> SparseMatrix:
        return cls((n, n), tuple((i, i, Fraction(1)) for i in range(n)))

    @property
    def nnz(self) -> int:
        return len(self.entries)

    def to_dense(self) -> list[list[Fraction]]:
        rows, cols = self.shape
        out = [[Fraction(0)] * cols for _ in range(rows)]
        for i, j, v in self.entries:
            out[i][j] = v
        return out

    def rows(self) -> list[list[tuple[int, Fraction]]]:
        """Per output row, the list of (col, value)."""
        out: list[list[tuple[int, Fraction]]] = [[] for _ in range(self.shape[0])]
        for i, j, v in self.entries:
            out[i].append((j, v))
        return out

    def matmul(self, other: SparseMatrix) -> SparseMatrix:
        """Exact product self @ other."""
        if self.shape[1] != other.shape[0]:
            raise NetError(f"matmul: shapes {self.shape} and {other.shape} do not chain")
        other_rows = other.rows()
        acc: dict[tuple[int, int], Fraction] = {}
        for i, k, v in self.entries:
            for j, w in other_rows[k]:
                acc[(i, j)] = acc.get((i, j), Fraction(0)) + v * w
        return SparseMatrix((self.shape[0], other.shape[1]), tuple((i, j, v) for (i, j), v in acc.items()))

    def apply(self, vector: Sequence[Fraction]) -> list[Fraction]:
        """Exact matrix-vector product."""
        out = [Fraction(0)] * self.shape[0]
        for i, j, v in self.entries:
            out[i] += v * vector[j]
        return out


def _as_matrix(weight: object) -> SparseMatrix:
    if isinstance(weight, SparseMatrix):
        return weight
    if isinstance(weight, Sequence):
        return SparseMatrix.from_dense(weight)  # type: ignore[arg-type]
    raise NetError(f"weight: expected a SparseMatrix or a list of rows, got {type(weight).__name__}")


@dataclass(frozen=True, slots=True)
class Layer:
    """a_out = act(W a_in + b), one activation spec per output unit. ``weight``: (out_dim, in_dim)."""

    weight: SparseMatrix
    bias: tuple[Fraction, ...]
    activations: tuple[Activation, ...]

    def __post_init__(self) -> None:
        w = _as_matrix(self.weight)
        rows = w.shape[0]
        bias = tuple(as_fraction(b, f"bias[{i}]") for i, b in enumerate(self.bias))
        if len(bias) != rows:
            raise NetError(f"bias: {len(bias)} entries, expected {rows} (one per row of weight)")
        acts = self.activations
        if isinstance(acts, (Identity, PolyReLU)):
            acts = (acts,) * rows
        acts = tuple(acts)
        if len(acts) != rows:
            raise NetError(f"activations: {len(acts)} entries, expected {rows}")
        for i, a in enumerate(acts):
            if not isinstance(a, (Identity, PolyReLU)):
                raise NetError(f"activations[{i}]: not an activation spec: {a!r}")
        object.__setattr__(self, "weight", w)
        object.__setattr__(self, "bias", bias)
        object.__setattr__(self, "activations", acts)

    @classmethod
    def make(cls, weight: object, bias: Iterable[object] | None = None,
             activations: Activation | Iterable[Activation] = IDENTITY) -> Layer:
        """Convenience constructor: dense or sparse weight, bias defaulting to zeros, one spec broadcast."""
        w = _as_matrix(weight)
        b = tuple(bias) if bias is not None else (0,) * w.shape[0]
        acts = activations if isinstance(activations, (Identity, PolyReLU)) else tuple(activations)
        return cls(w, b, acts)  # type: ignore[arg-type]

    @property
    def in_dim(self) -> int:
        return self.weight.shape[1]

    @property
    def out_dim(self) -> int:
        return self.weight.shape[0]

    @property
    def is_affine(self) -> bool:
        """True when every unit is an identity unit (the layer is an affine map)."""
        return all(isinstance(a, Identity) for a in self.activations)


def _api(name: str) -> Any:
    """A public name of ``polyapprox`` (imported lazily, on first use)."""
    import polyapprox

    return getattr(polyapprox, name)


def _kinds(net: Net) -> str:
    """'229 polyrelu r<=2, 1 identity': how many units of each activation kind (bounded length)."""
    acts = [a for layer in net.layers for a in layer.activations]
    orders = [a.order for a in acts if isinstance(a, PolyReLU)]
    parts = [f"{len(orders)} polyrelu r<={max(orders)}"] if orders else []
    if len(acts) > len(orders):
        parts.append(f"{len(acts) - len(orders)} identity")
    return ", ".join(parts)


@dataclass(frozen=True, slots=True, repr=False)
class Net:
    """A feed-forward network ``R^in_dim -> R^out_dim``; consecutive layer shapes must chain.

    ``repr(net)`` is a one-line summary; ``net.describe()`` is the full description; ``net(x)`` evaluates
    in float64; ``net.save(path)`` / ``Net.load(path)`` write and read the JSON format (``core.netjson``).
    """

    in_dim: int
    layers: tuple[Layer, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.in_dim, int) or isinstance(self.in_dim, bool) or self.in_dim < 1:
            raise NetError(f"in_dim: {self.in_dim!r} must be an integer >= 1")
        layers = tuple(self.layers)
        if not layers:
            raise NetError("layers: a network needs at least one layer")
        prev = self.in_dim
        for k, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise NetError(f"layers[{k}]: not a Layer: {type(layer).__name__}")
            if layer.in_dim != prev:
                raise NetError(f"layers[{k}].weight: {layer.in_dim} columns, expected {prev}")
            prev = layer.out_dim
        object.__setattr__(self, "layers", layers)

    @property
    def out_dim(self) -> int:
        return self.layers[-1].out_dim

    def __repr__(self) -> str:
        c = _api("count_params")(self)
        return (f"Net(in={self.in_dim}, out={self.out_dim}, depth={c.depth}, width={c.width}, "
                f"params={c.params}, units: {_kinds(self)})")

    def describe(self) -> str:
        """The full description: every layer's weight, bias and activations (can be very long)."""
        fields = ", ".join(f"Layer(weight={layer.weight!r}, bias={layer.bias!r}, activations={layer.activations!r})"
                           for layer in self.layers)
        return f"Net(in_dim={self.in_dim}, layers=({fields},))"

    def __call__(self, x: Any) -> Any:
        """``net(x)`` in float64: x of shape (P, in_dim) (or (P,) when in_dim = 1) -> array (P, out_dim)."""
        return _api("evaluate_float")(self, x)

    def save(self, path: str | os.PathLike[str], layout: str = "auto") -> None:
        """Write the JSON network file (format v1, atomic); ``layout``: 'auto', 'dense' or 'sparse'."""
        _api("save_net")(self, path, layout=layout)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Net:
        """Read a JSON network file (validated; ``NetFormatError`` names the bad field)."""
        return _api("load_net")(path)
