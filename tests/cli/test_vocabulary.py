"""The README's flag vocabulary table matches the parsers: each flag is on exactly the verbs listed."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from polyapprox.cli.main import build_parser

README = Path(__file__).resolve().parents[2] / "README.md"


def leaves(parser: argparse.ArgumentParser, path: str = "") -> dict[str, argparse.ArgumentParser]:
    """Every runnable verb ('construct polynomial', 'check', ...) -> its parser."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        return {path: parser}
    out: dict[str, argparse.ArgumentParser] = {}
    for name, sub in subs[0].choices.items():
        out.update(leaves(sub, f"{path} {name}".strip()))
    return out


VERBS = leaves(build_parser())


def table() -> dict[str, set[str]]:
    """flag -> the verbs the README lists for it ('construct *' and 'every verb' expanded)."""
    section = README.read_text(encoding="utf-8").split("| flag | meaning | verbs |", 1)[1].split("\n\n", 1)[0]
    rows: dict[str, set[str]] = {}
    for line in section.splitlines()[2:]:
        flag, _, verbs = (c.strip() for c in line.strip("|").split("|"))
        names = set(re.findall(r"`([^`]+)`", verbs))
        if verbs == "every verb":
            names = set(VERBS)
        for n in [n for n in names if n.endswith(" *")]:
            names.remove(n)
            names |= {v for v in VERBS if v.startswith(n[:-1])}
        rows[flag.strip("`")] = names
    return rows


TABLE = table()


def test_the_table_is_read() -> None:
    assert {"--order", "--poly-order", "--grids", "--widths", "--models", "--device", "--json", "--out"} <= set(TABLE)
    assert len(VERBS) >= 15 and TABLE["--json"] == set(VERBS)


@pytest.mark.parametrize("flag", sorted(TABLE))
def test_flag_is_on_exactly_the_listed_verbs(flag: str) -> None:
    having = {verb for verb, p in VERBS.items() if flag in p._option_string_actions
              and p._option_string_actions[flag].help != argparse.SUPPRESS}
    assert having == TABLE[flag]


def test_device_defaults_to_auto_everywhere() -> None:
    defaults = {verb: p._option_string_actions["--device"].default for verb, p in VERBS.items()
                if "--device" in p._option_string_actions}
    assert defaults and set(defaults.values()) == {"auto"}, defaults
