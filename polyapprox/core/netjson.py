"""JSON network format, version 1 (docs/conventions.md §3): exact rationals as strings, dense or sparse weights.

``{"format": "polyapprox.core.net", "version": 1, "in_dim": d, "layers": [{"weight": ..., "bias": [...],
"activations": [{"kind": "identity"} | {"kind": "polyrelu", "coeffs": [...]}, ...]}, ...]}``

A weight is dense (row-major list of rows) or sparse (``{"shape": [rows, cols], "entries": [[i, j, "p/q"],
...]}``); writers choose the smaller. Readers validate everything and raise ``NetFormatError`` whose
message starts with the JSON path of the offending field, e.g. ``layers[2].weight[0][3]: not a rational``.
"""

from __future__ import annotations

import json
import os
from fractions import Fraction
from typing import Any

from polyapprox.core.inputs import load_json, parse_json
from polyapprox.core.limits import check
from polyapprox.core.net import IDENTITY, Activation, Identity, Layer, Net, PolyReLU, SparseMatrix
from polyapprox.core.rational import format_rational, parse_rational
from polyapprox.core.results import atomic_write_text
from polyapprox.errors import NetError, NetFormatError

FORMAT = "polyapprox.core.net"
VERSION = 1


def _q(v: Fraction) -> str:
    return str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"


def _act_to_json(a: Activation) -> dict[str, Any]:
    if isinstance(a, Identity):
        return {"kind": "identity"}
    return {"kind": "polyrelu", "coeffs": [_q(c) for c in a.coeffs]}


def _weight_to_json(w: SparseMatrix, layout: str) -> Any:
    rows, cols = w.shape
    if layout == "auto":
        layout = "sparse" if 3 * w.nnz < rows * cols else "dense"
    if layout == "dense":
        return [[_q(v) for v in row] for row in w.to_dense()]
    return {"shape": [rows, cols], "entries": [[i, j, _q(v)] for i, j, v in w.entries]}


def to_json_dict(net: Net, layout: str = "auto") -> dict[str, Any]:
    """The format-1 document of ``net``; ``layout`` is 'auto', 'dense' or 'sparse'."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "in_dim": net.in_dim,
        "layers": [
            {
                "weight": _weight_to_json(layer.weight, layout),
                "bias": [_q(b) for b in layer.bias],
                "activations": [_act_to_json(a) for a in layer.activations],
            }
            for layer in net.layers
        ],
    }


def dumps(net: Net, layout: str = "auto") -> str:
    return json.dumps(to_json_dict(net, layout), separators=(",", ":"))


def save(net: Net, path: str | os.PathLike[str], layout: str = "auto") -> None:
    """Write atomically (temp file in the same folder, then ``os.replace``)."""
    atomic_write_text(path, dumps(net, layout))


# ---------------------------------------------------------------- reading


def _shown(v: Any) -> str:
    """A JSON value quoted for a message: at most 60 characters."""
    text = json.dumps(v) if not isinstance(v, int) else format_rational(v)
    return text if len(text) <= 60 else text[:57] + "..."


def _rational(v: Any, where: str) -> Fraction:
    if isinstance(v, bool) or not isinstance(v, (str, int)):
        raise NetFormatError(f'{where}: not a rational: {_shown(v)} (numbers are strings such as "-1/4")')
    if isinstance(v, int):
        return Fraction(v)  # digits already bounded while parsing the JSON
    return parse_rational(v, where, NetFormatError)


def _int(v: Any, where: str, minimum: int = 0, limit: str | None = None) -> int:
    """A JSON integer >= ``minimum``, within the named limit (``dim``, ``layers``, ...) when given."""
    if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
        raise NetFormatError(f"{where}: expected an integer >= {minimum}, got {_shown(v)}")
    return check(limit, v, where) if limit else v


def _list(v: Any, where: str) -> list[Any]:
    if not isinstance(v, list):
        raise NetFormatError(f"{where}: expected a list, got {type(v).__name__}")
    return v


def _activation(v: Any, where: str) -> Activation:
    if not isinstance(v, dict) or "kind" not in v:
        raise NetFormatError(f'{where}: expected {{"kind": ...}}, got {_shown(v)}')
    kind = v["kind"]
    if kind == "identity":
        return IDENTITY
    if kind == "polyrelu":
        coeffs = _list(v.get("coeffs"), f"{where}.coeffs")
        if not coeffs:
            raise NetFormatError(f"{where}.coeffs: empty")
        check("power", len(coeffs) - 1, f"{where}.coeffs: order")
        return PolyReLU(tuple(_rational(c, f"{where}.coeffs[{i}]") for i, c in enumerate(coeffs)))
    raise NetFormatError(f"{where}.kind: unknown activation {_shown(kind)} (identity or polyrelu)")


def _weight(v: Any, where: str, cols: int) -> SparseMatrix:
    if isinstance(v, dict):
        shape = _list(v.get("shape"), f"{where}.shape")
        if len(shape) != 2:
            raise NetFormatError(f"{where}.shape: expected [rows, cols], got {_shown(shape)}")
        rows, ncols = _int(shape[0], f"{where}.shape[0]", 0, "dim"), _int(shape[1], f"{where}.shape[1]", 0, "dim")
        if ncols != cols:
            raise NetFormatError(f"{where}.shape: {ncols} columns, expected {cols} (the previous width)")
        entries, seen = [], set()
        entries_json = _list(v.get("entries"), f"{where}.entries")
        check("nonzeros", len(entries_json), f"{where}.entries: number of entries")
        for k, e in enumerate(entries_json):
            w = f"{where}.entries[{k}]"
            if not isinstance(e, list) or len(e) != 3:
                raise NetFormatError(f"{w}: expected [row, col, value], got {_shown(e)}")
            i, j = _int(e[0], f"{w}[0]"), _int(e[1], f"{w}[1]")
            if i >= rows:
                raise NetFormatError(f"{w}: row {i} out of range ({rows} rows)")
            if j >= cols:
                raise NetFormatError(f"{w}: column {j} out of range ({cols} columns)")
            if (i, j) in seen:
                raise NetFormatError(f"{w}: duplicate entry ({i}, {j})")
            seen.add((i, j))
            entries.append((i, j, _rational(e[2], f"{w}[2]")))
        return SparseMatrix((rows, cols), tuple(entries))
    rows_json = _list(v, where)
    check("dim", len(rows_json), f"{where}: rows")
    check("nonzeros", len(rows_json) * cols, f"{where}: entries of the dense weight")
    dense = []
    for i, row in enumerate(rows_json):
        row = _list(row, f"{where}[{i}]")
        if len(row) != cols:
            raise NetFormatError(f"{where}[{i}]: {len(row)} entries, expected {cols} (the previous width)")
        dense.append([_rational(x, f"{where}[{i}][{j}]") for j, x in enumerate(row)])
    return SparseMatrix.from_dense(dense, cols)


def from_json_dict(doc: Any) -> Net:
    """Validate and build a ``Net`` from a format-1 document; errors name the field path."""
    if not isinstance(doc, dict):
        raise NetFormatError(f"top level: expected an object, got {type(doc).__name__}")
    if doc.get("format") != FORMAT:
        raise NetFormatError(f'format: expected "{FORMAT}", got {json.dumps(doc.get("format"))}')
    if doc.get("version") != VERSION:
        raise NetFormatError(f"version: unsupported {json.dumps(doc.get('version'))} (this reader knows 1)")
    in_dim = _int(doc.get("in_dim"), "in_dim", 1, "dim")
    layers_json = _list(doc.get("layers"), "layers")
    check("layers", len(layers_json), "layers: number of layers")
    layers: list[Layer] = []
    width, stored = in_dim, 0
    for k, lj in enumerate(layers_json):
        where = f"layers[{k}]"
        if not isinstance(lj, dict):
            raise NetFormatError(f"{where}: expected an object")
        w = _weight(lj.get("weight"), f"{where}.weight", width)
        bias = [_rational(b, f"{where}.bias[{i}]") for i, b in enumerate(_list(lj.get("bias"), f"{where}.bias"))]
        if len(bias) != w.shape[0]:
            raise NetFormatError(f"{where}.bias: {len(bias)} entries, expected {w.shape[0]}")
        acts_json = _list(lj.get("activations"), f"{where}.activations")
        if len(acts_json) != w.shape[0]:
            raise NetFormatError(f"{where}.activations: {len(acts_json)} entries, expected {w.shape[0]}")
        acts = tuple(_activation(a, f"{where}.activations[{i}]") for i, a in enumerate(acts_json))
        layers.append(Layer(w, tuple(bias), acts))
        width, stored = w.shape[0], stored + w.nnz
        check("nonzeros", stored, f"{where}: nonzero weights so far")
    if not layers:
        raise NetFormatError("layers: empty (a network needs at least one layer)")
    try:
        return Net(in_dim, tuple(layers))
    except NetError as exc:  # pragma: no cover - every shape is checked above
        raise NetFormatError(str(exc)) from None


def loads(text: str | bytes) -> Net:
    """Parse a format-1 document (depth and number sizes bounded before parsing; see ``core.inputs``)."""
    return from_json_dict(parse_json(text, NetFormatError))


def load(path: str | os.PathLike[str]) -> Net:
    """Read a network file: at most ``file_bytes`` bytes, regular files and FIFOs only (``core.inputs``)."""
    return from_json_dict(load_json(path, NetFormatError))
