"""Fast start-up: the symbolic verbs run without torch, matplotlib or scipy; torch verbs name the extra.

Each case runs in a fresh interpreter whose ``sys.meta_path`` refuses to import the blocked packages (as
if they were not installed), runs the verbs in-process through ``polyapprox.cli.main.main`` and prints the
exit codes and which of the packages ended up in ``sys.modules``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "matplotlib", "scipy")

PROBE = '''
import contextlib, io, json, sys

class Blocker:
    """A meta-path finder that makes the blocked top-level packages look uninstalled."""
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

BLOCKED = set(sys.argv[1].split(","))
sys.meta_path.insert(0, Blocker())
from polyapprox.cli.main import main

report = []
for argv in json.loads(sys.argv[2]):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code
    report.append({"argv": argv, "code": code, "stderr": err.getvalue()})
print(json.dumps({"runs": report, "loaded": sorted(m for m in ("torch", "matplotlib", "scipy") if m in sys.modules)}))
'''


def run_blocked(blocked: tuple[str, ...], verbs: list[list[str]], cwd: Path) -> dict:
    proc = subprocess.run([sys.executable, "-c", PROBE, ",".join(blocked), json.dumps(verbs)], cwd=cwd,
                          capture_output=True, text=True, check=True, timeout=120,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    return json.loads(proc.stdout)


def test_symbolic_verbs_import_no_torch_matplotlib_or_scipy(tmp_path: Path) -> None:
    net = str(tmp_path / "p.json")
    verbs = [["--help"], ["--version"], ["targets"], ["targets", "--json"], ["construct", "--help"],
             ["construct", "polynomial", "x**2*y - 3*x + 1/2", "--vars", "x,y", "--out", net],
             ["check", net, "--equals", "x**2*y - 3*x + 1/2", "--vars", "x,y"],
             ["check", net, "--equals", "x**2*y - 3*x", "--vars", "x,y"],
             ["verify", "--only", "lemma1"], ["train", "--help"], ["rates", "--help"]]
    doc = run_blocked(HEAVY, verbs, tmp_path)
    codes = {" ".join(r["argv"][:2]): r["code"] for r in doc["runs"]}
    assert [r["code"] for r in doc["runs"]] == [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0], codes
    assert doc["loaded"] == []


def test_exact_verbs_need_no_numpy(tmp_path: Path) -> None:
    """The exact path (parse, build, prove, list checks and targets) runs with numpy hidden too: its import
    is a fifth of sympy's, and the start-up goal is measured against sympy alone (benchmarks/startup.py)."""
    net = str(tmp_path / "p.json")
    verbs = [["targets"], ["construct", "polynomial", "x**2*y - 3*x + 1/2", "--vars", "x,y", "--out", net],
             ["check", net, "--equals", "x**2*y - 3*x + 1/2", "--vars", "x,y"],
             ["check", net, "--equals", "x**2*y - 3*x", "--vars", "x,y"],  # refuted: the sympy prover path
             ["verify", "--only", "lemma1"]]
    doc = run_blocked((*HEAVY, "numpy"), verbs, tmp_path)
    assert [r["code"] for r in doc["runs"]] == [0, 0, 0, 1, 0], doc["runs"]
    assert not any("No module named" in r["stderr"] for r in doc["runs"]), doc["runs"]


def test_torch_verbs_without_torch_exit_2_naming_the_extra(tmp_path: Path) -> None:
    verbs = [["train", "lm", "--steps", "1"], ["train", "ffn"], ["reproduce", "--steps", "lemma1"]]
    doc = run_blocked(("torch",), verbs, tmp_path)
    for run in doc["runs"]:
        assert run["code"] == 2, run
        lines = run["stderr"].splitlines()
        assert len(lines) == 1 and lines[0].startswith("polyapprox: error:"), run
        assert 'pip install "polyapprox[torch]"' in lines[0], run
    assert list(tmp_path.iterdir()) == []  # nothing written (no runs/lm, no report folder)


def test_the_blocker_is_not_vacuous(tmp_path: Path) -> None:
    """With torch blocked, a module that needs it fails to import: the probe really hides it."""
    doc = run_blocked(("torch",), [["train", "lm", "--steps", "1"]], tmp_path)
    assert "torch" not in doc["loaded"]
    code = "import sys; sys.argv=['x','torch','[]']\n" + PROBE.replace("from polyapprox.cli.main import main",
                                                                       "import polyapprox.nn")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert proc.returncode != 0 and "No module named 'torch'" in proc.stderr
