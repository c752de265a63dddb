"""The ``train`` verb: ``train lm`` (language-model sweeps) and ``train ffn`` (FFN-block rate sweeps).

Heavy imports (torch, scipy, matplotlib) happen inside the command functions.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from polyapprox.cli._io import (
    add_output_flags,
    add_seeds,
    announce,
    deprecated_alias,
    emit,
    float_flag,
    parse_name_list,
)
from polyapprox.core.names import ACTIVATIONS, LM_SIZES


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Register ``train`` with its own sub-verbs."""
    train = sub.add_parser("train", help="train models with PolyCom and baseline activations")
    train.set_defaults(requires=("torch",))
    train_sub = train.add_subparsers(dest="train_verb", metavar="KIND", parser_class=type(train))
    train_sub.required = True
    _add_lm(train_sub)
    from polyapprox.cli.train_ffn import add_ffn_parser

    add_ffn_parser(train_sub)


# --------------------------------------------------------------------------------------------- train lm


def _add_lm(train_sub: argparse._SubParsersAction) -> None:
    p = train_sub.add_parser(
        "lm",
        help="byte-level GPT sweep over FFN activations and model sizes",
        description="Train GPT-style byte-level LMs (one per activation x size) on the Python standard "
        "library's source (no download) or --data; report validation loss, throughput, effective rank, "
        "layer cosine similarity and a power-law fit L(N) = E + A N^-alpha per activation.",
    )
    p.add_argument("--activations", default=",".join(ACTIVATIONS), help=f"comma list from {ACTIVATIONS}")
    p.add_argument("--models", default="tiny", help=f"comma list of model presets from {', '.join(LM_SIZES)}")
    deprecated_alias(p, "--sizes", "--models")
    p.add_argument("--steps", type=int, default=None, help="training steps (default: the size preset's)")
    p.add_argument("--batch-size", type=int, default=None, help="sequences per step per process")
    p.add_argument("--lr", type=float_flag("lr", 0, 10), default=None,
                   help="peak learning rate, in (0, 10] (default: the size preset's)")
    p.add_argument("--data", default=None, help="a text file or folder of text files (default: stdlib *.py)")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--out", default="runs/lm", help="folder for results.json, checkpoints and plots")
    p.add_argument("--resume", action="store_true", help="skip finished runs, continue partial ones")
    p.add_argument("--force", action="store_true", help="replace the results and checkpoints of --out")
    p.add_argument("--compile", action="store_true", help="torch.compile the model")
    add_seeds(p, "0", "training seeds, a comma list: one run per (activation, model, seed); the first also "
                      "splits the corpus")
    add_output_flags(p, "print the results JSON alone on stdout")
    p.set_defaults(func=_run_lm)


def _run_lm(args: argparse.Namespace) -> int:
    from polyapprox.errors import ConfigError
    from polyapprox.train.lm_sweep import SweepConfig, run_sweep
    from polyapprox.train.lm_train import dist_from_env

    for name in ("steps", "batch_size"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise ConfigError(f"--{name.replace('_', '-')}: {value} must be >= 1")
    sweep = SweepConfig(
        seeds=args.seeds,
        activations=tuple(parse_name_list(args.activations, "--activations", ACTIVATIONS)),
        sizes=tuple(parse_name_list(args.models, "--models", tuple(LM_SIZES))),
        steps=args.steps,
        batch_size=args.batch_size,
        lr=args.lr,
        seed=args.seeds[0],
        data=args.data,
    )
    payload = _locked_sweep(args, sweep, run_sweep, dist_from_env().rank)
    if dist_from_env().rank != 0:
        return 0
    summary = {k: payload[k] for k in ("runs", "fits", "corpus", "provenance")}
    summary["runs"] = [
        {k: v for k, v in r.items() if k not in ("train_curve", "val_curve", "config")}
        for r in payload["runs"]
    ]
    summary["results"] = str(Path(args.out) / "results.json")
    emit(summary, args.json, _text(payload, args.out))
    announce(_lm_files(Path(args.out)))
    return 0


def _lm_files(out: Path) -> list[str]:
    """What an LM sweep wrote in ``out``: results.json, its plots and the runs' checkpoints."""
    files = [str(out / name) for name in ("results.json", "loss_curves.png", "scaling.png") if (out / name).exists()]
    runs = sorted((out / "runs").glob("*/checkpoint.pt"))
    return files + ([f"{len(runs)} checkpoints {out / 'runs' / '*' / 'checkpoint.pt'}"] if runs else [])


def _locked_sweep(args: argparse.Namespace, sweep: Any, run_sweep: Any, rank: int) -> dict[str, Any]:
    """``run_sweep`` under the lock of ``--out`` (held by rank 0 only: the other ranks of a torchrun job
    share its folder). A finished folder needs ``--resume`` (results.json checked first) or ``--force``
    (results.json, checkpoints and plots removed first)."""
    out = Path(args.out)
    if rank != 0:
        return run_sweep(sweep, out, device_name=args.device, resume=args.resume, compile=args.compile, log=_stderr)
    from polyapprox.core.outdir import locked, refuse_finished

    with locked(out, folder=True):
        refuse_finished(out, "results.json", args.resume, args.force)
        if args.force and not args.resume:
            _clear_lm(out)
        elif args.resume and (out / "results.json").exists():
            from polyapprox.train.state_schema import read_lm_results

            read_lm_results(out / "results.json")
        return run_sweep(sweep, out, device_name=args.device, resume=args.resume, compile=args.compile, log=_stderr)


def _clear_lm(out: Path) -> None:
    """Remove what an LM sweep wrote in ``out`` (``--force``): results.json, runs/ (checkpoints), the plots."""
    import shutil

    for name in ("results.json", "loss_curves.png", "scaling.png"):
        (out / name).unlink(missing_ok=True)
    shutil.rmtree(out / "runs", ignore_errors=True)


def _stderr(msg: str) -> None:
    import sys

    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


def _text(payload: dict, out: str) -> str:
    from polyapprox.core.results import format_value as fmt

    head = f"{'activation':<10} {'size':<7} {'seed':>5} {'params':>11} {'tokens':>11} {'val_loss':>9} {'tok/s':>9}"
    lines = [head + f" {'erank_in':>9} {'erank_out':>9} {'cos':>6}"]
    for r in payload["runs"]:
        cos = sum(r["cosine"]) / len(r["cosine"]) if r["cosine"] else None
        lines.append(
            f"{r['activation']:<10} {r['size']:<7} {fmt(r.get('seed'), 'd'):>5} {r['params']:>11,} {r['tokens']:>11,} "
            f"{fmt(r['val_loss'], '.4f'):>9} {r['tokens_per_s']:>9,.0f} {fmt(r['erank_mean']['w_in'], '.2f'):>9} "
            f"{fmt(r['erank_mean']['w_out'], '.2f'):>9} {fmt(cos, '.3f'):>6}"
        )
    lines.append("erank: mean over layers of exp(entropy of normalised singular values) of W_in / W_out;")
    lines.append("cos: mean cosine similarity of consecutive layers' hidden states (paper §4.4)")
    for act, fit in payload["fits"].items():
        if fit["alpha"] is None:
            lines.append(f"fit {act}: {fit['status']}")
            continue
        se = fit["stderr"].get("alpha")
        pm = f" +- {se:.3f}" if se is not None else ""
        lines.append(
            f"fit {act}: L(N) = {fit['E']:.3f} + {fit['A']:.3f} (N/{fit['N_ref']:.3g})^-{fit['alpha']:.3f}"
            f"{pm} ({fit['status']})"
        )
    lines.append(f"results: {Path(out) / 'results.json'}")
    return "\n".join(lines)
