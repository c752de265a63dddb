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
# # 2. Sobolev rates: PolyReLU versus ReLU
#
# The PUT-PolyReLU construction (docs/constructions.md §2.3; `proofs/theorem3.md`) against Yarotsky's ReLU
# construction with the same skeleton (docs/constructions.md §2.4.3). Sup error against parameters W; the theory
# slope is -n/d. A measured slope concerns one construction on one target; it does not prove optimality
# (docs/constructions.md §4.5).
#
# From the command line: `polyapprox rates --target sin1 --order 2 --grids 4,8,16,32` (`--order` is the Sobolev
# order n, `--grids` the grid sizes N; `--method relu` for the ReLU construction).

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
from polyapprox.approx.sweeps import SweepConfig, run_sweep
from polyapprox.report.plots import rates_figure
from polyapprox.targets.catalogue import get_target

target = get_target("sin1")
order = 2
sizes = {"polyrelu": (4, 8, 16, 32) if QUICK else (4, 8, 16, 32, 64, 128),
         "relu": (4, 8, 16) if QUICK else (4, 8, 16, 32, 64)}
results = [run_sweep(SweepConfig(target, order=order, method=m, sizes=sizes[m])) for m in sizes]
for r in results:
    lo, hi = r.fit.local_range
    print(f"{r.method:9s} slope vs W {r.fit.slope:+.3f}  local {lo:+.3f}..{hi:+.3f} ({r.fit.trend})  "
          f"theory {r.theory_slope:+.3f}")
    for p in r.points:
        print(f"   N={p.N:4d} W={p.params:7d} depth={p.depth:3d} sup error={p.sup_error:.3e}")

# %%
rates_figure([r.to_dict() for r in results])

# %% [markdown]
# ## Parameters at equal error
#
# At the same grid N both constructions have the same Taylor error budget; the ReLU one pays a factor q(N) ~
# (n/2) log2 N in W.

# %%
poly = {p.N: p for p in results[0].points}
for p in results[1].points:
    if p.N in poly:
        print(f"N={p.N:3d}: W_relu / W_polyrelu = {p.params / poly[p.N].params:.2f} (q = {p.q})")

# %% [markdown]
# ## A 2-D target

# %%
sizes2 = (2, 4, 8) if QUICK else (2, 4, 8, 16, 32)
res2 = run_sweep(SweepConfig(get_target("sinsin2"), order=2, sizes=sizes2))
print(f"slope {res2.fit.slope:+.3f}, theory {res2.theory_slope:+.3f}")
rates_figure([res2.to_dict()])
