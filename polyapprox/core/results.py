"""Result files: atomic writes (temp file + ``os.replace``), checked reads of state files, provenance stamps."""

from __future__ import annotations

import json
import math
import os
import platform
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from polyapprox.core.limits import LimitError
from polyapprox.core.outdir import describe, refuse_special
from polyapprox.core.schema import check
from polyapprox.errors import ConfigError, InvalidDataError, shorten


def atomic_write(path: str | os.PathLike[str], write: Callable[[BinaryIO], object]) -> Path:
    """Call ``write(fh)`` on a temp file in the target folder, then ``os.replace`` it onto ``path``.

    An interrupted run leaves either the old file or the new one, never a torn one. The folder is created
    if needed; the file is world-readable (mkstemp's default 0600 is meant for secrets, not results). An
    existing ``path`` that is not a regular file (folder, device, FIFO, symlink) is refused, never replaced
    and never followed; an ``OSError`` (read-only folder, disk full, name too long) becomes an
    ``OutputError`` naming ``path`` (exit 2).
    """
    path = Path(path)
    refuse_special(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:200]}.", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        _unlink(tmp)
        raise describe(exc, path) from None
    except BaseException:
        _unlink(tmp)
        raise
    return path


def _unlink(path: str | None) -> None:
    if path is not None and os.path.lexists(path):
        os.unlink(path)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    return atomic_write(path, lambda fh: fh.write(data))


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode())


def write_json(path: str | os.PathLike[str], payload: Any) -> Path:
    """Atomic JSON write (indent 2, non-JSON values via ``str``)."""
    return atomic_write_text(path, json.dumps(payload, indent=2, default=str) + "\n")


def read_json(path: str | os.PathLike[str], spec: Any = None) -> Any:
    """Read a JSON state file, checked: a regular file within the ``file_bytes`` limit, valid UTF-8 JSON within
    Python's nesting limit, and (if ``spec`` is given) matching ``spec`` (``core.schema``). Every failure is an
    ``InvalidDataError`` naming the file (exit 2)."""
    from polyapprox.core.inputs import parse_json, read_capped

    name = shorten(os.fspath(path))
    try:  # the one capped reader and depth/digit-bounded JSON parser of core.inputs
        doc = parse_json(read_capped(path, InvalidDataError), InvalidDataError)
    except LimitError:
        raise
    except InvalidDataError as exc:
        raise InvalidDataError(f"{name}: {exc}" if name not in str(exc) else str(exc)) from None
    return doc if spec is None else check(doc, spec, name)


#: how every table and text output shows a missing number (None, NaN, no interval, no fit)
MISSING = "-"


def format_value(v: Any, spec: str = ".3g") -> str:
    """``format(v, spec)``, or ``MISSING`` for None and non-finite floats: the one rendering of a missing
    value in the CLI's text output and the report."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return MISSING
    return format(v, spec)


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


#: figure formats ``save_figure`` writes, chosen by the path's suffix
FIGURE_FORMATS = ("png", "pdf", "svg")


def figure_format(path: str | os.PathLike[str]) -> str:
    """The format named by ``path``'s suffix (png, pdf or svg); any other suffix is a ``ConfigError`` (exit 2)."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FIGURE_FORMATS:
        raise ConfigError(f"out: {shorten(os.fspath(path))!r} must end in .png, .pdf or .svg")
    return suffix


def save_figure(fig: Any, path: str, formats: Sequence[str] | None = None) -> list[str]:
    """Save a matplotlib ``fig`` atomically; returns the written paths.

    Without ``formats`` the one format named by ``path``'s suffix is written (``figure_format``: .png, .pdf,
    .svg; anything else is refused before writing). With ``formats`` the file is written once per format, as
    PATH with that format's suffix (a known suffix of PATH is replaced).
    """
    import io

    base = Path(path)
    if formats is None:
        formats, stem = (figure_format(base),), base.with_suffix("")
    else:
        stem = base.with_suffix("") if base.suffix.lower().lstrip(".") in FIGURE_FORMATS else base
    out = []
    for fmt in formats:
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, dpi=120, bbox_inches="tight")
        target = stem.with_suffix(f".{fmt}")
        atomic_write_bytes(target, buf.getvalue())
        out.append(str(target))
    return out
