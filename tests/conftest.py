"""Shared fixtures: a seeded ``rng`` and the deterministic hypothesis profile used in CI."""

from __future__ import annotations

import os

os.environ.setdefault("SYMPY_GROUND_TYPES", "python")  # as polyapprox/__init__.py: before any sympy import

import numpy as np  # noqa: E402
import pytest  # noqa: E402
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
