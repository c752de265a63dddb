"""Measured slopes of trained FFN blocks (error vs parameters) beside the Theorem 3 construction's slope.

For one d = 1 and one d = 2 target, every activation (relu, relu2, gelu, swiglu, polyrelu, polynorm) is
trained over a width sweep (``polyapprox.train.ffn_sweep``) by each method -- ``varpro`` (output layer solved
exactly, Levenberg-Marquardt on the rest, float64, a grid of training points, adaptive knots; the default),
``adam`` (Adam + L-BFGS on random points, the old baseline) and, on request (``--methods``), ``varpro-boost``
(VarPro, then a second net of the same width on the residual; sizes count both nets) -- and the sup / L2 test errors are
measured by ``polyapprox.approx.measure.measure_errors`` (on the exact ``Net`` for relu / relu2 / polyrelu).
Per (method, activation) the table gives

* ``slope`` / ``ci``: ``fit_rate`` (the project's rule: asymptotic window of >= 4 sizes, else the last 4;
  ``ci`` is the range of its local slopes: fit_rate has no bootstrap CI any more) on the per-width median over
  seeds of the sup error vs ``params_nnz`` (nonzero weights + biases, the ``count_params`` convention of the
  construction);
* ``seconds_per_fit``: median wall time of one training run (measurement excluded); ``device``;
* ``slope_all`` / ``ci_all``: OLS over every (width, seed) point with a t-based 95 % CI (descriptive);
* the same two for the L2 error;
* ``construction``: the untrained Theorem 3 net ``sobolev_net(target, n, N)`` over N, fitted the same way
  (params = count_params), and its theory slope -n/d.

Prints one JSON document (progress on stderr); ``--out DIR`` also keeps each sweep's resumable
results.json and plot. Run:

    PYTHONPATH=. python benchmarks/ffn_slopes.py [--quick] [--out DIR] > ffn_slopes.json
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from typing import Any

import numpy as np

PRESETS: dict[str, dict[str, Any]] = {
    # fits in ~10 minutes on 2 shared CPU cores
    "default": {
        "targets": [("sin1", (8, 16, 32, 64, 128), (2, 4, 8, 16, 32)), ("gauss2", (8, 16, 32, 64, 128), (2, 4, 6, 8))],
        "seeds": 3, "steps": 1000, "lbfgs_steps": 200, "n_train": 2000, "n_val": 256, "lm_steps": 300,
        "activations": ("relu", "relu2", "gelu", "swiglu", "polyrelu", "polynorm"), "methods": ("varpro", "adam"),
    },
    "quick": {
        "targets": [("sin1", (4, 8, 16), (2, 4, 8)), ("gauss2", (4, 8, 16), (2, 4))],
        "seeds": 1, "steps": 100, "lbfgs_steps": 20, "n_train": 256, "n_val": 64, "lm_steps": 30,
        "activations": ("relu", "polyrelu"), "methods": ("varpro", "adam"),
    },
}


def ols_all(params: list[float], errors: list[float]) -> tuple[float | None, list[float | None]]:
    """OLS slope of log e vs log W over all points with a t 95 % CI (None with < 3 distinct sizes)."""
    from scipy import stats

    w, e = np.log(np.asarray(params, float)), np.log(np.asarray(errors, float))
    if len(set(params)) < 3:
        return None, [None, None]
    r = stats.linregress(w, e)
    half = float(stats.t.ppf(0.975, len(w) - 2)) * r.stderr
    return float(r.slope), [float(r.slope - half), float(r.slope + half)]


def run_target(name: str, widths: tuple[int, ...], grids: tuple[int, ...], preset: dict[str, Any],
               n: int, out: str | None, threads: int, method: str, device: str) -> dict[str, Any]:
    import torch

    from polyapprox.train.ffn import TrainConfig
    from polyapprox.train.ffn_sweep import ProgressLine, Sweep, SweepConfig, size
    from polyapprox.train.varpro import VarProConfig

    varpro = method.startswith("varpro")
    cfg = SweepConfig(target=name, widths=widths, seeds=preset["seeds"], n_train=preset["n_train"],
                      n_val=preset["n_val"], construction_n=n, grids=grids, method="varpro" if varpro else method,
                      boost=method == "varpro-boost",
                      activations=preset["activations"], points="grid" if varpro else "random",
                      varpro=VarProConfig(steps=preset["lm_steps"], init="adaptive", device=device),
                      train=TrainConfig(steps=preset["steps"], lbfgs_steps=preset["lbfgs_steps"], device=device))
    torch.set_num_threads(threads)  # script entry point
    t0 = time.perf_counter()
    where = f"{out}/{name}-{method}" if out else None
    sweep = Sweep(cfg, out=where, resume=bool(out), progress=ProgressLine(0))
    payload = sweep.run()
    if out:
        from polyapprox.core.results import save_figure, write_json
        from polyapprox.train.ffn_plot import plot_sweep

        write_json(f"{where}/sweep.json", payload)
        save_figure(plot_sweep(payload), f"{where}/ffn_sweep")
    rows = {}
    for act, s in payload["activations"].items():
        pts = s["points"]
        p, sup, l2 = [size(q) for q in pts], [q["sup_error"] for q in pts], [q["l2_error"] for q in pts]
        sa, ca = ols_all(p, sup)
        la, lca = ols_all(p, l2)
        rows[act] = {"slope": s["fit"]["slope"], "ci": s["fit"].get("local_range"), "status": s["fit"]["status"],
                     "slope_all": sa, "ci_all": ca, "slope_l2": s["fit_l2"]["slope"],
                     "ci_l2": s["fit_l2"].get("local_range"),
                     "slope_l2_all": la, "ci_l2_all": lca,
                     "params": sorted(set(p)), "best_sup_error": min(sup), "best_l2_error": min(l2),
                     "slope_best_seed": s["fit_best"]["slope"],
                     "seconds_per_fit": float(np.median([q["seconds"] for q in pts]))}
    c = payload["construction"]
    cp = [q for q in c["points"] if q.get("params")]
    crow = {"n": n, "theory_slope": -n / payload["dim"], "slope": c["fit"]["slope"], "ci": c["fit"].get("local_range"),
            "status": c["fit"]["status"], "params": [q["params"] for q in cp],
            "sup_errors": [q["sup_error"] for q in cp]}
    return {"target": payload["target"], "dim": payload["dim"], "widths": list(widths), "seeds": cfg.seeds,
            "method": method, "device": device,
            "activations": rows, "construction": crow, "seconds": round(time.perf_counter() - t0, 1)}


def table(results: list[dict[str, Any]]) -> str:
    """Markdown table: one row per (target, activation) plus the construction."""

    def f(v: Any) -> str:
        return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.2f}"

    lines = ["| target | d | series | slope sup (fit_rate, median of seeds) [local slopes] | "
             "slope sup (all pts) [CI] | "
             "slope L2 (all pts) [CI] | best sup | params_nnz range | s per fit |", "|---" * 9 + "|"]
    for r in results:
        t = f"{r['target']['name']} ({r['method']}, {r['device']})"
        for act, row in r["activations"].items():
            ci, ca, cl = row["ci"] or [None] * 2, row["ci_all"], row["ci_l2_all"]
            lines.append(f"| {t} | {r['dim']} | {act} | {f(row['slope'])} [{f(ci[0])}, {f(ci[1])}] | "
                         f"{f(row['slope_all'])} [{f(ca[0])}, {f(ca[1])}] | {f(row['slope_l2_all'])} "
                         f"[{f(cl[0])}, {f(cl[1])}] | {row['best_sup_error']:.2e} | "
                         f"{row['params'][0]}-{row['params'][-1]} | {row['seconds_per_fit']:.2f} |")
        c = r["construction"]
        ci = c["ci"] or [None] * 2
        lines.append(f"| {t} | {r['dim']} | construction n={c['n']} (theory {c['theory_slope']:.2f}) | "
                     f"{f(c['slope'])} [{f(ci[0])}, {f(ci[1])}] | - | - | {min(c['sup_errors']):.2e} | "
                     f"{c['params'][0]}-{c['params'][-1]} | - |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="tiny settings (seconds), for smoke tests")
    ap.add_argument("--n", type=int, default=3, help="order n of the reference construction")
    ap.add_argument("--out", default=None, help="keep per-target results (resumable) and plots here")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--methods", default=None,
                    help="comma list of varpro, adam, varpro-boost (a second net on the residual; each point is "
                         "the sum, both nets' parameters counted) (default: varpro, adam)")
    ap.add_argument("--device", default="auto", help="cpu, cuda or auto (CUDA when present)")
    args = ap.parse_args(argv)
    from polyapprox.train.ffn import resolve_device

    preset = PRESETS["quick" if args.quick else "default"]
    methods = tuple(args.methods.split(",")) if args.methods else preset["methods"]
    device = resolve_device(args.device)
    t0 = time.perf_counter()
    results = [run_target(name, widths, grids, preset, args.n, args.out, args.threads, method, device)
               for name, widths, grids in preset["targets"] for method in methods]
    doc = {"preset": "quick" if args.quick else "default", "settings": {k: v for k, v in preset.items()
                                                                          if k != "targets"},
           "results": results, "table_markdown": table(results), "seconds": round(time.perf_counter() - t0, 1)}
    sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    sys.stderr.write(doc["table_markdown"] + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
