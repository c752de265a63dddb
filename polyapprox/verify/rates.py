"""Registers the exact checks of the Sobolev construction (``verify_sobolev``) and of the ReLU baselines,
Lemma 2 and Theorem 2 (``verify_relu``), normalising their results to ``status`` / ``method`` / ``detail``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from polyapprox.verify.registry import register


@dataclass(frozen=True)
class _Outcome:
    status: str
    method: str
    detail: str = ""


def _normalise(result: Any) -> _Outcome:
    if isinstance(result, dict):
        detail = result.get("details", "")
        return _Outcome(str(result["status"]), str(result["method"]), str(detail)[:300])
    if hasattr(result, "proved"):
        detail = f"{result.boxes} boxes" + (f"; {result.detail}" if result.detail else "")
        return _Outcome("proved" if result.proved else "refuted", result.method, detail)
    return _Outcome(str(result.status), str(result.method), str(getattr(result, "detail", "")))


def _wrap(fn: Callable[[], Any]) -> Callable[[], _Outcome]:
    return lambda: _normalise(fn())


def _register_module(checks: list[tuple[str, str, Callable[[], Any]]]) -> None:
    for cid, statement, fn in checks:
        register(cid, statement)(_wrap(fn))


def _load() -> None:
    from polyapprox.verify import relu as verify_relu
    from polyapprox.verify import sobolev as verify_sobolev

    _register_module(verify_sobolev.CHECKS)
    _register_module(verify_relu.CHECKS)


_load()
