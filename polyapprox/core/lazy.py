"""Lazy re-exports for a package's ``__init__`` (PEP 562): a name's module is imported on first use only."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, table: Mapping[str, str | tuple[str, str]],
                 namespace: dict[str, Any]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``: ``table`` maps a public name to its module (same attribute
    name) or to ``(module, attribute)``; a resolved name is cached in the package's ``namespace``."""

    def getattr_(name: str) -> Any:
        try:
            entry = table[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        module, attr = (entry, name) if isinstance(entry, str) else entry
        value = getattr(importlib.import_module(module), attr)
        namespace[name] = value
        return value

    def dir_() -> list[str]:
        return sorted(set(namespace) | set(table))

    return getattr_, dir_
