"""Training throughput (tokens/s) of the byte-level GPT per FFN activation, at equal parameters.

Prints one JSON document: for each activation the best (highest) tokens/s over ``--repeats`` timed blocks of
``--steps`` full training steps (forward, backward, clip, AdamW), the median too, and the ratio of the best to
SwiGLU's best measured in the same run. The best block is the one least disturbed by other processes (as
``timeit`` recommends the minimum time); activations are timed round-robin (one block each per round) so that
load hits all of them alike. Batches are random bytes (throughput does not depend on the data).
bf16 autocast on CUDA. The clock starts after ``--warmup`` untimed steps per activation; their time (which
includes torch.compile's compilation) is reported apart as ``warmup_s``. ``--modes eager,compiled`` times
both (``by_mode``); ``activations`` holds the first mode's figures.

    PYTHONPATH=. python benchmarks/lm_throughput.py --size tiny --device cpu
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import torch

from polyapprox.nn.activations import ACTIVATIONS
from polyapprox.train.lm import SIZES, build_model, count_params, lm_config, lm_loss, param_groups
from polyapprox.train.lm_train import resolve_device

BASELINE = "swiglu"


def _step_fn(activation: str, size: str, batch: int, device: torch.device, compile: bool):
    cfg = lm_config(size, activation)
    model = build_model(cfg, seed=0).to(device)
    opt = torch.optim.AdamW(param_groups(model, 0.1), lr=1e-4, betas=(0.9, 0.95))
    fwd = torch.compile(model) if compile else model
    gen = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (batch, cfg.context), generator=gen).to(device)
    y = torch.randint(0, 256, (batch, cfg.context), generator=gen).to(device)

    def step() -> None:
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
            loss = lm_loss(fwd, x, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)

    return step, count_params(model), batch * cfg.context


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", default="tiny", choices=list(SIZES))
    p.add_argument("--activations", default=",".join(ACTIVATIONS))
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--steps", type=int, default=5, help="steps per timed block")
    p.add_argument("--repeats", type=int, default=12, help="timed blocks per activation")
    p.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's)")
    p.add_argument("--warmup", type=int, default=3, help="untimed steps per activation first")
    p.add_argument("--device", default="auto")
    p.add_argument("--compile", action="store_true", help="same as --modes compiled")
    p.add_argument("--modes", default="eager", help="comma list of eager, compiled")
    args = p.parse_args(argv)
    modes = ["compiled"] if args.compile else [m for m in args.modes.split(",") if m]
    if not modes or set(modes) - {"eager", "compiled"}:
        p.error(f"--modes: {args.modes[:40]!r}; use eager, compiled or eager,compiled")
    device = resolve_device(args.device)
    if args.threads is not None:
        torch.set_num_threads(args.threads)  # benchmark entry point: process-wide setting is intended
    acts = [a for a in args.activations.split(",") if a]
    if BASELINE not in acts:
        acts.insert(0, BASELINE)
    runners = {(m, a): _step_fn(a, args.size, args.batch_size, device, m == "compiled") for m in modes for a in acts}
    warmup_s: dict[tuple[str, str], float] = {}
    for key, (step, _, _) in runners.items():
        t0 = time.perf_counter()
        for _ in range(args.warmup):
            step()
        _sync(device)
        warmup_s[key] = time.perf_counter() - t0
        sys.stderr.write(f"warmed up {key[1]} ({key[0]}) in {warmup_s[key]:.1f} s\n")
    rates: dict[tuple[str, str], list[float]] = {key: [] for key in runners}
    for _ in range(args.repeats):
        for key, (step, _, tokens) in runners.items():
            _sync(device)
            t0 = time.perf_counter()
            for _ in range(args.steps):
                step()
            _sync(device)
            rates[key].append(args.steps * tokens / (time.perf_counter() - t0))
    best = {key: max(r) for key, r in rates.items()}

    def summary(mode: str) -> dict:
        base = (mode, BASELINE)
        return {
            a: {
                "params": runners[(mode, a)][1],
                "tokens_per_s": best[(mode, a)],
                "ratio_to_swiglu": best[(mode, a)] / best[base],
                "tokens_per_s_median": statistics.median(rates[(mode, a)]),
                "ratio_to_swiglu_median": statistics.median(rates[(mode, a)]) / statistics.median(rates[base]),
                "tokens_per_s_blocks": rates[(mode, a)],
                "warmup_s": warmup_s[(mode, a)],
            }
            for a in acts
        }

    out = {
        "benchmark": "lm_throughput",
        "size": args.size,
        "device": str(device),
        "compile": modes == ["compiled"],
        "modes": modes,
        "warmup_steps": args.warmup,
        "batch_size": args.batch_size,
        "steps_per_block": args.steps,
        "repeats": args.repeats,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "baseline": BASELINE,
        "activations": summary(modes[0]),
        "by_mode": {m: summary(m) for m in modes},
    }
    sys.stdout.write(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
