"""Start-up cost of the symbolic verbs, as a ratio to ``python -c "import sympy"`` measured in the same run.

Each command runs as its own process (``python -m polyapprox ...``, the way a CI job calls it) ``--repeat``
times; the median wall time is compared with the median of ``python -c "import sympy"`` (the floor: every
symbolic verb needs sympy). The goal (issue 13) is a ratio <= 1.5 for each verb.

    PYTHONPATH=$PWD python benchmarks/startup.py [--repeat 5] > startup.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL = 1.5
POLY = "x**2*y - 3*x + 1/2"


def verbs(folder: Path) -> dict[str, list[str]]:
    """name -> arguments after ``python``; ``construct`` writes the file that ``check`` reads."""
    net = str(folder / "p.json")
    cli = ["-m", "polyapprox"]
    return {
        "--help": [*cli, "--help"],
        "--version": [*cli, "--version"],
        "targets": [*cli, "targets"],
        "construct": [*cli, "construct", "polynomial", POLY, "--vars", "x,y", "--out", net],
        "check": [*cli, "check", net, "--equals", POLY, "--vars", "x,y"],
        "verify --only lemma1": [*cli, "verify", "--only", "lemma1"],
    }


def wall(args: list[str], repeat: int, cwd: Path) -> float:
    """Median wall-clock seconds of ``python ARGS`` (must exit 0)."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, *args], cwd=cwd, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per command; the median is reported")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        floor = wall(["-c", "import sympy"], args.repeat, folder)
        results = {}
        for name, cmd in verbs(folder).items():
            seconds = wall(cmd, args.repeat, folder)
            results[name] = {"seconds": round(seconds, 3), "ratio": round(seconds / floor, 2)}
    doc = {"baseline": {"command": 'python -c "import sympy"', "seconds": round(floor, 3)}, "goal": GOAL,
           "repeat": args.repeat, "results": results,
           "meets_goal": all(r["ratio"] <= GOAL for r in results.values())}
    sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
