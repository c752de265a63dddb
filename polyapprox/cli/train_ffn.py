"""``polyapprox train ffn``: width sweeps of trained FFN blocks on a target, slopes per activation.

Wire-up: ``add_ffn_parser(train_subparsers)`` registers the ``ffn`` sub-verb with ``func=run_ffn``.
Output: JSON (``--json``) with, per activation, ``points`` ({width, params, seed, train_loss, sup_error,
l2_error, ...}) and ``fit`` ({slope, local_range, ...}), plus the Theorem 3 construction's curve; a text table
otherwise. ``--out DIR`` writes DIR/results.json after every finished point (resumable with ``--resume``),
DIR/sweep.json (the payload) and DIR/ffn_sweep.png/.svg; DIR is locked for the run and a finished DIR is
replaced only with ``--force``.
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
    int_flag,
    parse_int_list,
    parse_name_list,
    parse_seeds,
)

DEFAULTS = {"target": "sin1", "widths": "4,8,16,32", "steps": 500, "lbfgs_steps": 100, "lr": 1e-2,
            "train_points": 1024, "val_points": 256, "lm_steps": 300, "ridge": 1e-24, "knots": "adaptive",
            "polish": 0}
#: Per-method defaults of --seeds and --train-points (varpro: 3 seeds, median and best reported).
METHOD_DEFAULTS = {"varpro": {"seeds": parse_seeds("0,1,2"), "train_points": 2000, "points": "grid"},
                   "adam": {"seeds": parse_seeds("0"), "train_points": 1024, "points": "random"}}


def add_ffn_parser(train_subparsers: Any) -> argparse.ArgumentParser:
    """Register ``ffn`` under the ``train`` verb's sub-parsers."""
    p = train_subparsers.add_parser(
        "ffn", help="train FFN blocks (relu, relu2, gelu, swiglu, polyrelu, polynorm) over widths; fit slopes",
        description=__doc__.splitlines()[0])
    p.add_argument("--target", default=DEFAULTS["target"], help="catalogue name or expression (default sin1)")
    p.add_argument("--dim", type=int, default=None, help="input dimension (needed for expressions)")
    p.add_argument("--data", default=None, help="user data FILE.npz (x, y) or FILE.csv (last column y)")
    p.add_argument("--activations", default="relu,relu2,gelu,swiglu,polyrelu,polynorm",
                   help="comma list of FFN activations")
    p.add_argument("--widths", default=DEFAULTS["widths"], help="comma list of hidden widths w")
    p.add_argument("--depth", type=int, default=1, help="number of hidden layers (default 1)")
    p.add_argument("--poly-order", type=int, default=3, help="PolyReLU/PolyNorm order r")
    p.add_argument("--method", default="varpro", choices=("varpro", "adam"),
                   help="varpro (default): output layer solved exactly + Levenberg-Marquardt, float64; "
                        "adam: Adam + L-BFGS (the old baseline)")
    p.add_argument("--lm-steps", type=int_flag("lm-steps", 0), default=DEFAULTS["lm_steps"],
                   help="varpro: Levenberg-Marquardt iterations (default 300)")
    p.add_argument("--ridge", type=float_flag("ridge", 0, 1, above=False), default=DEFAULTS["ridge"],
                   help="varpro: relative ridge of the output-layer solve, in [0, 1] (default 1e-24: the truncated"
                        " powers of many knots are ill-conditioned, a larger ridge caps the precision)")
    p.add_argument("--knots", default=DEFAULTS["knots"], choices=("adaptive", "uniform", "chebyshev", "random"),
                   help="varpro: placement of the units' breakpoints: adaptive (default; 1-D: equidistributing the "
                        "data's estimated |f^(r+1)|, elsewhere uniform), uniform, chebyshev or random over the range")
    p.add_argument("--polish", type=int_flag("polish", 0), default=DEFAULTS["polish"],
                   help="varpro: sup-norm polish rounds (IRLS, L^p with p up to 10; default 0)")
    p.add_argument("--steps", type=int, default=DEFAULTS["steps"], help="Adam steps (default 500)")
    p.add_argument("--lbfgs-steps", type=int_flag("lbfgs-steps", 0), default=DEFAULTS["lbfgs_steps"],
                   help="L-BFGS polish iterations")
    p.add_argument("--lr", type=float_flag("lr", 0, 10), default=DEFAULTS["lr"],
                   help="Adam learning rate, in (0, 10] (cosine decay)")
    p.add_argument("--eval-every", type=int_flag("eval-every", 1), default=25, help="validation period (steps)")
    p.add_argument("--patience", type=int_flag("patience", 0), default=20,
                   help="validation checks without improvement to stop")
    p.add_argument("--train-points", type=int, default=None,
                   help="training points (default 2000 for varpro, 1024 for adam)")
    p.add_argument("--points", default=None, choices=("grid", "chebyshev", "random"),
                   help="layout of the training points: grid (uniform tensor grid with the endpoints; default for "
                        "varpro), chebyshev (Chebyshev-Lobatto grid) or random (default for adam)")
    p.add_argument("--val-points", type=int, default=DEFAULTS["val_points"], help="validation points")
    add_seeds(p, None, "seeds of every (activation, width) point, a comma list (default 0,1,2 for varpro: median "
                       "and best reported; 0 for adam)")
    p.add_argument("--device", default="auto", help="auto (cuda if available), cpu or cuda")
    p.add_argument("--dtype", default="float64", choices=("float64", "float32"), help="training precision")
    p.add_argument("--threads", type=int, default=1,
                   help="torch CPU threads (default 1: fastest for small widths on a shared machine)")
    p.add_argument("--init", default="random", choices=("random", "construct"),
                   help="construct: train the exact Theorem 3 nets for each N in --grids (before/after errors)")
    p.add_argument("--order", dest="construction_n", type=int, default=3,
                   help="Sobolev order n of the reference Theorem 3 construction")
    deprecated_alias(p, "--construction-n", "--order")
    p.add_argument("--grids", default=None,
                   help="grid sizes N of the reference construction (default 4,8,16,32 in d=1; 2,4,8 in d=2)")
    p.add_argument("--out", default=None, help="folder for results.json, sweep.json and the plot")
    p.add_argument("--resume", action="store_true", help="reuse finished points of --out DIR/results.json")
    p.add_argument("--force", action="store_true", help="replace the results of a finished --out folder")
    add_output_flags(p)
    p.set_defaults(func=run_ffn)
    return p


def _config(args: argparse.Namespace) -> Any:
    from polyapprox.errors import ConfigError
    from polyapprox.nn import ACTIVATIONS
    from polyapprox.train.ffn import TrainConfig, resolve_device
    from polyapprox.train.ffn_sweep import SweepConfig
    from polyapprox.train.varpro import VarProConfig

    for name, value in METHOD_DEFAULTS[args.method].items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    for name in ("depth", "poly_order", "steps", "train_points", "val_points", "threads", "construction_n"):
        v = getattr(args, name)
        if v < (0 if name == "steps" else 1):
            flag = "order" if name == "construction_n" else name.replace("_", "-")
            raise ConfigError(f"{flag}: {v} must be >= {0 if name == 'steps' else 1}")
    if args.dim is not None and args.dim < 1:
        raise ConfigError(f"dim: {args.dim} must be >= 1")
    train = TrainConfig(steps=args.steps, lr=args.lr, lbfgs_steps=args.lbfgs_steps, eval_every=args.eval_every,
                        patience=args.patience, dtype=args.dtype, device=resolve_device(args.device))
    varpro = VarProConfig(steps=args.lm_steps, ridge=args.ridge, init=args.knots, polish=args.polish,
                          device=train.device)
    return SweepConfig(method=args.method, varpro=varpro,
        target=args.target, dim=args.dim, activations=tuple(parse_name_list(args.activations, "activations",
                                                                           ACTIVATIONS)),
        widths=tuple(parse_int_list(args.widths, "widths")), seeds=args.seeds, depth=args.depth,
        order=args.poly_order, n_train=args.train_points, n_val=args.val_points, points=args.points, train=train,
        init=args.init,
        construction_n=args.construction_n, data=args.data,
        grids=tuple(parse_int_list(args.grids, "grids")) if args.grids else None)


def run_ffn(args: argparse.Namespace) -> int:
    """Run the sweep described by ``args``; 0 on success (bad input raises PolyapproxError -> exit 2).

    ``--out DIR`` is locked for the run; a DIR holding results.json needs ``--resume`` (continue, the file
    checked first) or ``--force`` (its results.json and sweep.json are removed, then the sweep starts over).
    """
    config = _config(args)
    if not args.out:
        return _run_ffn(args, config)
    from polyapprox.core.outdir import locked, refuse_finished

    with locked(args.out, folder=True) as out:
        refuse_finished(out, "results.json", args.resume, args.force)
        results = out / "results.json"
        if args.force and not args.resume:
            for name in ("results.json", "sweep.json"):
                (out / name).unlink(missing_ok=True)
        elif args.resume and results.exists():
            from polyapprox.train.state_schema import read_ffn_results

            read_ffn_results(results)
        return _run_ffn(args, config)


def _run_ffn(args: argparse.Namespace, config: Any) -> int:
    import torch

    from polyapprox.core.results import write_json
    from polyapprox.train.ffn_sweep import ProgressLine, Sweep

    threads = torch.get_num_threads()
    torch.set_num_threads(args.threads)  # CLI entry only; restored below
    try:
        sweep = Sweep(config, out=args.out, resume=args.resume, progress=ProgressLine(0, enabled=not args.quiet))
        payload = sweep.run()
    finally:
        torch.set_num_threads(threads)
    if args.out:
        from polyapprox.core.results import save_figure
        from polyapprox.train.ffn_plot import plot_sweep

        write_json(f"{args.out}/sweep.json", payload)
        payload["files"] = save_figure(plot_sweep(payload), f"{args.out}/ffn_sweep", formats=("png", "svg"))
    emit(payload, args.json, _text(payload))
    if args.out:
        announce([f"{args.out}/results.json", f"{args.out}/sweep.json", *payload["files"], *_nets(payload)])
    return 0


def _nets(payload: dict[str, Any]) -> list[str]:
    """The saved trained networks of the payload's points (state_dict and exact Net JSON), as one entry."""
    files = [f for s in (payload.get("activations") or payload.get("construct_trained") or {}).values()
             for p in s["points"] for f in (p.get("files") or {}).values()]
    return [f"{len(files)} trained networks in {Path(files[0]).parent}"] if files else []


def _text(payload: dict[str, Any]) -> str:
    from polyapprox.core.results import format_value as _fmt

    t = payload["target"]
    lines = [f"target {t.get('name', t.get('data'))} (d = {payload['dim']}); slope of sup error vs params"]
    series = payload.get("activations") or payload.get("construct_trained") or {}
    for name, s in series.items():
        f = s["fit"]
        ci = f.get("local_range") or [None, None]
        lines.append(f"  {name:9s} slope {_fmt(f.get('slope'), '.2f'):>6s}  local range [{_fmt(ci[0], '.2f')}, "
                     f"{_fmt(ci[1], '.2f')}]  ({f.get('status')})")
    c = payload.get("construction")
    if c:
        f = c["fit"]
        ci = f.get("local_range") or [None, None]
        lines.append(f"  {'theorem3':9s} slope {_fmt(f.get('slope'), '.2f'):>6s}  local range [{_fmt(ci[0], '.2f')}, "
                     f"{_fmt(ci[1], '.2f')}]  (Theorem 3, n = {c['n']}, untrained)")
    lines.append("points: activation width (N for construct) params seed train_loss sup_error l2_error "
                 "[before training: sup]")
    for name, s in series.items():
        for p in s["points"]:
            extra = f"  before {_fmt(p['before']['sup_error'])}" if "before" in p else ""
            lines.append(f"  {name:9s} {p['width']:5d} {p['params']:7d} {p['seed']:3d} {_fmt(p['train_loss'])} "
                         f"{_fmt(p['sup_error'])} {_fmt(p['l2_error'])}{extra}")
    for p in (c or {}).get("points", []):
        lines.append(f"  theorem3 N={p['N']:<3d} {p['params']:7d}       -     {_fmt(p.get('sup_error'))} "
                     f"{_fmt(p.get('l2_error'))}")
    return "\n".join(lines)
