"""Names shared by the torch layers and the command line, importable without torch (fast ``--help``).

``ACTIVATIONS``: the trainable activation modules of ``polyapprox.nn`` (re-exported there).
``LM_SIZES``: the language-model size presets of ``polyapprox.train.lm`` as (d_model, n_layer, n_head,
context); tiny runs on a CPU in seconds, large is ~113M parameters.
"""

from __future__ import annotations

#: Activation names accepted everywhere (CLI, FFN and LM configs).
ACTIVATIONS: tuple[str, ...] = ("relu", "relu2", "gelu", "swiglu", "polyrelu", "polynorm")

#: Size presets: (d_model, n_layer, n_head, context).
LM_SIZES: dict[str, tuple[int, int, int, int]] = {
    "tiny": (64, 2, 4, 64),
    "small": (128, 4, 4, 128),
    "medium": (256, 6, 8, 256),
    "base": (512, 8, 8, 512),
    "large": (768, 16, 12, 1024),
}
