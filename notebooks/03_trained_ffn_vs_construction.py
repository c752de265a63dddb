# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 3. Trained FFN blocks against the construction
#
# One-hidden-layer FFN blocks (ReLU, GELU, PolyReLU) trained by Adam then L-BFGS on a 1-D target, their sup
# error against parameters, beside the untrained Theorem 3 construction (`proofs/theorem3.md`). Training finds
# *some* approximation; the construction gives a guaranteed one with a known rate. Errors are measured with the
# same code for both (`polyapprox.approx.measure`). Needs `polyapprox.train.ffn`. In quick mode training is 60
# Adam steps without the L-BFGS polish: the trained errors are then far from converged and say nothing about the
# activations.
#
# From the command line (quick-mode sizes): `polyapprox train ffn --target sin1 --activations relu,polyrelu
# --widths 4 --poly-order 3 --order 3 --grids 4,8,16 --method adam --steps 60 --lbfgs-steps 0` (`--poly-order`
# is the PolyReLU order r, `--order` the Sobolev order n of the construction).

# %%
import sys
from pathlib import Path

QUICK = True  # quick mode: tiny sizes, runs in well under a minute on 2 CPU cores
# %matplotlib inline

ROOT = Path.cwd().resolve()
while not (ROOT / "polyapprox").is_dir() and ROOT != ROOT.parent:
    ROOT = ROOT.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# %%
from polyapprox.train.ffn import TrainConfig
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
    print(f"construction N={p['N']:3d} params={p['params']:5d} sup error={p['sup_error']:.3e}")

# %%
plot_sweep(payload)

# %% [markdown]
# ## Training from the construction
#
# Start from the exact construction (`init="construct"`) and train: does optimisation keep, improve or lose the
# guaranteed error?

# %%
import dataclasses

ccfg = dataclasses.replace(cfg, init="construct", grids=(4,) if QUICK else (4, 8, 16))
cpayload = Sweep(ccfg).run()
for p in cpayload["construct_trained"]["construct"]["points"]:
    print(f"N={p['width']:3d} before {p['before']['sup_error']:.3e} -> after {p['sup_error']:.3e}")
