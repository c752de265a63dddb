"""A GPT-style decoder with a swappable FFN activation (nanoGPT-style, one file).

Architecture (LLaMA-2 style, as the paper's dense model, ``docs/paper.md`` §3.1): token embedding, ``n_layer``
pre-norm blocks ``x + Attn(RMSNorm(x))``, ``x + FFN(RMSNorm(x))``, final RMSNorm, linear head (tied to the
embedding or not). Attention is causal multi-head with rotary position embeddings (RoPE, Su et al. 2021)
through ``F.scaled_dot_product_attention``. No linear biases, no dropout.

FFN (paper Eq. 4): ``FFN_rho(x) = rho(x W_1) W_2`` (two matrices, width ``h``) for rho in relu, relu2, gelu,
polyrelu, polynorm; SwiGLU is the gated three-matrix ``(SiLU(x W_1) * x W_3) W_2`` with width ``h_s``. Widths
come from :func:`ffn_hidden`, which makes both FFN kinds have exactly the same parameter count.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from polyapprox.core.names import LM_SIZES
from polyapprox.errors import ConfigError
from polyapprox.nn.activations import ACTIVATIONS, PolyNorm, PolyReLU, make_activation

#: Byte-level vocabulary (see ``polyapprox.train.data``).
BYTE_VOCAB = 256
#: Init of the paper's code: coefficients 1/r, bias 0 (``docs/paper.md`` §1.5).
COEFF_INIT = 1.0 / 3.0


def ffn_hidden(d_model: int, activation: str, multiple_of: int = 8) -> int:
    """FFN hidden width, parameter-matched between 2-matrix and gated 3-matrix FFNs.

    SwiGLU: ``h_s = multiple_of * ceil((8/3) d / multiple_of)`` (2/3 of the nominal ``h = 4d``, rounded up);
    every other activation: ``h = 3 h_s / 2``. Then ``3 d h_s == 2 d h`` exactly. With ``d = 2048`` and
    ``multiple_of = 128`` this is the paper's 5504 (SwiGLU) vs 8256 (others), i.e. ``h = 4.03 d``
    (``docs/paper.md`` §3.1). ``multiple_of`` must be even so that ``h`` is an integer.
    """
    if activation not in ACTIVATIONS:
        raise ConfigError(f"activation: unknown {activation!r}; choose from {', '.join(ACTIVATIONS)}")
    if d_model < 1 or multiple_of < 2 or multiple_of % 2:
        raise ConfigError(f"ffn_hidden: d_model={d_model}, multiple_of={multiple_of} (need d >= 1, even m)")
    h_s = multiple_of * math.ceil(8 * d_model / (3 * multiple_of))
    return h_s if activation == "swiglu" else 3 * h_s // 2


@dataclass(frozen=True)
class LMConfig:
    """Model shape. ``ffn_multiple`` is the rounding of :func:`ffn_hidden`; ``order`` the PolyCom order r."""

    d_model: int = 64
    n_layer: int = 2
    n_head: int = 4
    context: int = 64
    activation: str = "swiglu"
    vocab_size: int = BYTE_VOCAB
    tie_embeddings: bool = True
    order: int = 3
    ffn_multiple: int = 8
    init_std: float = 0.02
    rope_base: float = 10000.0

    def __post_init__(self) -> None:
        for name in ("d_model", "n_layer", "n_head", "context", "vocab_size", "order"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"{name}: {value!r} must be an integer >= 1")
        if self.activation not in ACTIVATIONS:
            raise ConfigError(
                f"activation: unknown {self.activation!r}; choose from {', '.join(ACTIVATIONS)}"
            )
        if self.d_model % self.n_head or (self.d_model // self.n_head) % 2:
            raise ConfigError(f"n_head: {self.n_head} must divide d_model={self.d_model} into even head dims")
        ffn_hidden(self.d_model, self.activation, self.ffn_multiple)  # validates ffn_multiple

    @property
    def ffn_hidden(self) -> int:
        return ffn_hidden(self.d_model, self.activation, self.ffn_multiple)

    def to_dict(self) -> dict:
        return asdict(self)


#: Size presets: (d_model, n_layer, n_head, context) (defined torch-free in ``core.names`` for the CLI).
SIZES = LM_SIZES


def lm_config(size: str, activation: str, **overrides: object) -> LMConfig:
    """The preset ``size`` with ``activation`` (and any other field overridden)."""
    if size not in SIZES:
        raise ConfigError(f"size: unknown {size!r}; choose from {', '.join(SIZES)}")
    d, n_layer, n_head, context = SIZES[size]
    fields = dict(d_model=d, n_layer=n_layer, n_head=n_head, context=context, activation=activation)
    return LMConfig(**{**fields, **overrides})


class RMSNorm(nn.Module):
    """y = g * x / sqrt(mean(x^2, -1) + eps) (Zhang & Sennrich 2019); gain ``g`` init 1."""

    def __init__(self, dim: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


def rope_tables(context: int, head_dim: int, base: float) -> tuple[torch.Tensor, torch.Tensor]:
    """cos, sin of angles t * base^(-2i/head_dim); each (context, head_dim / 2)."""
    inv_freq = base ** (-torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim)
    angles = torch.outer(torch.arange(context, dtype=torch.float64), inv_freq)
    return angles.cos().float(), angles.sin().float()


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate pairs (x[2i], x[2i+1]) by the position angle. x: (B, H, T, D); cos, sin: (T, D/2)."""
    x1, x2 = x[..., 0::2], x[..., 1::2]  # (B, H, T, D/2) each
    out = torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1)  # (B, H, T, D/2, 2)
    return out.flatten(-2).type_as(x)  # (B, H, T, D)


class CausalSelfAttention(nn.Module):
    def __init__(self, cfg: LMConfig) -> None:
        super().__init__()
        self.n_head = cfg.n_head
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model, bias=False)
        self.proj = nn.Linear(cfg.d_model, cfg.d_model, bias=False)

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=-1)  # 3 x (B, T, C)
        q, k, v = (
            t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v)
        )  # (B,H,T,D)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # (B, H, T, D)
        return self.proj(y.transpose(1, 2).reshape(B, T, C))  # (B, T, C)


class FFN(nn.Module):
    """``w_out(act(w_in(x)))``; for SwiGLU ``w_in`` holds W_1 and W_3 stacked (d -> 2 h_s)."""

    def __init__(self, cfg: LMConfig) -> None:
        super().__init__()
        h = cfg.ffn_hidden
        width_in = 2 * h if cfg.activation == "swiglu" else h
        self.w_in = nn.Linear(cfg.d_model, width_in, bias=False)
        self.act = make_activation(cfg.activation, order=cfg.order)
        self.w_out = nn.Linear(h, cfg.d_model, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.w_out(self.act(self.w_in(x)))  # (B, T, d) -> (B, T, h or 2h_s) -> (B, T, h) -> (B, T, d)


class Block(nn.Module):
    def __init__(self, cfg: LMConfig) -> None:
        super().__init__()
        self.norm_attn = RMSNorm(cfg.d_model)
        self.attn = CausalSelfAttention(cfg)
        self.norm_ffn = RMSNorm(cfg.d_model)
        self.ffn = FFN(cfg)

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm_attn(x), cos, sin)
        return x + self.ffn(self.norm_ffn(x))


class GPT(nn.Module):
    """Decoder-only LM: ``forward(idx)`` -> logits (B, T, V); ``hidden_states(idx)`` -> residual streams."""

    def __init__(self, cfg: LMConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.norm_out = RMSNorm(cfg.d_model)
        self.head = nn.Linear(cfg.d_model, cfg.vocab_size, bias=False)
        if cfg.tie_embeddings:
            self.head.weight = self.embed.weight
        cos, sin = rope_tables(cfg.context, cfg.d_model // cfg.n_head, cfg.rope_base)
        self.register_buffer("rope_cos", cos, persistent=False)
        self.register_buffer("rope_sin", sin, persistent=False)

    def init_weights(self, generator: torch.Generator) -> None:
        """N(0, std) for matrices, std / sqrt(2 L) for residual outputs (GPT-2); norms 1; PolyCom 1/3, 0."""
        std = self.cfg.init_std
        with torch.no_grad():
            for name, p in self.named_parameters():
                if name.endswith(("attn.proj.weight", "ffn.w_out.weight")):
                    nn.init.normal_(p, 0.0, std / math.sqrt(2 * self.cfg.n_layer), generator=generator)
                elif p.dim() == 2:
                    nn.init.normal_(p, 0.0, std, generator=generator)
            for m in self.modules():
                if isinstance(m, RMSNorm):
                    m.weight.fill_(1.0)
                elif isinstance(m, (PolyReLU, PolyNorm)):
                    m.weight.fill_(COEFF_INIT)
                    m.bias.zero_()

    def hidden_states(self, idx: torch.Tensor) -> list[torch.Tensor]:
        """Residual stream after the embedding and after each block: n_layer + 1 tensors (B, T, d)."""
        T = idx.shape[1]
        if T > self.cfg.context:
            raise ConfigError(f"sequence length {T} exceeds context {self.cfg.context}")
        cos, sin = self.rope_cos[:T], self.rope_sin[:T]
        x = self.embed(idx)  # (B, T) -> (B, T, d)
        states = [x]
        for block in self.blocks:
            x = block(x, cos, sin)
            states.append(x)
        return states

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        x = self.hidden_states(idx)[-1]
        return self.head(self.norm_out(x))  # (B, T, d) -> (B, T, V)


def lm_loss(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean next-token cross-entropy in nats. x, y: (B, T) token ids, y = x shifted by one."""
    logits = model(x)  # (B, T, V)
    return F.cross_entropy(logits.float().flatten(0, 1), y.flatten())


def build_model(cfg: LMConfig, seed: int) -> GPT:
    """A GPT with weights drawn from ``torch.Generator().manual_seed(seed)`` (global RNG untouched)."""
    with torch.random.fork_rng(devices=[]):  # module constructors draw default inits from the global RNG
        model = GPT(cfg)
    model.init_weights(torch.Generator().manual_seed(seed))
    return model


def count_params(model: nn.Module) -> int:
    """Trainable parameters, each shared tensor once (tied embeddings count once)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def ffn_params(cfg: LMConfig) -> int:
    """Closed form of one FFN's matrix parameters: ``2 d h`` or ``3 d h_s`` (equal by construction)."""
    mats = 3 if cfg.activation == "swiglu" else 2
    return mats * cfg.d_model * cfg.ffn_hidden


def param_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """AdamW groups. Rule: decay exactly the ``nn.Linear`` weights that are not tied to the embedding.

    No decay for embeddings (and a head tied to them), RMSNorm gains, biases and the PolyReLU / PolyNorm
    coefficients ``weight`` (r,) and ``bias`` (1,) (the paper's code excludes activation parameters, §1.5.7).
    """
    embed_ids = {id(m.weight) for m in model.modules() if isinstance(m, nn.Embedding)}
    decay_ids = {
        id(m.weight) for m in model.modules() if isinstance(m, nn.Linear) and id(m.weight) not in embed_ids
    }
    decay, no_decay = [], []
    for p in model.parameters():  # unique tensors
        if p.requires_grad:
            (decay if id(p) in decay_ids else no_decay).append(p)
    return [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
