"""The GPT of polyapprox.train.lm: parameter matching, shapes, causality, init, weight-decay groups."""

from __future__ import annotations

import pytest
import torch

from polyapprox.errors import ConfigError
from polyapprox.nn.activations import ACTIVATIONS, PolyNorm, PolyReLU
from polyapprox.train.lm import (
    COEFF_INIT,
    LMConfig,
    apply_rope,
    build_model,
    count_params,
    ffn_hidden,
    ffn_params,
    lm_config,
    param_groups,
    rope_tables,
)

TWO_MATRIX = [a for a in ACTIVATIONS if a != "swiglu"]
FLOAT32_TOL = 1e-6  # float32 round-off on O(1) values (docs/conventions.md §7)


def test_ffn_hidden_reproduces_paper_widths():
    # docs/paper.md §3.1: SwiGLU 5504 vs 8256 for every 2-matrix FFN at d = 2048 (multiples of 128)
    assert ffn_hidden(2048, "swiglu", multiple_of=128) == 5504
    assert ffn_hidden(2048, "gelu", multiple_of=128) == 8256


@pytest.mark.parametrize("d", [64, 100, 128, 768, 2048], ids=str)
@pytest.mark.parametrize("multiple", [8, 128], ids=lambda m: f"m{m}")
def test_two_and_three_matrix_ffn_params_equal(d, multiple):
    h, h_s = ffn_hidden(d, "relu", multiple), ffn_hidden(d, "swiglu", multiple)
    assert 2 * d * h == 3 * d * h_s
    assert h >= 4 * d  # nominal 4d, rounded up


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_ffn_module_size_matches_closed_form(activation):
    cfg = lm_config("tiny", activation)
    model = build_model(cfg, seed=0)
    ffn = model.blocks[0].ffn
    matrices = ffn.w_in.weight.numel() + ffn.w_out.weight.numel()
    assert matrices == ffn_params(cfg)
    extra = sum(p.numel() for p in ffn.act.parameters())
    assert extra == (4 if activation in ("polyrelu", "polynorm") else 0)  # r = 3 weights + 1 bias


@pytest.mark.parametrize("activation", TWO_MATRIX)
def test_whole_models_parameter_matched_with_swiglu(activation):
    base = count_params(build_model(lm_config("tiny", "swiglu"), 0))
    n = count_params(build_model(lm_config("tiny", activation), 0))
    cfg = lm_config("tiny", activation)
    assert n - base == (4 * cfg.n_layer if activation in ("polyrelu", "polynorm") else 0)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_forward_shape_and_causality(activation):
    cfg = lm_config("tiny", activation)
    model = build_model(cfg, seed=1)
    gen = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (2, 16), generator=gen)
    logits = model(x)
    assert logits.shape == (2, 16, 256)
    x2 = x.clone()
    x2[:, 10:] = (x2[:, 10:] + 1) % 256  # change the future
    logits2 = model(x2)
    assert torch.equal(logits[:, :10], logits2[:, :10])
    assert not torch.equal(logits[:, 10:], logits2[:, 10:])


def test_rope_is_a_rotation():
    cos, sin = rope_tables(8, 16, 10000.0)
    x = torch.randn(1, 2, 8, 16, generator=torch.Generator().manual_seed(0))
    y = apply_rope(x, cos, sin)
    torch.testing.assert_close(y.norm(dim=-1), x.norm(dim=-1), rtol=FLOAT32_TOL * 10, atol=0)
    torch.testing.assert_close(y[:, :, 0], x[:, :, 0])  # position 0: angle 0


def test_build_model_is_seeded_and_leaves_global_rng_alone():
    cfg = lm_config("tiny", "polynorm")
    state = torch.get_rng_state()
    a, b = build_model(cfg, 3), build_model(cfg, 3)
    assert torch.equal(torch.get_rng_state(), state)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    c = build_model(cfg, 4)
    assert not torch.equal(a.blocks[0].ffn.w_in.weight, c.blocks[0].ffn.w_in.weight)


@pytest.mark.parametrize("activation", ["polyrelu", "polynorm"])
def test_polycom_init(activation):
    model = build_model(lm_config("tiny", activation), 0)
    acts = [m for m in model.modules() if isinstance(m, (PolyReLU, PolyNorm))]
    assert len(acts) == 2
    for m in acts:
        assert torch.equal(m.weight, torch.full((3,), COEFF_INIT))
        assert torch.equal(m.bias, torch.zeros(1))


@pytest.mark.parametrize("tie", [True, False], ids=["tied", "untied"])
@pytest.mark.parametrize("activation", ["polynorm", "swiglu"])
def test_param_groups_rule(activation, tie):
    model = build_model(lm_config("tiny", activation, tie_embeddings=tie), 0)
    decay, no_decay = param_groups(model, 0.1)
    assert decay["weight_decay"] == 0.1 and no_decay["weight_decay"] == 0.0
    ids_d, ids_n = {id(p) for p in decay["params"]}, {id(p) for p in no_decay["params"]}
    assert not ids_d & ids_n
    assert ids_d | ids_n == {id(p) for p in model.parameters()}
    names = {id(p): n for n, p in model.named_parameters()}
    for pid in ids_n:  # embeddings, norm gains, activation coefficients
        assert (
            names[pid].startswith(("embed.", "norm_out.")) or ".norm_" in names[pid] or ".act." in names[pid]
        )
    assert ("head.weight" in {names[i] for i in ids_d}) == (not tie)
    n_coeff = sum(1 for n, _ in model.named_parameters() if ".act." in n)
    assert n_coeff == (4 if activation == "polynorm" else 0)  # weight and bias in 2 layers


@pytest.mark.parametrize(
    "kwargs",
    [dict(activation="tanh"), dict(n_head=3), dict(d_model=0), dict(ffn_multiple=7)],
    ids=["activation", "heads", "width", "multiple"],
)
def test_bad_config_raises(kwargs):
    with pytest.raises(ConfigError):
        LMConfig(**kwargs)


def test_unknown_size_raises():
    with pytest.raises(ConfigError, match="size"):
        lm_config("huge", "relu")
