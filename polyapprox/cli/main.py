"""The `polyapprox` command line: argparse sub-commands mapped to library calls.

Each verb lives in ``polyapprox/cli/<module>.py`` and exposes ``add_parsers(subparsers)``;
every sub-parser sets ``func(args) -> int``. Command modules import heavy libraries (torch, sympy,
matplotlib) inside their functions so that ``polyapprox --help`` stays fast.

Exit codes: 0 ok, 1 refuted / check failed, 2 bad input (one line on stderr, no traceback).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from polyapprox.errors import PolyapproxError

#: Command modules, in the order their verbs appear in ``--help``.
COMMAND_MODULES = (
    "polyapprox.cli.construct",  # construct, verify
    "polyapprox.cli.check",  # check
    "polyapprox.cli.rates",  # rates, targets, plot
    "polyapprox.cli.train",  # train ffn, train lm
    "polyapprox.cli.reproduce",  # reproduce
)


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"polyapprox: error: {message}\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="polyapprox", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="verb", metavar="VERB", parser_class=_Parser)
    sub.required = True
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:  # a verb not built yet in this checkout
            if exc.name != name:
                raise
            continue
        module.add_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (never raises for bad input)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        return int(args.func(args))
    except PolyapproxError as exc:
        msg = " ".join(str(exc).split())
        sys.stderr.write(f"polyapprox: error: {msg}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("polyapprox: interrupted\n")
        return 130


def entry() -> None:
    """Console-script entry point."""
    try:
        code = main()
    except SystemExit as exc:  # argparse --help / usage errors
        code = exc.code if isinstance(exc.code, int) else 0
    sys.exit(code)


if __name__ == "__main__":
    entry()
