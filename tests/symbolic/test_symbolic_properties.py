"""Cross-checks of prove_equal on random exact nets (mixed ReLU / PolyReLU / identity units):

- a net against its own Max form: proved, by the region-wise method alone as well;
- a net against another random net: refuted with a counterexample that exact evaluation confirms, or, if
  ever "proved", the two nets agree at random rational points (a soundness check, not a proof).
"""

from __future__ import annotations

import pytest
import sympy

from polyapprox.backends.exact import evaluate_exact
from polyapprox.backends.sympy_expr import to_sympy
from polyapprox.symbolic import prove_equal
from polyapprox.verify.mutation import verify_counterexample
from polyapprox.verify.testing import random_net, random_points

pytestmark = pytest.mark.timeout(240)

X, Y = sympy.symbols("x y", real=True)
SETTINGS = [
    ("1d_interval", (X,), [(-2, 2)]),
    ("1d_line", (X,), None),
    ("2d_box", (X, Y), [(-1, 1), (-1, 1)]),
]
TRIALS = 3


@pytest.mark.parametrize(("syms", "domain"), [s[1:] for s in SETTINGS], ids=[s[0] for s in SETTINGS])
def test_random_nets_against_max_forms(rng, syms, domain):
    d = len(syms)
    for _ in range(TRIALS):
        a = random_net(rng, in_dim=d, widths=(3, 2), activations="mixed", max_order=2, density=0.8)
        b = random_net(rng, in_dim=d, widths=(3, 2), activations="mixed", max_order=2, density=0.8)
        own = to_sympy(a, syms, relu="max")[0]
        assert prove_equal(a, own, syms, domain=domain).status == "proved"
        assert prove_equal(a, own, syms, domain=domain, method="regionwise").status == "proved"
        other = to_sympy(b, syms, relu="max")[0]
        cert = prove_equal(a, other, syms, domain=domain)
        assert cert.status in ("proved", "refuted"), cert
        if cert.status == "refuted":
            assert verify_counterexample(a, other, syms, cert)
        else:
            for p in random_points(rng, 20, d, -1, 1):
                assert evaluate_exact(a, p) == evaluate_exact(b, p)
