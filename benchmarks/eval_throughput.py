"""Float64 evaluation speed of a large sparse PUT-PolyReLU net, as a ratio to a dense numpy matmul.

Prints one JSON document: the net's size, the nonzero multiply-adds per second of ``FloatNet`` (sparse CSR
layers, units-major state) over P points, the same figure for the closed-form evaluator (effective: the
net's nonzero multiply-adds divided by the closed form's time), and the multiply-adds per second of a dense
float64 ``A @ B`` measured in the same run. Run:

    PYTHONPATH=. python benchmarks/eval_throughput.py [--target exp2 --order 2 --N 16 --points 4096]
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

from polyapprox.backends.floats import FloatNet
from polyapprox.construct.sobolev import ClosedForm, build_sobolev
from polyapprox.core.counting import count_params
from polyapprox.targets.catalogue import get_target


def _best(fn, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--target", default="exp2")
    ap.add_argument("--order", type=int, default=2)
    ap.add_argument("--N", type=int, default=16)
    ap.add_argument("--points", type=int, default=4096)
    ap.add_argument("--dense", type=int, default=1024, help="dense baseline: (k x k) @ (k x points)")
    args = ap.parse_args(argv)
    target = get_target(args.target)
    t0 = time.perf_counter()
    built = build_sobolev(target, args.order, args.N)
    build_s = time.perf_counter() - t0
    pc = count_params(built.net)
    rng = np.random.default_rng(0)
    x = rng.random((args.points, target.dim))
    fnet = FloatNet(built.net)
    fnet(x[:16])
    net_s = _best(lambda: fnet(x))
    oracle = ClosedForm(built.coeffs, target.dim, args.order, args.N)
    oracle_s = _best(lambda: oracle(x))
    macs = pc.weights * args.points
    a = rng.random((args.dense, args.dense))
    b = rng.random((args.dense, args.points))
    dense_s = _best(lambda: a @ b)
    dense_rate = args.dense * args.dense * args.points / dense_s
    net_rate = macs / net_s
    json.dump({
        "target": args.target, "order": args.order, "N": args.N, "points": args.points,
        "params": pc.params, "weights_nnz": pc.weights, "units": pc.units, "depth": pc.depth,
        "build_seconds": round(build_s, 3),
        "floatnet_seconds": net_s, "floatnet_nnz_macs_per_s": net_rate,
        "closed_form_seconds": oracle_s, "closed_form_equivalent_macs_per_s": macs / oracle_s,
        "dense_matmul_macs_per_s": dense_rate,
        "ratio_floatnet_to_dense": net_rate / dense_rate,
        "ratio_closed_form_to_dense": macs / oracle_s / dense_rate,
    }, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
