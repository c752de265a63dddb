"""Byte-level language-model data with no download: the Python standard library's own source, or user text.

Tokens are raw UTF-8 bytes (vocabulary 256). The default corpus is the ``*.py`` files under
``sysconfig.get_paths()["stdlib"]`` (``site-packages`` excluded), in sorted relative-path order, whole files
taken until ``max_bytes`` would be exceeded; it therefore depends on the Python version (its ``sha256`` is
recorded with every result). Train/validation are split *by file* with a seeded permutation; a corpus of one
file is split by position (last ``val_fraction`` of its bytes).
"""

from __future__ import annotations

import hashlib
import math
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import torch

from polyapprox.core.limits import check
from polyapprox.errors import InvalidDataError

#: Default cap on the standard-library corpus (bytes): loads in well under a second.
DEFAULT_MAX_BYTES = 4_000_000
VAL_FRACTION = 0.1
_EXCLUDED_DIRS = ("site-packages", "dist-packages", "__pycache__")


@dataclass(frozen=True)
class Document:
    name: str
    data: bytes


@dataclass(frozen=True)
class Corpus:
    """Train and validation tokens (uint8, 1-D) plus provenance."""

    train: torch.Tensor
    val: torch.Tensor
    source: str
    n_files: int
    n_val_files: int
    sha256: str

    def describe(self) -> dict:
        return {
            "source": self.source,
            "files": self.n_files,
            "val_files": self.n_val_files,
            "train_tokens": int(self.train.numel()),
            "val_tokens": int(self.val.numel()),
            "sha256": self.sha256,
        }


def _check_text(name: str, data: bytes) -> None:
    """InvalidDataError unless ``data`` is UTF-8 text without NUL bytes."""
    nul = data.find(b"\x00")
    if nul >= 0:
        raise InvalidDataError(f"data: {name}: binary file (NUL byte at offset {nul})")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidDataError(f"data: {name}: not UTF-8 text (invalid byte at offset {exc.start})") from None


def stdlib_documents(max_bytes: int = DEFAULT_MAX_BYTES) -> list[Document]:
    """Standard-library ``*.py`` files in sorted order, whole files, total <= ``max_bytes``.

    Files that are not UTF-8 text (a few encoding test fixtures) are skipped.
    """
    root = Path(sysconfig.get_paths()["stdlib"])
    paths = sorted(
        (p for p in root.rglob("*.py") if not set(p.relative_to(root).parts) & set(_EXCLUDED_DIRS)),
        key=lambda p: p.relative_to(root).as_posix(),
    )
    docs, total = [], 0
    for p in paths:
        try:
            data = p.read_bytes()
            _check_text(str(p), data)
        except (OSError, InvalidDataError):
            continue
        if total + len(data) > max_bytes:
            break
        docs.append(Document(p.relative_to(root).as_posix(), data))
        total += len(data)
    if not docs:
        raise InvalidDataError(f"data: no readable *.py files in the standard library at {root}")
    return docs


def path_documents(path: str | Path) -> list[Document]:
    """One text file, or every non-hidden file under a folder (sorted); each must be UTF-8 text."""
    path = Path(path)
    if not path.exists():
        raise InvalidDataError(f"data: {path}: no such file or folder")
    if path.is_file():
        files = [path]
    elif not path.is_dir():
        raise InvalidDataError(f"data: {str(path)[-80:]}: not a regular file or folder")
    else:
        files = sorted(
            (
                p
                for p in path.rglob("*")
                if p.is_file() and not any(s.startswith(".") for s in p.relative_to(path).parts)
            ),
            key=lambda p: p.relative_to(path).as_posix(),
        )
        if not files:
            raise InvalidDataError(f"data: {path}: folder holds no files")
    total = sum(p.stat().st_size for p in files)  # the corpus is held in memory about twice (bytes + tokens)
    check("memory_mb", -(-2 * total // 2**20), f"memory for the {total:,} bytes of text in --data, in MB")
    docs = []
    for p in files:
        data = p.read_bytes()
        _check_text(str(p), data)
        if data:
            docs.append(Document(p.name if p == path else p.relative_to(path).as_posix(), data))
    if not docs:
        raise InvalidDataError(f"data: {path}: all files are empty")
    return docs


def _tokens(docs: list[Document]) -> torch.Tensor:
    if not any(d.data for d in docs):
        return torch.empty(0, dtype=torch.uint8)
    return torch.frombuffer(bytearray(b"".join(d.data for d in docs)), dtype=torch.uint8)


def split_documents(
    docs: list[Document], seed: int, val_fraction: float = VAL_FRACTION
) -> tuple[torch.Tensor, torch.Tensor, int]:
    """(train tokens, val tokens, number of val files): ``ceil(val_fraction * n)`` files chosen by a seeded
    permutation go to validation; both splits keep sorted file order. One file: split by position."""
    if len(docs) == 1:
        data = docs[0].data
        cut = len(data) - max(1, math.ceil(val_fraction * len(data)))
        return _tokens([Document("train", data[:cut])]), _tokens([Document("val", data[cut:])]), 0
    n_val = min(len(docs) - 1, max(1, math.ceil(val_fraction * len(docs))))
    perm = torch.randperm(len(docs), generator=torch.Generator().manual_seed(seed)).tolist()
    val_idx = set(perm[:n_val])
    train = [d for i, d in enumerate(docs) if i not in val_idx]
    val = [d for i, d in enumerate(docs) if i in val_idx]
    return _tokens(train), _tokens(val), n_val


def load_corpus(data: str | Path | None, seed: int, max_bytes: int = DEFAULT_MAX_BYTES) -> Corpus:
    """The default standard-library corpus (``data=None``) or the text at ``data``, split by file."""
    docs = stdlib_documents(max_bytes) if data is None else path_documents(data)
    digest = hashlib.sha256()
    for d in docs:
        digest.update(d.name.encode() + b"\x00" + hashlib.sha256(d.data).digest())
    train, val, n_val = split_documents(docs, seed)
    source = "python-stdlib" if data is None else str(data)
    return Corpus(train, val, source, len(docs), n_val, digest.hexdigest())


def check_length(corpus: Corpus, context: int) -> None:
    """Both splits need at least ``context + 1`` tokens to form one (x, y) pair."""
    for name, tokens in (("train", corpus.train), ("validation", corpus.val)):
        if tokens.numel() < context + 1:
            raise InvalidDataError(
                f"data: {corpus.source}: {name} split has {tokens.numel()} bytes, needs >= {context + 1}"
            )


def sample_batch(
    tokens: torch.Tensor, batch: int, context: int, generator: torch.Generator, rank: int = 0, world: int = 1
) -> tuple[torch.Tensor, torch.Tensor]:
    """Random windows: x (batch, context), y = x shifted by one (int64).

    Draws ``world * batch`` start offsets from ``generator`` and keeps slice ``rank``; so ``world`` processes
    with the same generator state see exactly the windows of one process with batch ``world * batch``.
    """
    starts = torch.randint(0, tokens.numel() - context, (world * batch,), generator=generator)
    starts = starts[rank * batch : (rank + 1) * batch]
    offsets = torch.arange(context + 1)
    windows = tokens[starts[:, None] + offsets].long()  # (batch, context + 1)
    return windows[:, :-1], windows[:, 1:]
