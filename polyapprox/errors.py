"""One exception family for bad input; the CLI maps every subclass to exit code 2."""

from __future__ import annotations


class PolyapproxError(ValueError):
    """Base class: a one-line message naming the offending field and value."""


class NetError(PolyapproxError):
    """An invalid network: shapes that do not chain, inexact numbers, bad activation specs."""


class NetFormatError(NetError):
    """A network JSON file that does not follow format version 1 (the message names the field path)."""


class ExpressionError(PolyapproxError):
    """An expression that cannot be parsed, is not of the required kind, or uses unknown variables."""


class InvalidDataError(PolyapproxError):
    """Numerical input that is unusable: NaN/inf values, wrong shapes, empty data."""


class ConfigError(PolyapproxError):
    """An invalid option: unknown name, order < 1, width < 1, unavailable device, ..."""


def shorten(text: object, limit: int = 80) -> str:
    """``text`` as a string of at most about ``limit`` characters: longer ones keep their start and end around
    ' ... ' (every message quotes user input through this, so no message line grows with the input)."""
    s = " ".join(str(text).split())
    if len(s) <= limit:
        return s
    half = (limit - 5) // 2
    return f"{s[:half]} ... {s[-half:]}"
