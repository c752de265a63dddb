"""The public API of ``import polyapprox as pa``: every name resolves, lazily, and torch stays unloaded."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import polyapprox as pa

ROOT = Path(__file__).resolve().parents[1]
REQUIRED = {"Net", "load_net", "save_net", "count_params", "evaluate_exact", "evaluate_float", "prove_equal",
            "polynomial_net", "sobolev_net", "get_target", "measure_errors", "fit_rate", "to_torch", "from_torch",
            "PolyReLU", "PolyNorm"}


def test_dir_lists_the_api() -> None:
    assert REQUIRED <= set(dir(pa))
    assert REQUIRED <= set(pa.__all__)


@pytest.mark.parametrize("name", sorted(set(pa.__all__) - {"__version__"}))
def test_every_name_resolves(name: str) -> None:
    value = getattr(pa, name)
    assert value is not None
    assert getattr(value, "__name__", name).lstrip("_") != ""


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = pa.nope


def _loaded_after(code: str) -> set[str]:
    heavy = ("torch", "sympy", "scipy", "matplotlib")
    probe = f"import sys\n{code}\nprint(' '.join(m for m in {heavy!r} if m in sys.modules))"
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    return set(proc.stdout.split())


def test_import_is_lazy() -> None:
    assert _loaded_after("import polyapprox") == set()
    # an exact-core name loads no heavy library; a symbolic one loads sympy but not torch
    assert _loaded_after("import polyapprox as pa; pa.Net; pa.count_params; pa.load_net") == set()
    assert "torch" not in _loaded_after("import polyapprox as pa; pa.prove_equal; pa.sobolev_net")
    assert "torch" in _loaded_after("import polyapprox as pa; pa.PolyNorm")


def test_names_are_the_modules_objects() -> None:
    from polyapprox.core.netjson import load
    from polyapprox.nn.activations import PolyNorm

    assert pa.load_net is load
    assert pa.PolyNorm is PolyNorm
