"""JSON format v1: exact round trips, dense and sparse layouts, and malformed files naming the field path."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polyapprox.core.netjson import dumps, from_json_dict, load, loads, save, to_json_dict
from polyapprox.errors import NetFormatError
from polyapprox.verify.testing import random_net

nets = st.builds(
    lambda seed, d, widths, acts: random_net(np.random.default_rng(seed), d, widths, 2, 3, 0.6, acts),
    st.integers(0, 2**32 - 1), st.integers(1, 3), st.lists(st.integers(1, 4), min_size=0, max_size=3),
    st.sampled_from(["relu", "polyrelu", "mixed"]),
)


@settings(max_examples=30)
@given(net=nets)
def test_load_save_round_trip_is_exact(net, tmp_path_factory):
    path = tmp_path_factory.mktemp("nets") / "net.json"
    save(net, path)
    assert load(path) == net


@settings(max_examples=20)
@given(nets, st.sampled_from(["dense", "sparse", "auto"]))
def test_both_layouts_load(net, layout):
    doc = to_json_dict(net, layout)
    if layout != "auto":
        kinds = {isinstance(layer["weight"], dict) for layer in doc["layers"]}
        assert kinds == {layout == "sparse"}
    assert loads(json.dumps(doc)) == net


def test_design_example_loads():
    text = """{"format": "polyapprox.core.net", "version": 1, "in_dim": 2,
     "layers": [
       {"weight": [["1", "0"], ["-1", "0"]], "bias": ["0", "0"],
        "activations": [{"kind": "polyrelu", "coeffs": ["0", "0", "1"]},
                        {"kind": "polyrelu", "coeffs": ["0", "0", "1"]}]},
       {"weight": {"shape": [1, 2], "entries": [[0, 0, "1"], [0, 1, "1"]]}, "bias": ["0"],
        "activations": [{"kind": "identity"}]}]}"""
    from polyapprox.backends.exact import evaluate_exact

    net = loads(text)
    assert evaluate_exact(net, ["-3/2", 5]) == [Fraction(9, 4)]  # R_2(x) + R_2(-x) = x^2


def _base() -> dict:
    from polyapprox.construct.blocks import product_block

    return to_json_dict(product_block(), "dense")


def _mut(path: list, value) -> dict:
    doc = _base()
    obj = doc
    for key in path[:-1]:
        obj = obj[key]
    if value is _DELETE:
        del obj[path[-1]]
    else:
        obj[path[-1]] = value
    return doc


_DELETE = object()


def _sparse_with(entries) -> dict:
    doc = _base()
    doc["layers"][1]["weight"] = {"shape": [1, 4], "entries": entries}
    return doc


CORRUPTIONS = [
    ("bad-rational", _mut(["layers", 0, "weight", 1, 0], "abc"), 'layers[0].weight[1][0]: not a rational: "abc"'),
    ("float-number", _mut(["layers", 0, "bias", 2], 0.5), "layers[0].bias[2]: not a rational"),
    ("zero-denominator", _mut(["layers", 1, "bias", 0], "1/0"), "layers[1].bias[0]: not a rational"),
    ("row-length", _mut(["layers", 0, "weight", 2], ["1"]), "layers[0].weight[2]: 1 entries, expected 2"),
    ("column-out-of-range", _sparse_with([[0, 4, "1"]]), "layers[1].weight.entries[0]: column 4 out of range"),
    ("row-out-of-range", _sparse_with([[1, 0, "1"]]), "layers[1].weight.entries[0]: row 1 out of range"),
    ("duplicate-entry", _sparse_with([[0, 1, "1"], [0, 1, "2"]]), "layers[1].weight.entries[1]: duplicate"),
    ("unknown-kind", _mut(["layers", 0, "activations", 3], {"kind": "gelu"}),
     'layers[0].activations[3].kind: unknown activation "gelu"'),
    ("empty-coeffs", _mut(["layers", 0, "activations", 0], {"kind": "polyrelu", "coeffs": []}),
     "layers[0].activations[0].coeffs: empty"),
    ("missing-bias", _mut(["layers", 1, "bias"], _DELETE), "layers[1].bias: expected a list"),
    ("bias-length", _mut(["layers", 1, "bias"], ["0", "0"]), "layers[1].bias: 2 entries, expected 1"),
    ("activations-length", _mut(["layers", 1, "activations"], []), "layers[1].activations: 0 entries, expected 1"),
    ("version-2", _mut(["version"], 2), "version: unsupported 2"),
    ("wrong-format", _mut(["format"], "onnx"), 'format: expected "polyapprox.core.net"'),
    ("in-dim-zero", _mut(["in_dim"], 0), "in_dim: expected an integer >= 1"),
    ("shape-mismatch", _mut(["in_dim"], 3), "layers[0].weight[0]: 2 entries, expected 3"),
    ("no-layers", _mut(["layers"], []), "layers: empty"),
    ("top-level-list", [], "top level: expected an object"),
]


@pytest.mark.parametrize(("doc", "message"), [(d, m) for _, d, m in CORRUPTIONS], ids=[c[0] for c in CORRUPTIONS])
def test_malformed_documents_name_the_field(doc, message):
    with pytest.raises(NetFormatError) as info:
        loads(json.dumps(doc))
    assert str(info.value).startswith(message), str(info.value)


def test_not_json_at_all(tmp_path):
    path = tmp_path / "net.json"
    path.write_text("this is not json {")
    with pytest.raises(NetFormatError, match="^not valid JSON: "):
        load(path)


def test_missing_file(tmp_path):
    with pytest.raises(NetFormatError, match="no such file"):
        load(tmp_path / "absent.json")


def test_dumps_uses_exact_strings():
    from polyapprox.construct.blocks import product_block

    doc = json.loads(dumps(product_block(), "sparse"))
    assert doc["layers"][1]["weight"]["entries"][0] == [0, 0, "1/4"]
    assert from_json_dict(doc) == product_block()
