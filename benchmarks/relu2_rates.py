"""ReLU^2 B-spline baseline (construct/relu2_spline.py): error and size against N for sin(2 pi x), d = 1.

For n = 1..4 and N = 8..N_max: params (count_params), the sampled sup error on a grid of 64 points per
half-cell (a lower estimate of the sup), e * N^n, e / B(N) with B(N) = (3/(2N))^n S_n(f), and the least-squares
slope of log e against log params over the last three N (theory: -n for d = 1, no log factor).

    PYTHONPATH=$PWD python benchmarks/relu2_rates.py [--n-max-grid 128] > out.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

from polyapprox.backends.floats import evaluate_float
from polyapprox.construct.relu2_spline import relu2_a_priori_bound, relu2_sobolev_net
from polyapprox.counting import count_params
from polyapprox.targets import get_target


def run(n_max_grid: int, orders: tuple[int, ...] = (1, 2, 3, 4)) -> dict[str, object]:
    target = get_target("sin1")
    grids = [N for N in (8, 16, 32, 64, 128, 256) if N <= n_max_grid]
    out: dict[str, object] = {"target": "sin1 = sin(2 pi x)", "orders": {}}
    for n in orders:
        rows = []
        s_n = target.norm_bound(n)[0]
        for N in grids:
            t0 = time.perf_counter()
            net = relu2_sobolev_net(target, n, N)
            x = np.linspace(0.0, 1.0, 2 * N * 64 + 1)[:, None]
            err = float(np.max(np.abs(evaluate_float(net, x)[:, 0] - target.f(x))))
            c = count_params(net)
            rows.append({"N": N, "params": c.params, "units": c.units, "depth": c.depth, "sup_sampled": err,
                         "e_N^n": err * N ** n, "e_over_bound": err / relu2_a_priori_bound(s_n, n, N),
                         "seconds": round(time.perf_counter() - t0, 2)})
            print(f"n={n} N={N}: {rows[-1]}", file=sys.stderr)
        tail = rows[-3:]
        slope = (float(np.polyfit(np.log([r["params"] for r in tail]), np.log([r["sup_sampled"] for r in tail]),
                                  1)[0]) if len(tail) >= 2 else None)
        out["orders"][n] = {"rows": rows, "slope_log_e_vs_log_params_last3": slope}  # type: ignore[index]
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-max-grid", type=int, default=128, help="largest N (default 128)")
    args = ap.parse_args()
    print(json.dumps(run(args.n_max_grid), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
