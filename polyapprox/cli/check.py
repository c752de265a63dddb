"""`polyapprox check FILE --equals EXPR`: prove or refute that a saved network equals a formula, exactly.

Runs ``polyapprox.symbolic.prove_equal`` (algebraic, then region-wise; docs/conventions.md §4).
Exit codes: 0 proved; 1 refuted, unknown (undecided, region cap, timeout) or anything short of a proof;
2 bad input (one line on stderr).

`polyapprox check FILE --bound EXPR [--domain BOX] [--ratio R] [--timeout S]` prints a certified enclosure
[lower, upper] of sup over the box (default [0,1]^d) of |net - EXPR| (``approx.enclosure.enclose_net``, arb
ball arithmetic); exit 0 with the enclosure (``converged`` says whether upper/lower <= R was reached), 2 on
bad input.
"""

from __future__ import annotations

import argparse
import re
import time
from dataclasses import replace
from fractions import Fraction
from typing import Any

from polyapprox.cli._io import add_output_flags, emit, parse_number
from polyapprox.core.rational import format_rational
from polyapprox.errors import ConfigError, ExpressionError

EPILOG = """\
exit status: 0 proved; 1 refuted or not proved (status unknown: undecided cells, --max-regions or
--timeout reached); 2 bad input.

--domain: one closed interval per variable, 'lo,hi' separated by ';' in --vars order, e.g. '0,1;-1/2,1/2'.
A single 'lo,hi' applies to every variable; write --domain=-1,1 when it starts with '-'. Bounds are exact
rationals (3, -1/2, 0.25). Without --domain the identity is checked on all of R^d.

JSON output (--json): status (proved/refuted/unknown), method (algebraic/regionwise-1d/regionwise-box),
seconds, regions, counterexample ({var: "p/q"} or null), net_value, expr_value, output, detail.
"""


def add_parsers(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "check", help="prove or refute that a network file equals an expression (exact)",
        description=__doc__.splitlines()[0], epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", metavar="FILE", help="network JSON (format v1)")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--equals", action="append", metavar="EXPR",
                      help="target expression, e.g. 'max(x, 0)' or 'x*y'; repeat once per output")
    what.add_argument("--bound", metavar="EXPR",
                      help="enclose sup |net - EXPR| over --domain (default [0,1]^d) in ball arithmetic")
    p.add_argument("--ratio", default="1.05", help="--bound: refine until upper/lower <= RATIO (default 1.05)")
    p.add_argument("--vars", default=None,
                   help="variables in input order, e.g. x,y (default: x / x,y / x,y,z / x1..xd)")
    p.add_argument("--domain", default=None, help="box 'lo,hi;lo,hi' (see below; default: all of R^d)")
    p.add_argument("--max-regions", default="4096", help="cap on region-wise cells (default 4096)")
    p.add_argument("--timeout", default=None,
                   help="seconds for the whole proof (it runs in a worker process stopped at the deadline)")
    p.add_argument("--method", default="auto", choices=("auto", "algebraic", "regionwise"),
                   help="proof method: auto tries algebraic, then region-wise")
    add_output_flags(p)
    p.set_defaults(func=_check)


def parse_domain(text: str, d: int) -> list[tuple[Fraction, Fraction]]:
    """'lo,hi;lo,hi' (or one 'lo,hi' for every variable) -> [(lo, hi), ...], lo < hi, exact rationals."""
    parts = text.split(";")
    if len(parts) == 1 and d > 1:
        parts = parts * d
    if len(parts) != d:
        raise ConfigError(f"domain: {len(parts)} intervals for {d} variables in {text!r}")
    box = []
    for i, part in enumerate(parts):
        ends = part.split(",")
        if len(ends) != 2:
            raise ConfigError(f"domain: interval {i + 1} {part.strip()!r} is not 'lo,hi'")
        lo, hi = (parse_number(e, f"domain interval {i + 1}") for e in ends)
        if not lo < hi:
            raise ConfigError(f"domain: interval {i + 1} needs lo < hi, got {format_rational(lo)}, "
                              f"{format_rational(hi)}")
        box.append((lo, hi))
    return box


def _positive(value: str | None, field: str, kind: type) -> Any:
    if value is None:
        return None
    try:
        v = kind(value)
    except ValueError:
        raise ConfigError(f"{field}: not a number: {value!r}") from None
    if not v > 0:
        raise ConfigError(f"{field}: {value} must be > 0")
    return v


def _check(args: argparse.Namespace) -> int:
    start = time.perf_counter()  # --timeout covers the imports, loading, parsing and the proof
    from polyapprox.backends.sympy_expr import default_symbols
    from polyapprox.core import netjson
    from polyapprox.symbolic import prove_equal
    from polyapprox.symbolic.expressions import parse_expression, parse_variables
    from polyapprox.symbolic.worker import prove_in_worker

    max_regions = _positive(args.max_regions, "max-regions", int)
    timeout = _positive(args.timeout, "timeout", float)
    net = netjson.load(args.file)
    syms = parse_variables(args.vars) if args.vars is not None else default_symbols(net.in_dim)
    if len(syms) != net.in_dim:
        raise ExpressionError(f"vars: {len(syms)} variables ({', '.join(s.name for s in syms)}), "
                              f"the network takes {net.in_dim} inputs")
    if args.bound is not None:
        return _bound(args, net, syms, timeout)
    if len(args.equals) != net.out_dim:
        raise ExpressionError(f"equals: {len(args.equals)} expressions, the network has {net.out_dim} outputs")
    exprs = [parse_expression(e, syms) for e in args.equals]
    domain = parse_domain(args.domain, net.in_dim) if args.domain is not None else None
    target = exprs if len(exprs) > 1 else exprs[0]
    options = {"symbols": syms, "domain": domain, "max_regions": max_regions, "method": args.method}
    if timeout is None:
        cert = prove_equal(net, target, **options)
    else:
        cert = prove_in_worker(net, target, timeout - (time.perf_counter() - start), **options)
        # the worker got what was left of T: report T itself
        cert = replace(cert, detail=re.sub(r"^timeout after \S+ s", f"timeout after {timeout:g} s", cert.detail))
    payload = {"file": str(args.file), "equals": args.equals, "vars": [s.name for s in syms],
               "domain": None if domain is None else [[format_rational(lo), format_rational(hi)] for lo, hi in domain],
               **cert.to_dict()}
    emit(payload, args.json, _text(cert))
    return 0 if cert.status == "proved" else 1


def _bound(args: argparse.Namespace, net: Any, syms: Any, timeout: float | None) -> int:
    """``--bound``: print the certified enclosure of sup |net - EXPR| over the domain."""
    from polyapprox.approx.arbexpr import arb_function
    from polyapprox.approx.enclosure import enclose_net
    from polyapprox.symbolic.expressions import parse_expression

    ratio = _positive(args.ratio, "ratio", float)
    if not ratio > 1:
        raise ConfigError(f"ratio: {args.ratio} must be > 1")
    if net.out_dim != 1:
        raise ExpressionError(f"bound: the network has {net.out_dim} outputs, --bound needs one")
    f = arb_function(parse_expression(args.bound, syms), syms)
    unit = [(Fraction(0), Fraction(1))] * net.in_dim
    domain = parse_domain(args.domain, net.in_dim) if args.domain is not None else unit
    enc = enclose_net(net, f, domain, ratio=ratio, max_seconds=timeout if timeout is not None else 60.0)
    payload = {"file": str(args.file), "bound": args.bound, "vars": [s.name for s in syms],
               "domain": [[str(lo), str(hi)] for lo, hi in domain], **enc.to_dict()}
    emit(payload, args.json, f"sup |net - ({args.bound})| in [{enc.lower:.6e}, {enc.upper:.6e}] "
                             f"(ratio {enc.ratio:.4g}, {'converged' if enc.converged else 'budget reached'}, "
                             f"{enc.evaluations} evaluations, {enc.seconds:.2f} s)")
    return 0


def _text(cert: Any) -> str:
    head = f"{cert.status} ({cert.method}, {cert.seconds:.3f} s"
    head += f", {cert.regions} regions)" if cert.regions else ")"
    if cert.counterexample is not None:
        at = ", ".join(f"{k} = {_show(v)}" for k, v in cert.counterexample.items())
        head += f"\n  at {at}: net = {_show(cert.net_value)}, expr = {_show(cert.expr_value)}"
    return head + (f"\n  {cert.detail}" if cert.detail else "")


def _show(v: Any) -> str:
    """A rational abbreviated when huge (``format_rational``); sympy text as is."""
    return format_rational(v) if isinstance(v, (Fraction, int)) else str(v)
