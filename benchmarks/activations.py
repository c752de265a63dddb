"""Forward+backward wall time and bytes saved for backward of FFN activations, as one JSON document.

Usage: ``PYTHONPATH=. python benchmarks/activations.py [--json] [--shapes large,lm-tiny | --rows R --cols C]
[--dtype float32 --device auto --repeats R --order 3 --threads N --no-compile --quick]``.

Shapes: ``large`` is (4096, 4096); ``lm-tiny`` is (1536, 176), the FFN activation of the ``tiny`` language model
(batch 24 x context 64 tokens, hidden width 176); both run by default. Goals (issue 11): fused f+b within 1.3x
of GELU eager at ``large`` and 1.5x at ``lm-tiny``; ``summary`` states them next to the measured ratios.
The output is always one JSON document (``--json`` is accepted for symmetry with the CLI; it prints it compact).

Variants (all on an input x of shape (rows, cols), except SwiGLU):
  gelu, relu2 (ReLU(x)**2), swiglu (input (rows, 2*cols) split into halves a, b -> SiLU(a) * b, so its
  output has the same (rows, cols) shape as the others), polyrelu/polynorm ``_reference`` (plain formula,
  eager autograd), ``_reference_compiled`` (torch.compile of the plain formula; its first call is timed
  separately as compile_seconds, failures are reported, not raised) and ``_fused`` (polyapprox.kernels).
Timing: fresh leaf x per repeat (cloned outside the timed region), y = f(x); y.backward(g) timed, eager
variants' repeats interleaved round-robin (shared machines: load falls on all alike), median of
``--repeats`` rounds (default: enough rounds for ~2 s, 7-500; ``auto_repeats``) after ``--warmup`` calls,
the first of which (compile or compile-cache load included) is reported as first_call_seconds. Ratios are
to GELU eager measured in the same run.
Saved bytes: sum over distinct tensors packed by ``torch.autograd.graph.saved_tensors_hooks``.
Progress goes to stderr, the JSON document alone to stdout.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F

from polyapprox.kernels import polynorm, polyrelu
from polyapprox.nn import polynorm_reference, polyrelu_reference

DTYPES = {
    "float32": torch.float32,
    "float64": torch.float64,
    "bfloat16": torch.bfloat16,
    "float16": torch.float16,
}
QUICK = {"rows": 64, "cols": 256, "repeats": 2, "warmup": 1}
#: Auto repeats: timed rounds (one call of every variant each) to fill about this many seconds, at least
#: MIN_REPEATS and at most MAX_REPEATS. Why: at LM-tiny one round of the fast variants is a few ms, and a
#: median of 7 such calls moved by +-20% from run to run on a shared 2-core VM (page faults, other jobs).
ROUNDS_SECONDS = 2.0
MIN_REPEATS = 7
MAX_REPEATS = 500
#: name -> ((rows, cols), goal for the fused ratio to GELU eager)
SHAPES = {"large": ((4096, 4096), 1.3), "lm-tiny": ((1536, 176), 1.5)}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--shapes", default="large,lm-tiny", help=f"comma list from {', '.join(SHAPES)}")
    p.add_argument("--rows", type=int, default=None, help="custom shape (with --cols), instead of --shapes")
    p.add_argument("--cols", type=int, default=None)
    p.add_argument("--json", action="store_true", help="print the JSON document compact")
    p.add_argument("--dtype", choices=sorted(DTYPES), default="float32")
    p.add_argument("--device", default="auto", help="auto (cuda if available, else cpu), cpu, cuda")
    p.add_argument("--repeats", type=int, default=None,
                   help=f"timed rounds (default: auto, ~{ROUNDS_SECONDS:g} s of rounds, {MIN_REPEATS}-{MAX_REPEATS})")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--order", type=int, default=3)
    p.add_argument("--threads", type=int, default=None, help="torch.set_num_threads for this run")
    p.add_argument("--no-compile", action="store_true", help="skip the torch.compile'd references")
    p.add_argument("--quick", action="store_true", help="small shape, 2 repeats, no compile: a smoke test")
    return p


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _fwd_bwd(fn: Callable, x0: torch.Tensor, g: torch.Tensor) -> float:
    x = x0.clone().requires_grad_(True)
    _sync(x0.device)
    start = time.perf_counter()
    fn(x).backward(g)
    _sync(x0.device)
    return time.perf_counter() - start


def _saved_bytes(fn: Callable, x0: torch.Tensor) -> int:
    seen: dict[tuple, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        key = (t.data_ptr(), t.numel(), t.dtype, tuple(t.stride()))
        seen[key] = t.numel() * t.element_size()
        return t

    x = x0.clone().requires_grad_(True)
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        fn(x)
    return sum(seen.values())


def _variants(order: int, device: torch.device, dtype: torch.dtype) -> dict[str, Callable]:
    pdt = torch.float64 if dtype == torch.float64 else torch.float32
    weight = torch.full((order,), 1.0 / order, device=device, dtype=pdt, requires_grad=True)
    bias = torch.zeros(1, device=device, dtype=pdt, requires_grad=True)

    def swiglu(x):
        a, b = x.chunk(2, dim=-1)
        return F.silu(a) * b

    return {
        "gelu": F.gelu,
        "relu2": lambda x: F.relu(x).pow(2),
        "swiglu": swiglu,
        "polyrelu_reference": lambda x: polyrelu_reference(x, weight.to(x.dtype), bias.to(x.dtype)),
        "polynorm_reference": lambda x: polynorm_reference(x, weight.to(x.dtype), bias.to(x.dtype)),
        "polyrelu_fused": lambda x: polyrelu(x, weight, bias),
        "polynorm_fused": lambda x: polynorm(x, weight, bias),
    }


def _measure(fn: Callable, x0: torch.Tensor, g: torch.Tensor, repeats: int, warmup: int) -> dict:
    """Median fwd+bwd seconds after ``warmup`` calls; the first call's time (which includes any compile or
    compile-cache load, e.g. the numba kernels') is reported apart as ``first_call_seconds``."""
    first = [_fwd_bwd(fn, x0, g) for _ in range(max(warmup, 1))][0]
    times = [_fwd_bwd(fn, x0, g) for _ in range(repeats)]
    return {
        "seconds": statistics.median(times),
        "seconds_all": times,
        "first_call_seconds": first,
        "saved_bytes": _saved_bytes(fn, x0),
    }


def auto_repeats(round_seconds: float) -> int:
    """Rounds that fill about ROUNDS_SECONDS of timed work, clamped to [MIN_REPEATS, MAX_REPEATS]."""
    wanted = math.ceil(ROUNDS_SECONDS / max(round_seconds, 1e-9))
    return max(MIN_REPEATS, min(MAX_REPEATS, wanted))


def _measure_interleaved(
    variants: dict[str, Callable], inputs: dict[str, torch.Tensor], g: torch.Tensor, repeats: int | None,
    warmup: int,
) -> tuple[dict[str, dict], int]:  # fmt: skip
    """``_measure`` for every variant, the timed repeats taken round-robin (one of each variant per round), so
    that load from other processes on a shared machine falls on all variants alike. ``repeats`` None: as many
    rounds as ``auto_repeats`` gives for the last warm-up round's time. Returns the results and the rounds."""
    firsts, last = {}, {}
    for name, fn in variants.items():
        print(f"benchmark: {name}", file=sys.stderr)
        calls = [_fwd_bwd(fn, inputs[name], g) for _ in range(max(warmup, 1))]
        firsts[name], last[name] = calls[0], calls[-1]
    if repeats is None:
        repeats = auto_repeats(sum(last.values()))
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(repeats):
        for name, fn in variants.items():
            times[name].append(_fwd_bwd(fn, inputs[name], g))
    return {
        name: {
            "seconds": statistics.median(times[name]),
            "seconds_all": times[name],
            "first_call_seconds": firsts[name],
            "saved_bytes": _saved_bytes(fn, inputs[name]),
        }
        for name, fn in variants.items()
    }, repeats


def _compiled(fn: Callable, x0: torch.Tensor, g: torch.Tensor, repeats: int, warmup: int) -> dict:
    try:
        compiled = torch.compile(fn)
        compile_seconds = _fwd_bwd(compiled, x0, g)  # first call: tracing + codegen + C++/Triton build
        result = _measure(compiled, x0, g, repeats, warmup)
    except Exception as exc:  # noqa: BLE001 - any compile failure is a result to report, not a crash
        return {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:300]}
    return result | {"compile_seconds": compile_seconds}


def _fused_backend(x: torch.Tensor) -> str:
    """Which back end the ``_fused`` variants ran on for ``x`` (order 3)."""
    from polyapprox.kernels import _common

    if _common.use_reference():
        return "reference"
    if _common.use_triton(x):
        return "triton"
    return "numba" if _common.use_numba(x, 3) else "torch"


def run(args: argparse.Namespace) -> dict:
    """Run all variants on every requested shape; returns the JSON-able result document."""
    if args.quick:
        for key, value in QUICK.items():
            setattr(args, key, value)
        args.no_compile = True
    if (args.rows is None) != (args.cols is None):
        raise SystemExit("activations.py: give both --rows and --cols, or neither")
    if args.rows is not None:
        shapes = [(f"{args.rows}x{args.cols}", (args.rows, args.cols), None)]
    else:
        unknown = [s for s in args.shapes.split(",") if s not in SHAPES]
        if unknown:
            raise SystemExit(f"activations.py: unknown shape {unknown[0]!r} (choose from {', '.join(SHAPES)})")
        shapes = [(name, *SHAPES[name]) for name in args.shapes.split(",")]
    runs, summary = [], []
    for name, (rows, cols), goal in shapes:
        print(f"shape {name}: ({rows}, {cols})", file=sys.stderr)
        doc = run_shape(args, rows, cols) | {"shape": name}
        runs.append(doc)
        ratios = {k: doc["results"][k]["ratio_to_gelu"] for k in ("polyrelu_fused", "polynorm_fused")}
        summary.append({"shape": name, "rows": rows, "cols": cols, **ratios, "goal": goal,
                        "meets_goal": None if goal is None else max(ratios.values()) <= goal})  # fmt: skip
    return {"baseline": "gelu", "runs": runs, "summary": summary}


def run_shape(args: argparse.Namespace, rows: int, cols: int) -> dict:
    """All variants on one (rows, cols) input: config and results."""
    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available() else
                          ("cpu" if args.device == "auto" else args.device))  # fmt: skip
    dtype = DTYPES[args.dtype]
    if args.threads is not None:  # script entry point: the only place that sets the thread count
        torch.set_num_threads(args.threads)
    gen = torch.Generator(device=device).manual_seed(0)
    x0 = torch.randn(rows, cols, device=device, generator=gen).to(dtype)
    g = torch.randn(rows, cols, device=device, generator=gen).to(dtype)
    x0_wide = torch.randn(rows, 2 * cols, device=device, generator=gen).to(dtype)  # SwiGLU [a, b]
    results: dict[str, dict] = {}
    variants = _variants(args.order, device, dtype)
    inputs = {name: x0_wide if name == "swiglu" else x0 for name in variants}
    measured, repeats = _measure_interleaved(variants, inputs, g, args.repeats, args.warmup)
    results.update(measured)
    for name in ("polyrelu_reference", "polynorm_reference"):
        key = name + "_compiled"
        if args.no_compile:
            results[key] = {"error": "skipped (--no-compile or --quick)"}
            continue
        print(f"benchmark: {key} (compiling)", file=sys.stderr)
        results[key] = _compiled(variants[name], x0, g, repeats, args.warmup)
    base = results["gelu"]["seconds"]
    input_bytes = x0.numel() * x0.element_size()
    for r in results.values():
        if "seconds" in r:
            r["ratio_to_gelu"] = r["seconds"] / base
            r["saved_input_multiples"] = r["saved_bytes"] / input_bytes
    return {
        "config": {
            "rows": rows,
            "cols": cols,
            "dtype": args.dtype,
            "device": str(device),
            "order": args.order,
            "repeats": repeats,
            "repeats_asked": "auto" if args.repeats is None else args.repeats,
            "warmup": args.warmup,
            "quick": args.quick,
            "threads": torch.get_num_threads(),
            "fused_backend": _fused_backend(x0),
            "torch": torch.__version__,
            "python": platform.python_version(),
            "loadavg": os.getloadavg() if hasattr(os, "getloadavg") else None,
            "input_bytes": input_bytes,
        },
        "results": results,
    }


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    print(json.dumps(run(args), indent=None if args.json else 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
