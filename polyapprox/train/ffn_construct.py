"""Construct-then-train: the exact Theorem 3 net as an FFN that VarPro (and Adam) can train.

``ConstructedFFN(net)`` splits a ``Net`` whose last layer is one affine output (identity activation) into
``layers = Sequential(features, head)``: ``features`` is ``to_torch`` of every layer but the last, with every
weight matrix stored sparse (only the construction's nonzero weights and the biases train, so the nonzero
count stays the construction's), ``head`` a dense ``nn.Linear`` holding the last layer. So
``polyapprox.train.varpro.split_model`` applies unchanged: the head is solved exactly, the rest trained by LM.

Activation coefficients (``coefficients=True``, the default): per layer, the units that share one PolyReLU
spec (e.g. all ``ReLU^r`` units of a layer, or all ReLU units) form a group with ONE trainable coefficient
vector ``(a_0, ..., a_r)`` of ``sum_i a_i ReLU(t)^i``, started at the spec's coefficients, r its order
(zero lower coefficients of ``ReLU^r`` included, as in the FFN's PolyReLU, which trains r + 1 per layer);
identity units carry no coefficient. They enter VarPro's parameter vector like the FFN's PolyReLU
coefficients (every parameter of ``features``). ``coefficients=False`` keeps them fixed. ``coefficient_count``
is what the sweep reports as ``coefficients`` (never added to the nonzero count).
``exact_net`` converts the trained module back to an exact ``Net`` (``from_torch``: trained coefficients
become each unit's exact dyadic PolyReLU spec), to be saved and measured.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from polyapprox.errors import ConfigError


class ConstructedFFN(nn.Module):
    """A Theorem 3 (or any) ``Net`` as ``features -> Linear``; forward (P, d) -> (P,)."""

    def __init__(self, net: Any, dtype: torch.dtype = torch.float64, coefficients: bool = True) -> None:
        super().__init__()
        from polyapprox.backends.torch_module import to_torch
        from polyapprox.core.net import Identity, Net

        last = net.layers[-1]
        if len(net.layers) < 2 or last.out_dim != 1 or not all(isinstance(a, Identity) for a in last.activations):
            raise ConfigError("init: construct needs a net with hidden layers and one affine output")
        head = nn.Linear(last.in_dim, 1, dtype=dtype)
        with torch.no_grad():
            head.weight.copy_(torch.tensor([[float(v) for v in row] for row in last.weight.to_dense()], dtype=dtype))
            head.bias.copy_(torch.tensor([float(b) for b in last.bias], dtype=dtype))
        features = to_torch(Net(net.in_dim, net.layers[:-1]), dtype=dtype, sparse=True, coefficients=coefficients)
        self.layers = nn.Sequential(features, head)

    @property
    def coefficient_count(self) -> int:
        """Trainable activation coefficients (0 when fixed)."""
        return sum(p.numel() for p in self.layers[0].coeffs.values())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x).squeeze(-1)

    def exact_net(self) -> Any:
        """The exact dyadic ``Net`` the module computes: the features' layers, then the head."""
        from polyapprox.backends.torch_module import from_torch
        from polyapprox.core.net import Net

        features, head = from_torch(self.layers[0]), from_torch(nn.Sequential(self.layers[1]))
        return Net(features.in_dim, features.layers + head.layers)
