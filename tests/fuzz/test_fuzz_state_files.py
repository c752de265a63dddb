"""Tampered state files at every read-back site (``plot rates FILE``, ``train ffn --resume``, ``train lm
--resume``, ``reproduce --resume``): hypothesis deletes or replaces one field anywhere in a valid file, or
breaks the file itself; every case is exit 2 with one line (or exit 0 where the change is harmless), never
a traceback."""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polyapprox.cli.main import main

from .conftest import Outcome, assert_refused

HOSTILE_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-10**30, 10**30), st.sampled_from([float("nan"), float("inf"), 1e308]),
    st.text(max_size=20), st.just([]), st.just({}), st.just([[1, 2, 3]]), st.just({"x": [None]}))


def _run(argv: list[str]) -> Outcome:
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = main(argv)
    return Outcome(code, out.getvalue(), err.getvalue(), frozenset())


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path (keys and indices) inside ``doc``, the root excluded."""
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    for key, value in items:
        yield (*prefix, key)
        yield from _paths(value, (*prefix, key))


def _tamper(doc: Any, path: tuple[Any, ...], value: Any, delete: bool) -> Any:
    doc = json.loads(json.dumps(doc))
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return doc


def _draw_tampered(data: st.DataObject, doc: Any) -> str:
    """A tampered JSON text of ``doc``: one field deleted or replaced, or the file itself broken."""
    how = data.draw(st.sampled_from(["field", "field", "field", "broken"]))
    text = json.dumps(doc)
    if how == "broken":
        return data.draw(st.sampled_from([text[: len(text) // 2], "[" * 100_000, "\udcff".encode(
            "utf-8", "surrogatepass").decode("latin-1"), "", "null", "[]", '"x"', "1" * 5000]))
    path = data.draw(st.sampled_from(list(_paths(doc))))
    return json.dumps(_tamper(doc, path, data.draw(HOSTILE_VALUES), data.draw(st.booleans())))


def _check(out: Outcome, harmless_ok: bool) -> None:
    """Exit 2 and one line; exit 0 only where ``harmless_ok`` (the tampering may leave a valid file)."""
    if harmless_ok and out.code == 0:
        assert "Traceback" not in out.stderr
        return
    lines = out.stderr.strip().splitlines()
    assert out.code == 2 and lines, (out.code, out.stderr[-2000:])
    assert_refused(Outcome(out.code, out.stdout, lines[-1], frozenset()))
    assert len(lines[-1]) < 400


@pytest.fixture(scope="module")
def rates_doc(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("rates") / "d"
    assert _run(["rates", "--target", "sin1", "--order", "1", "--grids", "2,4,8", "--out", str(out)]).code == 0
    return json.loads((out / "results.json").read_text())


FFN_DOC = {"format": "polyapprox-ffn-sweep", "version": 1, "fingerprint": {"target": "other"},
           "runs": [{"activation": "relu", "width": 2, "seed": 0, "params": 7, "train_loss": 0.1,
                     "sup_error": 0.5, "l2_error": 0.2}],
           "construction": [{"N": 2, "params": 20, "sup_error": 0.1, "l2_error": None}]}
LM_DOC = {"format": "polyapprox-lm-sweep", "runs": [{
    "activation": "relu", "size": "tiny", "config": {"model": {}}, "params": 100, "tokens": 10, "val_loss": 5.0,
    "tokens_per_s": 1.0, "erank_mean": {"w_in": 1.0, "w_out": 1.0}, "cosine": [0.5],
    "train_curve": [[1, 5.0]], "val_curve": [[1, 5.0]]}]}

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _site(setup: Callable[[Path, str], list[str]], doc_of: Callable[[], Any], harmless_ok: bool,
          data: st.DataObject) -> None:
    text = _draw_tampered(data, doc_of())
    with tempfile.TemporaryDirectory() as tmp:
        argv = setup(Path(tmp), text)
        _check(_run(argv), harmless_ok)


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    return path


@settings(SETTINGS, max_examples=10)  # a harmless change draws a figure (0.5 s each)
@given(data=st.data())
def test_plot_rates_tampered(rates_doc: dict[str, Any], data: st.DataObject) -> None:
    def setup(tmp: Path, text: str) -> list[str]:
        return ["plot", "rates", str(_write(tmp / "r.json", text)), "--out", str(tmp / "f.png")]
    _site(setup, lambda: rates_doc, True, data)


@SETTINGS
@given(data=st.data())
def test_train_ffn_resume_tampered(data: st.DataObject) -> None:
    """FFN_DOC's fingerprint belongs to another config, so even an untouched file is refused (never trains)."""
    def setup(tmp: Path, text: str) -> list[str]:
        _write(tmp / "d" / "results.json", text)
        return ["train", "ffn", "--widths", "2", "--activations", "relu", "--steps", "1", "--quiet", "--out",
                str(tmp / "d"), "--resume"]
    _site(setup, lambda: FFN_DOC, False, data)


@SETTINGS
@given(data=st.data())
def test_train_lm_resume_tampered(data: st.DataObject) -> None:
    """--data names a missing file: a file that passes the check is then refused for the data (never trains)."""
    def setup(tmp: Path, text: str) -> list[str]:
        _write(tmp / "d" / "results.json", text)
        return ["train", "lm", "--activations", "relu", "--models", "tiny", "--steps", "1", "--device", "cpu",
                "--data", str(tmp / "missing.txt"), "--out", str(tmp / "d"), "--resume"]
    _site(setup, lambda: LM_DOC, False, data)


def _verify_doc() -> dict[str, Any]:
    from polyapprox.report import reproduce, steps

    return {"step": "verify", "config": reproduce._config_dict(reproduce.PRESETS["quick"]),
            "constants": steps.fingerprint(),
            "result": {"checks": [{"id": "a", "status": "proved", "method": "m", "seconds": 0.1, "statement": "s"}],
                       "proved": 1, "failed": 0, "seconds": 0.1}}


@SETTINGS
@given(data=st.data())
def test_reproduce_resume_tampered(data: st.DataObject) -> None:
    """A tampered results/verify.json: refused naming the field, or (harmless change) reused; a changed
    config reruns the step (a stand-in here, so each case stays fast)."""
    from polyapprox.report import reproduce

    def fake_verify(cfg: object, out: Path, resume: bool = False) -> dict[str, Any]:
        return _verify_doc()["result"]

    def setup(tmp: Path, text: str) -> list[str]:
        _write(tmp / "d" / "results" / "verify.json", text)
        return ["reproduce", "--steps", "verify", "--out", str(tmp / "d"), "--resume"]
    saved = reproduce.STEPS["verify"]
    reproduce.STEPS["verify"] = ("stand-in", fake_verify)
    try:
        _site(setup, _verify_doc, True, data)
    finally:
        reproduce.STEPS["verify"] = saved


@pytest.mark.parametrize("field", [("points", 0, "params"), ("fit", "intercept"), ("fit", "window"), ("method",)])
def test_named_field_in_the_message(rates_doc: dict[str, Any], field: tuple[Any, ...], tmp_path: Path) -> None:
    bad = _tamper(rates_doc, field, {("fit", "window"): [99], ("method",): 5}.get(field, "x"), delete=False)
    path = _write(tmp_path / "r.json", json.dumps(bad))
    out = _run(["plot", "rates", str(path), "--out", str(tmp_path / "f.png")])
    assert_refused(out)
    assert "field " + ".".join(str(k) for k in field if not isinstance(k, int)).split(".")[0] in out.stderr
    assert not (tmp_path / "f.png").exists()


def test_non_regular_state_files_do_not_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    for source in (str(fifo), str(tmp_path), "/dev/zero"):
        assert_refused(_run(["plot", "rates", source, "--out", str(tmp_path / "f.png")]))


@pytest.mark.parametrize("title", ["$", "cost in $5", "$\\frac{1}$", "$" * 1000, "$x^{2$"])
def test_bad_titles_are_one_line(rates_doc: dict[str, Any], title: str, tmp_path: Path) -> None:
    path = _write(tmp_path / "r.json", json.dumps(rates_doc))
    out = _run(["plot", "rates", str(path), "--out", str(tmp_path / "f.png"), "--title", title])
    assert_refused(out)
    assert "mathtext" in out.stderr and not (tmp_path / "f.png").exists()
