"""``--out`` safety, one helper for every verb that writes (construct, rates, plot rates, train, reproduce).

* ``refuse_special(path)``: an existing output that is not a regular file (a folder, device, FIFO, socket or
  symlink) is never replaced (``atomic_write`` calls it, so ``--out /dev/null`` cannot replace /dev/null);
* ``locked(out, folder=...)``: an exclusive lock for the duration of a run. The lock file
  (``DIR/.polyapprox.lock`` for a folder, ``.NAME.lock`` beside a file) holds the pid, host and start time;
  the lock itself is ``fcntl.flock``, which the kernel drops when its process dies, so the lock of a dead
  run is taken over. A second run exits 2 naming the pid that holds it;
* ``refuse_finished(out, marker, resume, force)``: a finished folder (one holding ``marker``) is never
  overwritten without ``--resume`` or ``--force``;
* ``staged(out)``: a sweep's files are written into a staging folder and committed together, the manifest
  (``results.json``) last and the old one removed first, so a folder never shows a manifest beside files of
  another run; a run that fails leaves the previous files untouched.

Every failure is an ``OutputError`` (exit 2, one line naming the path). No numpy/sympy/torch here.
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from polyapprox.errors import PolyapproxError, shorten

LOCK_NAME = ".polyapprox.lock"
STAGING_PREFIX = ".staging-"


class OutputError(PolyapproxError):
    """An ``--out`` that cannot or must not be written (the message names the path)."""


def describe(exc: OSError, path: str | os.PathLike[str]) -> OutputError:
    """An ``OutputError`` for an ``OSError`` met while writing ``path``: 'out: PATH: No space left on device'."""
    return OutputError(f"out: cannot write {shorten(os.fspath(path))}: {exc.strerror or type(exc).__name__}")


def _kind(mode: int) -> str:
    kinds = ((stat.S_ISLNK, "a symlink"), (stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"),
             (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket"))
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise describe(exc, path) from None


def refuse_special(path: str | os.PathLike[str]) -> None:
    """Raise ``OutputError`` if ``path`` exists and is not a regular file (symlinks are never followed)."""
    st = _lstat(Path(path))
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise OutputError(f"out: {shorten(os.fspath(path))} exists and is {_kind(st.st_mode)}; refusing to "
                          "replace it (give a new file name)")


def make_folder(out: Path) -> bool:
    """Create the folder ``out`` (and its parents); True if it was created. An existing non-folder is refused
    (a symlink to a folder is accepted: the files written inside it are checked one by one)."""
    st = _lstat(out)
    if st is not None:
        if not stat.S_ISDIR(st.st_mode) and not (stat.S_ISLNK(st.st_mode) and out.is_dir()):
            raise OutputError(f"out: {shorten(os.fspath(out))} exists and is {_kind(st.st_mode)}, not a folder")
        return False
    try:
        out.mkdir(parents=True)
    except FileExistsError:  # created meanwhile by another run: the lock decides
        return False
    except OSError as exc:
        raise describe(exc, out) from None
    return True


def _holder(fd: int) -> str:
    """'pid 123 on host h since 2024-...' from a lock file's text (its first 200 bytes), or 'another run'."""
    with suppress(OSError):
        text = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
        if text:
            return shorten(text, 120)
    return "another run"


def _acquire(path: Path, out: Path) -> int:
    """Open and ``flock`` the lock file ``path`` (non-blocking); write pid, host and time into it."""
    import fcntl

    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise describe(exc, out) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise OutputError(f"out: {shorten(os.fspath(out))} is in use by {holder}; wait for that run to "
                              "finish or use another --out") from None
        st = _lstat(path)
        if st is not None and st.st_ino == os.fstat(fd).st_ino:
            break
        os.close(fd)  # the holder removed the file between our open and flock: lock the new one
    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"pid {os.getpid()} on host {socket.gethostname()} since {started}\n".encode(), 0)
    return fd


def _release(fd: int, path: Path) -> None:
    with suppress(OSError):
        os.unlink(path)  # while still locked, so a waiting opener sees that its file is gone
    os.close(fd)


def _remove_if_empty(folder: Path) -> None:
    with suppress(OSError):
        folder.rmdir()


@contextmanager
def locked(out: str | os.PathLike[str], folder: bool) -> Iterator[Path]:
    """Hold the exclusive lock of ``out`` (a folder, created if needed, or a file) for the ``with`` block.

    A folder this run created and left empty (e.g. the run was refused) is removed again on exit.
    """
    out = Path(out)
    if folder:
        created = make_folder(out)
        lock = out / LOCK_NAME
    else:
        refuse_special(out)
        created = False
        lock = out.parent / f".{out.name}.lock"
        created = make_folder(out.parent)
    fd = _acquire(lock, out)
    try:
        yield out
    finally:
        _release(fd, lock)
        if created:
            _remove_if_empty(out if folder else out.parent)


def refuse_finished(out: Path, marker: str, resume: bool, force: bool, can_resume: bool = True) -> None:
    """Raise ``OutputError`` if ``out/marker`` exists (a finished run) and neither ``resume`` nor ``force``."""
    if (resume and can_resume) or force or not (out / marker).exists():
        return
    how = "--resume to continue it or --force to replace it" if can_resume else "--force to replace it"
    raise OutputError(f"out: {shorten(os.fspath(out))} already holds a finished run ({marker}); pass {how}")


@contextmanager
def staged(out: Path, manifest: str = "results.json", replaces: str | None = None) -> Iterator[Path]:
    """Yield a staging folder inside ``out``; on success commit its files into ``out`` together.

    Commit order: the old ``manifest`` is removed, the staged files are moved in, old files matching the glob
    ``replaces`` that the new run did not write are removed, the new ``manifest`` is moved in last. On any
    exception (Ctrl-C included) the staging folder is deleted and ``out`` is left as it was.
    """
    stage = out / f"{STAGING_PREFIX}{os.getpid()}"
    shutil.rmtree(stage, ignore_errors=True)
    try:
        stage.mkdir()
        yield stage
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    try:
        _commit(stage, out, manifest, replaces)
    except OSError as exc:
        raise describe(exc, out) from None
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _commit(stage: Path, out: Path, manifest: str, replaces: str | None) -> None:
    names = sorted(p.name for p in stage.iterdir())
    with suppress(FileNotFoundError):
        os.unlink(out / manifest)
    for name in names:
        if name != manifest:
            refuse_special(out / name)
            os.replace(stage / name, out / name)
    if replaces:
        for old in out.glob(replaces):
            if old.name not in names:
                old.unlink()
    if manifest in names:
        os.replace(stage / manifest, out / manifest)
