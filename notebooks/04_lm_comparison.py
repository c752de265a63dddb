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
# # 4. Language-model comparison (tiny)
#
# A tiny GPT (`polyapprox.train.lm`) with the FFN activation swapped: GELU, PolyReLU, PolyNorm (the paper's §4
# comparison at toy scale, byte-level, on the Python standard library's text). In quick mode the runs are a few
# steps long: the curves show the machinery, not the paper's result.
#
# From the command line: `polyapprox train lm --models tiny --activations gelu,polyrelu,polynorm --steps 6
# --batch-size 4` (`--models` are the LM size presets).

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
import torch

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
    print(f"{act:9s} params={res.params} val loss={res.val_loss:.4f} nats/byte")

# %%
from polyapprox.train.lm_plots import plot_loss_curves

plot_loss_curves(runs)

# %% [markdown]
# ## Learned PolyCom coefficients
#
# One coefficient vector per FFN layer (weight[0] multiplies the highest power; docs/paper.md §1.5 item 2).

# %%
for act in ("polyrelu", "polynorm"):
    print(act, polycom_coefficients(models[act]))
