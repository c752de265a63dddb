"""The reproduce step runner (resume, config keys) and the `reproduce` verb end to end on the verify step."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from polyapprox.cli import main
from polyapprox.errors import ConfigError
from polyapprox.report import reproduce


@pytest.fixture
def counting_step(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []

    def fake(cfg: reproduce.ReproduceConfig, out: Path, resume: bool = False) -> dict:
        calls.append(cfg.seed)
        return {"value": cfg.seed}

    monkeypatch.setitem(reproduce.STEPS, "fake", ("a test step", fake))
    return calls


def test_resume_reuses_a_finished_step(tmp_path: Path, counting_step: list[int]) -> None:
    cfg = reproduce.PRESETS["quick"]
    first = reproduce.run_steps(cfg, tmp_path, resume=False, only=("fake",), log=lambda s: None)
    again = reproduce.run_steps(cfg, tmp_path, resume=True, only=("fake",), log=lambda s: None)
    assert counting_step == [0] and first["fake"]["value"] == again["fake"]["value"] == 0


def test_resume_reruns_when_the_config_changed(tmp_path: Path, counting_step: list[int]) -> None:
    cfg = reproduce.PRESETS["quick"]
    reproduce.run_steps(cfg, tmp_path, resume=False, only=("fake",), log=lambda s: None)
    reproduce.run_steps(dataclasses.replace(cfg, seed=5), tmp_path, resume=True, only=("fake",), log=lambda s: None)
    assert counting_step == [0, 5]


def test_unknown_step_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown 'nope'"):
        reproduce.run_steps(reproduce.PRESETS["quick"], tmp_path, resume=False, only=("nope",))


def test_reproduce_verify_step_writes_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "rep"
    assert main(["reproduce", "--out", str(out), "--steps", "verify", "--json"]) == 0
    summary = capsys.readouterr().out
    assert '"holds"' in summary
    md = (out / "report.md").read_text()
    assert "## Lemma suite (exact certificates)" in md and "**holds**" in md
    assert (out / "report.html").read_text().startswith("<!DOCTYPE html>")
    assert (out / "results" / "verify.json").exists()


@pytest.mark.parametrize("argv", [["--device", "cuda"], ["--steps", "nope"]], ids=["no-cuda", "unknown-step"])
def test_reproduce_bad_input_exit_2(argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import torch

    if argv[0] == "--device" and torch.cuda.is_available():
        pytest.skip("a GPU is present")
    assert main(["reproduce", "--out", str(tmp_path), *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("polyapprox: error:")
