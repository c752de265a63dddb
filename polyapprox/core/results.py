"""Result files: atomic writes (temp file + ``os.replace``) and provenance stamps."""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, BinaryIO


def atomic_write(path: str | os.PathLike[str], write: Callable[[BinaryIO], object]) -> Path:
    """Call ``write(fh)`` on a temp file in the target folder, then ``os.replace`` it onto ``path``.

    An interrupted run leaves either the old file or the new one, never a torn one. The folder is created
    if needed; the file is world-readable (mkstemp's default 0600 is meant for secrets, not results).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    return atomic_write(path, lambda fh: fh.write(data))


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode())


def write_json(path: str | os.PathLike[str], payload: Any) -> Path:
    """Atomic JSON write (indent 2, non-JSON values via ``str``)."""
    return atomic_write_text(path, json.dumps(payload, indent=2, default=str) + "\n")


def read_json(path: str | os.PathLike[str]) -> Any:
    return json.loads(Path(path).read_text())


def provenance() -> dict[str, str]:
    """Versions stored with every result (package, Python, numpy, platform; torch if imported)."""
    import numpy

    from polyapprox import __version__

    out = {
        "polyapprox": __version__,
        "python": sys.version.split()[0],
        "numpy": numpy.__version__,
        "platform": platform.platform(),
    }
    torch = sys.modules.get("torch")
    if torch is not None:
        out["torch"] = torch.__version__
    return out


def save_figure(fig: Any, path: str, formats: Sequence[str] = ("png", "svg")) -> list[str]:
    """Save a matplotlib ``fig`` atomically as PATH(.png/.svg) for each format; returns the written paths."""
    import io
    from pathlib import Path

    base = Path(path)
    stem = base.with_suffix("") if base.suffix.lstrip(".") in formats else base
    out = []
    for fmt in formats:
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, dpi=120, bbox_inches="tight")
        target = stem.with_suffix(f".{fmt}")
        atomic_write_bytes(target, buf.getvalue())
        out.append(str(target))
    return out
