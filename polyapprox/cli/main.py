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

from polyapprox.cli._io import output_of, require_module
from polyapprox.errors import PolyapproxError, shorten

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


DESCRIPTION = """\
Exact PolyReLU networks with rational weights and their certificates, approximation-rate sweeps of
the PolyCom paper's constructions, and training of PolyCom activations (PolyReLU, PolyNorm) against
ReLU, ReLU^2, GELU and SwiGLU. Run `polyapprox VERB --help` for a verb's flags and an example.

exit status: 0 ok; 1 refuted or a check failed; 2 bad input (one line on stderr); 130 interrupted."""

#: One example per verb (``polyapprox VERB --help`` shows it under "example").
EXAMPLES = {
    "construct polynomial": 'polyapprox construct polynomial "x**2*y - 3*x + 1/2" --vars x,y --out p.json',
    "construct monomial": "polyapprox construct monomial 2,1 --out m.json",
    "construct relu": "polyapprox construct relu --json",
    "construct power": "polyapprox construct power 5",
    "construct product": "polyapprox construct product --out xy.json",
    "construct relu-net": "polyapprox construct relu-net --widths 4,4 --dim 2 --seed 1",
    "construct shared": "polyapprox construct shared p.json --sigma 0,1/3,1/3,1/3",
    "verify": "polyapprox verify --only lemma1",
    "check": 'polyapprox check p.json --equals "x**2*y - 3*x + 1/2" --vars x,y --domain 0,1',
    "rates": "polyapprox rates --target sin1 --order 2 --out rates-sin1",
    "targets": "polyapprox targets --dim 2",
    "plot rates": "polyapprox plot rates rates-sin1 --out rates.png",
    "train lm": "polyapprox train lm --activations swiglu,polynorm --models tiny --steps 200 --out lm",
    "train ffn": "polyapprox train ffn --target sin1 --activations relu,polyrelu --widths 8,16 --out ffn",
    "reproduce": "polyapprox reproduce --quick --out polyapprox-report",
}


class _Formatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """Descriptions and epilogs as written; a flag's help ends with its default, unless the help already
    names it, the flag is an on/off switch (store_true/store_false: "(default: True)" on ``--no-prove``
    would read as the opposite) or it has no default (None)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if ("default" in text.lower() or action.default in (None, argparse.SUPPRESS)
                or isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction))):
            return text
        return super()._get_help_string(action)


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error and exit code 2, and the help formatter above."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        if kwargs.get("formatter_class") in (None, argparse.HelpFormatter, argparse.RawDescriptionHelpFormatter):
            kwargs["formatter_class"] = _Formatter
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"polyapprox: error: {shorten(message, MAX_LINE)}\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    from polyapprox import __version__

    parser = _Parser(prog="polyapprox", description=DESCRIPTION)
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
    _document(parser)
    return parser


def _document(parser: argparse.ArgumentParser, path: str = "") -> None:
    """Give every sub-parser a description (its one-line help, when it has none) and its example."""
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        helps = {a.dest: a.help for a in action._choices_actions}
        for name, sub in action.choices.items():
            verb = f"{path} {name}".strip()
            first = helps.get(name) or ""
            sub.description = sub.description or (first[:1].upper() + first[1:]) or None
            if verb in EXAMPLES:
                example = f"example:\n  {EXAMPLES[verb]}"
                sub.epilog = f"{sub.epilog.rstrip()}\n\n{example}" if sub.epilog else example
            _document(sub, verb)


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


def require(args: argparse.Namespace) -> None:
    """The one check of optional modules: those a verb declares in ``requires`` (``set_defaults``)."""
    for module in getattr(args, "requires", ()):
        require_module(module, args.verb)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (never raises for bad input; a bug keeps its traceback)."""
    try:
        args = build_parser().parse_args(argv)
        require(args)
        if signal.getsignal(signal.SIGINT) is _Interrupt.early:
            _install(_Interrupt.unwind)  # from now on Ctrl-C unwinds through the cleanups
        with output_of(args):
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
    if code == 130:
        # Everything is cleaned up by now. Exit at once: when the interrupt landed inside an ``exec`` (lazy
        # imports, dataclass and sympy code generation run many), CPython has marked the process as killed
        # by an unhandled Ctrl-C and would end it by SIGINT (status -2) instead of 130.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
    sys.exit(code)


if __name__ == "__main__":
    entry()
