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
# # 1. Exact constructions and certificates
#
# PolyReLU networks that compute ReLU, powers, products and polynomials *exactly* (Lemma 1), their sizes, and
# the certificates that prove them (`polyapprox verify`). Proofs: `proofs/lemma1.md`, `proofs/theorem1.md`,
# `proofs/shared_coefficients.md`, `proofs/lemma2.md`.
#
# From the command line: `polyapprox verify --only lemma1` proves this family (`polyapprox verify` proves all).

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

# %% [markdown]
# ## Lemma 1 blocks
#
# Each block is a `Net` with exact rational weights; `prove_equal` proves the identity symbolically on all of
# R^d (status `proved`), not by sampling.

# %%
from fractions import Fraction

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
    print(f"{name:28s} {cert.status:8s} units={c.units} params={c.params} depth={c.depth}")

# %% [markdown]
# ## A polynomial in three variables, depth 1
#
# Sums of powers of linear forms (docs/constructions.md §1.5).

# %%
from polyapprox.construct.polynomials import polynomial_net

p = "3*x**2*y - y**3 + x*y*z - 2*y*z**2 + 5*x - 7"
net = polynomial_net(p, "x,y,z")
X, Y, Z = sympy.symbols("x y z", real=True)
cert = prove_equal(net, sympy.sympify(p, locals={"x": X, "y": Y, "z": Z}), symbols=(X, Y, Z))
print(cert.status, count_params(net).to_dict())

# %% [markdown]
# ## Shared coefficients (one sigma per layer)
#
# With the paper's initialisation sigma = (R + R^2 + R^3)/3, each R^k is a fixed combination of sigma(x),
# sigma(2x), sigma(3x).

# %%
from polyapprox.construct.shared import PAPER_SIGMA, vandermonde_weights

for k in (1, 2, 3):
    weights = vandermonde_weights(PAPER_SIGMA, k)
    print(f"R^{k} =", " + ".join(f"({w}) sigma({j + 1}x)" for j, w in enumerate(weights)))

# %% [markdown]
# ## Lemma 2: a ReLU network for one PolyReLU unit
#
# The exact sup error over [-1, 1] (exact breakpoint propagation) stays below the rigorous bound and below eps;
# the size grows linearly in ln(1/eps) (the paper states ln^2).

# %%
from polyapprox.approx.pieces import propagate, sup_error
from polyapprox.construct.lemma2 import polyrelu_target, relu_approx_polyrelu

coeffs = (Fraction(1, 4), Fraction(1, 2), Fraction(-1, 2), Fraction(3, 4))
exps = range(2, 7) if QUICK else range(2, 13)
for e in exps:
    eps = Fraction(1, 2**e)
    net, bound = relu_approx_polyrelu(coeffs, eps)
    err = sup_error(propagate(net, -1, 1)[0], polyrelu_target(coeffs))
    print(f"eps=2^-{e:<2d} params={count_params(net).params:5d} sup error={float(err.upper):.3e} "
          f"bound={float(bound):.3e}")

# %% [markdown]
# ## The registry of checks
#
# Every check the proofs cite; `status` must be `proved`.

# %%
from polyapprox.verify.registry import run_checks

prefixes = ("lemma1", "thm1", "shared_coefficients", "polynorm") if QUICK else ("",)
for prefix in prefixes:
    for r in run_checks(prefix=prefix or None):
        print(f"{r.id:40s} {r.status:8s} {r.seconds:6.2f}s")
