"""One small schema check for the JSON state files read back (``--resume``, ``plot rates``, ``reproduce``).

A spec is a Python value describing the expected document:

* a type: ``str``, ``bool``, ``dict``, ``list``, ``int`` (not a bool) or ``float`` (any finite int or float);
* ``NUMBER``: any int or float, NaN and infinities included (fits of too few points store NaN);
* ``None`` inside a tuple: the field may be null, e.g. ``(float, None)``;
* a dict ``{key: spec}``: an object with at least these keys (extra keys are allowed); ``{str: spec}``: an
  object whose every value matches ``spec`` (keys are names);
* a list: ``[spec]`` an array whose every item matches ``spec``; ``[spec, ...]`` the same, not empty;
  ``[spec_1, ..., spec_k]`` (k >= 2, no Ellipsis) exactly k items, item i matching ``spec_i``.

``check(doc, spec, where)`` raises ``InvalidDataError("WHERE: field a.b[3].c: expected ..., got ...")``.
"""

from __future__ import annotations

import math
from typing import Any

from polyapprox.errors import InvalidDataError, shorten

#: spec of any real number, non-finite ones included
NUMBER = "number"


def _name(spec: Any) -> str:
    if isinstance(spec, tuple):
        return " or ".join(_name(s) for s in spec)
    if spec is None:
        return "null"
    if isinstance(spec, dict):
        return "an object"
    if isinstance(spec, list):
        return "an array"
    return {NUMBER: "a number", float: "a finite number", int: "an integer", str: "a string", bool: "true/false",
            dict: "an object", list: "an array"}[spec]


def _matches(value: Any, spec: Any) -> bool:
    """Whether ``value`` has the type ``spec`` names (containers: the outer type only)."""
    if isinstance(spec, tuple):
        return any(_matches(value, s) for s in spec)
    if spec is None:
        return value is None
    if isinstance(spec, dict) or spec is dict:
        return isinstance(value, dict)
    if isinstance(spec, list) or spec is list:
        return isinstance(value, list)
    if spec == NUMBER:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if spec is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if spec is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, spec)


def _inner(spec: Any, value: Any) -> Any:
    """The container spec of a union that ``value`` matched (``({...}, None)`` -> ``{...}``), else None."""
    options = spec if isinstance(spec, tuple) else (spec,)
    for s in options:
        if isinstance(s, (dict, list)) and _matches(value, s):
            return s
    return None


def check(doc: Any, spec: Any, where: str, path: str = "") -> Any:
    """Return ``doc`` if it matches ``spec`` (see the module docstring), else raise ``InvalidDataError``
    starting with ``where`` (the caller keeps it short: a file name through ``shorten``)."""
    if not _matches(doc, spec):
        got = "missing" if doc is _MISSING else f"got {shorten(repr(doc), 40)}"
        raise InvalidDataError(f"{where}: field {path or '(top level)'}: expected {_name(spec)}, {got}")
    inner = _inner(spec, doc)
    if isinstance(inner, dict):
        items = [(k, inner[str]) for k in doc] if set(inner) == {str} else list(inner.items())
        for key, sub in items:
            check(doc.get(key, _MISSING), sub, where, f"{path}.{key}" if path else str(key))
    elif isinstance(inner, list):
        _check_array(doc, inner, where, path)
    return doc


def _check_array(doc: list[Any], spec: list[Any], where: str, path: str) -> None:
    """Items of ``doc`` against a list spec (see the module docstring)."""
    fixed = len(spec) >= 2 and spec[1] is not Ellipsis
    if (fixed and len(doc) != len(spec)) or (spec[-1] is Ellipsis and not doc):
        want = f"{len(spec)} items" if fixed else "at least 1 item"
        raise InvalidDataError(f"{where}: field {path or '(top level)'}: expected {want}, got {len(doc)}")
    for i, item in enumerate(doc):
        check(item, spec[i] if fixed else spec[0], where, f"{path}[{i}]")


class _Missing:
    def __repr__(self) -> str:
        return "missing"


_MISSING = _Missing()
