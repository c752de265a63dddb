"""Run a C callback on torch's own OpenMP thread team (``GOMP_parallel`` of the libgomp torch has loaded).

Why (issue 11, item 4, LM-tiny shapes): torch's CPU ops run on an OpenMP team whose workers spin for a while
after each parallel region. A thread of ours woken next to such a worker time-shares its core instead of
adding one (on the 2-core dev VM a second thread of a Python pool made (1536, 176) fp32 slower, not faster),
so the numba kernels ran single-threaded below 2**20 elements while GELU used both cores. Handing the work to
that same team instead costs what one of torch's own parallel regions costs: ``GOMP_parallel(fn, data, n, 0)``
runs ``fn(data)`` on the calling thread and n - 1 team workers and returns after all have finished (the
libgomp ABI, GCC 4.9+; ``fn`` is a numba ``cfunc``, so no thread touches the GIL).

Available when torch's ATen parallel back end is OpenMP through libgomp, i.e. the Linux wheels: the libgomp
file mapped into this process (torch's, under ``torch/lib`` or ``torch.libs``) is opened again by path, which
returns the handle already loaded, never a second runtime. Elsewhere (macOS, Windows, a torch built with
another back end) ``team()`` is None and callers use their own threads.
"""

from __future__ import annotations

import ctypes
import functools
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import torch


def libgomp_in(maps: str) -> Path | None:
    """The libgomp file torch uses, given the text of /proc/self/maps: the one under torch's folders when
    several are mapped (numba's OpenMP layer maps the system's), the only one otherwise, else None."""
    paths = {Path(line.split(maxsplit=5)[-1]) for line in maps.splitlines() if "libgomp" in line and "/" in line}
    if len(paths) > 1:
        home = Path(torch.__file__).resolve().parent
        paths = {p for p in paths if home in p.parents or home.parent / "torch.libs" in p.parents}
    return paths.pop() if len(paths) == 1 else None


@dataclass(frozen=True)
class Team:
    """torch's libgomp entry points: ``GOMP_parallel`` (a ctypes function; it releases the GIL while the team
    runs) and the addresses of ``int omp_get_thread_num(void)`` / ``int omp_get_num_threads(void)`` (for
    callbacks that split work by thread number, as torch's ``at::parallel_for`` does)."""

    parallel: ctypes._CFuncPtr
    thread_num: int
    num_threads: int


@functools.cache
def _team_in(pid: int) -> Team | None:  # noqa: ARG001 - the cache key: a fork()ed child looks again
    if sys.platform != "linux" or "OpenMP" not in torch.__config__.parallel_info():
        return None
    try:
        path = libgomp_in(Path("/proc/self/maps").read_text())
    except OSError:
        return None
    if path is None:
        return None
    try:
        lib = ctypes.CDLL(str(path))
        parallel, thread_num, num_threads = lib.GOMP_parallel, lib.omp_get_thread_num, lib.omp_get_num_threads
    except (OSError, AttributeError):
        return None
    parallel.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint, ctypes.c_uint]
    parallel.restype = None
    address = lambda f: ctypes.cast(f, ctypes.c_void_p).value  # noqa: E731
    return Team(parallel, address(thread_num), address(num_threads))


def team() -> Team | None:
    """torch's OpenMP team in this process, or None (not Linux, not libgomp, or not found)."""
    return _team_in(os.getpid())


def run_on_team(found: Team, callback: int, data: int, threads: int) -> None:
    """``callback(data)`` on ``threads`` threads of torch's team (the calling thread is one of them); the
    callback splits the work itself."""
    found.parallel(callback, data, threads, 0)
