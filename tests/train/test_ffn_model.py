"""FFN block model: SwiGLU parameter matching, shapes, seeded init, the two parameter counts."""

from __future__ import annotations

import pytest
import torch

from polyapprox.backends.torch_module import from_torch
from polyapprox.core.counting import count_params
from polyapprox.errors import ConfigError
from polyapprox.nn import ACTIVATIONS
from polyapprox.train.ffn_model import (
    FFN,
    gated_param_count,
    init_ffn_,
    param_counts,
    plain_param_count,
    swiglu_hidden,
)

pytestmark = pytest.mark.usefixtures("one_thread")


def test_swiglu_hidden_paper_dense_1b():
    """Paper's dense 1B FFN (docs/paper.md §3.1): d = 2048, no biases, 2-matrix width 8256 <-> SwiGLU 5504."""
    h = swiglu_hidden(2048, 8256, out_dim=2048, bias=False)
    assert h == 5504
    assert gated_param_count(2048, h, out_dim=2048, bias=False) == plain_param_count(2048, 8256, out_dim=2048,
                                                                                   bias=False) == 33_816_576


@pytest.mark.parametrize("d, depth", [(1, 1), (2, 1), (3, 1), (1, 2), (2, 3)], ids=str)
def test_swiglu_hidden_is_the_closest_count(d, depth):
    """Brute force: no other h gives a parameter count closer to the plain model's (ties -> smaller h)."""
    for w in range(1, 130):
        goal = plain_param_count(d, w, depth)
        h = swiglu_hidden(d, w, depth)
        gaps = [abs(gated_param_count(d, k, depth) - goal) for k in range(1, 2 * w + 3)]
        assert abs(gated_param_count(d, h, depth) - goal) == min(gaps)
        assert h == 1 + gaps.index(min(gaps))


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("depth", [1, 2], ids=lambda k: f"depth{k}")
def test_shape_dtype_and_counted_params(activation, depth):
    model = init_ffn_(FFN(2, 6, activation, depth=depth), torch.Generator().manual_seed(0))
    y = model(torch.rand(5, 2, dtype=torch.float64))
    assert y.shape == (5,)
    assert y.dtype == torch.float64
    assert all(p.dtype == torch.float64 for p in model.parameters())
    counts = param_counts(model)
    h, k = (swiglu_hidden(2, 6, depth), 2) if activation == "swiglu" else (6, 1)
    linear = gated_param_count(2, h, depth) if k == 2 else plain_param_count(2, 6, depth)
    coeffs = 4 * depth if activation in ("polyrelu", "polynorm") else 0  # r + 1 = 4 scalars per layer
    assert counts.params == linear + coeffs == sum(p.numel() for p in model.parameters())
    assert counts.coefficients == coeffs
    assert counts.params_nnz == linear  # random init: no exact zeros


@pytest.mark.parametrize("activation", ["relu", "relu2", "polyrelu"])
def test_params_nnz_is_the_count_params_convention(activation):
    model = init_ffn_(FFN(2, 5, activation, depth=2), torch.Generator().manual_seed(1))
    with torch.no_grad():
        model.layers[0].weight[0, 0] = 0.0  # an exact zero is not counted by either
    net = from_torch(model.layers)
    assert param_counts(model).params_nnz == count_params(net).params


def test_init_is_seeded_and_breakpoints_lie_in_the_unit_interval():
    a = init_ffn_(FFN(1, 64, "relu"), torch.Generator().manual_seed(3))
    b = init_ffn_(FFN(1, 64, "relu"), torch.Generator().manual_seed(3))
    c = init_ffn_(FFN(1, 64, "relu"), torch.Generator().manual_seed(4))
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(pa, pb)
    assert not torch.equal(a.layers[0].weight, c.layers[0].weight)
    first = a.layers[0]
    breakpoints = -first.bias / first.weight[:, 0]
    assert bool(((breakpoints >= 0) & (breakpoints <= 1)).all())


@pytest.mark.parametrize("kwargs, field", [
    ({"d": 1, "width": 4, "activation": "tanh"}, "activation"),
    ({"d": 1, "width": 0, "activation": "relu"}, "width"),
    ({"d": 0, "width": 4, "activation": "relu"}, "dim"),
    ({"d": 1, "width": 4, "activation": "relu", "depth": 0}, "depth"),
], ids=["activation", "width", "dim", "depth"])
def test_bad_config_names_the_field(kwargs, field):
    with pytest.raises(ConfigError, match=field):
        FFN(**kwargs)
