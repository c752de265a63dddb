"""Lemma 2 sizes: ReLU nets approximating one PolyReLU unit on [-1, 1], size vs ln(1/eps).

For each target a = (a_0..a_r) and eps = 2^-2 .. 2^-E: the net of ``relu_approx_polyrelu(a, eps)``, its
size (count_params: params = nonzero weights + biases, units, depth), exact piece count on [-1, 1], the exact
sup error (an enclosure [lower, upper]; equal when exact) and the rigorous bound. Then least-squares fits
size = a + b ln(1/eps) (the [note], O(ln 1/eps) for fixed r) and size = a + b ln^2(1/eps) (the paper).

    PYTHONPATH=$PWD python benchmarks/lemma2_sizes.py [--max-exp 20] [--exact-max-exp 20] > out.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from fractions import Fraction

from polyapprox.approx.pieces import propagate, sup_error
from polyapprox.construct.lemma2 import fit_log_size, levels_for, polyrelu_target, relu_approx_polyrelu
from polyapprox.core.counting import count_params

TARGETS = {
    "relu2": ("0", "0", "1"),
    "cubic": ("1/4", "1/2", "-1/2", "3/4"),
    "quartic": ("0", "1/3", "1/3", "-1/3", "1/2"),
}


def run(max_exp: int, exact_max_exp: int) -> dict[str, object]:
    out: dict[str, object] = {"convention": "params = nonzero weights + nonzero biases (count_params)",
                              "targets": {}}
    for name, coeffs_s in TARGETS.items():
        coeffs = tuple(Fraction(c) for c in coeffs_s)
        rows = []
        for e in range(2, max_exp + 1):
            eps = Fraction(1, 2 ** e)
            t0 = time.perf_counter()
            net, bound = relu_approx_polyrelu(coeffs, eps)
            c = count_params(net)
            row: dict[str, object] = {"eps": float(eps), "ln_inv_eps": e * 0.6931471805599453,
                                      "q": levels_for(coeffs, eps), "size": c.params, "units": c.units,
                                      "depth": c.depth, "bound": float(bound)}
            if e <= exact_max_exp:
                g = propagate(net, -1, 1)[0]
                err = sup_error(g, polyrelu_target(coeffs))
                row.update(pieces=g.n_pieces, sup_lower=float(err.lower), sup_upper=float(err.upper),
                           sup_exact=err.exact, sup_over_bound=float(err.upper / bound) if bound else None)
            row["seconds"] = round(time.perf_counter() - t0, 3)
            print(f"{name} eps=2^-{e}: {row}", file=sys.stderr)
            rows.append(row)
        eps_l = [r["eps"] for r in rows]
        sizes = [r["size"] for r in rows]
        out["targets"][name] = {  # type: ignore[index]
            "coeffs": list(coeffs_s),
            "rows": rows,
            "size_vs_q": _affine_in_q(rows),
            "fit_ln": fit_log_size(eps_l, sizes, 1).to_dict(),
            "fit_ln2": fit_log_size(eps_l, sizes, 2).to_dict(),
        }
    return out


def _affine_in_q(rows: list[dict[str, object]]) -> dict[str, object]:
    """size = c0 + c1 q exactly? (c0, c1) from the two largest distinct q, checked on every row with q >= 2."""
    by_q = {int(r["q"]): int(r["size"]) for r in rows}  # type: ignore[call-overload]
    qs = sorted(q for q in by_q if q >= 2)
    if len(qs) < 2:
        return {"c0": None, "c1": None, "exact": None}
    q1, q2 = qs[-2], qs[-1]
    c1 = Fraction(by_q[q2] - by_q[q1], q2 - q1)
    c0 = by_q[q2] - c1 * q2
    return {"c0": str(c0), "c1": str(c1), "exact": all(by_q[q] == c0 + c1 * q for q in qs)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-exp", type=int, default=20, help="largest e in eps = 2^-e (default 20)")
    ap.add_argument("--exact-max-exp", type=int, default=20, help="exact sup error up to this e (default 20)")
    args = ap.parse_args()
    print(json.dumps(run(args.max_exp, args.exact_max_exp), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
