"""The transformer MLP block as a scalar regressor on [0,1]^d, its seeded init and its parameter counts.

Shape (PolyCom paper Eq. 4, ``FFN_rho(x) = rho(x W_1) W_2``, here with biases and a scalar output):

* plain (relu, relu2, gelu, polyrelu, polynorm): ``Linear(d, w) -> act -> [Linear(w, w) -> act] * (depth-1)
  -> Linear(w, 1)``; one activation module per hidden layer, so PolyReLU/PolyNorm have one coefficient set
  (r + 1 scalars) per layer, shared by the layer's units as in the official code; PolyNorm normalises over
  the hidden dimension (the last axis).
* swiglu (gated, 3 matrices): ``Linear(d, 2h) -> SwiGLU -> [Linear(h, 2h) -> SwiGLU] * (depth-1)
  -> Linear(h, 1)`` with ``h = swiglu_hidden(d, w, depth)``, the hidden size whose parameter count is
  closest to the plain model of width ``w`` (the paper's 8256 vs 5504 rule, generalised to any shape).

Parameter conventions (both reported by ``param_counts``):

* ``params``: every trainable parameter (weights, biases and activation coefficients); what the trained
  model really has, and what sweeps fit rates against.
* ``params_nnz``: nonzero weights + nonzero biases of the linear layers, activation coefficients excluded:
  the ``polyapprox.core.counting.count_params`` convention used for the exact constructions (docs/measurement.md §4).
  For relu/relu2/polyrelu models it equals ``count_params(from_torch(...)).params`` (tested).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from polyapprox.errors import ConfigError
from polyapprox.nn import ACTIVATIONS, make_activation

GATED = ("swiglu",)


def plain_param_count(d: int, w: int, depth: int = 1, out_dim: int = 1, bias: bool = True) -> int:
    """Weights (+ biases) of ``Linear(d, w) -> [Linear(w, w)] * (depth-1) -> Linear(w, out_dim)``."""
    b = 1 if bias else 0
    return (d + b) * w + (depth - 1) * (w + b) * w + (w + b) * out_dim


def gated_param_count(d: int, h: int, depth: int = 1, out_dim: int = 1, bias: bool = True) -> int:
    """Weights (+ biases) of ``Linear(d, 2h) -> [Linear(h, 2h)] * (depth-1) -> Linear(h, out_dim)``."""
    b = 1 if bias else 0
    return (d + b) * 2 * h + (depth - 1) * (h + b) * 2 * h + (h + b) * out_dim


def swiglu_hidden(d: int, w: int, depth: int = 1, out_dim: int = 1, bias: bool = True) -> int:
    """The SwiGLU hidden size h >= 1 minimising |gated_param_count(h) - plain_param_count(w)| (ties: smaller h).

    Exact integer search (the counts are increasing in h). For the paper's dense 1B FFN (d = out = 2048, no
    biases, w = 8256) this gives h = 5504, both 33,816,576 parameters.
    """
    for name, v in (("d", d), ("width", w), ("depth", depth), ("out_dim", out_dim)):
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise ConfigError(f"{name}: {v!r} must be an integer >= 1")
    goal = plain_param_count(d, w, depth, out_dim, bias)
    lo, hi = 1, max(1, w)
    while gated_param_count(d, hi, depth, out_dim, bias) < goal:  # make sure the bracket holds the goal
        hi *= 2
    while lo < hi:  # smallest h with count >= goal
        mid = (lo + hi) // 2
        if gated_param_count(d, mid, depth, out_dim, bias) >= goal:
            hi = mid
        else:
            lo = mid + 1
    best = lo
    if lo > 1 and goal - gated_param_count(d, lo - 1, depth, out_dim, bias) <= (
        gated_param_count(d, lo, depth, out_dim, bias) - goal
    ):
        best = lo - 1
    return best


class FFN(nn.Module):
    """Transformer MLP block as f: [0,1]^d -> R. forward: x (P, d) -> (P,)."""

    def __init__(self, d: int, width: int, activation: str, depth: int = 1, order: int = 3,
                 dtype: torch.dtype = torch.float64) -> None:
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ConfigError(f"activation: unknown {activation!r}; choose from {', '.join(ACTIVATIONS)}")
        for name, v in (("dim", d), ("width", width), ("depth", depth)):
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ConfigError(f"{name}: {v!r} must be an integer >= 1")
        self.d, self.width, self.activation, self.depth = d, width, activation, depth
        gated = activation in GATED
        self.hidden = swiglu_hidden(d, width, depth) if gated else width
        h, k = self.hidden, (2 if gated else 1)
        mods: list[nn.Module] = []
        fan_in = d
        for _ in range(depth):
            mods += [nn.Linear(fan_in, k * h, dtype=torch.float64), make_activation(activation, order=order)]
            fan_in = h
        mods.append(nn.Linear(h, 1, dtype=torch.float64))
        self.layers = nn.Sequential(*mods).to(dtype)  # activation coefficients too

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x).squeeze(-1)  # (P, 1) -> (P,)

    def linears(self) -> list[nn.Linear]:
        return [m for m in self.layers if isinstance(m, nn.Linear)]


def init_ffn_(model: nn.Module, generator: torch.Generator) -> nn.Module:
    """Seeded in-place init of every ``nn.Linear`` in ``model`` (no global RNG).

    Weights ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (PyTorch's default bound). The first layer's biases put each
    unit's hyperplane through a uniform random point u of [0,1]^d (b_i = -w_i . u_i), so breakpoints cover the
    domain at any width; later biases ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)). Activation coefficients keep the
    paper's init (1/r, bias 0).
    """
    first = True
    with torch.no_grad():
        for m in model.modules():
            if not isinstance(m, nn.Linear):
                continue
            bound = m.in_features ** -0.5
            w = torch.empty(m.weight.shape, dtype=torch.float64).uniform_(-bound, bound, generator=generator)
            m.weight.copy_(w)  # drawn in float64 on CPU, so the init is the same on every device/dtype
            if m.bias is not None:
                if first:
                    u = torch.rand((m.out_features, m.in_features), dtype=torch.float64, generator=generator)
                    b = -(w * u).sum(dim=1)
                else:
                    b = torch.empty(m.out_features, dtype=torch.float64).uniform_(-bound, bound, generator=generator)
                m.bias.copy_(b)
            first = False
    return model


@dataclass(frozen=True, slots=True)
class FFNParams:
    """``params``: all trainable scalars; ``params_nnz``: count_params convention; ``coefficients``: activations'."""

    params: int
    params_nnz: int
    coefficients: int


def param_counts(model: nn.Module) -> FFNParams:
    """Both counts of the module docstring, read off the current (possibly trained) parameters."""
    total = sum(p.numel() for p in model.parameters() if p.requires_grad)
    nnz = coeff = 0
    linear_params: set[int] = set()
    for m in model.modules():
        if isinstance(m, nn.Linear):
            for p in (m.weight, m.bias):
                if p is not None:
                    linear_params.add(id(p))
                    nnz += int(torch.count_nonzero(p.detach()).item())
    for p in model.parameters():
        if p.requires_grad and id(p) not in linear_params:
            coeff += p.numel()
    return FFNParams(params=total, params_nnz=nnz, coefficients=coeff)
