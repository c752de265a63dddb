"""CLI verbs ``rates``, ``targets`` and ``plot rates``: Sobolev-rate sweeps of the Theorem 3 construction.

    polyapprox rates --target sin1 --order 2 [--dim 1] [--method polyrelu|relu|relu2] [--grids 8,16,32]
                     [--out DIR] [--json]
    polyapprox targets [--dim d] [--json]
    polyapprox plot rates RESULTS.json [RESULTS.json ...] --out FIG.png|FIG.pdf|FIG.svg

``--target`` is a catalogue name (``polyapprox targets``) or an expression in x1..xd (or x, y, z); an
expression needs ``--dim`` and may declare ``--smoothness``. With ``--out DIR`` the command writes
``DIR/results.json`` (atomic), ``DIR/rates.png`` and ``DIR/rates.svg``, and every network as
``DIR/net_N<N>.json``: all staged and committed together, ``results.json`` last (``core.outdir.staged``),
under the folder's lock; a folder that already holds results.json is replaced only with ``--force``.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from polyapprox.cli._io import (
    add_output_flags,
    add_progress,
    add_seeds,
    announce,
    deprecated_alias,
    end_progress,
    progress_writer,
)
from polyapprox.core.schema import NUMBER


def default_sizes(d: int, n: int, method: str) -> tuple[int, ...]:
    """Default grid sizes, chosen so that one run takes < 30 s on 2 cores for d <= 2, n <= 4 (measured).

    They are short sweeps: for d = 2, n >= 3 (and the ReLU baseline in d = 2) they are pre-asymptotic and the
    fit reports "not asymptotic"; pass --grids for the docs/measurement.md §6.1 ranges.
    """
    if method == "relu":
        return {1: (4, 8, 16, 32), 2: (2, 3, 4, 6) if n <= 2 else (2, 3, 4) if n == 3 else (2, 3)}.get(d, (2,))
    if d == 1:
        return (8, 16, 32, 64, 128)
    if d == 2:
        if method == "relu2" and n >= 4:
            return (2, 4, 6, 8)
        return (2, 4, 8, 16) if n <= 2 else (2, 4, 6, 8, 12)
    return {3: (2, 3, 4, 6)}.get(d, (2, 3, 4)) if n <= 2 else (2, 3, 4)


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("rates", help="sweep the Theorem 3 construction over N and fit the rate")
    p.add_argument("--target", required=True, help="catalogue name or expression in x1..xd")
    p.add_argument("--dim", type=int, default=None, help="input dimension (needed for expressions)")
    p.add_argument("--order", type=int, required=True, help="Sobolev order n (Taylor degree n-1)")
    p.add_argument("--method", default="polyrelu", help="polyrelu (Theorem 3) | relu (Yarotsky) | relu2 (B-spline)")
    p.add_argument("--grids", default=None, help="grid sizes N, e.g. 8,16,32 (default: by dimension and order)")
    deprecated_alias(p, "--sizes", "--grids")
    p.add_argument("--smoothness", default="analytic", help="declared smoothness of an expression target")
    add_seeds(p, "0", "seed of the sampled measurement points, 0 .. 2**32-1 (one: the sweep runs once)", one=True)
    p.add_argument("--out", default=None, help="folder for results.json, plots and networks")
    p.add_argument("--force", action="store_true", help="replace the results of a finished --out folder")
    add_output_flags(p)
    add_progress(p)
    p.set_defaults(func=run_rates)

    t = sub.add_parser("targets", help="list the target catalogue")
    t.add_argument("--dim", type=int, default=None, help="only targets of this input dimension")
    add_output_flags(t, "print one JSON document (with each target's S_1 norm; some are numerical, via scipy)")
    t.set_defaults(func=run_targets)

    pl = sub.add_parser("plot", help="plot saved results")
    psub = pl.add_subparsers(dest="plot_kind", metavar="KIND", parser_class=type(pl))
    psub.required = True
    pr = psub.add_parser("rates", help="error vs parameters from rates results JSON files")
    pr.add_argument("results", nargs="+", metavar="RESULTS",
                    help="a rates results file, a `rates --out` folder or a report's results/rates.json")
    pr.add_argument("--out", required=True, help="figure path; the suffix sets the format: .png, .pdf or .svg")
    pr.add_argument("--title", default=None, help="figure title (matplotlib mathtext allowed)")
    add_output_flags(pr, "print the written files as one JSON document")
    pr.set_defaults(func=run_plot_rates)


def _smoothness(text: str) -> int | str:
    from polyapprox.errors import ConfigError

    if text == "analytic":
        return text
    try:
        return int(text)
    except ValueError:
        raise ConfigError(f"smoothness: {text!r} is neither an integer nor 'analytic'") from None


def summary(res: Any) -> dict[str, Any]:
    """The documented JSON of ``polyapprox rates``."""
    return {
        "target": res.target, "dim": res.dim, "order": res.order, "method": res.method,
        "theory_slope": res.theory_slope,
        "points": [{"N": p.N, "params": p.params, "depth": p.depth, "sup_error": p.sup_error,
                    "l2_error": p.l2_error, "floor": p.floor, "bound": p.bound, "q": p.q,
                    "sup_error_lower": p.sup_error_lower, "sup_error_upper": p.sup_error_upper,
                    "float_floor": p.float_floor, "excluded_reason": p.excluded_reason} for p in res.points],
        "fit": {"slope": res.fit.slope, "local_range": list(res.fit.local_range), "trend": res.fit.trend,
                "local_slopes": list(res.fit.local_slopes), "window": list(res.fit.window), "status": res.fit.status,
                "agrees_with_theory": res.fit.agrees_with_theory},
        "fit_enclosure": _enclosure_summary(res),
        "fit_vs_N": {"slope": res.fit_vs_N.slope, "local_range": list(res.fit_vs_N.local_range),
                     "status": res.fit_vs_N.status},
        "log_factor": None if res.log_factor is None else {
            "loglog_slope": res.log_factor.loglog_slope, "t_interval": list(res.log_factor.loglog_ci),
            "corrected_slope": res.log_factor.corrected_slope, "verdict": res.log_factor.verdict},
    }


def _enclosure_summary(res: Any) -> dict[str, Any]:
    """OLS slope on the lower and on the upper enclosure ends, their local slopes and trends."""
    from polyapprox.approx.rates import fit_enclosure

    enc = fit_enclosure([p.to_dict() for p in res.points], res.theory_slope)
    return {"certified": enc.certified, **{end: {
        "slope": f.slope, "status": f.status, "window": list(f.window), "local_slopes": list(f.local_slopes),
        "local_range": list(f.local_range), "trend": f.trend} for end, f in (("lower", enc.lower),
                                                                             ("upper", enc.upper))}}


def run_rates(args: argparse.Namespace) -> int:

    from polyapprox.approx.sweeps import METHODS, SweepConfig, check_sweep_size, run_sweep
    from polyapprox.cli._io import emit, parse_int_list
    from polyapprox.core.limits import check
    from polyapprox.core.results import format_value as fmt
    from polyapprox.errors import ConfigError
    from polyapprox.targets.catalogue import resolve_target

    if args.method not in METHODS:
        raise ConfigError(f"method: unknown {args.method!r}; choose from {', '.join(METHODS)}")
    if args.order < 1:
        raise ConfigError(f"order: {args.order} must be >= 1")
    if args.dim is not None and args.dim < 1:
        raise ConfigError(f"dim: {args.dim} must be >= 1")
    if args.dim is not None:
        check("dim", args.dim, "dim")
    target = resolve_target(args.target, args.dim, _smoothness(args.smoothness))
    d = target.dim
    if args.grids is not None:
        sizes = tuple(parse_int_list(args.grids, "grids"))
    else:
        sizes = default_sizes(d, args.order, args.method)
    check_sweep_size(d, args.order, args.method, sizes)  # also in SweepConfig: here before any other work
    cfg = SweepConfig(target, args.order, args.method, sizes, seed=args.seeds[0], keep_nets=args.out is not None)
    if args.out is None:
        payload, res = _sweep(cfg, run_sweep, progress_writer(args))
    else:
        from polyapprox.core.outdir import locked, refuse_finished, staged

        with locked(args.out, folder=True) as out:
            refuse_finished(out, "results.json", resume=False, force=args.force, can_resume=False)
            payload, res = _sweep(cfg, run_sweep, progress_writer(args))
            with staged(out, "results.json", replaces="net_N*.json") as stage:
                _write_outputs(stage, res, payload, cfg)
        payload["out"] = str(args.out)
        announce([out / "results.json", out / "rates.png", out / "rates.svg",
                  f"{len(res.points)} networks {out / 'net_N*.json'}"])
    end_progress(args)
    fit = res.fit
    enc = payload["fit_enclosure"]
    text = (f"{res.target} d={d} n={res.order} {res.method}: slope {fmt(fit.slope, '.4f')} "
            f"(lower end {fmt(enc['lower']['slope'], '.4f')}, upper end {fmt(enc['upper']['slope'], '.4f')}; local "
            f"slopes {', '.join(fmt(v, '.3f') for v in fit.local_slopes)}, {fit.trend}) ({fit.status}), "
            f"theory {res.theory_slope:.4f}\n"
            + "\n".join(f"  N={p['N']:>4} W={p['params']:>8} depth={p['depth']} sup={fmt(p['sup_error'], '.3e')} "
                        f"l2={fmt(p['l2_error'], '.3e')}" for p in payload["points"]))
    emit(payload, args.json, text)
    return 0


def _sweep(cfg: Any, run_sweep: Any, progress: Any) -> tuple[dict[str, Any], Any]:
    """Run the sweep; (the documented summary with its seconds, the SweepResult)."""
    t0 = time.perf_counter()
    res = run_sweep(cfg, progress=progress)
    payload = summary(res)
    payload["seconds"] = round(time.perf_counter() - t0, 2)
    return payload, res


def _write_outputs(out: Any, res: Any, payload: dict[str, Any], cfg: Any) -> None:
    from polyapprox.core import netjson
    from polyapprox.core.results import provenance, save_figure, write_json
    from polyapprox.report.plots import rates_figure

    full = res.to_dict()
    full.update({"summary": payload, "config": {"target": cfg.target.to_dict(), "order": cfg.order,
                                                 "method": cfg.method, "sizes": list(cfg.sizes), "seed": cfg.seed},
                 "provenance": provenance()})
    for p, net in zip(res.points, res.nets, strict=True):
        netjson.save(net, out / f"net_N{p.N}.json", layout="sparse")
    save_figure(rates_figure([full]), str(out / "rates.png"), formats=("png", "svg"))
    write_json(out / "results.json", full)


def run_targets(args: argparse.Namespace) -> int:
    from polyapprox.cli._io import emit
    from polyapprox.targets.catalogue import list_targets

    rows = []
    for t in list_targets(args.dim):
        row = t.to_dict()
        if args.json:  # S_1 is in the JSON only: some norms are numerical (scipy, a second or so)
            norm, how = t.norm_bound(1) if t.smoothness != 0 else (None, "")
            row.update({"S_1": norm, "S_1_method": how})
        rows.append(row)
    text = "\n".join(f"{r['name']:<10} d={r['dim']} smoothness={r['smoothness']!s:<8} {r['description']}" for r in rows)
    emit({"targets": rows}, args.json, text)
    return 0


#: what ``plot rates`` reads from a results file (``core.schema`` spec; NaN allowed where fits store it)
RATES_SPEC = {
    "target": str, "dim": int, "order": int, "method": str, "theory_slope": float,
    "points": [{"N": int, "params": float, "sup_error": NUMBER, "floor": (NUMBER, None)}],
    "fit": {"slope": NUMBER, "intercept": NUMBER, "window": [int], "excluded_floor": [int], "status": str},
}


def read_rates_results(path: str) -> list[dict[str, Any]]:
    """The sweeps in ``path``: a ``rates --out`` results file, its folder, or a report's ``results/rates.json``
    (every sweep of its ``result``), each checked against ``RATES_SPEC`` and its indices (exit 2 naming the
    field)."""
    from pathlib import Path

    from polyapprox.core.results import read_json
    from polyapprox.errors import shorten

    file = Path(path) / "results.json" if Path(path).is_dir() else Path(path)
    doc = read_json(file)
    if isinstance(doc, dict) and doc.get("step") == "rates" and isinstance(doc.get("result"), dict):
        sweeps = [(f"result.{key}[{i}]", s) for key in ("polyrelu", "relu", "relu_reference")
                  for i, s in enumerate(doc["result"].get(key) or [])]
        return [_checked_sweep(s, f"{shorten(str(file))}: {where}") for where, s in sweeps]
    return [_checked_sweep(doc, shorten(str(file)))]


def _checked_sweep(doc: Any, where: str) -> dict[str, Any]:
    from polyapprox.core.schema import check
    from polyapprox.errors import InvalidDataError

    doc = check(doc, RATES_SPEC, f"{where}: not a rates results file")
    fit, n = doc["fit"], len(doc["points"])
    for key in ("window", "excluded_floor"):
        if any(not 0 <= j < n for j in fit[key]):
            raise InvalidDataError(f"{where}: field fit.{key}: expected indices of the {n} points")
    return doc


def check_title(title: str | None) -> str | None:
    """``title`` if matplotlib can typeset it (mathtext between ``$`` signs), else ConfigError saying how."""
    if title is None or "$" not in title:
        return title
    from matplotlib.mathtext import MathTextParser

    from polyapprox.errors import ConfigError, shorten

    try:
        MathTextParser("path").parse(title)
    except ValueError as exc:
        reason = shorten(str(exc).splitlines()[-1] if str(exc).strip() else "parse error", 60)
        raise ConfigError(f"title: {shorten(title)!r} is not valid mathtext ({reason}); "
                          "write a literal dollar as \\$") from None
    return title


def run_plot_rates(args: argparse.Namespace) -> int:
    from polyapprox.core.outdir import locked
    from polyapprox.core.results import figure_format, save_figure
    from polyapprox.report.plots import rates_figure

    figure_format(args.out)  # an unknown suffix is refused before anything is read or written
    title = check_title(args.title)
    results = [sweep for path in args.results for sweep in read_rates_results(path)]
    with locked(args.out, folder=False):
        written = save_figure(rates_figure(results, title=title), args.out)
    announce(written)
    if args.json:
        from polyapprox.cli._io import emit

        emit({"files": list(written), "sweeps": len(results)}, True)
    return 0
