"""Kernel-test hooks.

* Without CUDA, ``TRITON_INTERPRET=1`` is set here, before any test imports ``triton_kernels``, so the
  Triton kernels are built for Triton's interpreter and run on CPU tensors (``test_kernel_triton.py``).
* ``pytest -m gpu`` without a CUDA device stops with one line instead of "all skipped". The hook lives
  here because the gpu tests are kernel tests; it is active whenever tests/kernels is collected, which a
  plain ``pytest -m gpu`` from the repository root does.
"""

from __future__ import annotations

import os

import pytest
import torch
from _pytest.mark.expression import Expression

if not torch.cuda.is_available():
    os.environ.setdefault("TRITON_INTERPRET", "1")

NO_CUDA = "pytest -m gpu: no CUDA device here (torch.cuda.is_available() is False); run the gpu tests on a GPU machine"


def gpu_selected(markexpr: str) -> bool:
    """True when ``-m markexpr`` selects a test marked only ``gpu``."""
    return bool(markexpr) and Expression.compile(markexpr).evaluate(lambda name: name == "gpu")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if gpu_selected(config.getoption("markexpr", "")) and not torch.cuda.is_available():
        raise pytest.UsageError(NO_CUDA)
