"""The package's architecture as tests: one folder per job, imports run one way, no import circles.

Layers, lowest first (``LAYERS``): a module may import from its own folder and from folders of a lower
layer, never from a higher one. Every import counts, at module level or inside a function (lazy imports
change when a module loads, not what depends on what); only ``if TYPE_CHECKING:`` blocks are exempt.
``verify``, ``report`` and ``cli`` sit at the top: they are the only folders that may import from everything.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "polyapprox"

#: Folders (and top-level modules) from the bottom up; each may import only from itself and those below.
LAYERS: tuple[str, ...] = (
    "errors", "core", "kernels", "nn", "backends", "symbolic", "targets", "construct", "approx", "train",
    "verify", "report", "cli", "__main__",
)
#: Third-party packages that must not be imported at module level, per folder.
HEAVY = {"torch", "sympy", "numpy", "scipy", "matplotlib"}
FORBIDDEN_TOP: dict[str, set[str]] = {
    "errors": HEAVY, "core": HEAVY, "cli": HEAVY, "report": {"torch", "sympy"},
}


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PKG.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = _modules()


def _is_type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


@cache
def imports(module: str, top_level_only: bool = False) -> frozenset[str]:
    """Modules that ``module`` imports (``from pkg import sub`` counts as ``pkg.sub`` when that is a module)."""
    path = MODULES[module]
    tree = ast.parse(path.read_text())
    found: set[str] = set()

    def visit(node: ast.AST, top: bool) -> None:
        if _is_type_checking(node):
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, path, node)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in MODULES else base)
        if top_level_only and not top:
            return
        for child in ast.iter_child_nodes(node):
            if top_level_only and isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            visit(child, top and isinstance(node, (ast.Module, ast.If, ast.Try)))

    visit(tree, True)
    return frozenset(found)


def _internal(module: str) -> set[str]:
    """Internal imports, less a submodule's implicit import of its own package's ``__init__``."""
    deps = {m for m in imports(module) if m in MODULES}
    return {m for m in deps if not module.startswith(m + ".")}


def _folder(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_module_lives_in_a_layer() -> None:
    top = sorted(p.name for p in PKG.glob("*.py") if p.name not in {"__init__.py", "__main__.py", "errors.py"})
    assert top == [], f"modules at the top level (put each in the folder of its job): {top}"
    folders = {_folder(m) for m in MODULES} - {"__init__"}
    assert folders <= set(LAYERS), f"folders missing from LAYERS: {folders - set(LAYERS)}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m != "polyapprox"), ids=str)
def test_imports_run_downward(module: str) -> None:
    rank = LAYERS.index(_folder(module))
    upward = sorted(d for d in _internal(module) if d != "polyapprox" and LAYERS.index(_folder(d)) > rank)
    assert not upward, f"{module} imports from a higher layer: {upward}"


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every back edge of a depth-first search, as the circle it closes."""
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def dfs(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for d in sorted(graph.get(m, ())):
            if state.get(d) == 1:
                cycles.append(stack[stack.index(d):] + [d])
            elif d not in state:
                dfs(d)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            dfs(m)
    return cycles


def test_no_import_circles() -> None:
    cycles = find_cycles({m: _internal(m) - {"polyapprox"} for m in MODULES})
    assert not cycles, "import circles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_the_cycle_detector_is_not_vacuous() -> None:
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert find_cycles({"a": {"b"}, "b": set(), "c": {"a", "b"}}) == []
    # a function-level import is an edge too
    assert "polyapprox.report.steps" in imports("polyapprox.report.reproduce")
    assert "polyapprox.construct.yarotsky" in imports("polyapprox.construct.sobolev")


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _folder(m) in FORBIDDEN_TOP), ids=str)
def test_no_heavy_imports_at_module_level(module: str) -> None:
    roots = {n.split(".")[0] for n in imports(module, top_level_only=True)}
    bad = roots & FORBIDDEN_TOP[_folder(module)]
    assert not bad, f"{module} imports {bad} at module level"


def test_core_loads_without_heavy_libraries() -> None:
    """Importing the whole exact core (and the package) pulls in none of torch, sympy, numpy, scipy, matplotlib."""
    core = [m for m in MODULES if _folder(m) in {"core", "errors"}]
    code = ("import sys\n" + "".join(f"import {m}\n" for m in core) + "import polyapprox\n"
            f"print(sorted(m for m in {sorted(HEAVY)!r} if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert proc.stdout.strip() == "[]", proc.stdout
