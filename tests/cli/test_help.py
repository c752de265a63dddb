"""Every verb's help: a description, an example in the epilog, and help text on every flag."""

from __future__ import annotations

import argparse

import pytest

from polyapprox.cli.main import build_parser

Verb = tuple[tuple[str, ...], argparse.ArgumentParser]


def _walk(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> list[Verb]:
    out = [(path, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out += _walk(sub, (*path, name))
    return out


PARSERS = _walk(build_parser())
LEAVES = [(p, sp) for p, sp in PARSERS if not any(isinstance(a, argparse._SubParsersAction) for a in sp._actions)]


def test_the_walk_finds_every_verb() -> None:
    names = {" ".join(p) for p, _ in LEAVES}
    assert {"construct polynomial", "check", "verify", "rates", "targets", "plot rates", "train lm", "train ffn",
            "reproduce"} <= names


@pytest.mark.parametrize(("path", "parser"), PARSERS, ids=[" ".join(p) or "top" for p, _ in PARSERS])
def test_every_flag_has_help(path: tuple[str, ...], parser: argparse.ArgumentParser) -> None:
    missing = [a.option_strings or [a.dest] for a in parser._actions
               if not a.help and not isinstance(a, argparse._SubParsersAction)]
    assert missing == [], f"polyapprox {' '.join(path)}: no help text for {missing}"
    assert parser.description, f"polyapprox {' '.join(path)}: no description"


@pytest.mark.parametrize(("path", "parser"), LEAVES, ids=[" ".join(p) for p, _ in LEAVES])
def test_every_verb_has_an_example(path: tuple[str, ...], parser: argparse.ArgumentParser) -> None:
    assert parser.epilog and f"polyapprox {' '.join(path)}" in parser.epilog, f"no example for {path}"


def test_top_level_help_is_for_users(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--help"])
    out = capsys.readouterr().out
    assert "argparse" not in out and "sub-commands" not in out
    assert "--version" in out
