"""Boosting (Michaud, Liu & Tegmark 2023, "Precision Machine Learning"): a second network on the first's residual.

``residual_data(model, data)`` is the first network's residual ``y - f1(x)`` on the training and validation
points, divided by its training RMS ``s`` (so the second fit sees O(1) labels, as in the paper); the second
network is fitted to it and its output layer multiplied by ``s`` (``rescale_head_``). ``Boosted(f1, f2)``
computes ``f1 + f2``; both networks' parameters are counted (``param_counts`` walks both). For FFNs of one
depth the sum is itself an exact ``Net`` (``exact_net``): the hidden layers side by side (first layer stacked,
later ones block-diagonal, each unit keeping its own activation), one output row ``[c1, c2]`` and bias
``b1 + b2``, so a boosted point is saved and re-measured like any other.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from typing import Any

import numpy as np
import torch
from torch import nn

from polyapprox.train.ffn import Dataset, numpy_callable
from polyapprox.train.varpro import split_model


def residual_data(model: nn.Module, data: Dataset) -> tuple[Dataset, float]:
    """(the residual data set divided by its training RMS ``s``, ``s``); ``s = 1`` for a zero residual."""
    f = numpy_callable(model)
    r_train, r_val = data.y_train - f(data.x_train), data.y_val - f(data.x_val)
    s = float(np.sqrt(np.mean(r_train**2)))
    s = s if s > 0 and np.isfinite(s) else 1.0
    return dataclasses.replace(data, y_train=r_train / s, y_val=r_val / s), s


def rescale_head_(model: nn.Module, s: float) -> nn.Module:
    """Multiply the last ``Linear`` (weights and bias) by ``s``: the net fitted to ``r / s`` then fits ``r``."""
    head = split_model(model)[1]
    with torch.no_grad():
        head.weight.mul_(s)
        head.bias.mul_(s)
    return model


class Boosted(nn.Module):
    """``f1 + f2`` of two networks with the same input; forward (P, d) -> (P,)."""

    def __init__(self, first: nn.Module, second: nn.Module) -> None:
        super().__init__()
        self.first, self.second = first, second

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.first(x) + self.second(x)

    def exact_net(self) -> Any:
        """The exact ``Net`` of the sum (both FFNs converted by ``from_torch``, then placed side by side)."""
        from polyapprox.train.ffn_keep import exact_net

        return side_by_side(exact_net(self.first), exact_net(self.second))


def side_by_side(a: Any, b: Any) -> Any:
    """The ``Net`` computing ``a(x) + b(x)`` for two nets of one depth, one input and one output: the first
    layers stacked, the hidden ones block-diagonal, the output rows concatenated with biases added."""
    from polyapprox.core.net import Layer, Net, SparseMatrix
    from polyapprox.errors import ConfigError

    if len(a.layers) != len(b.layers) or a.in_dim != b.in_dim or a.out_dim != 1 or b.out_dim != 1:
        raise ConfigError("boost: the two nets must have the same depth, input and one output")
    layers = []
    last = len(a.layers) - 1
    for k, (la, lb) in enumerate(zip(a.layers, b.layers, strict=True)):
        ra, ca = la.weight.shape
        shift_row, shift_col = (0, ca) if k == last else (ra, 0 if k == 0 else ca)
        rows = ra if k == last else ra + lb.weight.shape[0]
        cols = ca if k == 0 else ca + lb.weight.shape[1]
        entries = la.weight.entries + tuple((i + shift_row, j + shift_col, v) for i, j, v in lb.weight.entries)
        if k == last:
            bias: tuple[Fraction, ...] = (la.bias[0] + lb.bias[0],)
            acts = la.activations
        else:
            bias, acts = la.bias + lb.bias, la.activations + lb.activations
        layers.append(Layer(SparseMatrix((rows, cols), entries), bias, acts))
    return Net(a.in_dim, tuple(layers))
