"""`polyapprox check`: exit 0 proved, 1 refuted / not proved, 2 bad input with one stderr line."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

from polyapprox.backends.exact import evaluate_exact
from polyapprox.cli import main
from polyapprox.construct.blocks import power_block, product_block
from polyapprox.core import netjson
from polyapprox.core.net import RELU, Layer, Net

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def files(tmp_path):
    paths = {}
    for name, net in [("cube", power_block(3)), ("product", product_block()),
                      ("trapezoid", Net(1, (Layer.make([[1], [1], [1], [1]], [2, 1, -1, -2], RELU),
                                            Layer.make([[1, -1, -1, 1]]))))]:
        paths[name] = tmp_path / f"{name}.json"
        netjson.save(net, paths[name])
    (tmp_path / "corrupt.json").write_text('{"format": "polyapprox-net", "version": 1, "layers": [')
    paths["corrupt"] = tmp_path / "corrupt.json"
    return paths


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["check", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_proved_exits_0_with_json(files, capsys):
    code, out, err = run(capsys, files["product"], "--equals", "x*y", "--vars", "x,y", "--json")
    doc = json.loads(out)
    assert code == 0 and err == ""
    assert (doc["status"], doc["method"], doc["counterexample"]) == ("proved", "algebraic", None)
    assert doc["seconds"] >= 0


def test_refuted_exits_1_with_a_verified_exact_counterexample(files, capsys):
    code, out, _ = run(capsys, files["cube"], "--equals", "x**3 + x/1000", "--json")
    doc = json.loads(out)
    assert code == 1 and doc["status"] == "refuted"
    x = Fraction(doc["counterexample"]["x"])
    assert evaluate_exact(power_block(3), [x]) == [Fraction(doc["net_value"])]
    assert Fraction(doc["expr_value"]) == x ** 3 + x / 1000


def test_regionwise_on_a_domain(files, capsys):
    psi = "Piecewise((0, x < -2), (x + 2, x < -1), (1, x <= 1), (2 - x, x <= 2), (0, True))"
    code, out, _ = run(capsys, files["trapezoid"], "--equals", psi, "--domain=-3,3", "--json")
    doc = json.loads(out)
    assert (code, doc["status"], doc["method"], doc["regions"]) == (0, "proved", "regionwise-1d", 5)
    assert doc["domain"] == [["-3", "3"]]
    code, out, _ = run(capsys, files["trapezoid"], "--equals", "max(1 - abs(x)/2, 0)", "--domain=-3,3")
    assert code == 1 and out.startswith("refuted")


def test_unknown_exits_1(files, capsys):
    psi = "Piecewise((0, x < -2), (x + 2, x < -1), (1, x <= 1), (2 - x, x <= 2), (0, True))"
    code, out, _ = run(capsys, files["trapezoid"], "--equals", psi, "--max-regions", "2", "--json")
    assert code == 1 and json.loads(out)["status"] == "unknown"


def test_text_output_names_status_and_method(files, capsys):
    code, out, _ = run(capsys, files["cube"], "--equals", "x^3", "--domain", "0,1/2")
    assert code == 0 and out.startswith("proved (algebraic")


@pytest.mark.parametrize(("key", "extra"), [
    ("product", ["--equals", "x*w", "--vars", "x,y"]),
    ("product", ["--equals", "x*(y", "--vars", "x,y"]),
    ("corrupt", ["--equals", "x"]),
    ("missing", ["--equals", "x"]),
    ("product", ["--equals", "x*y", "--vars", "x"]),
    ("product", ["--equals", "x*y", "--vars", "x,y", "--domain", "0,1;0"]),
    ("product", ["--equals", "x*y", "--vars", "x,y", "--domain", "0,1;1,0"]),
    ("product", ["--equals", "x*y", "--vars", "x,y", "--domain", "0,1;a,b"]),
    ("product", ["--equals", "x*y", "--vars", "x,y", "--domain", "0,1;0,1;0,1"]),
    ("product", ["--equals", "x*y", "--equals", "x", "--vars", "x,y"]),
    ("cube", ["--equals", "x", "--max-regions", "0"]),
    ("cube", ["--equals", "x", "--timeout", "soon"]),
], ids=["unknown_variable", "unparseable_expr", "corrupt_json", "missing_file", "vars_count", "domain_pair",
        "domain_order", "domain_not_rational", "domain_count", "outputs_count", "max_regions", "timeout"])
def test_bad_input_exits_2_with_one_line(files, capsys, tmp_path, key, extra):
    path = files.get(key, tmp_path / "missing.json")
    code, out, err = run(capsys, path, *extra)
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("polyapprox: error:")
