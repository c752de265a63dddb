"""The `polyapprox` command line: argparse sub-commands mapped to library calls.

Each verb lives in ``polyapprox/cli/<module>.py`` and exposes ``add_parsers(subparsers)``;
every sub-parser sets ``func(args) -> int``. Command modules import heavy libraries (torch, sympy,
matplotlib) inside their functions so that ``polyapprox --help`` stays fast.

Exit codes: 0 ok, 1 refuted / check failed, 2 bad input (one line on stderr, no traceback), 130 interrupted.

Errors (``report_error``): every ``PolyapproxError``, every ``OSError`` (unwritable ``--out``, unreadable
input: the message names the path), ``RecursionError`` and ``MemoryError`` (inputs too deep or too large)
give exit 2 and one line. Any other exception is a bug in polyapprox and keeps its full traceback (exit 1):
a bug should be loud and reportable, and the fuzz suite's "no traceback" check then finds it.

Ctrl-C: ``entry`` installs a handler before anything is imported or parsed that ends the process at once
(one line, 130). When the command starts, ``main`` switches to a handler that raises ``KeyboardInterrupt``
so that locks, staging folders and temp files are cleaned up on the way out; whatever exception the
interrupt causes on its way up (e.g. a half-imported module) is reported as "interrupted", 130.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from polyapprox.errors import ConfigError, PolyapproxError, shorten

#: Command modules, in the order their verbs appear in ``--help``.
COMMAND_MODULES = (
    "polyapprox.cli.construct",  # construct, verify
    "polyapprox.cli.check",  # check
    "polyapprox.cli.rates",  # rates, targets, plot
    "polyapprox.cli.train",  # train ffn, train lm
    "polyapprox.cli.reproduce",  # reproduce
)
#: the longest stderr line an error may take (messages quote inputs through ``shorten`` already)
MAX_LINE = 300
INTERRUPTED = "polyapprox: interrupted\n"


class _Interrupt:
    """SIGINT handlers: ``early`` exits at once (nothing to clean up yet), ``unwind`` raises KeyboardInterrupt."""

    seen = False

    @staticmethod
    def early(signum: int, frame: FrameType | None) -> None:
        os.write(2, INTERRUPTED.encode())
        os._exit(130)

    @classmethod
    def unwind(cls, signum: int, frame: FrameType | None) -> None:
        cls.seen = True
        raise KeyboardInterrupt


def _install(handler: object) -> None:
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, handler)  # type: ignore[arg-type]


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"polyapprox: error: {shorten(message, MAX_LINE)}\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    from polyapprox import __version__

    parser = _Parser(prog="polyapprox", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"polyapprox {__version__}",
                        help="print the version and exit")
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


def error_line(exc: BaseException) -> tuple[int, str] | None:
    """(exit code, one stderr line) for an exception that is the user's input or environment, None for a bug."""
    if _Interrupt.seen or isinstance(exc, KeyboardInterrupt):
        return 130, INTERRUPTED.strip()
    if isinstance(exc, PolyapproxError):
        msg = str(exc)
    elif isinstance(exc, OSError):
        names = [shorten(os.fspath(f)) for f in (exc.filename, exc.filename2) if f is not None]
        msg = f"{' -> '.join(names) or 'I/O'}: {exc.strerror or shorten(exc)}"
    elif isinstance(exc, RecursionError):
        msg = "input nested too deeply (Python's recursion limit); simplify it"
    elif isinstance(exc, MemoryError):
        msg = "out of memory; use a smaller input (see POLYAPPROX_MAX_* limits)"
    else:
        return None
    return 2, f"polyapprox: error: {shorten(msg, MAX_LINE)}"


#: pip extra that provides an optional module a verb declares in ``requires`` (``set_defaults``)
EXTRAS = {"torch": "torch"}


def require(args: argparse.Namespace) -> None:
    """ConfigError (exit 2) naming the extra to install when a module the verb needs is missing."""
    for module in getattr(args, "requires", ()):
        try:
            importlib.import_module(module)
        except ImportError:
            raise ConfigError(f"`{args.verb}` needs {module}, which is not installed: "
                              f"pip install \"polyapprox[{EXTRAS[module]}]\"") from None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (never raises for bad input; a bug keeps its traceback)."""
    try:
        args = build_parser().parse_args(argv)
        require(args)
        if signal.getsignal(signal.SIGINT) is _Interrupt.early:
            _install(_Interrupt.unwind)  # from now on Ctrl-C unwinds through the cleanups
        return int(args.func(args))
    except SystemExit:
        raise
    except BaseException as exc:
        outcome = error_line(exc)
        if outcome is None:
            raise
        sys.stderr.write(outcome[1] + "\n")
        return outcome[0]


def entry() -> None:
    """Console-script entry point (Ctrl-C handled before anything is imported or parsed)."""
    _install(_Interrupt.early)
    try:
        code = main()
    except SystemExit as exc:  # argparse --help / usage errors
        code = exc.code if isinstance(exc.code, int) else 0
    except KeyboardInterrupt:  # a second Ctrl-C while the first one was being reported
        code = 130
    sys.exit(code)


if __name__ == "__main__":
    entry()
