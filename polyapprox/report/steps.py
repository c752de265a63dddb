"""The steps of ``polyapprox reproduce`` (registered in ``polyapprox.report.config.STEPS``, in run order).

Each step calls library functions only and returns a JSON-ready dict; figures are written under
``out/figures`` and referenced by relative path. Sizes come from ``ReproduceConfig`` (quick / full).
"""

from __future__ import annotations

import time
from fractions import Fraction
from pathlib import Path
from typing import Any

from polyapprox.core.schema import NUMBER
from polyapprox.report.config import ReproduceConfig, step
from polyapprox.train.state_schema import LM_RESULTS

#: Analytic targets used for the Theorem 3 slopes, by dimension (docs/measurement.md §7.1).
RATE_TARGET = {1: "sin1", 2: "exp2", 3: "exp3"}
#: Grid sizes per (d, n): the asymptotic windows of docs/measurement.md §6.1, §7.2 (quick drops the largest if costly).
RATE_SIZES = {
    (1, 1): (32, 64, 128, 256), (1, 2): (32, 64, 128, 256), (1, 3): (32, 64, 128, 256),
    # n = 4: N = 256 still has sup error 9.4e-10, 10^6 x the float64 rounding measured at exact probes
    (1, 4): (32, 64, 128, 256),
    (2, 1): (8, 16, 32, 64), (2, 2): (8, 16, 32, 64), (2, 3): (8, 16, 32, 64),
    (3, 2): (2, 4, 8, 16),
}
#: ReLU baseline sizes; the PolyReLU construction is swept on the same grids for the equal-error comparison.
RELU_SIZES = {(1, 2): (4, 8, 16, 32, 64, 128), (1, 3): (4, 8, 16, 32), (2, 2): (2, 3, 4, 6, 8)}
#: Saturation: relu_s targets (smoothness s) swept with n > s via the shift envelope (docs/measurement.md §1.3–1.4).
SATURATION = ((1, 2, (16, 32, 64, 128)), (2, 3, (16, 32, 64, 128)), (2, 4, (16, 32, 64, 128)))
#: Trained-FFN targets: one analytic target in d = 1 and one in d = 2.
FFN_TARGETS = ("sin1", "gauss2")
#: How they are trained (``SweepConfig.method``): VarPro + Levenberg-Marquardt, the rates-confirming trainer.
FFN_METHOD = "varpro"
#: Lemma 2: PolyReLU coefficient vectors a_0..a_r approximated by ReLU nets.
LEMMA2_TARGETS = {"relu2": ("0", "0", "1"), "paper_default": ("0", "1/3", "1/3", "1/3"),
                  "cubic": ("1/4", "1/2", "-1/2", "3/4")}


#: folders (under the output folder) holding a step's own state, removed by ``reproduce --force``
STATE = {"ffn": ("ffn",), "lm": ("lm",)}

_FIT = {"slope": NUMBER, "window": [int], "status": str}
_SWEEP = {"target": str, "dim": int, "order": int, "theory_slope": NUMBER, "fit": _FIT,
          "fit_vs_N": {"slope": NUMBER}, "points": [{"N": int, "params": int, "sup_error": NUMBER}, ...]}
_RELU = {**_SWEEP, "log_factor": ({"corrected_slope": (NUMBER, None), "loglog_slope": (NUMBER, None),
                                   "verdict": str}, None)}
_FIGURES = [str]
#: what the report reads from each step's result (``core.schema`` specs; checked when a result is read back)
SCHEMAS: dict[str, Any] = {
    "verify": {"checks": [{"id": str, "status": str, "method": str, "seconds": NUMBER, "statement": str}],
               "proved": int, "failed": int, "seconds": NUMBER},
    "rates": {"polyrelu": [_SWEEP], "relu": [_RELU], "relu_reference": [_SWEEP], "figures": _FIGURES,
              "saturation": [{"s": int, "n": int, "sizes": [int], "slope_vs_N": NUMBER,
                              "local_range": [NUMBER, NUMBER],
                              "theory": NUMBER}]},
    "lemma2": {"figures": _FIGURES, "targets": {str: {
        "coeffs": [str], "fit_ln": {"rms": NUMBER}, "fit_ln2": {"rms": NUMBER},
        "rows": [{"eps": NUMBER, "size": int, "depth": int, "sup_error_upper": NUMBER}, ...]}}},
    "ffn": {"figures": _FIGURES, "targets": [{
        "target": str, "dim": int, "construction": dict,
        "activations": {str: {"fit": {"slope": (NUMBER, None), "local_range": ([(NUMBER, None), (NUMBER, None)], None)},
                              "points": [{"sup_error": NUMBER}]}}}]},
    "lm": {"figures": _FIGURES, "runs": LM_RESULTS["runs"]},
}


def fingerprint() -> str:
    """A hash of the experiment constants above: a resumed run reuses a step only if they are unchanged."""
    import hashlib

    consts = (RATE_TARGET, RATE_SIZES, RELU_SIZES, SATURATION, FFN_TARGETS, FFN_METHOD, LEMMA2_TARGETS)
    return hashlib.sha256(repr(consts).encode()).hexdigest()[:16]


def _figure_path(out: Path, name: str) -> str:
    return f"figures/{name}.png"


def _save(fig: Any, out: Path, name: str) -> str:
    from polyapprox.core.results import save_figure

    save_figure(fig, str(out / "figures" / name), formats=("png", "svg"))
    return _figure_path(out, name)


def _log(msg: str) -> None:
    import sys

    print(f"    {msg}", file=sys.stderr, flush=True)


@step("verify", "the lemma suite: every registered identity proved exactly")
def verify_step(cfg: ReproduceConfig, out: Path, resume: bool = False) -> dict[str, Any]:
    from polyapprox.verify.registry import run_checks

    results = [r.to_dict() for r in run_checks()]
    return {"checks": results, "proved": sum(r["status"] == "proved" for r in results),
            "failed": sum(r["status"] != "proved" for r in results)}


@step("rates", "Theorem 3 slopes (PolyReLU), the ReLU baseline's log factor, and saturation")
def rates_step(cfg: ReproduceConfig, out: Path, resume: bool = False) -> dict[str, Any]:
    from polyapprox.approx.rates import equal_error_ratio
    from polyapprox.approx.sweeps import SweepConfig, envelope_sweep, run_sweep
    from polyapprox.report.plots import rates_figure, tex_target
    from polyapprox.targets.catalogue import get_target

    poly, relu, figures = [], [], []
    for d, n in cfg.rate_pairs:
        res = run_sweep(SweepConfig(get_target(RATE_TARGET[d]), n, sizes=RATE_SIZES[(d, n)], seed=cfg.seed),
                        progress=_log)
        poly.append(res.to_dict())
    relu_reference = []
    for d, n in cfg.relu_pairs:
        for method, into in (("relu", relu), ("polyrelu", relu_reference)):
            res = run_sweep(SweepConfig(get_target(RATE_TARGET[d]), n, method, sizes=RELU_SIZES[(d, n)],
                                        seed=cfg.seed), progress=_log)
            into.append(res.to_dict())
    for d in sorted({r["dim"] for r in poly}):
        rows = [r for r in poly if r["dim"] == d]
        title = f"PolyReLU (Theorem 3): {tex_target(rows[0]['target'])}, $d = {d}$"
        figures.append(_save(rates_figure(rows, title=title), out, f"rates_polyrelu_d{d}"))
    for r in relu:
        match = [p for p in relu_reference if p["dim"] == r["dim"] and p["order"] == r["order"]]
        ratios = {"ReLU / PolyReLU": equal_error_ratio(match[0], r)} if match else None
        title = f"PolyReLU vs ReLU: {tex_target(r['target'])}, $n = {r['order']}$, $d = {r['dim']}$"
        figures.append(_save(rates_figure(match + [r], title=title, ratios=ratios), out,
                             f"rates_vs_relu_d{r['dim']}_n{r['order']}"))
    saturation = []
    for s, n, sizes in SATURATION:
        env = envelope_sweep(s, n, sizes, seed=cfg.seed)
        saturation.append({"s": s, "n": n, "sizes": list(sizes), "slope_vs_N": env["fit_vs_N"]["slope"],
                           "local_range": env["fit_vs_N"]["local_range"], "theory": -min(s, n)})
    return {"polyrelu": poly, "relu": relu, "relu_reference": relu_reference, "saturation": saturation,
            "figures": figures}


@step("lemma2", "Lemma 2: ReLU nets approximating one PolyReLU unit, size against ln(1/eps)")
def lemma2_step(cfg: ReproduceConfig, out: Path, resume: bool = False) -> dict[str, Any]:
    from polyapprox.approx.pieces import propagate, sup_error
    from polyapprox.construct.lemma2 import fit_log_size, polyrelu_target, relu_approx_polyrelu
    from polyapprox.core.counting import count_params

    max_exp = 16 if cfg.preset == "quick" else 24
    targets = {}
    for name, coeffs_s in LEMMA2_TARGETS.items():
        coeffs = tuple(Fraction(c) for c in coeffs_s)
        rows = []
        for e in range(2, max_exp + 1, 2):
            eps = Fraction(1, 2 ** e)
            net, bound = relu_approx_polyrelu(coeffs, eps)
            c = count_params(net)
            g = propagate(net, -1, 1)[0]
            err = sup_error(g, polyrelu_target(coeffs))
            rows.append({"eps": float(eps), "size": c.params, "depth": c.depth, "pieces": g.n_pieces,
                         "sup_error_upper": float(err.upper), "bound": float(bound)})
        eps_l, sizes = [r["eps"] for r in rows], [r["size"] for r in rows]
        targets[name] = {"coeffs": list(coeffs_s), "rows": rows, "fit_ln": fit_log_size(eps_l, sizes, 1).to_dict(),
                         "fit_ln2": fit_log_size(eps_l, sizes, 2).to_dict()}
    from polyapprox.report.lemma2_figure import lemma2_figure

    return {"targets": targets, "figures": [_save(lemma2_figure(targets), out, "lemma2_sizes")]}


@step("ffn", "trained FFN blocks (VarPro + Levenberg-Marquardt) against the Theorem 3 construction")
def ffn_step(cfg: ReproduceConfig, out: Path, resume: bool = False) -> dict[str, Any]:
    import torch

    targets, figures = [], []
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small widths: one thread is fastest (measured); restored below
    try:
        for name in FFN_TARGETS:
            targets.append(_ffn_target(cfg, out, name, figures, resume))
    finally:
        torch.set_num_threads(threads)
    return {"targets": targets, "figures": figures}


def _ffn_target(cfg: ReproduceConfig, out: Path, name: str, figures: list[str], resume: bool) -> dict[str, Any]:
    from polyapprox.train.ffn_plot import plot_sweep
    from polyapprox.train.ffn_sweep import Sweep, SweepConfig
    from polyapprox.train.varpro import VarProConfig

    device = "cpu" if cfg.device == "auto" else cfg.device
    scfg = SweepConfig(target=name, activations=cfg.ffn_activations, widths=cfg.ffn_widths, seeds=cfg.ffn_seeds,
                       method=FFN_METHOD, points="grid", n_train=cfg.ffn_points,
                       varpro=VarProConfig(steps=cfg.ffn_steps, init="adaptive", device=device))
    if resume and (out / "ffn" / name / "results.json").exists():
        from polyapprox.train.state_schema import read_ffn_results

        read_ffn_results(out / "ffn" / name / "results.json")
    payload = Sweep(scfg, out / "ffn" / name, resume=resume).run()
    figures.append(_save(plot_sweep(payload), out, f"ffn_{name}"))
    return {"target": name, "dim": payload["dim"], "size_key": payload["size_key"], "activations": {
        act: {"points": s["points"], "fit": s["fit"], "fit_best": s["fit_best"]}
        for act, s in payload["activations"].items()},
        "construction": {**payload["construction"]["fit"],
                         "best_error": min(p["sup_error"] for p in payload["construction"]["points"])}}


@step("lm", "transformer LMs with each FFN activation (byte-level, stdlib corpus)")
def lm_step(cfg: ReproduceConfig, out: Path, resume: bool = False) -> dict[str, Any]:
    from polyapprox.train.lm_sweep import SweepConfig, run_sweep

    t0 = time.perf_counter()
    if resume and (out / "lm" / "results.json").exists():
        from polyapprox.train.state_schema import read_lm_results

        read_lm_results(out / "lm" / "results.json")
    payload = run_sweep(SweepConfig(activations=cfg.lm_activations, sizes=cfg.lm_sizes, steps=cfg.lm_steps,
                                    seed=cfg.seed, seeds=cfg.lm_seeds), out / "lm",
                        device_name=cfg.device, resume=resume, log=_log)
    figures = []
    for name in ("loss_curves", "scaling"):
        if (out / "lm" / f"{name}.png").exists():
            figures.append(f"lm/{name}.png")
    return {"runs": payload["runs"], "fits": payload["fits"], "figures": figures,
            "wall_seconds": time.perf_counter() - t0}
