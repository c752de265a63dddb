"""``polyapprox reproduce``: run every step, write report.md / report.html, figures and JSON results."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from polyapprox.cli._io import add_output_flags, add_seeds, announce, emit, require_module

#: ``--steps`` given without a value: list the steps
LIST = "\0list"


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("reproduce", help="run the lemma suite, rate sweeps, trained FFNs and LMs; write a report",
                       description="Runs every experiment and writes DIR/report.md, DIR/report.html (self-contained), "
                                   "DIR/figures/*.png|svg and DIR/results/*.json. --quick (default) fits 2 CPU "
                                   "cores in under 10 minutes; --full is sized for one GPU.")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--quick", dest="preset", action="store_const", const="quick", help="small sizes (default)")
    g.add_argument("--full", dest="preset", action="store_const", const="full", help="large sizes, for a GPU")
    p.set_defaults(preset="quick")
    p.add_argument("--out", default="polyapprox-report", help="output folder (default: polyapprox-report)")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda (training steps)")
    p.add_argument("--resume", action="store_true", help="reuse the steps already finished in --out")
    p.add_argument("--force", action="store_true", help="run the selected steps again over their old results")
    p.add_argument("--steps", nargs="?", const=LIST, default=None, metavar="STEP,...",
                   help="comma-separated subset of the steps to run; without a value, list the steps and exit")
    add_seeds(p, "0", "random seed of every step, 0 .. 2**32-1 (one: the LM step's further seeds follow it)",
              one=True)
    add_output_flags(p, "print a JSON summary (claims and paths) on stdout")
    p.set_defaults(func=run_reproduce)


def list_steps() -> dict[str, str]:
    """The steps of ``polyapprox reproduce`` in run order: name -> what it does."""
    import polyapprox.report.steps  # noqa: F401  (registers the steps)
    from polyapprox.report.config import STEPS

    return {name: description for name, (description, _) in STEPS.items()}


def run_reproduce(args: argparse.Namespace) -> int:
    if args.steps == LIST:
        steps = list_steps()
        emit({"steps": [{"name": n, "description": d} for n, d in steps.items()]}, args.json,
             "\n".join(f"{n:8s} {d}" for n, d in steps.items()))
        return 0
    require_module("torch", "reproduce")
    import dataclasses
    from pathlib import Path

    from polyapprox.core.outdir import locked
    from polyapprox.core.results import atomic_write_text
    from polyapprox.report.build import build_report
    from polyapprox.report.render import VERDICTS, render_html, render_markdown
    from polyapprox.report.reproduce import PRESETS, run_steps
    from polyapprox.train.lm_train import resolve_device

    resolve_device(args.device)  # a clear error now, not after minutes of work
    cfg = dataclasses.replace(PRESETS[args.preset], device=args.device, seed=args.seeds[0])
    out = Path(args.out)
    only = tuple(s.strip() for s in args.steps.split(",")) if args.steps else None
    t0 = time.perf_counter()
    with locked(out, folder=True):
        results = run_steps(cfg, out, resume=args.resume, only=only, force=args.force)
        seconds = time.perf_counter() - t0
        command = "polyapprox reproduce " + " ".join(sys.argv[2:]) if len(sys.argv) > 2 else "polyapprox reproduce"
        report = build_report(results, cfg.preset, command, seconds)
        md = atomic_write_text(out / "report.md", render_markdown(report))
        page = atomic_write_text(out / "report.html", render_html(report, root=out))
    verdicts = [c.verdict for c in report.claims]
    counts = {v: verdicts.count(v) for v in VERDICTS}
    summary = {"report": str(md), "html": str(page), "seconds": seconds,
               "claims": [dataclasses.asdict(c) for c in report.claims],
               **{v.replace(" ", "_"): n for v, n in counts.items()},
               "not_checked": counts["not checked at this size"]}
    text = (f"report: {md}\nhtml:   {page}\nclaims: " + ", ".join(f"{n} {v}" for v, n in counts.items() if n)
            + f" ({seconds:.0f} s)")
    emit(summary, args.json, text)
    announce([md, page, out / "figures" / "*", out / "results" / "*.json"])
    return 0
