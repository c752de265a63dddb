"""Training harnesses (torch): ``lm`` (GPT with swappable FFN activation), its data, loop, sweep and analyses.

Modules: ``lm`` (model, sizes, parameter matching, weight-decay groups), ``data`` (byte-level corpus, no
download), ``lm_train`` (AdamW + cosine loop, exact resume, DDP), ``checkpoint`` (atomic writes),
``lm_analysis`` (effective rank, layer cosine similarity), ``lm_scaling`` (L(N) fit), ``lm_plots`` (Figures),
``lm_sweep`` (activations x sizes -> results.json). Names below load lazily, so importing
``polyapprox.train.lm_plots`` does not import torch.
"""

from __future__ import annotations

from polyapprox.core.lazy import lazy_exports

_LAZY = {
    "LMConfig": "polyapprox.train.lm",
    "GPT": "polyapprox.train.lm",
    "SIZES": "polyapprox.train.lm",
    "build_model": "polyapprox.train.lm",
    "ffn_hidden": "polyapprox.train.lm",
    "lm_config": "polyapprox.train.lm",
    "param_groups": "polyapprox.train.lm",
    "load_corpus": "polyapprox.train.data",
    "TrainConfig": "polyapprox.train.lm_train",
    "train_config": "polyapprox.train.lm_train",
    "train_lm": "polyapprox.train.lm_train",
    "effective_rank": "polyapprox.train.lm_analysis",
    "fit_power_law": "polyapprox.train.lm_scaling",
    "SweepConfig": "polyapprox.train.lm_sweep",
    "run_sweep": "polyapprox.train.lm_sweep",
}

__all__ = sorted(_LAZY)


__getattr__, __dir__ = lazy_exports('polyapprox.train', _LAZY, globals())
