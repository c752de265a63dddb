"""Reading untrusted input files: a size cap, and JSON whose nesting and numbers are bounded before parsing.

``read_capped`` reads at most ``file_bytes`` + 1 bytes, so ``/dev/zero``, a FIFO or a huge file is refused
after one bounded read (a FIFO is opened without blocking); a directory is refused by name.
``parse_json`` checks the nesting depth with a linear pre-scan (limit ``json_depth``) and the digits of every
JSON integer (limit ``number_digits``) before ``json.loads`` builds anything; a ``RecursionError`` is caught
anyway. Every refusal is an exception of the caller's class (or ``LimitError``) with a one-line message.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import stat
from itertools import accumulate
from pathlib import Path
from typing import Any

from polyapprox.core.limits import check, limit
from polyapprox.errors import PolyapproxError

Error = type[PolyapproxError]
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
_CHUNK = 1 << 20


def _open(path: Path, error: Error) -> int:
    """A read-only descriptor of ``path`` (FIFOs opened without waiting for a writer)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise error(f"{str(path)[:80]}: no such file") from None
    except OSError as exc:
        raise error(f"{str(path)[:80]}: cannot read: {exc.strerror}") from None
    if stat.S_ISDIR(st.st_mode):
        raise error(f"{str(path)[:80]}: is a directory, not a file")
    if stat.S_ISREG(st.st_mode):
        check("file_bytes", st.st_size, f"{str(path)[:80]}: bytes")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise error(f"{str(path)[:80]}: cannot read: {exc.strerror}") from None
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
    return fd


def read_capped(path: str | os.PathLike[str], error: Error = PolyapproxError) -> bytes:
    """The bytes of ``path``, at most the ``file_bytes`` limit (``LimitError`` beyond it)."""
    cap = limit("file_bytes")
    fd = _open(Path(path), error)
    chunks, size = [], 0
    try:
        while size <= cap:
            chunk = os.read(fd, min(_CHUNK, cap + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise error(f"{str(path)[:80]}: cannot read: {exc.strerror}") from None
    finally:
        os.close(fd)
    check("file_bytes", size, f"{str(path)[:80]}: bytes (read so far)")
    return b"".join(chunks)


def json_depth(text: str) -> int:
    """The deepest nesting of [ and { in ``text``, strings skipped (linear, no recursion)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def _int_hook(digits: str) -> int:
    check("number_digits", len(digits.lstrip("-").lstrip("0")) or 1, "digits of a JSON integer")
    return int(digits.lstrip("-").lstrip("0") or "0") * (-1 if digits.startswith("-") else 1)


def parse_json(data: bytes | str, error: Error = PolyapproxError) -> Any:
    """The JSON document in ``data`` (UTF-8, an optional BOM), with depth and integer digits bounded."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise error(f"not UTF-8 text (byte {exc.start})") from None
    check("json_depth", json_depth(data), "nesting depth of the JSON document")
    try:
        return json.loads(data, parse_int=_int_hook)
    except json.JSONDecodeError as exc:
        raise error(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise error("not valid JSON: nested too deeply") from None


def load_json(path: str | os.PathLike[str], error: Error = PolyapproxError) -> Any:
    """``parse_json(read_capped(path))`` (read errors name the file, parse errors the place in it)."""
    return parse_json(read_capped(path, error), error)
