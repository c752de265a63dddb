"""Module API: impl dispatch, make_activation, fused == reference through modules."""

import pytest
import torch

from polyapprox.errors import ConfigError
from polyapprox.kernels import PolyNormFunction, PolyReLUFunction, scaled_error, tolerance
from polyapprox.nn import ACTIVATIONS, PolyNorm, PolyReLU, make_activation

FUNCTIONS = {"polyrelu": PolyReLUFunction, "polynorm": PolyNormFunction}


@pytest.mark.parametrize("impl", ["auto", "fused"])
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_auto_and_fused_use_the_autograd_function(name, impl):
    m = make_activation(name, order=3, impl=impl)
    y = m(torch.randn(2, 5))
    assert type(y.grad_fn).__name__ == FUNCTIONS[name].__name__ + "Backward"


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_reference_impl_uses_plain_autograd(name):
    y = make_activation(name, impl="reference")(torch.randn(2, 5))
    assert "Backward" in type(y.grad_fn).__name__
    assert not type(y.grad_fn).__name__.startswith(FUNCTIONS[name].__name__)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_make_activation_builds_every_name(name):
    m = make_activation(name)
    x = torch.randn(2, 6)
    assert m(x).shape == ((2, 3) if name == "swiglu" else (2, 6))


def test_make_activation_order_and_unknown_names():
    assert make_activation("polynorm", order=5).weight.shape == (5,)
    with pytest.raises(ConfigError, match="unknown"):
        make_activation("tanh")
    with pytest.raises(ConfigError, match="impl"):
        PolyNorm(impl="cuda")
    with pytest.raises(ConfigError, match="order"):
        PolyReLU(order=0)


@pytest.mark.parametrize("cls", [PolyReLU, PolyNorm], ids=lambda c: c.__name__)
@pytest.mark.parametrize("order", [1, 2, 4])
def test_fused_module_matches_reference_module(cls, order):
    """Same parameters, float32: outputs and all gradients agree within the float32 rows of the table."""
    gen = torch.Generator().manual_seed(order)
    x, g = torch.randn(3, 4, 10, generator=gen), torch.randn(3, 4, 10, generator=gen)
    results = []
    for impl in ("fused", "reference"):
        m = cls(order, impl=impl)
        with torch.no_grad():
            m.weight.copy_(torch.randn(order, generator=torch.Generator().manual_seed(9)))
            m.bias.fill_(0.25)
        xi = x.clone().requires_grad_(True)
        y = m(xi)
        y.backward(g)
        results.append((y, xi.grad, m.weight.grad, m.bias.grad))
    (y, dx, dw, db), (y_ref, dx_ref, dw_ref, db_ref) = results
    assert scaled_error(y, y_ref) <= tolerance(torch.float32)
    for ours, ref in ((dx, dx_ref), (dw, dw_ref), (db, db_ref)):
        assert scaled_error(ours, ref) <= tolerance(torch.float32, grad=True)


@pytest.mark.parametrize("name", ["polyrelu", "polynorm"])
def test_auto_uses_the_plain_formula_inside_torch_compile(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under torch.compile ``impl='auto'`` traces the plain formula (the compiler fuses it itself)."""
    import polyapprox.nn.activations as acts

    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("fused kernel called while compiling")

    monkeypatch.setattr(acts, name, boom)
    monkeypatch.setattr(torch.compiler, "is_compiling", lambda: True)
    mod = acts.make_activation(name)
    x = torch.randn(4, 8, dtype=torch.float64)
    ref = acts.polyrelu_reference if name == "polyrelu" else acts.polynorm_reference
    expected = ref(x, mod.weight, mod.bias) if name == "polyrelu" else ref(x, mod.weight, mod.bias, mod.eps)
    assert torch.equal(mod(x), expected)
