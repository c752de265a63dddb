"""Start-up cost of the symbolic verbs, as a ratio to ``python -c "import sympy"`` measured in the same run.

Each command runs as its own process (``python -m polyapprox ...``, the way a CI job calls it) ``--repeat``
times, interleaved with ``python -c "import sympy"`` (the floor: every symbolic verb needs sympy) round by
round; each verb's median wall time is divided by the baseline's median. The goal (issue 13) is a ratio <= 1.5
for each verb. The 1-minute load average before and after is reported: measure on a quiet machine.

    PYTHONPATH=$PWD python benchmarks/startup.py [--repeat 5] > startup.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL = 1.5
BASELINE = "import sympy"
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


def once(args: list[str], cwd: Path) -> float:
    """Wall-clock seconds of one ``python ARGS`` (must exit 0)."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, *args], cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - t0


def interleaved(commands: dict[str, list[str]], repeat: int, cwd: Path) -> dict[str, float]:
    """Median seconds of each command over ``repeat`` rounds; every round runs all commands in order, so a
    change of machine load during the run affects the baseline and the verbs alike."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, cmd in commands.items():
            times[name].append(once(cmd, cwd))
    return {name: statistics.median(ts) for name, ts in times.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per command; the median is reported")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        medians = interleaved({BASELINE: ["-c", "import sympy"], **verbs(folder)}, args.repeat, folder)
    floor = medians.pop(BASELINE)
    results = {name: {"seconds": round(t, 3), "ratio": round(t / floor, 2)} for name, t in medians.items()}
    doc = {"baseline": {"command": 'python -c "import sympy"', "seconds": round(floor, 3)}, "goal": GOAL,
           "repeat": args.repeat, "results": results,
           "meets_goal": all(r["ratio"] <= GOAL for r in results.values()),
           "load_average_1min": {"before": round(load_before[0], 2), "after": round(os.getloadavg()[0], 2)}}
    sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
