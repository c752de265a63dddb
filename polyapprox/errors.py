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
