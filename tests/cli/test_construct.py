"""CLI: `polyapprox construct ...` and `polyapprox verify` through main([...]) (exit 0 / 1 / 2)."""

from __future__ import annotations

import json

import pytest

from polyapprox.cli import main
from polyapprox.construct.polynomials import polynomial_net_size
from polyapprox.core.netjson import load, save


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_polynomial_json_and_out(capsys, tmp_path):
    path = tmp_path / "p.json"
    code, out, err = _run(capsys, "construct", "polynomial", "3*x**2*y - y**3 + 1/2", "--vars", "x,y",
                          "--out", str(path), "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["out"] == str(path) and doc["depth"] == 1 and doc["degree"] == 3
    for key in ("params", "weights", "biases", "coefficients", "dense", "units", "identity_units", "layers",
                "width"):
        assert isinstance(doc[key], int), key
    assert doc["params"] <= polynomial_net_size(3, 2)["params"] == doc["size_bound"]["params"]
    assert doc["certificate"]["status"] == "proved"
    from polyapprox.core.counting import count_params

    assert count_params(load(path)).params == doc["params"]


def test_polynomial_text_output(capsys):
    code, out, _ = _run(capsys, "construct", "polynomial", "x**4 - 1", "--no-prove")
    assert code == 0 and out.startswith("polynomial: params ") and "depth 1" in out
    code, out, _ = _run(capsys, "construct", "polynomial", "x**4 - 1", "--no-prove", "--json")
    assert "certificate" not in json.loads(out) and json.loads(out)["out"] is None


@pytest.mark.parametrize(("argv", "params", "units"), [
    (["relu"], 2, 1),
    (["power", "5"], 4, 2),
    (["product"], 12, 4),
    (["monomial", "1,1"], 12, 4),
], ids=["relu", "power", "product", "monomial"])
def test_blocks(capsys, tmp_path, argv, params, units):
    path = tmp_path / "b.json"
    code, out, err = _run(capsys, "construct", *argv, "--json", "--out", str(path))
    assert code == 0, err
    doc = json.loads(out)
    assert (doc["params"], doc["units"], doc["depth"]) == (params, units, 1)
    assert doc["certificate"]["status"] == "proved"
    assert load(path).in_dim == (2 if argv[0] in ("product", "monomial") else 1)


def test_relu_net_random_and_from_file(capsys, tmp_path):
    path = tmp_path / "r.json"
    code, out, err = _run(capsys, "construct", "relu-net", "--widths", "3,2", "--dim", "2", "--seed", "4",
                          "--json", "--out", str(path))
    assert code == 0, err
    doc = json.loads(out)
    assert doc["structurally_equal"] and doc["same_depth_width"]
    assert (doc["depth"], doc["width"]) == (2, 3) == (doc["original"]["depth"], doc["original"]["width"])
    assert doc["certificate"]["status"] == "proved"
    code, out, err = _run(capsys, "construct", "relu-net", "--from", str(path), "--json", "--no-prove")
    assert code == 0, err
    assert json.loads(out)["params"] == doc["params"]


def test_shared(capsys, tmp_path):
    from polyapprox.construct.blocks import product_block

    src, dst = tmp_path / "prod.json", tmp_path / "shared.json"
    save(product_block(), src)
    code, out, err = _run(capsys, "construct", "shared", str(src), "--json", "--out", str(dst))
    assert code == 0, err
    doc = json.loads(out)
    assert doc["sigma"] == ["0", "1/3", "1/3", "1/3"] and doc["units"] == 12  # 4 ReLU^2 units -> 3 sigma each
    assert doc["certificate"]["status"] == "proved"
    assert {a.coeffs for a in load(dst).layers[0].activations} == {tuple(load(dst).layers[0].activations[0].coeffs)}


def test_refuted_exit_1(capsys, monkeypatch):
    # a prover that refutes must give exit code 1 (the construction itself is never wrong, so fake the prover)
    import polyapprox.symbolic as symbolic

    def refute(net, expr, symbols=None, domain=None):
        class Cert:
            status, method = "refuted", "fake"

            def to_dict(self):
                return {"status": "refuted", "method": "fake"}
        return Cert()

    monkeypatch.setattr(symbolic, "prove_equal", refute)
    code, out, _ = _run(capsys, "construct", "power", "3", "--json")
    assert code == 1 and json.loads(out)["certificate"]["status"] == "refuted"


BAD = [
    (["construct", "polynomial", "sin(x)"], "not a polynomial"),
    (["construct", "polynomial", "x +* 2"], "cannot parse"),
    (["construct", "polynomial", "x*y", "--vars", "x"], "unknown name 'y'"),
    (["construct", "polynomial", "x", "--vars", "x,x"], "duplicate variable"),
    (["construct", "power", "-1"], "K: -1 must be >= 1"),
    (["construct", "power", "two"], "K: not an integer"),
    (["construct", "monomial", "1,-1"], "exponents: -1 must be >= 0"),
    (["construct", "relu-net", "--widths", "3,0"], "widths: 0 must be >= 1"),
    (["construct", "relu-net", "--dim", "0"], "dim: 0 must be >= 1"),
    (["construct", "shared", "SRC", "--sigma", "0,abc"], "not a rational"),
    (["construct", "shared", "MISSING"], "no such file"),
    (["construct", "shared", "CORRUPT"], "not valid JSON"),
    (["construct", "shared", "WRONGSHAPE"], "layers[1].weight[0]: 3 entries, expected 4"),
    (["construct", "relu-net", "--from", "SRC"], "is not ReLU^1 or identity"),
    (["verify", "--only", "nope."], "no check id starts with"),
]


@pytest.mark.parametrize(("argv", "message"), BAD, ids=[f"{a[1]}-{m[:18]}" for a, m in BAD])
def test_bad_input_exit_2(capsys, tmp_path, argv, message):
    from polyapprox.construct.blocks import product_block
    from polyapprox.core.netjson import to_json_dict

    save(product_block(), tmp_path / "src.json")
    (tmp_path / "corrupt.json").write_text("{not json")
    doc = to_json_dict(product_block(), "dense")
    doc["layers"][1]["weight"] = [["1", "1", "1"]]
    (tmp_path / "shape.json").write_text(json.dumps(doc))
    files = {"SRC": "src.json", "MISSING": "missing.json", "CORRUPT": "corrupt.json", "WRONGSHAPE": "shape.json"}
    argv = [str(tmp_path / files[a]) if a in files else a for a in argv]
    code, out, err = _run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.startswith("polyapprox: error: ") and message in err and err.count("\n") == 1, err


def test_verify_list_and_only(capsys):
    code, out, _ = _run(capsys, "verify", "--list", "--json")
    ids = [c["id"] for c in json.loads(out)["checks"]]
    assert code == 0 and len(ids) >= 12 and "lemma1.product" in ids
    code, out, err = _run(capsys, "verify", "--only", "lemma1.poly_degree_", "--json")
    doc = json.loads(out)
    assert code == 0, doc
    assert (doc["proved"], doc["failed"]) == (8, 0) and len(doc["checks"]) == 8
    assert all(set(c) >= {"id", "statement", "status", "method", "seconds"} for c in doc["checks"])
    assert err == ""  # stderr is not a terminal here: no progress unless --progress (issue 13)
    code, out, err = _run(capsys, "verify", "--only", "lemma1.poly_degree_", "--progress")
    assert code == 0 and err.count("proved") == 8 and out.count("proved") == 9  # 8 rows + the total line
    code, out, _ = _run(capsys, "verify", "--only", "lemma1.square")
    assert code == 0 and "1/1 proved" in out and "lemma1.square" in out


def test_verify_exit_1_when_a_check_fails(capsys, monkeypatch):
    from types import SimpleNamespace

    from polyapprox.verify import registry as verify

    verify.load_checks()
    fake = dict(verify.CHECKS)
    fake["zz.fails"] = verify.Check("zz.fails", "0 = 1", lambda: SimpleNamespace(status="refuted", method="fake"))
    monkeypatch.setattr(verify, "CHECKS", fake)
    code, out, _ = _run(capsys, "verify", "--only", "zz.", "--json")
    assert code == 1 and json.loads(out)["failed"] == 1
