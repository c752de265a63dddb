"""Helpers shared by the PolyCom kernels: compute dtype, row chunking and workers, back-end choice."""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import os
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import torch

#: Elements per row chunk on CPU: just under ATen's intra-op GRAIN_SIZE (32768), so every chunk op runs
#: serially on the calling thread (no OpenMP region, hence no barrier) and its few chunk-sized buffers
#: (allocated once per worker, reused) stay in L1/L2. Parallelism comes from ``cpu_workers`` Python
#: threads, each owning a contiguous block of chunks (torch ops release the GIL).
#: Why (2-core dev VM, (4096, 4096) fp32, other jobs running): with 2**19-element chunks each op is its own
#: OpenMP region and, when a core is taken by another process, each barrier waits a scheduler slice;
#: PolyNorm fwd+bwd then cost 220-365 ns/element, against 37-46 ns/element with this scheme
#: (GELU: 15-17). With 1 thread and no contention, 2**19 chunks gave 21 ns/element.
CPU_CHUNK_ELEMS = 32767

#: Elements per chunk when torch runs single-threaded (no OpenMP regions, so no barrier to avoid): larger
#: chunks (1 MiB fp32 buffers, L2-sized) cut the per-op Python overhead. At 1 thread, (4096, 4096) fp32,
#: dev VM: 2**18-2**19-element chunks gave ~21-25 ns/element for PolyNorm fwd+bwd, 32767 gave ~28.
CPU_CHUNK_ELEMS_SERIAL = 1 << 18

#: At most this many worker threads: the Python-side overhead per op holds the GIL, so more workers
#: stop paying off.
MAX_CPU_WORKERS = 4


#: Inputs up to this many elements run as one chunk on the calling thread: for them the worker pool's
#: start-up and the per-chunk Python overhead cost more than they save. Measured (dev VM, 2 threads, LM
#: "tiny" FFN activations (1536, 176) fp32, fwd+bwd): chunked + pool 7.5x GELU, one chunk ~3x.
CPU_SMALL_ELEMS = 1 << 20


def compute_dtype(dtype: torch.dtype) -> torch.dtype:
    """Statistics and intermediate dtype: float64 for float64 input, float32 for everything else."""
    return torch.float64 if dtype == torch.float64 else torch.float32


def as_dtype(t: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """``t`` in ``dtype``: ``t`` itself, without a call into torch, when it already is (a no-op ``Tensor.to``
    costs ~1 us, and the fused Functions make about ten such calls per forward+backward)."""
    return t if t.dtype == dtype else t.to(dtype)


def shaped_like(t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``t`` (x's elements as rows) viewed in x's shape; ``t`` itself when it already has it."""
    return t if t.shape == x.shape else t.view(x.shape)


def rows_per_chunk(n_rows: int, width: int, device: torch.device) -> int:
    """Rows processed together: at most CPU_CHUNK_ELEMS elements (>= 1 row) on CPU, all rows elsewhere."""
    if device.type != "cpu":
        return max(n_rows, 1)
    if n_rows * width <= CPU_SMALL_ELEMS:  # small input: one chunk on the calling thread (no pool)
        return max(n_rows, 1)
    target = CPU_CHUNK_ELEMS_SERIAL if torch.get_num_threads() == 1 else CPU_CHUNK_ELEMS
    return max(1, min(n_rows, target // max(width, 1)))


def run_chunks(
    n_rows: int,
    width: int,
    device: torch.device,
    body: Callable[[int, int, int, Any], None],
    make_buffers: Callable[[int], Any],
) -> int:
    """Call ``body(k, start, stop, buffers)`` for every row chunk k; returns the number of chunks.

    On CPU the chunks are split into contiguous groups, one per worker thread (``cpu_workers``); each
    worker allocates its own ``make_buffers(rows_per_chunk)`` once. Bodies must write disjoint outputs.
    """
    chunk = rows_per_chunk(n_rows, width, device)
    spans = [(k, start, stop) for k, (start, stop) in enumerate(row_chunks(n_rows, chunk))]
    workers = cpu_workers(len(spans)) if device.type == "cpu" else 1

    def work(group: list[tuple[int, int, int]]) -> None:
        with torch.no_grad():  # grad mode is thread-local: worker threads start with it on
            buffers = make_buffers(chunk)
            for k, start, stop in group:
                body(k, start, stop, buffers)

    if workers <= 1:
        work(spans)
        return len(spans)
    size = -(-len(spans) // workers)
    groups = [spans[i : i + size] for i in range(0, len(spans), size)]
    with ThreadPoolExecutor(max_workers=len(groups)) as pool:
        for done in [pool.submit(work, group) for group in groups]:
            done.result()  # re-raise any worker exception
    return len(spans)


def cpu_workers(n_chunks: int) -> int:
    """Worker threads for ``n_chunks`` CPU chunks: torch's intra-op thread count, capped."""
    return max(1, min(torch.get_num_threads(), MAX_CPU_WORKERS, n_chunks // 2))


def row_chunks(n_rows: int, chunk: int) -> Iterator[tuple[int, int]]:
    """(start, stop) row ranges of length ``chunk`` covering ``range(n_rows)``."""
    for start in range(0, n_rows, chunk):
        yield start, min(start + chunk, n_rows)


def triton_available() -> bool:
    """True when the ``triton`` package can be imported (never imported here)."""
    return importlib.util.find_spec("triton") is not None


#: Input dtypes the Triton kernels handle (float64 on CUDA uses the torch path).
TRITON_DTYPES = (torch.float16, torch.bfloat16, torch.float32)

#: Input dtypes the numba kernels handle (CPU; float16/bfloat16 use the torch path).
NUMBA_DTYPES = (torch.float32, torch.float64)

#: Highest order the numba kernels handle (their inner loops have this fixed length; higher orders use
#: the torch path).
NUMBA_MAX_ORDER = 5

#: Environment switch for the back end: ``auto`` (default: Triton for CUDA tensors when triton imports,
#: numba for CPU float32/float64 tensors when numba is installed, the chunked torch path otherwise),
#: ``reference`` (plain formula under autograd), ``fused`` (the chunked torch path everywhere), ``triton``
#: (Triton for every float16/bfloat16/float32 tensor, also CPU tensors under ``TRITON_INTERPRET=1``) or
#: ``numba`` (numba for every CPU float32/float64 tensor; failures raise instead of falling back).
KERNELS_ENV = "POLYAPPROX_KERNELS"
BACKENDS = ("auto", "reference", "fused", "triton", "numba")

#: Back ends whose launch failed (name -> first error, reported by one warning); the torch path is used
#: for them from then on.
_BROKEN: dict[str, str] = {}

#: The process that loaded the numba kernels: numba's OpenMP pool must not be used in a fork()ed child,
#: so a child takes the torch path.
_NUMBA_PID: list[int] = []

#: Names in warnings.
_LABELS = {"triton": "Triton", "numba": "numba"}


def backend_choice() -> str:
    """The ``POLYAPPROX_KERNELS`` setting (``auto`` when unset); a ConfigError for unknown values."""
    from polyapprox.errors import ConfigError

    value = os.environ.get(KERNELS_ENV, "auto").strip().lower() or "auto"
    if value not in BACKENDS:
        raise ConfigError(f"{KERNELS_ENV}: unknown {value[:40]!r}; choose from {', '.join(BACKENDS)}")
    return value


def use_reference() -> bool:
    """Plain formula: asked for by the environment, or inside a ``torch.func`` transform (vmap, grad,
    jacrev, ...), where the fused Functions' chunked, ``out=`` kernels cannot be traced."""
    return backend_choice() == "reference" or torch._C._are_functorch_transforms_active()


def use_triton(x: torch.Tensor, choice: str | None = None) -> bool:
    """Triton for CUDA float16/bfloat16/float32 tensors when triton is installed (``auto``); for any such
    tensor with ``POLYAPPROX_KERNELS=triton``; never with ``fused`` or after a failed launch. ``choice``:
    the ``backend_choice()`` when the caller has it."""
    choice = choice or backend_choice()
    if choice in ("fused", "numba") or x.dtype not in TRITON_DTYPES or "triton" in _BROKEN:
        return False
    return choice == "triton" or (x.is_cuda and triton_available())


@functools.cache
def numba_available() -> bool:
    """True when the ``numba`` package can be found (not imported here: importing it takes ~0.5 s)."""
    return importlib.util.find_spec("numba") is not None


def use_numba(x: torch.Tensor, order: int, choice: str | None = None) -> bool:
    """numba for non-empty CPU float32/float64 tensors and orders <= NUMBA_MAX_ORDER when numba is
    installed (``auto``) or asked for (``numba``); never with ``fused``/``triton``, after a failed launch,
    or in a fork()ed child. ``choice``: the ``backend_choice()`` when the caller has it."""
    choice = choice or backend_choice()
    if choice not in ("auto", "numba") or "numba" in _BROKEN or (_NUMBA_PID and _NUMBA_PID[0] != os.getpid()):
        return False
    if x.device.type != "cpu" or x.dtype not in NUMBA_DTYPES or x.numel() == 0 or order > NUMBA_MAX_ORDER:
        return False
    return choice == "numba" or numba_available()


def fall_back(backend: str, exc: Exception, fallback: Callable[[], Any]) -> Any:
    """After ``backend`` raised ``exc`` (the package installed but broken, or a kernel that fails to compile):
    re-raise when ``POLYAPPROX_KERNELS`` names it, else warn once, switch the process to the torch path for
    ``backend`` and return ``fallback()``."""
    if backend_choice() == backend:
        raise exc
    if backend not in _BROKEN:
        _BROKEN[backend] = f"{type(exc).__name__}: {exc}"[:200]
        warnings.warn(
            f"polyapprox: {_LABELS[backend]} kernel failed ({_BROKEN[backend]}); using the torch path from now "
            f"on (set {KERNELS_ENV}=fused to silence this)",
            RuntimeWarning,
            stacklevel=4,
        )
    return fallback()


def dispatch(x2d: torch.Tensor, order: int, name: str, args: tuple, torch_path: Callable[..., Any]) -> Any:
    """``name(*args)`` from ``triton_kernels`` or ``numba_kernels`` when that back end is chosen for ``x2d``
    and ``order`` (``use_triton``, ``use_numba``), else ``torch_path(*args)``; a failing back end falls back
    (``fall_back``). Written out flat, with the module from a dict: it runs twice per forward+backward, and
    at LM-tiny sizes every microsecond of Python shows in the ratio to GELU."""
    choice = backend_choice()  # read once per call (the environment lookup is a measurable part of a small call)
    if use_triton(x2d, choice):
        backend = "triton"
    elif use_numba(x2d, order, choice):
        backend = "numba"
    else:
        return torch_path(*args)
    try:
        return getattr(_backend_module(backend), name)(*args)
    except Exception as exc:  # any import, compile or launch failure means "do not use this back end"
        return fall_back(backend, exc, lambda: torch_path(*args))


#: Imported back-end modules by name (``_backend_module``).
_MODULES: dict[str, Any] = {}


def _backend_module(backend: str) -> Any:
    """``polyapprox.kernels.<backend>_kernels``, imported on first use."""
    module = _MODULES.get(backend)
    if module is None:
        module = _MODULES[backend] = importlib.import_module(f"polyapprox.kernels.{backend}_kernels")
    if backend == "numba" and not _NUMBA_PID:
        _NUMBA_PID.append(os.getpid())
    return module


def on_device(x: torch.Tensor) -> contextlib.AbstractContextManager:
    """Context that makes ``x``'s CUDA device current (kernels launch on the tensor's device)."""
    return torch.cuda.device(x.device) if x.is_cuda else contextlib.nullcontext()


def as_rows(x: torch.Tensor) -> torch.Tensor:
    """View (or copy, when not viewable) ``x`` as a contiguous (rows, H) matrix, H = last dim."""
    width = x.shape[-1] if x.dim() > 0 else 1
    return x.reshape(-1, width).contiguous()


def check_params(weight: torch.Tensor, bias: torch.Tensor) -> None:
    """weight must be 1-D with r >= 1 entries, bias a single value (shape (1,))."""
    from polyapprox.errors import InvalidDataError

    if weight.dim() != 1 or weight.shape[0] < 1:
        raise InvalidDataError(f"weight: shape {tuple(weight.shape)}; expected (r,) with r >= 1")
    if bias.numel() != 1:
        raise InvalidDataError(f"bias: shape {tuple(bias.shape)}; expected (1,)")


def differentiable_grads(
    formula: Callable[..., torch.Tensor],
    inputs: tuple[torch.Tensor, ...],
    grad: torch.Tensor,
    needs: tuple[bool, ...],
) -> tuple[torch.Tensor | None, ...]:
    """Gradients of ``formula(*inputs)`` (the plain formula) as a graph (``create_graph=True``).

    For the fused Functions' backward when grad mode is on, i.e. ``create_graph=True``: the returned
    gradients carry a ``grad_fn`` to ``inputs`` and ``grad``, so double backward, Hessians and gradient
    penalties are exact. Computed in the compute dtype; None where ``needs`` is False.
    """
    cdt = compute_dtype(inputs[0].dtype)
    wanted = [t for t, need in zip(inputs, needs, strict=True) if need]
    with torch.enable_grad():
        out = formula(*(t.to(cdt) for t in inputs))
        found = torch.autograd.grad(out, wanted, grad.to(out.dtype), create_graph=True, allow_unused=True)
    grads = iter(torch.zeros_like(t) if g is None else g for t, g in zip(wanted, found, strict=True))
    return tuple(next(grads) if need else None for need in needs)
