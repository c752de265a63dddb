"""``prove_in_worker``: ``prove_equal`` with a hard deadline, run in a child process killed when it passes.

``prove_equal(timeout=T)`` checks the clock between steps, but one sympy call (an expansion of a deep net)
can run far past T. Here the proof runs in a worker process ('fork' start method where the platform has it,
else 'spawn'); the parent waits T + ``GRACE`` seconds, then kills it and answers status "unknown", detail
"timeout after T s". The worker sends back plain data (``Certificate.to_plain``), never live objects; bad
input found in the worker comes back as the same one-line ``PolyapproxError``, and a crash of the worker
(out of memory, recursion) as status "unknown" naming it.
"""

from __future__ import annotations

import multiprocessing as mp
import signal
import time
from typing import Any

from polyapprox.errors import PolyapproxError
from polyapprox.symbolic.certificate import Certificate

#: seconds the parent waits past the deadline for the worker's own (graceful) timeout answer
GRACE = 0.5


def _context() -> Any:
    return mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")


def _child(conn: Any, net: Any, expr: Any, kwargs: dict[str, Any]) -> None:
    """Worker body: send ("ok", plain certificate), ("error", message) or ("crash", description)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it kills this process
    from polyapprox.symbolic.prover import prove_equal

    try:
        reply: tuple[str, Any] = ("ok", prove_equal(net, expr, **kwargs).to_plain())
    except PolyapproxError as exc:
        reply = ("error", str(exc))
    except Exception as exc:  # noqa: BLE001 - any failure of a valid input's proof is status "unknown"
        reply = ("crash", f"{type(exc).__name__}: {' '.join(str(exc).split())[:120]}")
    conn.send(reply)
    conn.close()


def prove_in_worker(net: Any, expr: Any, timeout: float, **kwargs: Any) -> Certificate:
    """``prove_equal(net, expr, timeout=timeout, **kwargs)`` in a worker that is killed at the deadline."""
    start = time.perf_counter()
    ctx = _context()
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(send, net, expr, {**kwargs, "timeout": timeout}), daemon=True)
    proc.start()
    send.close()
    try:
        reply = recv.recv() if recv.poll(max(timeout, 0.0) + GRACE) else None
    except EOFError:  # the worker died without answering
        proc.join(1.0)
        reply = ("crash", f"the prover process ended without an answer (exit code {proc.exitcode})")
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()
        recv.close()
    seconds = time.perf_counter() - start
    if reply is None:
        return Certificate("unknown", "timeout", seconds, detail=f"timeout after {timeout:g} s")
    kind, payload = reply
    if kind == "ok":
        return Certificate.from_plain(payload)
    if kind == "error":
        raise PolyapproxError(payload)
    return Certificate("unknown", "crashed", seconds, detail=f"prover failed: {payload}")
