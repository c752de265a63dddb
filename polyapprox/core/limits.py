"""The one table of input limits: how much work any input (expression, net file, flag, state file) may cause.

Every size an input declares is checked against a limit here *before* any work or allocation. A refusal is a
``LimitError`` (exit 2) naming the limit, the value and how to raise it: the environment variable
``POLYAPPROX_MAX_<NAME>`` (e.g. ``POLYAPPROX_MAX_EXPR_CHARS=100000``). Defaults are generous for real use
(the paper's experiments stay far below them) and small enough that a hostile input is refused in
milliseconds and well under 2 GB of memory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from polyapprox.errors import PolyapproxError


class LimitError(PolyapproxError):
    """An input over one of the limits below (the message says which and how to raise it)."""


@dataclass(frozen=True)
class Limit:
    name: str
    default: int
    meaning: str

    @property
    def env(self) -> str:
        return f"POLYAPPROX_MAX_{self.name.upper()}"


LIMITS: dict[str, Limit] = {lim.name: lim for lim in (
    # expressions (``symbolic.expressions``)
    Limit("expr_chars", 10_000, "characters in one expression"),
    Limit("expr_depth", 100, "nesting depth of one expression"),
    Limit("expr_nodes", 5_000, "operators, numbers and names in one expression"),
    Limit("exponent", 64, "absolute value of an integer exponent"),
    Limit("literal_digits", 400, "digits in one numeric literal"),
    Limit("degree", 64, "total degree of a polynomial after expansion"),
    Limit("expr_terms", 5_000, "terms produced by expanding one expression (all steps together)"),
    # network files and the numbers in them (``core.netjson``)
    Limit("file_bytes", 64 * 2**20, "bytes in one input file (network, results or state JSON)"),
    Limit("json_depth", 64, "nesting depth of one JSON document"),
    Limit("number_digits", 4_000, "digits in one rational number (numerator or denominator)"),
    Limit("dim", 100_000, "input or output dimension, width of one layer"),
    Limit("layers", 10_000, "layers of one network"),
    Limit("nonzeros", 20_000_000, "nonzero weights of one network"),
    # sizes asked for on the command line
    Limit("power", 4_096, "exponent of `construct power`"),
    Limit("grid", 4_096, "grid size N of one rate-sweep point"),
    Limit("width", 65_536, "width of one trained MLP or model"),
    Limit("points", 50_000_000, "evaluation points of one measurement"),
    Limit("memory_mb", 8_192, "estimated memory of one run, in MB"),
    Limit("seeds", 100, "seeds (repeated runs) of one LM sweep point"),
)}


def limit(name: str) -> int:
    """The limit ``name``: the environment variable ``POLYAPPROX_MAX_<NAME>`` if set (a positive integer), else
    the default."""
    lim = LIMITS[name]
    raw = os.environ.get(lim.env)
    if raw is None:
        return lim.default
    try:
        value = int(raw)
    except ValueError:
        raise LimitError(f"{lim.env}={raw[:40]!r}: not an integer") from None
    if value < 1:
        raise LimitError(f"{lim.env}={value}: must be >= 1")
    return value


def check(name: str, value: int, what: str | None = None) -> int:
    """Return ``value`` if it is within the limit ``name``, else raise ``LimitError`` saying how to raise it."""
    cap = limit(name)
    if value > cap:
        lim = LIMITS[name]
        raise LimitError(f"{what or lim.meaning}: {value} is over the limit {cap} "
                         f"(set {lim.env} to raise it)")
    return value
