"""Hostile and careless ``--out`` values: every unwritable kind is exit 2 with one line naming the path,
non-regular targets (device, FIFO, symlink, folder) are never replaced, two runs on one ``--out`` never lose
a result (lock), a finished folder is kept without ``--force``, a failed rerun leaves the old sweep whole,
``reproduce --steps`` merges, and Ctrl-C at any early moment is exit 130 with one line."""

from __future__ import annotations

import errno
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from polyapprox.cli.main import main
from polyapprox.core import outdir
from polyapprox.core.results import atomic_write_text

from .conftest import ROOT, Outcome, assert_refused, run_cli

RATES = ["rates", "--target", "sin1", "--order", "1", "--grids", "2,4"]
CONSTRUCT = ["construct", "relu"]


def _inproc(capsys: pytest.CaptureFixture[str], *argv: str) -> Outcome:
    code = main(list(argv))
    cap = capsys.readouterr()
    return Outcome(code, cap.out, cap.err, frozenset())


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ------------------------------------------------------------------ unwritable --out kinds


def _targets(tmp: Path) -> dict[str, str]:
    """Every kind of --out that cannot be written, by name."""
    (tmp / "afile").write_text("x")
    (tmp / "adir").mkdir()
    return {"existing-dir-as-file": str(tmp / "adir"), "under-a-file": str(tmp / "afile" / "x.json"),
            "name-too-long": str(tmp / ("n" * 300)), "proc": "/proc/self/polyapprox-x.json",
            "dev-null": "/dev/null", "dev-full": "/dev/full"}


@pytest.mark.parametrize("verb", [CONSTRUCT, RATES], ids=["construct", "rates"])
def test_unwritable_out_is_exit_2_naming_the_path(verb: list[str], tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    for kind, target in _targets(tmp_path).items():
        if verb is RATES and kind == "existing-dir-as-file":
            continue  # a folder is what rates wants
        out = _inproc(capsys, *verb, "--out", target)
        assert_refused(out)
        assert target[:40] in out.stderr or "n" * 30 in out.stderr, (kind, out.stderr)
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode) and stat.S_ISCHR(os.stat("/dev/full").st_mode)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        for verb, target in ((CONSTRUCT, ro / "n.json"), (RATES, ro / "d")):
            assert_refused(_inproc(capsys, *verb, "--out", str(target)))
    finally:
        ro.chmod(0o700)


def test_disk_full_is_exit_2_and_leaves_no_temp_file(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def full(*a: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("polyapprox.core.results.os.replace", full)
    out = _inproc(capsys, *CONSTRUCT, "--out", str(tmp_path / "n.json"))
    assert_refused(out)
    assert "No space left" in out.stderr and "n.json" in out.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kind", ["fifo", "symlink-to-file", "dangling-symlink", "folder"])
def test_non_regular_target_is_never_replaced(kind: str, tmp_path: Path) -> None:
    target, victim = tmp_path / "t", tmp_path / "victim"
    victim.write_text("keep")
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "folder":
        target.mkdir()
    else:
        target.symlink_to(victim if kind == "symlink-to-file" else tmp_path / "nowhere")
    before = os.lstat(target)
    with pytest.raises(outdir.OutputError, match="refusing to replace"):
        atomic_write_text(target, "new")
    after = os.lstat(target)
    assert (before.st_ino, before.st_mode) == (after.st_ino, after.st_mode)
    assert victim.read_text() == "keep" and not (tmp_path / "nowhere").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t", "victim"]


def test_fifo_and_symlink_out_through_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fifo, link, victim = tmp_path / "fifo", tmp_path / "link", tmp_path / "victim"
    os.mkfifo(fifo)
    victim.write_text("keep")
    link.symlink_to(victim)
    for verb, target in ((CONSTRUCT, fifo), (CONSTRUCT, link), (RATES, fifo), (RATES, link),
                         (["plot", "rates", str(victim)], link)):
        assert_refused(_inproc(capsys, *verb, "--out", str(target)))
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and os.path.islink(link) and victim.read_text() == "keep"


# ------------------------------------------------------------------ locks


def test_second_run_on_a_locked_out_is_refused_naming_the_pid(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """flock locks belong to an open file, so a second run in this same process is refused like another
    process would be (``test_two_concurrent_runs_lose_nothing`` uses two real processes)."""
    out = tmp_path / "d"
    with outdir.locked(out, folder=True):
        (out / "results.json").write_text('{"mine": 1}')
        second = _inproc(capsys, *RATES, "--out", str(out), "--force")
        file_out = tmp_path / "n.json"
        with outdir.locked(file_out, folder=False):
            third = _inproc(capsys, *CONSTRUCT, "--out", str(file_out))
    for result in (second, third):
        assert_refused(result)
        assert f"pid {os.getpid()}" in result.stderr and "in use" in result.stderr
    assert (out / "results.json").read_text() == '{"mine": 1}' and not file_out.exists()
    assert sorted(p.name for p in out.iterdir()) == ["results.json"]  # lock released and removed


def test_two_concurrent_runs_lose_nothing(tmp_path: Path) -> None:
    out = tmp_path / "d"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    first = subprocess.Popen([sys.executable, "-m", "polyapprox", *RATES[:-1], "2,4,8,16,32,64,128", "--out",
                              str(out)], cwd=tmp_path, env=env, stderr=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True)
    deadline = time.time() + 20
    while not (out / outdir.LOCK_NAME).exists() and time.time() < deadline:
        time.sleep(0.02)
    second = run_cli(["rates", "--target", "exp1", "--order", "2", "--grids", "2", "--out", str(out), "--force"],
                     tmp_path)
    _, err = first.communicate(timeout=60)
    assert first.returncode == 0, err[-2000:]
    assert second.code == 2 and f"pid {first.pid}" in second.stderr, second.stderr
    import json

    doc = json.loads((out / "results.json").read_text())
    assert doc["target"] == "sin1" and [p["N"] for p in doc["points"]] == [2, 4, 8, 16, 32, 64, 128]
    assert sorted(p.name for p in out.glob("net_N*.json")) == sorted(f"net_N{n}.json" for n in
                                                                      (2, 4, 8, 16, 32, 64, 128))


def test_stale_lock_of_a_dead_process_is_taken_over(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "d"
    out.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", "import fcntl, os, sys, time; "
                               f"fd = os.open({str(out / outdir.LOCK_NAME)!r}, os.O_RDWR | os.O_CREAT); "
                               "fcntl.flock(fd, fcntl.LOCK_EX); os.write(fd, b'pid dead'); print(1, flush=True); "
                               "time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "1"
    assert_refused(_inproc(capsys, *RATES, "--out", str(out)))  # alive: refused
    holder.kill()
    holder.communicate()  # waits and closes the pipe
    assert (out / outdir.LOCK_NAME).read_text() == "pid dead"  # the dead run's lock file is still there
    assert _inproc(capsys, *RATES, "--out", str(out)).code == 0
    assert (out / "results.json").exists() and not (out / outdir.LOCK_NAME).exists()


# ------------------------------------------------------------------ finished folders, failed reruns


def test_finished_folder_is_not_overwritten_without_force(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "d"
    assert _inproc(capsys, *RATES, "--out", str(out)).code == 0
    before = _snapshot(out)
    refused = _inproc(capsys, "rates", "--target", "exp1", "--order", "1", "--grids", "2", "--out", str(out))
    assert_refused(refused)
    assert "--force" in refused.stderr and _snapshot(out) == before
    assert _inproc(capsys, "rates", "--target", "exp1", "--order", "1", "--grids", "2", "--out", str(out),
                   "--force").code == 0
    assert sorted(p.name for p in out.glob("net_*")) == ["net_N2.json"]  # N=4 of the old run removed
    # the training verbs and reproduce: a folder holding results is refused before any work
    for argv, marker in ((["train", "ffn"], "results.json"), (["train", "lm"], "results.json"),
                         (["reproduce", "--steps", "verify"], "results/verify.json")):
        folder = tmp_path / argv[-1]
        (folder / marker).parent.mkdir(parents=True, exist_ok=True)
        (folder / marker).write_text("{}")
        out_ = _inproc(capsys, *argv, "--out", str(folder))
        assert_refused(out_)
        assert "--force" in out_.stderr and (folder / marker).read_text() == "{}"


@pytest.mark.parametrize("failure", [KeyboardInterrupt, "error"])
def test_failed_rerun_leaves_the_old_sweep_whole(failure: object, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from polyapprox.approx import sweeps
    from polyapprox.errors import ConfigError

    out = tmp_path / "d"
    assert _inproc(capsys, *RATES, "--out", str(out)).code == 0
    before = _snapshot(out)
    real = sweeps.measure_point

    def fail_at_4(cfg: object, N: int, progress: object = None) -> object:
        if N == 4:
            raise KeyboardInterrupt if failure is KeyboardInterrupt else ConfigError("half-way")
        return real(cfg, N, progress)  # type: ignore[arg-type]

    monkeypatch.setattr(sweeps, "measure_point", fail_at_4)
    rerun = _inproc(capsys, "rates", "--target", "exp1", "--order", "1", "--grids", "2,4", "--out", str(out),
                    "--force")
    assert rerun.code == (130 if failure is KeyboardInterrupt else 2)  # stderr also holds the progress lines
    assert rerun.stderr.splitlines()[-1] in ("polyapprox: interrupted", "polyapprox: error: half-way")
    assert _snapshot(out) == before and sorted(p.name for p in out.iterdir()) == sorted(before)


def test_construct_proves_then_writes(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from polyapprox.symbolic import certificate

    out = tmp_path / "n.json"

    def refuted(*a: object, **k: object) -> object:
        assert not out.exists(), "written before the proof"
        return certificate.Certificate(status="refuted", method="test", seconds=0.0)

    monkeypatch.setattr("polyapprox.symbolic.prove_equal", refuted)
    assert _inproc(capsys, *CONSTRUCT, "--out", str(out)).code == 1
    assert not out.exists()
    monkeypatch.undo()
    assert _inproc(capsys, *CONSTRUCT, "--out", str(out)).code == 0 and out.exists()


# ------------------------------------------------------------------ reproduce: resume and merge


def test_reproduce_steps_merge_and_resume_only_when_asked(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from polyapprox.report import reproduce, steps

    calls: list[tuple[str, bool]] = []

    def fake_verify(cfg: object, out: Path, resume: bool = False) -> dict:
        calls.append(("verify", resume))
        return {"checks": [{"id": "x", "status": "proved", "method": "m", "seconds": 0.1, "statement": "s"}],
                "proved": 1, "failed": 0}

    def fake_lm(cfg: object, out: Path, resume: bool = False) -> dict:
        calls.append(("lm", resume))
        return {"runs": [], "fits": {}, "figures": []}

    monkeypatch.setitem(reproduce.STEPS, "verify", ("v", fake_verify))
    monkeypatch.setitem(reproduce.STEPS, "lm", ("l", fake_lm))
    monkeypatch.setitem(steps.SCHEMAS, "lm", {"runs": list, "figures": list})
    out = str(tmp_path / "rep")
    assert _inproc(capsys, "reproduce", "--out", out, "--steps", "verify").code == 0
    assert _inproc(capsys, "reproduce", "--out", out, "--steps", "lm").code == 0
    md = (tmp_path / "rep" / "report.md").read_text()
    assert "Lemma suite" in md and "Language models" in md  # verify kept beside lm
    assert_refused(_inproc(capsys, "reproduce", "--out", out, "--steps", "lm"))  # neither --resume nor --force
    assert _inproc(capsys, "reproduce", "--out", out, "--steps", "lm", "--force").code == 0
    assert _inproc(capsys, "reproduce", "--out", out, "--steps", "lm", "--resume").code == 0
    assert calls == [("verify", False), ("lm", False), ("lm", False)]  # the --resume run reused the result
    assert "Lemma suite" in (tmp_path / "rep" / "report.md").read_text()


def test_lm_step_resumes_checkpoints_only_with_resume(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from polyapprox.report import reproduce, steps
    from polyapprox.train import lm_sweep

    seen: list[bool] = []

    def fake_sweep(*a: object, resume: bool = False, **k: object) -> dict:
        seen.append(resume)
        return {"runs": [], "fits": {}}

    monkeypatch.setattr(lm_sweep, "run_sweep", fake_sweep)
    for resume in (False, True):
        steps.lm_step(reproduce.PRESETS["quick"], tmp_path, resume)
    assert seen == [False, True]


# ------------------------------------------------------------------ Ctrl-C


def _python_startup() -> float:
    """Seconds from spawning ``python`` to its first line of user code (the slowest of 3): before that the
    interpreter's own start-up runs, which no code of polyapprox can reach."""
    worst = 0.0
    for _ in range(3):
        t0 = time.time()
        out = subprocess.run([sys.executable, "-c", "import time; print(time.time())"], capture_output=True,
                             text=True, check=True)
        worst = max(worst, float(out.stdout) - t0)
    return worst


def test_ctrl_c_at_any_early_moment_is_130_one_line(tmp_path: Path) -> None:
    start = _python_startup()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for delay in (0.05, 0.2, 0.5, 1.0, 2.0):
        out = tmp_path / f"d{delay}"
        proc = subprocess.Popen([sys.executable, "-m", "polyapprox", *RATES[:-1], "2,4,8,16,32,64,128", "--out",
                                 str(out)], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        time.sleep(start + delay)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        lines = [ln for ln in err.splitlines() if ln.strip() and not ln.startswith(("sweep ", "  N="))]
        assert proc.returncode == 130, (delay, proc.returncode, err[-2000:])
        assert lines == ["polyapprox: interrupted"], (delay, err[-2000:])
        left = sorted(p.name for p in out.rglob("*")) if out.exists() else []
        assert not left or left == [outdir.LOCK_NAME], (delay, left)  # no staging folder, no partial results
