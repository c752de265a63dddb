"""The paper's descriptive analyses (§4.4, ``docs/paper.md`` §3.6): effective rank of FFN weights and layer-wise
cosine similarity of hidden states; plus the learned PolyCom coefficients (claim 17)."""

from __future__ import annotations

import torch

from polyapprox.nn.activations import PolyNorm, PolyReLU


def effective_rank(matrix: torch.Tensor) -> float:
    """erank(W) = exp(-sum_i p_i ln p_i), p_i = sigma_i / sum_j sigma_j (Roy & Vetterli 2007).

    Computed in float64; zero singular values contribute 0 (0 ln 0 = 0). erank(I_n) = n, rank-1 -> 1,
    and 1 <= erank <= rank. The zero matrix has no defined erank: returns 0.0.
    """
    sigma = torch.linalg.svdvals(matrix.detach().double())
    total = sigma.sum()
    if total == 0:
        return 0.0
    p = sigma / total
    p = p[p > 0]
    return float(torch.exp(-(p * p.log()).sum()))


@torch.no_grad()
def ffn_effective_ranks(model: torch.nn.Module) -> list[dict[str, float]]:
    """Per layer: erank of W_in (for SwiGLU, W_1 and W_3 stacked: (2 h_s, d)) and of W_out (d, h)."""
    return [
        {"w_in": effective_rank(b.ffn.w_in.weight), "w_out": effective_rank(b.ffn.w_out.weight)}
        for b in model.blocks
    ]


@torch.no_grad()
def layer_cosine_similarity(model: torch.nn.Module, x: torch.Tensor) -> list[float]:
    """Mean over tokens of cos(h_l[t], h_{l+1}[t]) for consecutive block outputs h_1..h_L.

    ``x``: (B, T) token ids. Returns L - 1 values (the embedding output h_0 is excluded). Lower values mean
    layers change the residual stream more ("less redundancy", paper §4.4).
    """
    was_training = model.training
    model.eval()
    states = [h.double() for h in model.hidden_states(x)[1:]]  # L tensors (B, T, d)
    model.train(was_training)
    pairs = zip(states[:-1], states[1:], strict=True)
    return [float(torch.nn.functional.cosine_similarity(a, b, dim=-1).mean()) for a, b in pairs]


@torch.no_grad()
def polycom_coefficients(model: torch.nn.Module) -> list[dict[str, list[float]]]:
    """Per PolyReLU/PolyNorm module: ``weight`` (highest power first) and ``bias``; empty for others."""
    return [
        {"weight": m.weight.double().tolist(), "bias": m.bias.double().tolist()}
        for m in model.modules()
        if isinstance(m, (PolyReLU, PolyNorm))
    ]
