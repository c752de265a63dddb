"""Shared CLI helpers: JSON/text output and argument parsing of common flags."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from fractions import Fraction
from typing import Any, TypeVar

from polyapprox.core.limits import LIMITS, check
from polyapprox.core.rational import jsonable, parse_rational
from polyapprox.errors import ConfigError

T = TypeVar("T")
#: largest --seed (numpy and torch both accept it)
SEED_MAX = 2 ** 32 - 1
#: '3', '-0.25', '1.5e-3', '.5', '1/3', '-2/4': a decimal (optional exponent) or an integer ratio


#: pip extra that provides each optional module
EXTRAS = {"torch": "torch"}


def require_module(module: str, verb: str) -> None:
    """ConfigError (exit 2) naming the pip extra to install when ``module``, which ``verb`` needs, is missing."""
    import importlib

    try:
        importlib.import_module(module)
    except ImportError:
        raise ConfigError(f"`{verb}` needs {module}, which is not installed: "
                          f"pip install \"polyapprox[{EXTRAS[module]}]\"") from None


#: namespace attribute of the deprecation lines ``main`` prints (unless ``--quiet``) before the verb runs
WARNINGS = "deprecation_warnings"


class _Deprecated(argparse.Action):
    """A hidden old spelling of a flag: stores into the new flag's dest and queues one deprecation line."""

    def __init__(self, *args: Any, new: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.new = new

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        warnings = getattr(namespace, WARNINGS, [])
        setattr(namespace, WARNINGS, [*warnings, f"polyapprox: warning: {option_string} is deprecated; use {self.new}"])
        setattr(namespace, self.dest, values)


def deprecated_alias(p: argparse.ArgumentParser, old: str, new: str) -> None:
    """Accept ``old`` (hidden from --help) as a deprecated spelling of the flag ``new`` (same dest and type)."""
    action = p._option_string_actions[new]
    p.add_argument(old, dest=action.dest, type=action.type, action=_Deprecated, new=new, help=argparse.SUPPRESS)


def add_output_flags(p: argparse.ArgumentParser, json_help: str = "print the result as one JSON document") -> None:
    """The output flags of every verb: ``--json`` (the result once, on stdout, as one JSON document) and
    ``--quiet`` (nothing on stdout or stderr but errors, or only the JSON document with ``--json``; the exit
    status carries the verdict). ``main`` silences the verb's output under ``--quiet`` (``output_of``)."""
    p.add_argument("--json", action="store_true", help=json_help)
    p.add_argument("--quiet", action="store_true",
                   help="print nothing but errors (no result, progress or 'wrote' line; with --json only the JSON "
                        "document); the exit status carries the verdict")


@contextlib.contextmanager
def output_of(args: argparse.Namespace) -> Iterator[None]:
    """The verb's output as its flags ask: its deprecation lines on stderr first; under ``--quiet`` stderr, and
    stdout unless ``--json``, go nowhere while the verb runs (errors are written by ``main`` after it has
    returned or raised; the verbs write to stdout only their result)."""
    if getattr(args, "quiet", False):
        with open(os.devnull, "w", encoding="utf-8") as sink, contextlib.redirect_stderr(sink), \
                contextlib.redirect_stdout(sys.stdout if getattr(args, "json", False) else sink):
            yield
        return
    for line in getattr(args, WARNINGS, ()):
        sys.stderr.write(line + "\n")
    yield


def add_progress(p: argparse.ArgumentParser) -> None:
    """``--progress``: progress lines on stderr; by default only on a terminal (``--quiet`` wins)."""
    p.add_argument("--progress", action="store_true",
                   help="progress on stderr even when it is not a terminal (default: only on a terminal)")


def announce(files: Sequence[object]) -> None:
    """The files a verb wrote (its ``--out``), one line on stderr: ``wrote a, b, c``."""
    if files:
        sys.stderr.write("wrote " + ", ".join(str(f) for f in files) + "\n")


def progress_writer(args: argparse.Namespace) -> Callable[[str], None] | None:
    """A function writing one progress line to stderr, or None when progress is off (see ``add_progress``).

    On a terminal without ``--progress`` each line overwrites the last and the last is cleared by
    ``end_progress``, so that the result is printed once, on stdout."""
    if getattr(args, "quiet", False) or not (getattr(args, "progress", False) or sys.stderr.isatty()):
        return None
    prefix, end = ("", "\n") if getattr(args, "progress", False) else ("\r\033[K", "")

    def write(msg: str) -> None:
        sys.stderr.write(prefix + (msg if end else msg[:120]) + end)
        sys.stderr.flush()

    return write


def end_progress(args: argparse.Namespace) -> None:
    """Clear the overwritten terminal progress line (see ``progress_writer``)."""
    if not getattr(args, "quiet", False) and not getattr(args, "progress", False) and sys.stderr.isatty():
        sys.stderr.write("\r\033[K")
        sys.stderr.flush()


def emit(payload: dict[str, Any], as_json: bool, text: str | None = None) -> None:
    """Print one JSON document (``--json``) or a human-readable text to stdout (rationals and integers too
    long for Python to print are abbreviated: ``core.rational.jsonable``)."""
    doc = text if text is not None and not as_json else json.dumps(jsonable(payload), indent=2, default=str)
    sys.stdout.write(doc + "\n")


def _shown(value: str) -> str:
    """The offending flag value, quoted, at most ~60 characters."""
    text = value.strip()
    return repr(text if len(text) <= 60 else text[:60] + "...")


def parse_number(value: str, field: str, low: Fraction | int | None = None, high: Fraction | int | None = None,
                 above: bool = False) -> Fraction:
    """The one reader of numeric flags: '0.25', '-1/2', '3', '1e-3' -> an exact Fraction (``core.rational``'s
    reader: digits checked before converting), within [low, high] ((low, high] if ``above``). ConfigError /
    LimitError naming the field otherwise (one-line exit 2 in the CLI)."""
    number = parse_rational(value.strip(), field, ConfigError)
    _in_range(number, field, low, high, above)
    return number


def _in_range(v: Fraction | int, field: str, low: Fraction | int | None, high: Fraction | int | None,
              above: bool) -> None:
    if low is not None and (v <= low if above else v < low):
        raise ConfigError(f"{field}: {v} must be {'>' if above else '>='} {low}")
    if high is not None and v > high:
        raise ConfigError(f"{field}: {v} must be <= {high}")


def parse_int(value: str, field: str, minimum: int = 1, maximum: int | None = None) -> int:
    """'8' -> 8, checked minimum <= v <= maximum; ConfigError naming the field otherwise (one-line exit 2)."""
    text = value.strip()
    check("literal_digits", len(text), f"{field}: {LIMITS['literal_digits'].meaning}")
    try:
        v = int(text)
    except ValueError:
        raise ConfigError(f"{field}: not an integer: {_shown(text)}") from None
    _in_range(v, field, minimum, maximum, False)
    return v


def flag(parse: Callable[[str], T], name: str) -> Callable[[str], T]:
    """An argparse ``type`` from a parser above: its error becomes argparse's one-line usage error (exit 2)."""
    def convert(text: str) -> T:
        try:
            return parse(text)
        except ValueError as exc:  # ConfigError, LimitError
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = name
    return convert


def int_flag(field: str, minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """argparse ``type``: an integer in [minimum, maximum]."""
    return flag(lambda text: parse_int(text, field, minimum, maximum), field)


def float_flag(field: str, low: float, high: float, above: bool = True) -> Callable[[str], float]:
    """argparse ``type``: a finite number in (low, high] (or [low, high]) as a float."""
    return flag(lambda text: float(parse_number(text, field, Fraction(low), Fraction(high), above)), field)


def parse_seeds(value: str, one: bool = False) -> tuple[int, ...]:
    """'0,1,2' -> (0, 1, 2): distinct integers in [0, 2**32 - 1], at most the limit ``seeds`` of them (exactly
    one when ``one``: a verb that runs once); ConfigError naming the flag otherwise."""
    check("seeds", value.count(",") + 1, "seeds: number of seeds")
    seeds = tuple(parse_int(item, "seeds", 0, SEED_MAX) for item in value.split(","))
    if len(set(seeds)) != len(seeds):
        raise ConfigError(f"seeds: repeated seed in {_shown(value)}")
    if one and len(seeds) != 1:
        raise ConfigError(f"seeds: this verb runs once and takes one seed, got {len(seeds)}")
    return seeds


def add_seeds(p: argparse.ArgumentParser, default: str | None, help: str, one: bool = False) -> None:
    """``--seeds`` (a comma list of seeds, ``parse_seeds``) and its hidden deprecated spelling ``--seed N``
    (meaning ``--seeds N``, with one deprecation line on stderr)."""
    kind = flag(lambda text: parse_seeds(text, one), "seeds")
    p.add_argument("--seeds", type=kind, default=None if default is None else parse_seeds(default, one),
                   metavar="S1,S2,..." if not one else "SEED", help=help)
    deprecated_alias(p, "--seed", "--seeds")


def parse_int_list(value: str, field: str, minimum: int = 1) -> list[int]:
    """'8,16,32' -> [8, 16, 32]; each >= minimum, else ConfigError naming the field."""
    return [parse_int(item, field, minimum) for item in value.split(",")]


def parse_name_list(value: str, field: str, allowed: tuple[str, ...]) -> list[str]:
    """'relu,gelu' -> ['relu', 'gelu'], each checked against ``allowed``."""
    names = [v.strip() for v in value.split(",") if v.strip()]
    if not names:
        raise ConfigError(f"{field}: empty list")
    for n in names:
        if n not in allowed:
            raise ConfigError(f"{field}: unknown {n!r}; choose from {', '.join(allowed)}")
    return names
