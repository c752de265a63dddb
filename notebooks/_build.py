"""Writes the notebooks of this folder from the cell sources below, without outputs (reproducible).

Run from the repository root: ``python notebooks/_build.py``. Every notebook starts with a cell that sets
``QUICK = True`` (sizes derive from it; set False for the full sizes) and makes the repository importable.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent

SETUP = '''import sys
from pathlib import Path

QUICK = True  # quick mode: tiny sizes, runs in well under a minute on 2 CPU cores
%matplotlib inline

ROOT = Path.cwd().resolve()
while not (ROOT / "polyapprox").is_dir() and ROOT != ROOT.parent:
    ROOT = ROOT.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))'''


def _cells(spec: list[tuple[str, str]]) -> list[nbformat.NotebookNode]:
    out = []
    for kind, src in spec:
        cell = nbformat.v4.new_markdown_cell(src) if kind == "md" else nbformat.v4.new_code_cell(src)
        cell.pop("id", None)
        out.append(cell)
    return out


CONSTRUCTIONS = [
    ("md", "# 1. Exact constructions and certificates\n\n"
           "PolyReLU networks that compute ReLU, powers, products and polynomials *exactly* (Lemma 1), their "
           "sizes, and the certificates that prove them (`polyapprox verify`). Proofs: `proofs/lemma1.md`, "
           "`proofs/theorem1.md`, `proofs/shared_coefficients.md`, `proofs/lemma2.md`."),
    ("code", SETUP),
    ("md", "## Lemma 1 blocks\n\nEach block is a `Net` with exact rational weights; `prove_equal` proves the "
           "identity symbolically on all of R^d (status `proved`), not by sampling."),
    ("code", '''from fractions import Fraction

import sympy

from polyapprox.construct.blocks import polynomial_1d_block, power_block, product_block
from polyapprox.core.counting import count_params
from polyapprox.symbolic import prove_equal

x, y = sympy.symbols("x y", real=True)
blocks = {
    "x^2 = R2(x) + R2(-x)": (power_block(2), x**2, (x,)),
    "x^5 = R5(x) - R5(-x)": (power_block(5), x**5, (x,)),
    "xy (polarization)": (product_block(), x * y, (x, y)),
    "1 - x + 3x^3/4 (2 units)": (polynomial_1d_block([1, -1, 0, Fraction(3, 4)]),
                                 1 - x + sympy.Rational(3, 4) * x**3, (x,)),
}
for name, (net, expr, syms) in blocks.items():
    cert = prove_equal(net, expr, symbols=syms)
    c = count_params(net)
    print(f"{name:28s} {cert.status:8s} units={c.units} params={c.params} depth={c.depth}")'''),
    ("md", "## A polynomial in three variables, depth 1\n\n"
           "Sums of powers of linear forms (docs/constructions.md §1.5)."),
    ("code", '''from polyapprox.construct.polynomials import polynomial_net

p = "3*x**2*y - y**3 + x*y*z - 2*y*z**2 + 5*x - 7"
net = polynomial_net(p, "x,y,z")
X, Y, Z = sympy.symbols("x y z", real=True)
cert = prove_equal(net, sympy.sympify(p, locals={"x": X, "y": Y, "z": Z}), symbols=(X, Y, Z))
print(cert.status, count_params(net).to_dict())'''),
    ("md", "## Shared coefficients (one sigma per layer)\n\nWith the paper's initialisation "
           "sigma = (R + R^2 + R^3)/3, each R^k is a fixed combination of sigma(x), sigma(2x), sigma(3x)."),
    ("code", '''from polyapprox.construct.shared import PAPER_SIGMA, vandermonde_weights

for k in (1, 2, 3):
    weights = vandermonde_weights(PAPER_SIGMA, k)
    print(f"R^{k} =", " + ".join(f"({w}) sigma({j + 1}x)" for j, w in enumerate(weights)))'''),
    ("md", "## Lemma 2: a ReLU network for one PolyReLU unit\n\nThe exact sup error over [-1, 1] "
           "(exact breakpoint propagation) stays below the rigorous bound and below eps; the size grows "
           "linearly in ln(1/eps) (the paper states ln^2)."),
    ("code", '''from polyapprox.approx.pieces import propagate, sup_error
from polyapprox.construct.lemma2 import polyrelu_target, relu_approx_polyrelu

coeffs = (Fraction(1, 4), Fraction(1, 2), Fraction(-1, 2), Fraction(3, 4))
exps = range(2, 7) if QUICK else range(2, 13)
for e in exps:
    eps = Fraction(1, 2**e)
    net, bound = relu_approx_polyrelu(coeffs, eps)
    err = sup_error(propagate(net, -1, 1)[0], polyrelu_target(coeffs))
    print(f"eps=2^-{e:<2d} params={count_params(net).params:5d} sup error={float(err.upper):.3e} "
          f"bound={float(bound):.3e}")'''),
    ("md", "## The registry of checks\n\nEvery check the proofs cite; `status` must be `proved`."),
    ("code", '''from polyapprox.verify.registry import run_checks

prefixes = ("lemma1", "thm1", "shared_coefficients", "polynorm") if QUICK else ("",)
for prefix in prefixes:
    for r in run_checks(prefix=prefix or None):
        print(f"{r.id:40s} {r.status:8s} {r.seconds:6.2f}s")'''),
]

RATES = [
    ("md", "# 2. Sobolev rates: PolyReLU versus ReLU\n\n"
           "The PUT-PolyReLU construction (docs/constructions.md §2.3; `proofs/theorem3.md`) against Yarotsky's ReLU "
           "construction with the same skeleton (docs/constructions.md §2.4.3). Sup error against parameters W; the "
           "theory slope is -n/d. A measured slope concerns one construction on one target; it does not "
           "prove optimality (docs/constructions.md §4.5)."),
    ("code", SETUP),
    ("code", '''from polyapprox.approx.sweeps import SweepConfig, run_sweep
from polyapprox.report.plots import rates_figure
from polyapprox.targets.catalogue import get_target

target = get_target("sin1")
order = 2
sizes = {"polyrelu": (4, 8, 16, 32) if QUICK else (4, 8, 16, 32, 64, 128),
         "relu": (4, 8, 16) if QUICK else (4, 8, 16, 32, 64)}
results = [run_sweep(SweepConfig(target, order=order, method=m, sizes=sizes[m])) for m in sizes]
for r in results:
    print(f"{r.method:9s} slope vs W {r.fit.slope:+.3f}  local {r.fit.local_range[0]:+.3f}..{r.fit.local_range[1]:+.3f} ({r.fit.trend})  "
          f"theory {r.theory_slope:+.3f}")
    for p in r.points:
        print(f"   N={p.N:4d} W={p.params:7d} depth={p.depth:3d} sup error={p.sup_error:.3e}")'''),
    ("code", '''rates_figure([r.to_dict() for r in results])'''),
    ("md", "## Parameters at equal error\n\nAt the same grid N both constructions have the same Taylor "
           "error budget; the ReLU one pays a factor q(N) ~ (n/2) log2 N in W."),
    ("code", '''poly = {p.N: p for p in results[0].points}
for p in results[1].points:
    if p.N in poly:
        print(f"N={p.N:3d}: W_relu / W_polyrelu = {p.params / poly[p.N].params:.2f} (q = {p.q})")'''),
    ("md", "## A 2-D target"),
    ("code", '''sizes2 = (2, 4, 8) if QUICK else (2, 4, 8, 16, 32)
res2 = run_sweep(SweepConfig(get_target("sinsin2"), order=2, sizes=sizes2))
print(f"slope {res2.fit.slope:+.3f}, theory {res2.theory_slope:+.3f}")
rates_figure([res2.to_dict()])'''),
]

LM = [
    ("md", "# 4. Language-model comparison (tiny)\n\n"
           "A tiny GPT (`polyapprox.train.lm`) with the FFN activation swapped: GELU, PolyReLU, PolyNorm "
           "(the paper's §4 comparison at toy scale, byte-level, on the Python standard library's text). In "
           "quick mode the runs are a few steps long: the curves show the machinery, not the paper's result."),
    ("code", SETUP),
    ("code", '''import torch

from polyapprox.train.data import load_corpus
from polyapprox.train.lm import lm_config
from polyapprox.train.lm_analysis import polycom_coefficients
from polyapprox.train.lm_train import train_config, train_lm

activations = ("gelu", "polyrelu", "polynorm")
steps = 6 if QUICK else 240
corpus = load_corpus(None, seed=0, max_bytes=200_000 if QUICK else 4_000_000)
runs, models = [], {}
for act in activations:
    cfg = lm_config("tiny", act)
    tcfg = train_config("tiny", steps=steps, batch_size=4 if QUICK else None,
                        eval_interval=max(1, steps // 2) if QUICK else None, eval_batches=1 if QUICK else 8)
    model, res = train_lm(cfg, tcfg, corpus, device=torch.device("cpu"), log=None)
    per_step = tcfg.batch_size * cfg.context
    runs.append({"activation": act, "size": "tiny", "params": res.params, "val_loss": res.val_loss,
                 "train_curve": [[(i + 1) * per_step, v] for i, v in enumerate(res.train_losses)],
                 "val_curve": [[s * per_step, v] for s, v in res.val_losses]})
    models[act] = model
    print(f"{act:9s} params={res.params} val loss={res.val_loss:.4f} nats/byte")'''),
    ("code", '''from polyapprox.train.lm_plots import plot_loss_curves

plot_loss_curves(runs)'''),
    ("md", "## Learned PolyCom coefficients\n\nOne coefficient vector per FFN layer (weight[0] multiplies "
           "the highest power; docs/paper.md §1.5 item 2)."),
    ("code", '''for act in ("polyrelu", "polynorm"):
    print(act, polycom_coefficients(models[act]))'''),
]

FFN = [
    ("md", "# 3. Trained FFN blocks against the construction\n\n"
           "One-hidden-layer FFN blocks (ReLU, GELU, PolyReLU) trained by Adam then L-BFGS on a 1-D target, "
           "their sup error against parameters, beside the untrained Theorem 3 construction "
           "(`proofs/theorem3.md`). Training finds *some* approximation; the construction gives a guaranteed "
           "one with a known rate. Errors are measured with the same code for both (`polyapprox.approx.measure`). "
           "Needs `polyapprox.train.ffn`. In quick mode training is 60 Adam steps without the L-BFGS polish: "
           "the trained errors are then far from converged and say nothing about the activations."),
    ("code", SETUP),
    ("code", '''from polyapprox.train.ffn import TrainConfig
from polyapprox.train.ffn_plot import plot_sweep
from polyapprox.train.ffn_sweep import Sweep, SweepConfig

train = TrainConfig(steps=60, lbfgs_steps=0, eval_every=20, patience=3) if QUICK else TrainConfig()
activations = ("relu", "polyrelu") if QUICK else ("relu", "gelu", "polyrelu", "polynorm")
cfg = SweepConfig(target="sin1", activations=activations,
                  widths=(4,) if QUICK else (4, 8, 16, 32, 64), n_train=256 if QUICK else 1024,
                  n_val=64 if QUICK else 256, train=train, construction_n=3,
                  grids=(4, 8, 16) if QUICK else (4, 8, 16, 32))
payload = Sweep(cfg).run()
for act, series in payload["activations"].items():
    for p in series["points"]:
        print(f"{act:9s} width={p['width']:3d} params={p['params']:4d} sup error={p['sup_error']:.3e}")
for p in payload["construction"]["points"]:
    print(f"construction N={p['N']:3d} params={p['params']:5d} sup error={p['sup_error']:.3e}")'''),
    ("code", "plot_sweep(payload)"),
    ("md", "## Training from the construction\n\nStart from the exact construction (`init=\"construct\"`) "
           "and train: does optimisation keep, improve or lose the guaranteed error?"),
    ("code", '''import dataclasses

ccfg = dataclasses.replace(cfg, init="construct", grids=(4,) if QUICK else (4, 8, 16))
cpayload = Sweep(ccfg).run()
for p in cpayload["construct_trained"]["construct"]["points"]:
    print(f"N={p['width']:3d} before {p['before']['sup_error']:.3e} -> after {p['sup_error']:.3e}")'''),
]

NOTEBOOKS = {
    "01_constructions_and_certificates.ipynb": CONSTRUCTIONS,
    "02_sobolev_rates.ipynb": RATES,
    "03_trained_ffn_vs_construction.ipynb": FFN,
    "04_lm_comparison.ipynb": LM,
}


def build(name: str, spec: list[tuple[str, str]]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.nbformat_minor = 4  # no cell ids (reproducible files)
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                   "language_info": {"name": "python"}}
    nb.cells = _cells(spec)
    return nb


def main() -> None:
    for name, spec in NOTEBOOKS.items():
        nb = build(name, spec)
        nbformat.validate(nb)
        (HERE / name).write_text(nbformat.writes(nb), encoding="utf-8")


if __name__ == "__main__":
    main()
