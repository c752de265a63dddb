"""Byte-level LM data: the standard-library corpus, user text, file-wise split, seeded batches, bad input."""

from __future__ import annotations

import pytest
import torch

from polyapprox.errors import InvalidDataError
from polyapprox.train.data import (
    Document,
    load_corpus,
    path_documents,
    sample_batch,
    split_documents,
    stdlib_documents,
)

SMALL_CAP = 300_000  # bytes: enough files for a split, loads in milliseconds


def test_stdlib_corpus_is_deterministic_and_capped():
    a, b = stdlib_documents(SMALL_CAP), stdlib_documents(SMALL_CAP)
    assert [d.name for d in a] == [d.name for d in b]
    assert [d.name for d in a] == sorted(d.name for d in a)
    assert 0 < sum(len(d.data) for d in a) <= SMALL_CAP
    assert all(d.name.endswith(".py") and "site-packages" not in d.name for d in a)


def _docs(n: int) -> list[Document]:
    return [Document(f"f{i:02d}", bytes([97 + i % 26]) * (10 + i)) for i in range(n)]


def test_split_is_by_file_and_seeded():
    docs = _docs(20)
    train, val, n_val = split_documents(docs, seed=0)
    assert n_val == 2  # ceil(0.1 * 20)
    assert train.numel() + val.numel() == sum(len(d.data) for d in docs)
    again = split_documents(docs, seed=0)
    assert torch.equal(again[0], train) and torch.equal(again[1], val)
    other = split_documents(docs, seed=1)
    assert not torch.equal(other[1], val)
    # each file is one distinct letter: a file-wise split puts every letter on one side only
    val_letters, train_letters = set(bytes(val.tolist())), set(bytes(train.tolist()))
    assert len(val_letters) == 2 and not val_letters & train_letters


def test_single_file_is_split_by_position(tmp_path):
    f = tmp_path / "one.txt"
    f.write_text("abcdefghij" * 10)
    corpus = load_corpus(f, seed=0)
    assert corpus.train.numel() == 90 and corpus.val.numel() == 10
    assert bytes(corpus.val.tolist()) == b"abcdefghij"


def test_folder_corpus(tmp_path):
    for i in range(5):
        (tmp_path / f"{i}.txt").write_text(f"text number {i}\n" * 20)
    (tmp_path / ".hidden").write_bytes(b"\x00\x01")  # hidden files are ignored
    corpus = load_corpus(tmp_path, seed=0)
    assert corpus.n_files == 5 and corpus.n_val_files == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"abc\x00def", "NUL byte at offset 3"), (b"ok \xff\xfe", "not UTF-8")],
    ids=["nul", "invalid-utf8"],
)
def test_binary_file_is_refused(tmp_path, content, message):
    (tmp_path / "good.txt").write_text("fine")
    (tmp_path / "bad.bin").write_bytes(content)
    with pytest.raises(InvalidDataError, match=message):
        path_documents(tmp_path)


def test_empty_folder_and_missing_path(tmp_path):
    with pytest.raises(InvalidDataError, match="no files"):
        path_documents(tmp_path)
    with pytest.raises(InvalidDataError, match="no such file"):
        path_documents(tmp_path / "absent")


def test_sample_batch_shift_and_rank_slices():
    tokens = torch.arange(200, dtype=torch.uint8)
    x, y = sample_batch(tokens, 6, 8, torch.Generator().manual_seed(5))
    assert x.shape == y.shape == (6, 8) and x.dtype == torch.int64
    assert torch.equal(x[:, 1:], y[:, :-1])
    assert torch.equal(y - x, torch.ones_like(x))  # consecutive bytes of arange
    parts = [sample_batch(tokens, 3, 8, torch.Generator().manual_seed(5), rank=r, world=2) for r in range(2)]
    assert torch.equal(torch.cat([p[0] for p in parts]), x)
