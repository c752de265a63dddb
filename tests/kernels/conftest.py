"""Kernel-test hooks.

* Without CUDA, ``TRITON_INTERPRET=1`` is set here, before any test imports ``triton_kernels``, so the
  Triton kernels are built for Triton's interpreter and run on CPU tensors (``test_kernel_triton.py``).
(``pytest -m gpu`` without CUDA is refused by the root ``tests/conftest.py``, for every folder.)
"""

from __future__ import annotations

import os

import torch

if not torch.cuda.is_available():
    os.environ.setdefault("TRITON_INTERPRET", "1")
