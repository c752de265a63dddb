"""A wall-clock deadline for long exact computations, checked cheaply from inside their loops.

``with deadline(seconds): ...`` sets the deadline for the code inside (nested deadlines keep the earlier
one); ``check_deadline()`` raises ``DeadlineExceeded`` once it has passed. The sympy build of a network
checks it once per layer group and the canonical Abs form once per sub-expression, so ``prove_equal(timeout=T)``
stops between those steps. One sympy call can still run long: the CLI also runs the proof in a worker
process that is killed at the deadline (``symbolic.worker``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_DEADLINE: ContextVar[float | None] = ContextVar("polyapprox_deadline", default=None)


class DeadlineExceeded(Exception):
    """The current deadline has passed (caught by the code that set it; never shown to a user as is)."""


@contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Run the block under a deadline ``seconds`` from now (None: no new deadline; an outer one still holds)."""
    outer = _DEADLINE.get()
    new = outer if seconds is None else time.perf_counter() + max(seconds, 0.0)
    token = _DEADLINE.set(new if outer is None else min(outer, new))  # type: ignore[type-var]
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def check_deadline() -> None:
    """Raise ``DeadlineExceeded`` if the current deadline has passed."""
    end = _DEADLINE.get()
    if end is not None and time.perf_counter() > end:
        raise DeadlineExceeded
