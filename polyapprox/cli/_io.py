"""Shared CLI helpers: JSON/text output and argument parsing of common flags."""

from __future__ import annotations

import json
import sys
from typing import Any

from polyapprox.core.rational import jsonable
from polyapprox.errors import ConfigError


def emit(payload: dict[str, Any], as_json: bool, text: str | None = None) -> None:
    """Print one JSON document (``--json``) or a human-readable text to stdout (rationals and integers too
    long for Python to print are abbreviated: ``core.rational.jsonable``)."""
    doc = text if text is not None and not as_json else json.dumps(jsonable(payload), indent=2, default=str)
    sys.stdout.write(doc + "\n")


def parse_int(value: str, field: str, minimum: int = 1) -> int:
    """'8' -> 8, checked >= minimum; ConfigError naming the field otherwise (one-line exit 2 in the CLI)."""
    try:
        v = int(value.strip())
    except ValueError:
        raise ConfigError(f"{field}: not an integer: {value.strip()!r}") from None
    if v < minimum:
        raise ConfigError(f"{field}: {v} must be >= {minimum}")
    return v


def parse_int_list(value: str, field: str, minimum: int = 1) -> list[int]:
    """'8,16,32' -> [8, 16, 32]; each >= minimum, else ConfigError naming the field."""
    return [parse_int(item, field, minimum) for item in value.split(",")]


def parse_name_list(value: str, field: str, allowed: tuple[str, ...]) -> list[str]:
    """'relu,gelu' -> ['relu', 'gelu'], each checked against ``allowed``."""
    names = [v.strip() for v in value.split(",") if v.strip()]
    if not names:
        raise ConfigError(f"{field}: empty list")
    for n in names:
        if n not in allowed:
            raise ConfigError(f"{field}: unknown {n!r}; choose from {', '.join(allowed)}")
    return names
