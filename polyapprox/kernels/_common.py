"""Helpers shared by the PolyCom kernels: compute dtype, row chunking, back-end choice."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator

import torch

#: Target number of elements per row chunk on CPU: 2**19 float32 = 2 MiB per temporary. The 3-4
#: chunk-sized buffers are allocated once per call and reused, so no input-sized temporary is ever
#: allocated (a fresh 64 MiB buffer costs ~3-6 ns/element in page faults here, as much as GELU's whole
#: compute), and they stay in L2/L3. Measured on the 2-core dev VM (1 thread, (4096, 4096) fp32):
#: 2**13 -> 2**16 -> 2**19 -> 2**22 elements gave PolyNorm fwd+bwd 101 -> 31 -> 21 -> 23 ns/element;
#: below ~2**16 the per-op Python/dispatch overhead (~10-25 us) dominates.
CPU_CHUNK_ELEMS = 1 << 19


def compute_dtype(dtype: torch.dtype) -> torch.dtype:
    """Statistics and intermediate dtype: float64 for float64 input, float32 for everything else."""
    return torch.float64 if dtype == torch.float64 else torch.float32


def rows_per_chunk(n_rows: int, width: int, device: torch.device) -> int:
    """Rows processed together: ~CPU_CHUNK_ELEMS elements on CPU, all rows elsewhere."""
    if device.type != "cpu":
        return max(n_rows, 1)
    return max(1, min(n_rows, CPU_CHUNK_ELEMS // max(width, 1)))


def row_chunks(n_rows: int, chunk: int) -> Iterator[tuple[int, int]]:
    """(start, stop) row ranges of length ``chunk`` covering ``range(n_rows)``."""
    for start in range(0, n_rows, chunk):
        yield start, min(start + chunk, n_rows)


def triton_available() -> bool:
    """True when the ``triton`` package can be imported (never imported here)."""
    return importlib.util.find_spec("triton") is not None


#: Input dtypes the Triton kernels handle (float64 on CUDA uses the torch path).
TRITON_DTYPES = (torch.float16, torch.bfloat16, torch.float32)


def use_triton(x: torch.Tensor) -> bool:
    """The Triton back end is used for CUDA float16/bfloat16/float32 tensors when triton is installed."""
    return x.is_cuda and x.dtype in TRITON_DTYPES and triton_available()


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
