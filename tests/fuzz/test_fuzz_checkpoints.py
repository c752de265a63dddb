"""Hostile LM checkpoints: a pickle payload never runs; corrupt or tampered checkpoints are refused.

A real ``polyapprox`` process resumes from a checkpoint whose pickle would create a canary file when
unpickled (``train lm --resume`` and ``reproduce --steps lm --resume``): exit 2, no canary. The other cases
run the CLI in-process on a copy of one valid partial run whose checkpoint is damaged one way each; every
one must exit 2 with one line on stderr and leave the folder exactly as it was (no results, no plots, the
checkpoint untouched). A valid copy resumes with exit 0, so the refusals are about the damage.
"""

from __future__ import annotations

import io
import pathlib
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polyapprox.cli.main import main
from polyapprox.nn.activations import ACTIVATIONS
from polyapprox.train.checkpoint import CHECKPOINT_FORMAT, CHECKPOINT_VERSION

from .conftest import assert_refused, run_cli

TINY = ["--activations", "relu", "--models", "tiny", "--steps", "4", "--batch-size", "2"]
CKPT = Path("runs") / "tiny-relu" / "checkpoint.pt"


class Payload:
    """Unpickling this object creates the file ``path`` (what an attacker's ``os.system`` would do)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        return pathlib.Path.touch, (pathlib.Path(self.path),)


def _malicious(path: Path, canary: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION, "model": Payload(canary)}, path)


@pytest.fixture(scope="module")
def text(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data") / "corpus.txt"
    path.write_text("def f(x):\n    return x * x + 1\n" * 400)
    return path


@pytest.fixture(scope="module")
def partial_run(tmp_path_factory: pytest.TempPathFactory, text: Path) -> Path:
    """An --out folder holding only the checkpoint of a finished tiny run (results and plots removed)."""
    out = tmp_path_factory.mktemp("base") / "out"
    assert main(["train", "lm", *TINY, "--data", str(text), "--out", str(out), "--json"]) == 0
    for p in out.iterdir():
        if p.is_file():
            p.unlink()
    assert (out / CKPT).is_file()
    return out


def _resume(out: Path, text: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["train", "lm", *TINY, "--data", str(text), "--out", str(out), "--resume", "--json"])
    return code, capsys.readouterr().err


def _snapshot(folder: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None) for p in folder.rglob("*")}


def _assert_refused_in_process(out: Path, text: Path, capsys: pytest.CaptureFixture[str]) -> str:
    before = _snapshot(out)
    code, err = _resume(out, text, capsys)
    lines = err.strip().splitlines()
    assert code == 2, err[-2000:]
    assert len(lines) == 1 and lines[0].startswith("polyapprox: error: checkpoint"), err[-2000:]
    assert len(lines[0]) < 400
    assert _snapshot(out) == before  # nothing written, nothing changed
    return lines[0]


# ---------------------------------------------------------------------------------- real processes, canary


@pytest.mark.parametrize("raw_pickle", [False, True], ids=["torch.save", "pickle.dump"])
def test_pickle_payload_does_not_run_on_train_lm_resume(tmp_path: Path, text: Path, raw_pickle: bool) -> None:
    """Also a plain pickle.dump file (protocol 4, which makes torch warn): still exactly one stderr line."""
    canary = tmp_path / "canary"
    if raw_pickle:
        (tmp_path / "out" / CKPT).parent.mkdir(parents=True)
        (tmp_path / "out" / CKPT).write_bytes(pickle.dumps(Payload(canary), protocol=4))
    else:
        _malicious(tmp_path / "out" / CKPT, canary)
    out = run_cli(["train", "lm", *TINY, "--data", str(text), "--out", "out", "--resume"], tmp_path)
    assert_refused(out, allowed=("lock",))
    assert "unreadable or unsafe" in out.stderr
    assert not canary.exists()


def test_pickle_payload_does_not_run_on_reproduce_lm(tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    for act in ACTIVATIONS:  # whichever run reproduce starts with
        _malicious(tmp_path / "rep" / "lm" / "runs" / f"tiny-{act}" / "checkpoint.pt", canary)
    out = run_cli(["reproduce", "--steps", "lm", "--out", "rep", "--resume"], tmp_path)
    assert out.code == 2 and "Traceback" not in out.stderr, out.stderr[-2000:]
    assert out.stderr.strip().splitlines()[-1].startswith("polyapprox: error: "), out.stderr[-2000:]
    assert not canary.exists()
    assert not any("results" in p or p.endswith(".png") for p in out.created), sorted(out.created)


# ------------------------------------------------------------------------------ damaged files, in-process


def _tamper(path: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    state = torch.load(path, weights_only=True)
    edit(state)
    buf = io.BytesIO()
    torch.save(state, buf)
    path.write_bytes(buf.getvalue())


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda s: s.__setitem__(key, value)


def _first_weight(s: dict[str, Any]) -> torch.Tensor:
    return next(v for v in s["model"].values() if v.is_floating_point())


def _first_moment(s: dict[str, Any]) -> dict[str, Any]:
    return next(iter(s["optimizer"]["state"].values()))


TAMPERED: dict[str, Callable[[dict[str, Any]], None]] = {
    "format": _set("format", "something-else"),
    "version": _set("version", 99),
    "no-model": lambda s: s.pop("model"),
    "model-not-dict": _set("model", [1, 2, 3]),
    "nan-weight": lambda s: _first_weight(s).view(-1).__setitem__(0, float("nan")),
    "inf-weight": lambda s: _first_weight(s).view(-1).__setitem__(0, float("inf")),
    "weight-shape": lambda s: s["model"].__setitem__(next(iter(s["model"])), torch.zeros(3, 3)),
    "weight-dtype": lambda s: s["model"].__setitem__(next(iter(s["model"])), _first_weight(s).double()),
    "extra-weight": lambda s: s["model"].__setitem__("evil", torch.zeros(1)),
    "step-negative": _set("step", -1),
    "step-past-end": _set("step", 10**9),
    "step-bool": _set("step", True),
    "step-float": _set("step", 2.0),
    "losses-short": lambda s: s["train_losses"].pop(),
    "loss-nan": lambda s: s["train_losses"].__setitem__(0, float("nan")),
    "loss-text": lambda s: s["train_losses"].__setitem__(0, "x"),
    "val-pair": _set("val_losses", [[1]]),
    "val-step-order": _set("val_losses", [(2, 1.0), (1, 1.0)]),
    "tokens-negative": _set("tokens", -5),
    "time-nan": _set("train_time", float("nan")),
    "generator-short": _set("data_generator", torch.zeros(7, dtype=torch.uint8)),
    "generator-float": lambda s: s.__setitem__("data_generator", s["data_generator"].float()),
    "rng-missing": lambda s: s.pop("torch_rng"),
    "optimizer-betas": lambda s: s["optimizer"]["param_groups"][0].__setitem__("betas", (0.0, 0.0)),
    "optimizer-lr-nan": lambda s: s["optimizer"]["param_groups"][0].__setitem__("lr", float("nan")),
    "optimizer-params": lambda s: s["optimizer"]["param_groups"][0].__setitem__("params", [0]),
    "moment-shape": lambda s: _first_moment(s).__setitem__("exp_avg", torch.zeros(2)),
    "moment-nan": lambda s: _first_moment(s)["exp_avg_sq"].view(-1).__setitem__(0, float("nan")),
    "moment-extra-key": lambda s: _first_moment(s).__setitem__("evil", 1),
    "config-not-dict": _set("config", "x"),
}

BROKEN_FILES: dict[str, Callable[[Path], None]] = {
    "empty": lambda p: p.write_bytes(b""),
    "truncated": lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]),
    "garbage": lambda p: p.write_bytes(b"\x80\x04garbage" * 100),
    "json": lambda p: p.write_text('{"format": "polyapprox.lm-checkpoint"}'),
    "plain-pickle-list": lambda p: torch.save([1, 2, 3], p),
    "directory": lambda p: (p.unlink(), p.mkdir()),
    "dangling-symlink": lambda p: (p.unlink(), p.symlink_to(p.parent / "nowhere")),
}


@pytest.fixture
def run_copy(tmp_path: Path, partial_run: Path) -> Path:
    out = tmp_path / "out"
    shutil.copytree(partial_run, out, symlinks=True)
    return out


def test_valid_checkpoint_resumes(run_copy: Path, text: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _resume(run_copy, text, capsys)
    assert code == 0, err[-2000:]
    assert (run_copy / "results.json").is_file()


@pytest.mark.parametrize("name", sorted(TAMPERED))
def test_tampered_field_is_refused(name: str, run_copy: Path, text: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    _tamper(run_copy / CKPT, TAMPERED[name])
    _assert_refused_in_process(run_copy, text, capsys)


@pytest.mark.parametrize("name", sorted(BROKEN_FILES))
def test_broken_file_is_refused(name: str, run_copy: Path, text: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    BROKEN_FILES[name](run_copy / CKPT)
    _assert_refused_in_process(run_copy, text, capsys)


def test_oversized_checkpoint_is_refused_before_reading(run_copy: Path, text: Path,
                                                        capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    with open(run_copy / CKPT, "ab") as fh:
        fh.truncate(fh.tell() + 2 * 2**20)  # 2 MB of zeros appended (sparse), over a 1 MB allowance
    monkeypatch.setenv("POLYAPPROX_MAX_FILE_BYTES", str(2**20))
    line = _assert_refused_in_process(run_copy, text, capsys)
    assert "POLYAPPROX_MAX_FILE_BYTES" in line


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_byte_damage_is_refused_or_harmless(data: st.DataObject, partial_run: Path, text: Path,
                                                   tmp_path_factory: pytest.TempPathFactory,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path_factory.mktemp("flip") / "out"
    shutil.copytree(partial_run, out)
    raw = bytearray((out / CKPT).read_bytes())
    for _ in range(data.draw(st.integers(1, 8), label="flips")):
        raw[data.draw(st.integers(0, len(raw) - 1), label="at")] = data.draw(st.integers(0, 255), label="byte")
    (out / CKPT).write_bytes(bytes(raw))
    code, err = _resume(out, text, capsys)
    assert "Traceback" not in err
    if code != 0:  # damage torch's reader and our checks notice; else it hit bytes that do not matter
        assert code == 2 and len(err.strip().splitlines()) == 1, err[-2000:]
        assert not (out / "results.json").exists()
