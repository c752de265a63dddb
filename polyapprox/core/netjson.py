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
from pathlib import Path
from typing import Any

from polyapprox.core.net import IDENTITY, Activation, Identity, Layer, Net, PolyReLU, SparseMatrix
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


def _rational(v: Any, where: str) -> Fraction:
    if isinstance(v, bool) or not isinstance(v, (str, int)):
        raise NetFormatError(f"{where}: not a rational: {json.dumps(v)} (numbers are strings such as \"-1/4\")")
    try:
        return Fraction(v.strip() if isinstance(v, str) else v)
    except (ValueError, ZeroDivisionError):
        raise NetFormatError(f'{where}: not a rational: "{v}"') from None


def _int(v: Any, where: str, minimum: int = 0) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
        raise NetFormatError(f"{where}: expected an integer >= {minimum}, got {json.dumps(v)}")
    return v


def _list(v: Any, where: str) -> list[Any]:
    if not isinstance(v, list):
        raise NetFormatError(f"{where}: expected a list, got {type(v).__name__}")
    return v


def _activation(v: Any, where: str) -> Activation:
    if not isinstance(v, dict) or "kind" not in v:
        raise NetFormatError(f'{where}: expected {{"kind": ...}}, got {json.dumps(v)[:60]}')
    kind = v["kind"]
    if kind == "identity":
        return IDENTITY
    if kind == "polyrelu":
        coeffs = _list(v.get("coeffs"), f"{where}.coeffs")
        if not coeffs:
            raise NetFormatError(f"{where}.coeffs: empty")
        return PolyReLU(tuple(_rational(c, f"{where}.coeffs[{i}]") for i, c in enumerate(coeffs)))
    raise NetFormatError(f"{where}.kind: unknown activation {json.dumps(kind)} (identity or polyrelu)")


def _weight(v: Any, where: str, cols: int) -> SparseMatrix:
    if isinstance(v, dict):
        shape = _list(v.get("shape"), f"{where}.shape")
        if len(shape) != 2:
            raise NetFormatError(f"{where}.shape: expected [rows, cols], got {json.dumps(shape)}")
        rows, ncols = _int(shape[0], f"{where}.shape[0]"), _int(shape[1], f"{where}.shape[1]")
        if ncols != cols:
            raise NetFormatError(f"{where}.shape: {ncols} columns, expected {cols} (the previous width)")
        entries, seen = [], set()
        for k, e in enumerate(_list(v.get("entries"), f"{where}.entries")):
            w = f"{where}.entries[{k}]"
            if not isinstance(e, list) or len(e) != 3:
                raise NetFormatError(f"{w}: expected [row, col, value], got {json.dumps(e)}")
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
    in_dim = _int(doc.get("in_dim"), "in_dim", 1)
    layers = []
    width = in_dim
    for k, lj in enumerate(_list(doc.get("layers"), "layers")):
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
        width = w.shape[0]
    if not layers:
        raise NetFormatError("layers: empty (a network needs at least one layer)")
    try:
        return Net(in_dim, tuple(layers))
    except NetError as exc:  # pragma: no cover - every shape is checked above
        raise NetFormatError(str(exc)) from None


def loads(text: str) -> Net:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NetFormatError(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    return from_json_dict(doc)


def load(path: str | os.PathLike[str]) -> Net:
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        raise NetFormatError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise NetFormatError(f"{path}: cannot read: {exc}") from None
    return loads(text)
