"""What the training sweeps read back from their ``results.json`` (``--resume``, ``reproduce --resume``).

Specs for ``core.schema.check``; ``read_ffn_results`` / ``read_lm_results`` read a file and check it, so a
tampered file is an ``InvalidDataError`` naming the field (exit 2), never a KeyError deep in a sweep.
"""

from __future__ import annotations

import os
from typing import Any

from polyapprox.core.results import read_json
from polyapprox.core.schema import NUMBER, check
from polyapprox.errors import shorten

FFN_RESULTS = {
    "format": str, "fingerprint": dict,
    "runs": [{"activation": str, "width": int, "seed": int, "params": int, "train_loss": NUMBER,
              "sup_error": NUMBER, "l2_error": NUMBER}],
    "construction": [{"N": int, "params": int, "sup_error": (NUMBER, None), "l2_error": (NUMBER, None)}],
}
LM_RESULTS = {
    "runs": [{"activation": str, "size": str, "config": dict, "params": int, "tokens": int, "val_loss": NUMBER,
              "tokens_per_s": NUMBER, "erank_mean": {"w_in": NUMBER, "w_out": NUMBER}, "cosine": [NUMBER],
              "train_curve": [[NUMBER, NUMBER], ...], "val_curve": [[NUMBER, NUMBER], ...]}],
}


def read_ffn_results(path: str | os.PathLike[str]) -> dict[str, Any]:
    """An FFN sweep's results.json, checked against ``FFN_RESULTS``."""
    return check(read_json(path), FFN_RESULTS, f"{shorten(os.fspath(path))}: not an FFN results file")


def read_lm_results(path: str | os.PathLike[str]) -> dict[str, Any]:
    """An LM sweep's results.json, checked against ``LM_RESULTS`` (curves as [step, loss] pairs)."""
    return check(read_json(path), LM_RESULTS, f"{shorten(os.fspath(path))}: not an LM results file")
