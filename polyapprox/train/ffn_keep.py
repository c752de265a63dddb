"""Trained FFN blocks kept and re-checked: the ``state_dict`` saved, ReLU / PolyReLU nets converted exactly.

``keep(model, folder, stem)`` writes ``stem.pt`` (tensors only, loadable with ``torch.load(weights_only=True)``)
and, for activations a ``Net`` can hold (relu, relu2, polyrelu), ``stem.net.json``: the exact dyadic ``Net`` of
``polyapprox.backends.torch_module.from_torch``. ``exact_net`` gives that ``Net`` (read back from the saved
file when there is one), so the error a sweep reports is measured on the saved network itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from polyapprox.core.results import atomic_write

#: Activations whose trained FFN converts exactly to a ``Net`` (``from_torch``); "construct": a trained
#: Theorem 3 net of VarPro (``ConstructedFFN``, which has ``exact_net``).
EXACT = ("relu", "relu2", "polyrelu", "construct")


def exact_net(model: nn.Module) -> Any:
    """The exact ``Net`` of an FFN with a per-unit activation (``from_torch`` of its layers; the model's own
    ``exact_net`` when it has one); None when there is no exact form (Adam's wrapped construction)."""
    from polyapprox.backends.torch_module import from_torch

    if hasattr(model, "exact_net"):
        return model.exact_net()
    layers = getattr(model, "layers", None)
    return None if layers is None else from_torch(layers)


def save_state(model: nn.Module, path: Path) -> Path:
    """``torch.save`` of the float64 CPU ``state_dict`` (tensors only), written atomically."""
    state = {k: v.detach().to("cpu", torch.float64).clone() for k, v in model.state_dict().items()}
    return atomic_write(path, lambda fh: torch.save(state, fh))


def keep(model: nn.Module, activation: str, folder: Path | None, stem: str) -> tuple[Any, dict[str, str]]:
    """Save the model under ``folder`` (if given) and return (its exact ``Net`` or None, the files written).

    The ``Net`` returned is the one read back from ``stem.net.json``, so measuring it measures the file.
    """
    from polyapprox.core import netjson

    net = exact_net(model) if activation in EXACT else None
    files: dict[str, str] = {}
    if folder is None:
        return net, files
    files["state_dict"] = str(save_state(model, folder / f"{stem}.pt"))
    if net is not None:
        path = folder / f"{stem}.net.json"
        netjson.save(net, path)
        files["net"] = str(path)
        net = netjson.load(path)
    return net, files
