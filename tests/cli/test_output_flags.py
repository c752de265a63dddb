"""One output vocabulary on every verb: --json (one JSON document on stdout), --quiet (nothing but errors),
--seeds lists (--seed a deprecated alias), --out announced on stderr, one rendering of a missing number."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import pytest

from polyapprox.cli.main import main
from polyapprox.core.results import MISSING, format_value
from tests.cli.test_vocabulary import VERBS

POLY = "x**2*y - 3*x + 1/2"


def _run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = str(tmp_path_factory.mktemp("net") / "p.json")
    assert main(["construct", "polynomial", POLY, "--vars", "x,y", "--out", path, "--quiet"]) == 0
    return path


def cheap(net: str, tmp: Path) -> dict[str, list[str]]:
    """One cheap invocation of every verb that runs without torch in well under a second or two."""
    return {
        "construct polynomial": ["construct", "polynomial", POLY, "--vars", "x,y", "--out", str(tmp / "c.json")],
        "construct monomial": ["construct", "monomial", "2,1"],
        "construct relu": ["construct", "relu"],
        "construct power": ["construct", "power", "3"],
        "construct product": ["construct", "product"],
        "construct relu-net": ["construct", "relu-net", "--widths", "2", "--dim", "1", "--seeds", "3"],
        "construct shared": ["construct", "shared", net, "--no-prove"],
        "verify": ["verify", "--only", "lemma1.relu"],
        "check": ["check", net, "--equals", POLY, "--vars", "x,y"],
        "rates": ["rates", "--target", "exp1", "--order", "1", "--grids", "2,4"],
        "targets": ["targets", "--dim", "3"],
        "reproduce": ["reproduce", "--steps"],
    }


@pytest.mark.parametrize("verb", sorted(VERBS))
def test_every_verb_has_json_and_quiet(verb: str) -> None:
    actions = VERBS[verb]._option_string_actions
    for flag in ("--json", "--quiet"):
        assert flag in actions and actions[flag].help not in (None, argparse.SUPPRESS), (verb, flag)


def test_quiet_json_prints_the_document_alone(capsys, tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    code, out, err = _run(capsys, ["construct", "monomial", "2", "--out", str(path), "--json", "--quiet"])
    assert code == 0 and json.loads(out)["out"] == str(path) and err == ""


def test_json_is_one_document_and_quiet_prints_nothing(capsys, net: str, tmp_path: Path) -> None:
    for verb, argv in cheap(net, tmp_path).items():
        code, out, _ = _run(capsys, [*argv, "--json"])
        assert code == 0, verb
        assert isinstance(json.loads(out), dict), verb  # exactly one document: json.loads refuses trailing text
        quiet = _run(capsys, [*argv, "--quiet"])
        assert quiet == (0, "", ""), (verb, quiet)


def test_plot_rates_json_and_quiet(capsys, tmp_path: Path) -> None:
    assert main(["rates", "--target", "exp1", "--order", "1", "--grids", "2,4", "--out", str(tmp_path / "r"),
                 "--quiet"]) == 0
    code, out, err = _run(capsys, ["plot", "rates", str(tmp_path / "r"), "--out", str(tmp_path / "f.png"), "--json"])
    assert code == 0 and json.loads(out)["files"] == [str(tmp_path / "f.png")] and err.startswith("wrote ")
    assert _run(capsys, ["plot", "rates", str(tmp_path / "r"), "--out", str(tmp_path / "g.svg"), "--quiet"]) == (
        0, "", "")
    assert (tmp_path / "g.svg").stat().st_size > 0  # quiet, not idle


def test_quiet_keeps_the_verdict_and_the_errors(capsys, net: str) -> None:
    assert _run(capsys, ["check", net, "--equals", "x**2*y", "--vars", "x,y", "--quiet"]) == (1, "", "")
    code, out, err = _run(capsys, ["check", net, "--equals", "x**2*", "--vars", "x,y", "--quiet"])
    assert code == 2 and out == "" and err.startswith("polyapprox: error:") and err.count("\n") == 1


def test_out_is_announced_on_stderr(capsys, tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    code, out, err = _run(capsys, ["construct", "monomial", "2", "--out", str(path)])
    assert code == 0 and err == f"wrote {path}\n" and "wrote" not in out and path.exists()
    code, _, err = _run(capsys, ["construct", "monomial", "2"])
    assert code == 0 and err == ""


def test_seeds_is_a_list_and_seed_a_deprecated_alias(capsys, tmp_path: Path) -> None:
    base = ["construct", "relu-net", "--widths", "3", "--dim", "2", "--no-prove", "--out"]
    new = _run(capsys, [*base, str(tmp_path / "new.json"), "--seeds", "7"])
    old = _run(capsys, [*base, str(tmp_path / "old.json"), "--seed", "7"])
    assert new[0] == old[0] == 0 and "deprecated" not in new[2]
    assert old[2].splitlines()[0] == "polyapprox: warning: --seed is deprecated; use --seeds"
    _run(capsys, [*base, str(tmp_path / "other.json"), "--seeds", "8"])
    text = {name: (tmp_path / f"{name}.json").read_text() for name in ("new", "old", "other")}
    assert text["new"] == text["old"] != text["other"]
    assert _run(capsys, [*base, str(tmp_path / "q.json"), "--seed", "7", "--quiet"]) == (0, "", "")


@pytest.mark.parametrize("argv,needle", [
    (["rates", "--target", "exp1", "--order", "1", "--seeds", "1,2"], "takes one seed, got 2"),
    (["construct", "relu-net", "--seeds", "1,1"], "repeated seed"),
    (["construct", "relu-net", "--seeds", "-1"], "seeds"),
    (["construct", "relu-net", "--seeds", str(2 ** 32)], "must be <= 4294967295"),
    (["construct", "relu-net", "--seeds", "1,"], "not an integer"),
    (["construct", "relu-net", "--seed", "x"], "not an integer"),
    (["train", "lm", "--seeds", ",".join(map(str, range(101)))], "seeds"),
])
def test_bad_seeds_exit_2_with_one_line(capsys, argv: list[str], needle: str) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err.count("\n") == 1 and needle in err, err


def test_seeds_reach_the_sweeps() -> None:
    from polyapprox.cli.main import build_parser

    args = build_parser().parse_args(["train", "ffn", "--seeds", "4,9"])
    assert args.seeds == (4, 9)
    args = build_parser().parse_args(["train", "lm", "--seeds", "5,6,7"])
    assert args.seeds == (5, 6, 7)


def test_a_missing_number_is_one_dash_everywhere() -> None:
    assert MISSING == "-"
    assert [format_value(v) for v in (None, math.nan, math.inf, -math.inf)] == [MISSING] * 4
    assert format_value(0.5, ".2f") == "0.50" and format_value(3, "d") == "3"
