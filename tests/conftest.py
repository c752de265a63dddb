"""Shared fixtures: a seeded ``rng`` and the deterministic hypothesis profile used in CI; and the hook that
makes ``pytest -m gpu`` without a CUDA device stop with one line (exit 4) instead of reporting "all skipped"
(here, at the root, so that it holds for any folder: ``pytest -m gpu tests/train`` as much as the whole run)."""

from __future__ import annotations

import os

os.environ.setdefault("SYMPY_GROUND_TYPES", "python")  # as polyapprox/__init__.py: before any sympy import

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from _pytest.mark.expression import Expression  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "ci", derandomize=True, deadline=None, max_examples=40,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("dev", deadline=None, max_examples=100)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def rng() -> np.random.Generator:
    """A fresh, fixed-seed generator per test (randomness is always an argument)."""
    return np.random.default_rng(20250101)


NO_CUDA = "pytest -m gpu: no CUDA device here (torch.cuda.is_available() is False); run the gpu tests on a GPU machine"


def gpu_selected(markexpr: str) -> bool:
    """True when ``-m markexpr`` selects a test marked only ``gpu``."""
    return bool(markexpr) and Expression.compile(markexpr).evaluate(lambda name: name == "gpu")


def cuda_available() -> bool:
    """torch.cuda.is_available(), False without torch (imported only when the gpu marker is selected)."""
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if gpu_selected(config.getoption("markexpr", "")) and not cuda_available():
        raise pytest.UsageError(NO_CUDA)
