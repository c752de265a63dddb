"""Import layers (DESIGN.md): the exact core imports neither torch nor sympy; renderers never import torch;
low layers never import high ones. Module-level imports only (imports inside functions are lazy by design)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "polyapprox"

#: module -> top-level packages it must not import at module level
FORBIDDEN = {
    "errors.py": {"torch", "sympy", "numpy", "scipy", "matplotlib"},
    "net.py": {"torch", "sympy", "numpy", "scipy", "matplotlib"},
    "counting.py": {"torch", "sympy", "numpy", "scipy", "matplotlib"},
    "netjson.py": {"torch", "sympy", "numpy", "scipy", "matplotlib"},
    "algebra.py": {"torch", "sympy", "numpy", "scipy", "matplotlib"},
    "results.py": {"torch", "sympy", "scipy", "matplotlib"},
    "plots.py": {"torch", "sympy"},
    "plots_lemma2.py": {"torch", "sympy"},
    "report.py": {"torch", "sympy", "matplotlib"},
    "cli.py": {"torch", "sympy", "numpy", "scipy", "matplotlib"},
    "rates.py": {"torch", "sympy", "matplotlib"},
}
#: the exact core must not import anything above it in the package
CORE = {"errors", "net", "counting", "netjson", "algebra", "results"}


def _top_level_imports(path: Path) -> set[str]:
    names = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", sorted(FORBIDDEN), ids=str)
def test_no_heavy_imports(module: str) -> None:
    roots = {n.split(".")[0] for n in _top_level_imports(PKG / module)}
    assert not roots & FORBIDDEN[module], f"{module} imports {roots & FORBIDDEN[module]} at module level"


@pytest.mark.parametrize("module", sorted(CORE), ids=str)
def test_core_imports_only_core(module: str) -> None:
    own = {n.split(".")[1] for n in _top_level_imports(PKG / f"{module}.py") if n.startswith("polyapprox.")}
    assert own <= CORE, f"{module}.py imports {own - CORE} (a higher layer)"


def test_commands_import_no_heavy_library_at_module_level() -> None:
    for path in (PKG / "commands").glob("*.py"):
        roots = {n.split(".")[0] for n in _top_level_imports(path)}
        assert not roots & {"torch", "sympy", "matplotlib", "scipy"}, path.name
