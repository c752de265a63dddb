"""One GPU check of the PolyCom kernels, under 9 minutes on one H100/H200; writes one JSON summary.

    PYTHONPATH=. python benchmarks/gpu_check.py [--out gpu_check.json]

Steps (each in a subprocess with its own time limit, so one hang cannot eat the budget):
1. ``pytest -m gpu`` (Triton kernels on CUDA vs the float64 reference, LM smoke test);
2. ``benchmarks/activations.py`` on (4096, 4096) float32 and bfloat16: fused (Triton) vs eager reference
   vs ``torch.compile`` of the plain formula, ratios to GELU eager;
3. ``benchmarks/lm_throughput.py --size tiny --modes eager,compiled`` (bf16 autocast on CUDA);
4. in-process: peak CUDA memory of one PolyNorm / PolyReLU forward+backward, fused vs plain formula.
Without CUDA it stops at once with one line on stderr and exit code 2. NOTE: written without access to a
GPU; it has never run on one.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUDGET_S = 540  # 9 minutes in all

STEPS = [
    ("pytest_gpu", [sys.executable, "-m", "pytest", "-m", "gpu", "-q", "-p", "no:cacheprovider"], 200),
    ("activations_fp32", [sys.executable, "benchmarks/activations.py", "--device", "cuda", "--dtype", "float32"], 90),
    ("activations_bf16", [sys.executable, "benchmarks/activations.py", "--device", "cuda", "--dtype", "bfloat16"], 90),
    (
        "lm_throughput",
        [sys.executable, "benchmarks/lm_throughput.py", "--device", "cuda", "--size", "tiny", "--modes",
         "eager,compiled", "--repeats", "4", "--activations", "relu2,polyrelu,polynorm"],
        140,
    ),
]  # fmt: skip


def _run(name: str, cmd: list[str], limit: float) -> dict:
    """Run one step; its JSON stdout (or the tail of its output) and wall time."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    try:
        done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=limit)
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": f"timed out after {limit:.0f} s", "seconds": time.perf_counter() - t0}
    result: dict = {"ok": done.returncode == 0, "returncode": done.returncode, "seconds": time.perf_counter() - t0}
    try:
        result["json"] = json.loads(done.stdout)
    except json.JSONDecodeError:
        result["tail"] = (done.stdout + done.stderr)[-2000:]
    return result


def _peak_memory() -> dict:
    """Peak CUDA bytes of one forward+backward on (4096, 4096) bf16, fused kernels vs the plain formula."""
    import torch

    from polyapprox.kernels import polynorm, polynorm_reference, polyrelu, polyrelu_reference

    fns = {"polynorm_fused": polynorm, "polynorm_reference": polynorm_reference,
           "polyrelu_fused": polyrelu, "polyrelu_reference": polyrelu_reference}  # fmt: skip
    out = {}
    for name, fn in fns.items():
        x = torch.randn(4096, 4096, device="cuda", dtype=torch.bfloat16, requires_grad=True)
        w, b = torch.full((3,), 1 / 3, device="cuda"), torch.zeros(1, device="cuda")
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        fn(x, w.to(x.dtype), b.to(x.dtype)).float().sum().backward()
        torch.cuda.synchronize()
        out[name] = {"peak_bytes_over_input": torch.cuda.max_memory_allocated() - base, "input_bytes": x.nbytes}
        del x
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=Path("gpu_check.json"))
    args = p.parse_args(argv)
    import torch

    if not torch.cuda.is_available():
        sys.stderr.write("gpu_check: no CUDA device (torch.cuda.is_available() is False); run it on a GPU machine\n")
        return 2
    start = time.perf_counter()
    summary: dict = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__, "steps": {}}
    for name, cmd, limit in STEPS:
        left = BUDGET_S - (time.perf_counter() - start) - 30
        if left < 20:
            summary["steps"][name] = {"ok": False, "error": "skipped: time budget spent"}
            continue
        summary["steps"][name] = _run(name, cmd, min(limit, left))
        sys.stderr.write(f"gpu_check: {name} ok={summary['steps'][name]['ok']}\n")
    summary["peak_memory"] = _peak_memory()
    summary["seconds"] = time.perf_counter() - start
    summary["ok"] = all(s["ok"] for s in summary["steps"].values())
    text = json.dumps(summary, indent=2)
    args.out.write_text(text + "\n")
    sys.stdout.write(text + "\n")
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
