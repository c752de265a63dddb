"""Issue 10's reproducers through the real ``polyapprox`` command, one process each; prints a JSON summary.

Each case must exit with its expected code (2 for bad input; 1 for a valid question answered "unknown"),
write exactly one line on stderr, no traceback, within the time limit, and leave no canary file (code
execution). Run: ``python benchmarks/hostile_inputs.py [--json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT_S = 30.0


class _Payload:
    """A pickle whose loading creates the canary file (what a crafted checkpoint.pt would do)."""

    def __init__(self, canary: Path) -> None:
        self.canary = canary

    def __reduce__(self):  # noqa: ANN204
        return (os.system, (f"touch {self.canary}",))


def _cases(tmp: Path) -> list[tuple[str, list[str], int]]:
    canary = tmp / "PWNED"
    net = tmp / "p.json"
    subprocess.run([sys.executable, "-m", "polyapprox", "construct", "polynomial", "x**2", "--vars", "x",
                    "--out", str(net)], check=True, capture_output=True, env=_env())
    files = {
        "huge_in_dim.json": '{"format": "polyapprox.core.net", "version": 1, "in_dim": 1000000000000, '
                            '"layers": []}',
        "huge_weight.json": net.read_text().replace('"1"', '"1e99999999"', 1),
        "deep.json": "[" * 100_000 + "]" * 100_000,
        "long_number.json": net.read_text().replace('"1"', '"' + "7" * 5000 + '"', 1),
    }
    for name, text in files.items():
        (tmp / name).write_text(text)
    ckpt_dir = tmp / "lm" / "runs" / "tiny-relu"
    ckpt_dir.mkdir(parents=True)
    with open(ckpt_dir / "checkpoint.pt", "wb") as fh:
        pickle.dump(_Payload(canary), fh)
    (tmp / "corpus.txt").write_text("abcdefgh " * 4000)
    deep = tmp / "deep_relu.json"
    subprocess.run([sys.executable, "-c", "import numpy as np; from polyapprox.construct.relu_nets import "
                    "random_relu_net; from polyapprox.core import netjson; "
                    f"netjson.save(random_relu_net(np.random.default_rng(0), 2, [4] * 200), {str(deep)!r})"],
                   check=True, env=_env())
    payload = "x**2 + x.subs.__globals__['__builtins__']['__import__']('os').system('touch " + str(canary) + "')"
    payload2 = "Rational.__new__.__globals__['__builtins__']['__import__']('os').system('touch " + str(canary) + "')"
    chk = ["check", str(net), "--vars", "x", "--equals"]
    cases = [
        ("payload via check --equals", [*chk, payload], 2),
        ("payload without a variable", [*chk, payload2], 2),
        ("payload via construct", ["construct", "polynomial", payload, "--vars", "x"], 2),
        ("payload via rates --target", ["rates", "--target", payload, "--dim", "1", "--order", "1"], 2),
        ("x**(10**9)", [*chk, "x**(10**9)"], 2),
        ("10**10**10", [*chk, "10**10**10"], 2),
        ("x*1e999999999", [*chk, "x*1e999999999"], 2),
        ("10,000 nested parentheses", [*chk, "(" * 10_000 + "x" + ")" * 10_000], 2),
        ("x**5000", [*chk, "x**5000"], 2),
        ("net file in_dim 10**12", ["check", str(tmp / "huge_in_dim.json"), "--equals", "x"], 2),
        ("net file weight 1e99999999", ["check", str(tmp / "huge_weight.json"), "--equals", "x**2"], 2),
        ("net file nested 100,000 deep", ["check", str(tmp / "deep.json"), "--equals", "x"], 2),
        ("net file 5,000-digit number", ["check", str(tmp / "long_number.json"), "--equals", "x**2"], 2),
        ("/dev/zero as a net file", ["check", "/dev/zero", "--equals", "x"], 2),
        ("construct power 1000000000", ["construct", "power", "1000000000"], 2),
        ("rates --grids 1000000000", ["rates", "--target", "sin1", "--order", "1", "--grids", "1000000000"], 2),
        ("rates --seeds -1", ["rates", "--target", "sin1", "--order", "1", "--seeds", "-1"], 2),
        ("train ffn --widths 1000000000", ["train", "ffn", "--widths", "1000000000"], 2),
        ("train lm --lr inf", ["train", "lm", "--lr", "inf", "--data", str(tmp / "corpus.txt")], 2),
        ("malicious checkpoint, train lm --resume",
         ["train", "lm", "--activations", "relu", "--models", "tiny", "--steps", "2", "--data",
          str(tmp / "corpus.txt"), "--out", str(tmp / "lm"), "--resume"], 2),
        ("--out /dev/null", ["construct", "polynomial", "x", "--vars", "x", "--out", "/dev/null"], 2),
        ("--out an existing folder", ["construct", "polynomial", "x", "--vars", "x", "--out", str(tmp)], 2),
        ("--out under a file", ["construct", "polynomial", "x", "--vars", "x", "--out", str(net / "x.json")], 2),
        ("plot title with unbalanced $", ["plot", "rates", str(net), "--title", "cost $x", "--out",
                                          str(tmp / "f.png")], 2),
        ("check --timeout 2 on a 200-layer ReLU net", ["check", str(deep), "--equals", "x + y", "--timeout", "2"], 1),
    ]
    return cases


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def run() -> dict[str, object]:
    rows = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for name, args, expected in _cases(tmp):
            t0 = time.perf_counter()
            try:
                proc = subprocess.run([sys.executable, "-m", "polyapprox", *args], capture_output=True, text=True,
                                      timeout=LIMIT_S, env=_env(), cwd=tmp, check=False)
                code, err = proc.returncode, proc.stderr
            except subprocess.TimeoutExpired:
                code, err = None, ""
            lines = [ln for ln in err.splitlines() if ln.strip()]
            seconds = round(time.perf_counter() - t0, 1)
            rows.append({"case": name, "exit": code, "expected": expected, "seconds": seconds,
                         "stderr_lines": len(lines), "traceback": "Traceback" in err,
                         "canary": (tmp / "PWNED").exists(), "last_line": lines[-1][:160] if lines else ""})
    return {
        "cases": len(rows),
        "wrong_exit_codes": sum(r["exit"] != r["expected"] for r in rows),
        "tracebacks": sum(r["traceback"] for r in rows),
        "hangs": sum(r["exit"] is None for r in rows),
        "code_executed": sum(r["canary"] for r in rows),
        "max_seconds": max(r["seconds"] for r in rows),
        "rows": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the JSON summary only")
    args = parser.parse_args()
    summary = run()
    if args.json:
        print(json.dumps(summary, indent=1))
        return
    for r in summary["rows"]:
        print(f"{r['case'][:44]:44s} exit {r['exit']} (want {r['expected']}) {r['seconds']:5.1f} s  "
              f"lines {r['stderr_lines']}  {r['last_line'][:90]}")
    print({k: v for k, v in summary.items() if k != "rows"})


if __name__ == "__main__":
    main()
