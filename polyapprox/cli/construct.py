"""`polyapprox construct ...` (exact PolyReLU constructions) and `polyapprox verify` (the proof suite).

Every construct verb builds a ``Net``, proves it equal to its target with ``polyapprox.symbolic.prove_equal``
unless ``--no-prove``, then writes it (``--out``, JSON format v1; only if proved or ``--no-prove``) and
prints its size (``count_params``). Exit codes: 0 ok, 1 refuted (or not proved), 2 bad input.
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
import time
from typing import Any

from polyapprox.cli._io import (
    add_output_flags,
    add_progress,
    add_seeds,
    announce,
    emit,
    end_progress,
    parse_int,
    parse_int_list,
    parse_number,
    progress_writer,
)
from polyapprox.core.limits import check


def _int_at_least(value: str, minimum: int, field: str) -> int:
    """Parsed in the handler (not as an argparse ``type``) so that bad values give the one-line exit 2."""
    return parse_int(value, field, minimum)


def _common(p: argparse.ArgumentParser, prove_default: bool = True) -> None:
    p.add_argument("--out", default=None, help="write the network here (JSON format v1)")
    add_output_flags(p)
    p.add_argument("--no-prove", dest="prove", action="store_false", default=prove_default,
                   help="skip the symbolic proof that the network equals its target")


def add_parsers(subparsers: Any) -> None:
    construct = subparsers.add_parser("construct", help="build exact PolyReLU networks (Lemma 1, Theorem 1)")
    verbs = construct.add_subparsers(dest="what", metavar="WHAT")
    verbs.required = True

    p = verbs.add_parser("polynomial", help="a polynomial with rational coefficients, depth 1, exact on R^d")
    p.add_argument("expr", help="e.g. '3*x**2*y - y**3 + 1/2'")
    p.add_argument("--vars", default=None, help="input variables in order, e.g. x,y (default: x)")
    _common(p)
    p.set_defaults(func=_polynomial)

    p = verbs.add_parser("monomial", help="x^alpha by centred finite differences, depth 1, exact on R^d")
    p.add_argument("exponents", help="alpha, e.g. 2,1,1 for x^2 y z")
    _common(p)
    p.set_defaults(func=_monomial)

    p = verbs.add_parser("relu", help="ReLU as one PolyReLU unit with a = (0, 1)")
    _common(p)
    p.set_defaults(func=lambda a: _block(a, "relu"))

    p = verbs.add_parser("power", help="x^K = R_K(x) + (-1)^K R_K(-x) (2 units)")
    p.add_argument("k", metavar="K", help="the power K >= 1")
    _common(p)
    p.set_defaults(func=lambda a: _block(a, "power"))

    p = verbs.add_parser("product", help="xy by polarization (4 ReLU^2 units)")
    _common(p)
    p.set_defaults(func=lambda a: _block(a, "product"))

    p = verbs.add_parser("relu-net", help="Theorem 1: a ReLU net as a PolyReLU net of the same depth and width")
    p.add_argument("--widths", default="3,3", help="hidden widths of the random ReLU net (default 3,3)")
    p.add_argument("--dim", default="2", help="input dimension (default 2)")
    add_seeds(p, "0", "seed of the random ReLU net", one=True)
    p.add_argument("--from", dest="source", default=None, help="a JSON net with ReLU/identity units instead")
    _common(p)
    p.set_defaults(func=_relu_net)

    p = verbs.add_parser("shared", help="shared-coefficient form: every hidden unit uses one PolyReLU sigma")
    p.add_argument("file", help="a JSON net (per-unit PolyReLU and identity units)")
    p.add_argument("--sigma", default="0,1/3,1/3,1/3", help="coefficients a_0..a_r of sigma (default: paper init)")
    _common(p)
    p.set_defaults(func=_shared)

    v = subparsers.add_parser("verify", help="prove the named checks (Lemma 1, Theorem 1, ...) symbolically")
    v.add_argument("--only", default=None, metavar="PREFIX", help="only checks whose id starts with PREFIX")
    v.add_argument("--list", action="store_true", help="list the check ids and statements, prove nothing")
    add_output_flags(v)
    add_progress(v)
    v.set_defaults(func=_verify)


# ---------------------------------------------------------------- construct


def _finish(args: argparse.Namespace, name: str, net: Any, target: Any, symbols: Any,
            extra: dict[str, Any] | None = None) -> int:
    """Prove (unless ``--no-prove``), then write ``--out`` (only a proved or unproved-by-request net), print.

    ``--out`` is locked for the proof and the write (``core.outdir.locked``); an existing non-regular file
    (folder, device, FIFO, symlink) is refused before any work.
    """
    if not args.out:
        return _prove_and_write(args, name, net, target, symbols, extra)
    from polyapprox.core.outdir import locked

    with locked(args.out, folder=False):
        return _prove_and_write(args, name, net, target, symbols, extra)


def _prove_and_write(args: argparse.Namespace, name: str, net: Any, target: Any, symbols: Any,
                     extra: dict[str, Any] | None) -> int:
    from polyapprox.core.counting import count_params
    from polyapprox.core.netjson import save

    payload: dict[str, Any] = {"construction": name, "in_dim": net.in_dim, "out_dim": net.out_dim}
    payload.update(count_params(net).to_dict())
    payload.update(extra or {})
    code = 0
    if args.prove and target is not None:
        from polyapprox.symbolic import prove_equal

        cert = prove_equal(net, target, symbols=symbols)
        payload["certificate"] = cert.to_dict()
        code = 0 if cert.status == "proved" else 1
    written = bool(args.out) and code == 0
    if written:
        save(net, args.out)
    payload["out"] = args.out if written else None
    lines = [f"{name}: params {payload['params']} (weights {payload['weights']}, biases {payload['biases']}), "
             f"units {payload['units']}, depth {payload['depth']}, width {payload['width']}"]
    if "certificate" in payload:
        c = payload["certificate"]
        lines.append(f"equal to {target}: {c['status']} ({c['method']})")
    if args.out and not written:
        lines.append(f"not written to {args.out}: not proved")
    emit(payload, args.json, "\n".join(lines))
    announce([args.out] if written else [])
    return code


def _polynomial(args: argparse.Namespace) -> int:
    from polyapprox.construct.polynomials import polynomial_net, polynomial_net_size
    from polyapprox.symbolic.expressions import as_polynomial, parse_expression, parse_variables

    syms = parse_variables(args.vars or "x")
    expr = parse_expression(args.expr, syms)
    poly = as_polynomial(expr, syms)
    net = polynomial_net(expr, syms)
    degree = int(poly.total_degree())
    extra = {"expression": str(expr), "vars": [s.name for s in syms], "degree": degree,
             "size_bound": polynomial_net_size(degree, len(syms)) if degree >= 1 else None}
    return _finish(args, "polynomial", net, expr, syms, extra)


def _monomial(args: argparse.Namespace) -> int:
    import sympy

    from polyapprox.backends.sympy_expr import default_symbols
    from polyapprox.construct.polynomials import monomial_net

    alpha = _exponents(args.exponents)
    syms = default_symbols(len(alpha))
    target = sympy.Mul(*[s ** a for s, a in zip(syms, alpha, strict=True)])
    return _finish(args, "monomial", monomial_net(alpha), target, syms, {"exponents": alpha, "vars": [
        s.name for s in syms]})


def _exponents(text: str) -> list[int]:
    """alpha of `construct monomial`, within the limits: dim (variables), power (|alpha|, the ReLU power) and
    nonzeros (prod(alpha_i + 1) bounds the number of finite-difference directions) -- before building."""
    check("dim", text.count(",") + 1, "exponents: number of variables")
    alpha = parse_int_list(text, "exponents", minimum=0)
    check("power", sum(alpha), "exponents: total degree |alpha|")
    check("nonzeros", math.prod(a + 1 for a in alpha), "exponents: finite-difference directions prod(alpha_i + 1)")
    return alpha


def _block(args: argparse.Namespace, what: str) -> int:
    import sympy

    from polyapprox.construct import blocks

    x, y = sympy.symbols("x y", real=True)
    if what == "relu":
        return _finish(args, "relu", blocks.relu_block(1), sympy.Max(x, 0), (x,))
    if what == "power":
        k = check("power", _int_at_least(args.k, 1, "K"), "K")
        return _finish(args, f"power {k}", blocks.power_block(k), x ** k, (x,), {"k": k})
    return _finish(args, "product", blocks.product_block(), x * y, (x, y))


def _relu_net(args: argparse.Namespace) -> int:
    import numpy as np

    from polyapprox.backends.sympy_expr import default_symbols, to_sympy
    from polyapprox.construct.relu_nets import random_relu_net, relu_to_polyrelu
    from polyapprox.core.counting import count_params

    if args.source:
        from polyapprox.core.netjson import load

        original = load(args.source)
    else:
        widths, dim = _relu_net_sizes(args.widths, args.dim)
        original = random_relu_net(np.random.default_rng(args.seeds[0]), dim, widths)
    net = relu_to_polyrelu(original)
    before = count_params(original)
    after = count_params(net)
    extra = {"structurally_equal": net == original,
             "same_depth_width": (before.depth, before.width) == (after.depth, after.width),
             "original": {"params": before.params, "depth": before.depth, "width": before.width}}
    syms = default_symbols(net.in_dim)
    target = to_sympy(original, syms)[0] if args.prove and original.out_dim == 1 else None
    if not extra["same_depth_width"]:  # pragma: no cover - relu_to_polyrelu keeps every layer
        sys.stderr.write("polyapprox: depth or width changed\n")
    return _finish(args, "relu-net (Theorem 1)", net, target, syms, extra)


def _relu_net_sizes(widths_text: str, dim_text: str) -> tuple[list[int], int]:
    """(--widths, --dim) of `construct relu-net`, checked against the limits layers, dim and nonzeros (the
    random net is dense) before anything is built."""
    check("layers", widths_text.count(",") + 2, "widths: number of layers")
    widths = [check("dim", w, "widths: width") for w in parse_int_list(widths_text, "widths")]
    dim = check("dim", _int_at_least(dim_text, 1, "dim"), "dim")
    sizes = [dim, *widths, 1]
    check("nonzeros", sum(a * b for a, b in itertools.pairwise(sizes)), "widths: weights of the random ReLU net")
    return widths, dim


def _sigma(text: str) -> Any:
    """--sigma 'a_0,...,a_r' as a PolyReLU: order within the limit power, exact coefficients with bounded digits."""
    from polyapprox.core.net import PolyReLU

    check("degree", text.count(","), "sigma: order r")
    return PolyReLU(tuple(parse_number(c, f"sigma[{i}]") for i, c in enumerate(text.split(","))))


def _shared(args: argparse.Namespace) -> int:
    from polyapprox.backends.sympy_expr import default_symbols, to_sympy
    from polyapprox.construct.shared import shared_form
    from polyapprox.core.netjson import load

    sigma = _sigma(args.sigma)
    original = load(args.file)
    net = shared_form(original, sigma)
    syms = default_symbols(net.in_dim)
    target = to_sympy(original, syms)[0] if args.prove and original.out_dim == 1 else None
    extra = {"sigma": [str(c) for c in sigma.coeffs]}
    return _finish(args, "shared", net, target, syms, extra)


# ---------------------------------------------------------------- verify


def _verify(args: argparse.Namespace) -> int:
    from polyapprox.verify.registry import run_checks, select

    if args.list:
        checks = select(prefix=args.only)
        emit({"checks": [{"id": c.id, "statement": c.statement} for c in checks]}, args.json,
             "\n".join(f"{c.id:40s} {c.statement}" for c in checks))
        return 0

    write = progress_writer(args)

    def progress(r: Any) -> None:
        if write is not None:
            write(f"{r.status:8s} {r.seconds:7.2f}s  {r.id}")

    t0 = time.perf_counter()
    results = run_checks(prefix=args.only, progress=progress)
    end_progress(args)
    seconds = time.perf_counter() - t0
    proved = sum(r.proved for r in results)
    payload = {"checks": [{k: v for k, v in r.to_dict().items() if k != "detail" or v} for r in results],
               "proved": proved, "failed": len(results) - proved, "seconds": round(seconds, 3)}
    width = max(len(r.id) for r in results)
    rows = [f"{'id':{width}s}  {'status':8s}  {'method':14s}  {'seconds':>7s}  statement"]
    rows += [f"{r.id:{width}s}  {r.status:8s}  {r.method:14s}  {r.seconds:7.2f}  {r.statement}" for r in results]
    rows.append(f"{proved}/{len(results)} proved in {seconds:.1f} s")
    emit(payload, args.json, "\n".join(rows))
    return 0 if proved == len(results) else 1
