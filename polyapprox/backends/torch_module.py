"""Torch back end: ``to_torch(net)`` (a differentiable ``nn.Module``) and ``from_torch`` (exact, dyadic).

``to_torch`` runs the same interpreter as every other back end on tensors of shape (P, width). Layer
weights and biases become parameters (dense, or an index_add sparse product when the matrix is sparse);
PolyReLU coefficients are the spec's exact constants (the network class is the per-unit one), or, with
``coefficients=True``, one trainable vector ``(a_0, ..., a_r)`` per activation group (the units of one layer
that share a spec share it; identity units have none). Any dtype and device.

``from_torch`` reads ``nn.Linear`` + activation stacks (``nn.Sequential`` or a list of modules): every
float is a dyadic rational, so ``Fraction(float)`` is exact and the resulting ``Net`` computes exactly what
the module computes in real arithmetic.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from typing import Any

import numpy as np
import torch
from torch import nn

from polyapprox.backends import _interpret
from polyapprox.core.net import IDENTITY, RELU, Activation, Layer, Net, PolyReLU, SparseMatrix
from polyapprox.errors import ConfigError, NetError


class _Torch:
    def __init__(self, module: NetModule) -> None:
        self.m = module

    def inputs(self, x: torch.Tensor) -> torch.Tensor:
        return x

    def affine(self, k: int, layer: Layer, a: torch.Tensor) -> torch.Tensor:
        return self.m.affine(k, a)

    def take(self, z: torch.Tensor, idx: np.ndarray) -> torch.Tensor:
        if len(idx) == z.shape[1]:
            return z
        return z[:, torch.as_tensor(idx, device=z.device)]

    def assemble(self, z: torch.Tensor, parts: list[tuple[np.ndarray, Any]]) -> torch.Tensor:
        if len(parts) == 1 and len(parts[0][0]) == z.shape[1]:
            return parts[0][1]
        out = z.clone()
        for idx, v in parts:
            out[:, torch.as_tensor(idx, device=z.device)] = v
        return out

    def constant(self, q: Fraction) -> float:
        return float(q)

    def relu(self, t: torch.Tensor, where: object) -> torch.Tensor:
        return torch.relu(t)

    def output(self, a: torch.Tensor) -> torch.Tensor:
        return a


class NetModule(nn.Module):
    """A ``Net`` as a module: forward (P, in_dim) -> (P, out_dim), same numbers as the float64 back end."""

    def __init__(self, net: Net, dtype: torch.dtype = torch.float64, device: str | torch.device = "cpu",
                 sparse: bool | None = None, trainable: bool = True, coefficients: bool = False) -> None:
        super().__init__()
        self.net = net
        self._groups = [_interpret.activation_groups(layer) for layer in net.layers]
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        self._sparse: list[bool] = []
        for k, layer in enumerate(net.layers):
            rows, cols = layer.weight.shape
            use_sparse = (3 * layer.weight.nnz < rows * cols) if sparse is None else sparse
            self._sparse.append(use_sparse)
            entries = layer.weight.entries
            if use_sparse:
                idx = torch.tensor([[i for i, _, _ in entries], [j for _, j, _ in entries]],
                                   dtype=torch.long, device=device).reshape(2, -1)
                self.register_buffer(f"index{k}", idx)
                vals = torch.tensor([float(v) for _, _, v in entries], dtype=dtype, device=device)
            else:
                vals = torch.zeros((rows, cols), dtype=dtype, device=device)
                for i, j, v in entries:
                    vals[i, j] = float(v)
            self.weights.append(nn.Parameter(vals, requires_grad=trainable))
            self.biases.append(nn.Parameter(torch.tensor([float(b) for b in layer.bias], dtype=dtype,
                                                         device=device), requires_grad=trainable))
        #: group (k, g)'s coefficients (a_0 .. a_r of ``sum_i a_i ReLU(t)^i``), key ``f"{k}_{g}"``; empty when fixed
        self.coeffs = nn.ParameterDict({
            f"{k}_{g}": nn.Parameter(torch.tensor([float(c) for c in spec.coeffs], dtype=dtype, device=device))
            for k, groups in enumerate(self._groups) for g, (spec, _) in enumerate(groups)} if coefficients else {})

    def affine(self, k: int, a: torch.Tensor) -> torch.Tensor:
        w, b = self.weights[k], self.biases[k]
        if not self._sparse[k]:
            return torch.nn.functional.linear(a, w, b)
        rows, cols = getattr(self, f"index{k}")
        z = b.expand(a.shape[0], -1).clone()
        return z.index_add(1, rows, a[:, cols] * w)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 1 and self.net.in_dim == 1:
            x = x[:, None]
        return _interpret.run(self.net, _Torch(self), x, self._groups, self._activate if self.coeffs else None)

    def _activate(self, t: torch.Tensor, k: int, g: int) -> torch.Tensor:
        """``sum_i a_i ReLU(t)^i`` with group (k, g)'s trainable coefficients, by Horner's rule (no branch
        on their values, so ``torch.func`` transforms apply)."""
        a, r = self.coeffs[f"{k}_{g}"], torch.relu(t)
        acc = a[-1] * torch.ones_like(t)
        for i in range(a.numel() - 2, -1, -1):
            acc = acc * r + a[i]
        return acc

    def specs(self, k: int) -> tuple[Activation, ...]:
        """Layer k's per-unit activations under the current coefficients (the net's own when fixed)."""
        layer = self.net.layers[k]
        if not self.coeffs:
            return layer.activations
        acts = list(layer.activations)
        for g, (_, idx) in enumerate(self._groups[k]):
            spec = PolyReLU(tuple(_exact(self.coeffs[f"{k}_{g}"])))
            for i in idx:
                acts[i] = spec
        return tuple(acts)


def to_torch(net: Net, dtype: torch.dtype = torch.float64, device: str | torch.device = "cpu",
             sparse: bool | None = None, trainable: bool = True, coefficients: bool = False) -> NetModule:
    """The net as a differentiable module (weights and biases trainable unless ``trainable=False``; the
    activation coefficients trainable, one vector per group of units sharing a spec, if ``coefficients``)."""
    return NetModule(net, dtype=dtype, device=device, sparse=sparse, trainable=trainable,
                     coefficients=coefficients)


def _exact(t: torch.Tensor) -> list[Fraction]:
    vals = t.detach().to("cpu", torch.float64).reshape(-1).tolist()
    for v in vals:
        if not np.isfinite(v):
            raise NetError(f"from_torch: non-finite parameter {v}")
    return [Fraction(v) for v in vals]


def _activation_spec(module: nn.Module) -> Activation | None:
    """The per-unit spec of an activation module, None if it is not an activation."""
    from polyapprox import nn as pnn

    if isinstance(module, (nn.Identity,)):
        return IDENTITY
    if isinstance(module, nn.ReLU):
        return RELU
    if isinstance(module, pnn.ReLUk):
        return PolyReLU.relu_power(module.k)
    if isinstance(module, pnn.PolyReLU):
        w = _exact(module.weight)  # weight[0] multiplies the highest power
        b = _exact(module.bias)
        return PolyReLU(tuple(b + w[::-1]))
    return None


def from_torch(modules: nn.Module | Iterable[nn.Module]) -> Net:
    """Exact ``Net`` of a stack of ``nn.Linear`` and per-unit activations (ReLU, ReLUk, PolyReLU, Identity).

    A ``NetModule`` converts back to its ``Net`` with the current (possibly trained) weights.
    """
    if isinstance(modules, NetModule):
        return _from_netmodule(modules)
    mods = list(modules.children()) if isinstance(modules, nn.Sequential) else list(modules)  # type: ignore[arg-type]
    if isinstance(modules, nn.Module) and not isinstance(modules, nn.Sequential):
        mods = [modules]
    layers: list[Layer] = []
    in_dim: int | None = None
    pending: nn.Linear | None = None

    def flush(act: Activation) -> None:
        nonlocal pending
        assert pending is not None
        w = _exact(pending.weight)
        rows, cols = pending.weight.shape
        entries = tuple((i, j, w[i * cols + j]) for i in range(rows) for j in range(cols))
        bias = _exact(pending.bias) if pending.bias is not None else [Fraction(0)] * rows
        layers.append(Layer(SparseMatrix((rows, cols), entries), tuple(bias), (act,) * rows))
        pending = None

    for k, m in enumerate(mods):
        if isinstance(m, nn.Linear):
            if pending is not None:
                flush(IDENTITY)
            if in_dim is None:
                in_dim = m.in_features
            pending = m
            continue
        spec = _activation_spec(m)
        if spec is None:
            raise ConfigError(f"from_torch: module [{k}] {type(m).__name__} is not a per-unit activation that a "
                              "Net can hold (Linear, ReLU, ReLUk, PolyReLU, Identity)")
        if pending is None:
            raise ConfigError(f"from_torch: activation [{k}] {type(m).__name__} does not follow a Linear layer")
        flush(spec)
    if pending is not None:
        flush(IDENTITY)
    if in_dim is None:
        raise ConfigError("from_torch: no Linear layer found")
    return Net(in_dim, tuple(layers))


def _from_netmodule(m: NetModule) -> Net:
    layers = []
    for k, layer in enumerate(m.net.layers):
        vals = _exact(m.weights[k])
        rows, cols = layer.weight.shape
        if m._sparse[k]:
            ri, ci = getattr(m, f"index{k}").tolist()
            entries = tuple(zip(ri, ci, vals, strict=True))
        else:
            entries = tuple((i, j, vals[i * cols + j]) for i in range(rows) for j in range(cols))
        layers.append(Layer(SparseMatrix((rows, cols), entries), tuple(_exact(m.biases[k])), m.specs(k)))
    return Net(m.net.in_dim, tuple(layers))
