"""Hostile network files through `polyapprox check FILE --equals x`: every one is refused with exit 2 and one
line (or, when a mutation happens to stay a valid network, answered with 0/1), in bounded time and memory.

Most cases run in-process (``cli.main.main``); one subprocess runs a batch of the worst files and reports its
peak memory; non-regular files (/dev/zero, a FIFO without a writer, a directory, a symlink) are real ones.
"""

from __future__ import annotations

import copy
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polyapprox.cli.main import main
from polyapprox.core import netjson
from polyapprox.core.net import Layer, Net, PolyReLU

ROOT = Path(__file__).resolve().parents[2]

#: seconds one in-process case may take (a refusal should take milliseconds)
CASE_SECONDS = 5.0
VALID = netjson.to_json_dict(Net(1, (Layer.make([[1], [-1]], activations=PolyReLU((0, 1))),
                                     Layer.make([[1, -1]]))))  # relu(x) - relu(-x) = x
BASE = {"format": "polyapprox.core.net", "version": 1}


def _one_layer(weight: Any, in_dim: Any = 1, bias: Any = ("0",), acts: Any = ({"kind": "identity"},)) -> dict:
    return {**BASE, "in_dim": in_dim, "layers": [{"weight": weight, "bias": list(bias), "activations": list(acts)}]}


#: (name, file content) -- each must be refused with exit 2
HOSTILE: list[tuple[str, bytes]] = [
    ("in-dim-10^12", json.dumps(_one_layer({"shape": [1, 10**12], "entries": []}, in_dim=10**12)).encode()),
    ("weight-1e99999999", json.dumps(_one_layer([["1e99999999"]])).encode()),
    ("weight-1e-99999999", json.dumps(_one_layer([["1e-99999999"]])).encode()),
    ("exponent-5000-digits", json.dumps(_one_layer([["1e" + "9" * 5000]])).encode()),
    ("numerator-5000-digits", json.dumps(_one_layer([["7" * 5000]])).encode()),
    ("denominator-5000-digits", json.dumps(_one_layer([["1/" + "3" * 5000]])).encode()),
    ("json-int-5000-digits", (b'{"format":"polyapprox.core.net","version":1,"in_dim":' + b"1" * 5000
                              + b',"layers":[]}')),
    ("nested-100000", b"[" * 100_000 + b"]" * 100_000),
    ("nested-objects", b'{"a":' * 5000 + b"1" + b"}" * 5000),
    ("nested-in-weight", json.dumps(_one_layer([[0]])).replace("[[0]]", "[" * 200 + "]" * 200).encode()),
    ("sparse-rows-10^9", json.dumps(_one_layer({"shape": [10**9, 1], "entries": []})).encode()),
    ("sparse-entries-out-of-range", json.dumps(_one_layer({"shape": [1, 1], "entries": [[5, 0, "1"]]})).encode()),
    ("bias-longer-than-rows", json.dumps(_one_layer([["1"]], bias=["0"] * 3)).encode()),
    ("width-mismatch", json.dumps(_one_layer([["1", "2"]])).encode()),
    ("polyrelu-order-10^5", json.dumps(_one_layer([["1"]], acts=[{"kind": "polyrelu",
                                                                  "coeffs": ["0"] * 100_000 + ["1"]}])).encode()),
    ("layers-20000", json.dumps({**BASE, "in_dim": 1, "layers": [{}] * 20_000}).encode()),
    ("nan-literal", json.dumps(_one_layer([[float("nan")]])).encode()),
    ("infinity-literal", json.dumps(_one_layer([[float("inf")]])).encode()),
    ("float-weight", json.dumps(_one_layer([[0.5]])).encode()),
    ("bool-weight", json.dumps(_one_layer([[True]])).encode()),
    ("empty-file", b""),
    ("whitespace", b"  \n\t "),
    ("binary-garbage", bytes(range(256)) * 8),
    ("utf16", json.dumps(VALID).encode("utf-16")),
    ("truncated", json.dumps(VALID).encode()[:-7]),
    ("top-level-number", b"1" * 4000),
    ("top-level-string", b'"' + b"x" * 10_000 + b'"'),
    ("null", b"null"),
    ("zero-denominator", json.dumps(_one_layer([["1/0"]])).encode()),
    ("underscore-number", json.dumps(_one_layer([["1_000"]])).encode()),
    ("unicode-digits", json.dumps(_one_layer([["\u0661\u0662"]])).encode()),
]


def _check(path: str | Path, capsys: pytest.CaptureFixture[str], expr: str = "x") -> tuple[int, list[str], float]:
    t0 = time.perf_counter()
    code = main(["check", str(path), "--equals", expr])
    seconds = time.perf_counter() - t0
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    return code, err, seconds


def _assert_refused(code: int, err: list[str], seconds: float) -> None:
    assert code == 2, err
    assert len(err) == 1 and err[0].startswith("polyapprox: error: "), err
    assert len(err[0]) < 400, err[0]
    assert seconds < CASE_SECONDS, seconds


@pytest.mark.parametrize(("name", "content"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str,
                                 content: bytes) -> None:
    path = tmp_path / "net.json"
    path.write_bytes(content)
    _assert_refused(*_check(path, capsys))


def test_valid_file_with_bom_and_duplicate_keys_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "net.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(VALID).encode())
    assert _check(path, capsys)[0] == 0
    path.write_text(json.dumps(VALID)[:-1] + ', "in_dim": 1}')  # a repeated key: the last one counts
    assert _check(path, capsys)[0] == 0


def test_non_regular_files_are_refused_quickly(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYAPPROX_MAX_FILE_BYTES", str(2**20))  # /dev/zero: one bounded read of 1 MiB + 1
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)  # no writer: must not block
    link = tmp_path / "zero.json"
    link.symlink_to("/dev/zero")
    for path in ("/dev/zero", fifo, link, tmp_path, tmp_path / "absent.json"):
        _assert_refused(*_check(path, capsys))


def test_file_size_cap(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "net.json"
    path.write_text(json.dumps(VALID) + " " * 2000)
    monkeypatch.setenv("POLYAPPROX_MAX_FILE_BYTES", "1000")
    code, err, seconds = _check(path, capsys)
    _assert_refused(code, err, seconds)
    assert "POLYAPPROX_MAX_FILE_BYTES" in err[0]


def test_huge_counterexample_values_print_abbreviated(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    w = "3" * 3999  # each weight within the digit limit; their product has ~8000 digits
    doc = {**BASE, "in_dim": 1, "layers": [
        {"weight": [[w]], "bias": ["0"], "activations": [{"kind": "identity"}]},
        {"weight": [[w]], "bias": [w], "activations": [{"kind": "identity"}]}]}
    path = tmp_path / "net.json"
    path.write_text(json.dumps(doc))
    for flag in ([], ["--json"]):
        assert main(["check", str(path), "--equals", "x", *flag]) == 1
        out = capsys.readouterr().out
        assert "digits)>" in out
    assert json.loads(out)["exact"] is False and json.loads(out)["status"] == "refuted"


# ---------------------------------------------------------------- hypothesis: mutated valid files

LEAVES = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", "x", "1/0", "1e99999999", "1e-99999999", "9" * 4500, "-0", " 1/2 ", "1.5e3", "inf",
                     "polyrelu", "identity", "\x00"]),
    st.just(10**12), st.just([]), st.just({}), st.just([[["1"]]]),
)


def _paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _paths(v, (*prefix, i))
    return out


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A valid document with 1-3 random edits (delete / replace by a hostile leaf / wrap deeply), or its text
    with bytes cut, doubled or replaced."""
    doc = copy.deepcopy(VALID)
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        op = draw(st.sampled_from(["delete", "replace", "wrap"]))
        if op == "delete":
            del parent[path[-1]]
        elif op == "replace":
            parent[path[-1]] = draw(LEAVES)
        else:
            parent[path[-1]] = json.loads("[" * 100 + "1" + "]" * 100)
    text = json.dumps(doc).encode()
    if draw(st.booleans()):
        i = draw(st.integers(0, len(text)))
        text = text[:i] + draw(st.binary(max_size=8)) + text[i + draw(st.integers(0, 8)):]
    return text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(content=mutated())
def test_mutated_files(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes) -> None:
    path = tmp_path / "net.json"
    path.write_bytes(content)
    code, err, seconds = _check(path, capsys)
    assert seconds < CASE_SECONDS
    if code == 2:
        _assert_refused(code, err, seconds)
    else:  # the edits left a valid network: answered (proved / refuted / unknown), nothing on stderr
        assert code in (0, 1) and not err, (code, err)


# ---------------------------------------------------------------- a real process: memory stays small

BATCH = """
import sys
from polyapprox.cli.main import main
codes = [main(["check", p, "--equals", "x"]) for p in sys.argv[1:]]
print(" ".join(map(str, codes)))
"""


def test_worst_files_in_one_process_stay_small(tmp_path: Path) -> None:
    worst = [n for n, _ in HOSTILE if n in {"in-dim-10^12", "weight-1e99999999", "nested-100000",
                                            "json-int-5000-digits", "sparse-rows-10^9", "polyrelu-order-10^5",
                                            "exponent-5000-digits", "layers-20000"}]
    paths = []
    for name, content in HOSTILE:
        if name in worst:
            paths.append(tmp_path / f"{name}.json")
            paths[-1].write_bytes(content)
    paths.append(Path("/dev/zero"))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", BATCH, *map(str, paths)], env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    seconds = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["2"] * len(paths), proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    assert seconds < 30, seconds
    # the import of torch/sympy alone is ~300 MB; /dev/zero reads one 64 MiB chunk; 10**12 inputs would be GBs
    assert peak_mb < 1024 or peak_mb <= before / 1024, peak_mb
