"""`polyapprox check NET --bound EXPR`: certified enclosures from the CLI, and bad input (exit 2, one line)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from polyapprox.cli.main import main
from polyapprox.construct.sobolev import sobolev_net
from polyapprox.core import netjson
from polyapprox.targets.catalogue import get_target


@pytest.fixture(scope="module")
def nets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("nets")
    out = {"poly1": d / "p1.json", "relu1": d / "r1.json", "poly2": d / "p2.json"}
    netjson.save(sobolev_net(get_target("sin1"), 2, 4), out["poly1"])
    netjson.save(sobolev_net(get_target("sin1"), 2, 4, "relu"), out["relu1"])
    netjson.save(sobolev_net(get_target("poly2d"), 1, 1), out["poly2"])
    return out


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        code = main(args)
    except SystemExit as exc:  # argparse usage errors
        code = int(exc.code or 0)
    got = capsys.readouterr()
    return code, got.out, got.err


@pytest.mark.parametrize("kind", ["poly1", "relu1"])
def test_bound_1d_json(kind: str, nets: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["check", str(nets[kind]), "--bound", "sin(2*pi*x)", "--json", "--timeout", "20"], capsys)
    doc = json.loads(out)
    assert code == 0 and doc["converged"] and 0 < doc["lower"] <= doc["upper"] <= 1.05 * doc["lower"]


def test_bound_2d_encloses(nets: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    """N = 1, n = 1 net of poly2d: constant Taylor data; the enclosure must contain the sampled error."""
    import numpy as np

    from polyapprox.backends.floats import evaluate_float

    code, out, _ = _run(["check", str(nets["poly2"]), "--bound", "x**2*y + y**3/6 - x/2", "--vars", "x,y",
                         "--ratio", "2", "--timeout", "10", "--json"], capsys)
    doc = json.loads(out)
    axis = np.linspace(0, 1, 41)
    pts = np.stack(np.meshgrid(axis, axis, indexing="ij"), -1).reshape(-1, 2)
    err = np.abs(evaluate_float(netjson.load(nets["poly2"]), pts)[:, 0]
                 - (pts[:, 0] ** 2 * pts[:, 1] + pts[:, 1] ** 3 / 6 - pts[:, 0] / 2))
    assert code == 0 and doc["lower"] <= err.max() * (1 + 1e-9) + 1e-12 and err.max() <= doc["upper"]


BAD = [
    ["--bound", "abs(x)"],  # no ball-arithmetic form
    ["--bound", "sin(x"],  # syntax
    ["--bound", "__import__('os')"],  # not an allowed name
    ["--bound", "x", "--ratio", "0.5"],
    ["--bound", "x", "--ratio", "abc"],
    ["--bound", "x", "--ratio", "nan"],
    ["--bound", "x", "--timeout", "-1"],
    ["--bound", "x", "--vars", "x,y"],
    ["--bound", "x", "--domain", "1,0"],
    ["--bound", "x", "--domain", "0;1"],
    ["--bound", "y"],  # unknown variable
    ["--bound", "x", "--equals", "x"],  # one of the two only
]


@pytest.mark.parametrize("extra", BAD, ids=[" ".join(b)[:40] for b in BAD])
def test_bound_bad_input(extra: list[str], nets: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(["check", str(nets["poly1"]), *extra], capsys)
    assert code == 2, (extra, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("polyapprox:") and "Traceback" not in err


def test_bound_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(["check", str(tmp_path / "none.json"), "--bound", "x"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
