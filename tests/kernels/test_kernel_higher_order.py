"""Every autograd transform is exact: double backward, Hessians, torch.func (vmap, jacrev, grad), gradient
penalties, for impl auto / fused / reference and orders 1-5, against the plain formula (float64)."""

import pytest
import torch
from torch.func import functional_call, jacrev, vmap

from polyapprox.nn import PolyNorm, PolyReLU, polynorm_reference, polyrelu_reference

MODULES = {"polynorm": PolyNorm, "polyrelu": PolyReLU}
REFERENCES = {"polynorm": polynorm_reference, "polyrelu": polyrelu_reference}
IMPLS = ["auto", "fused", "reference"]
ORDERS = [1, 2, 3, 4, 5]


def _function(name, impl, order):
    """f(x, weight, bias) through the nn module with the given impl (functional_call swaps the params)."""
    module = MODULES[name](order, impl=impl).double()
    return lambda x, w, b: functional_call(module, {"weight": w, "bias": b}, (x,))


def _inputs(name, order, seed, shape=(3, 5)):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(*shape, generator=gen, dtype=torch.float64)
    if name == "polyrelu":  # keep finite differences off the kink at 0
        x = torch.sign(x) * (0.2 + x.abs())
    w = torch.randn(order, generator=gen, dtype=torch.float64)
    b = torch.randn(1, generator=gen, dtype=torch.float64)
    return tuple(t.requires_grad_(True) for t in (x, w, b))


@pytest.mark.parametrize("name", sorted(MODULES))
@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("order", ORDERS)
def test_gradcheck_and_gradgradcheck(name, impl, order):
    f = _function(name, impl, order)
    inputs = _inputs(name, order, seed=order)
    assert torch.autograd.gradcheck(f, inputs)
    assert torch.autograd.gradgradcheck(f, inputs)


@pytest.mark.parametrize("name", sorted(MODULES))
@pytest.mark.parametrize("impl", ["auto", "fused"])
def test_create_graph_gives_a_differentiable_first_derivative(name, impl):
    """The bug: with create_graph=True the first derivative had no grad_fn (penalties added nothing)."""
    f = _function(name, impl, 3)
    x, w, b = _inputs(name, 3, seed=5)
    (dx,) = torch.autograd.grad(f(x, w, b).sum(), x, create_graph=True)
    assert dx.grad_fn is not None
    (ddx,) = torch.autograd.grad(dx.pow(2).sum(), x)
    assert ddx.abs().max() > 0


@pytest.mark.parametrize("name", sorted(MODULES))
@pytest.mark.parametrize("impl", ["auto", "fused"])
@pytest.mark.parametrize("order", ORDERS)
def test_hessian_equals_plain_formula(name, impl, order):
    f, ref = _function(name, impl, order), REFERENCES[name]
    x, w, b = (t.detach() for t in _inputs(name, order, seed=10 + order, shape=(2, 4)))
    c = torch.linspace(-1, 1, 8, dtype=torch.float64).reshape(2, 4)
    ours = torch.autograd.functional.hessian(lambda a, v: (f(a, v, b) * c).sum(), (x, w))
    exact = torch.autograd.functional.hessian(lambda a, v: (ref(a, v, b) * c).sum(), (x, w))
    for row_ours, row_exact in zip(ours, exact, strict=True):
        for h, e in zip(row_ours, row_exact, strict=True):
            torch.testing.assert_close(h, e, rtol=1e-10, atol=1e-10)
    assert max(float(h.abs().max()) for row in ours for h in row) > 0.1  # not the all-zero Hessian of the bug


@pytest.mark.parametrize("name", sorted(MODULES))
@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("order", [1, 3, 5])
def test_vmap_and_jacrev_equal_plain_formula(name, impl, order):
    f, ref = _function(name, impl, order), REFERENCES[name]
    x, w, b = (t.detach() for t in _inputs(name, order, seed=20 + order, shape=(4, 3, 5)))
    torch.testing.assert_close(vmap(f, in_dims=(0, None, None))(x, w, b), ref(x, w, b), rtol=1e-12, atol=1e-12)
    ours = jacrev(f, argnums=(0, 1, 2))(x[0], w, b)
    exact = jacrev(ref, argnums=(0, 1, 2))(x[0], w, b)
    for j, e in zip(ours, exact, strict=True):
        torch.testing.assert_close(j, e, rtol=1e-12, atol=1e-12)
    per_sample = vmap(jacrev(f), in_dims=(0, None, None))(x, w, b)
    torch.testing.assert_close(per_sample, vmap(jacrev(ref), in_dims=(0, None, None))(x, w, b))


def _penalty_step(module: torch.nn.Module, x: torch.Tensor) -> list[torch.Tensor]:
    """One SGD step on loss = mean(f(x)**2) + ||d f(x).sum() / dx||**2 (a gradient penalty)."""
    opt = torch.optim.SGD(module.parameters(), lr=0.1)
    x = x.clone().requires_grad_(True)
    y = module(x)
    (dx,) = torch.autograd.grad(y.sum(), x, create_graph=True)
    loss = y.pow(2).mean() + dx.pow(2).sum()
    opt.zero_grad()
    loss.backward()
    opt.step()
    return [p.detach().clone() for p in module.parameters()]


@pytest.mark.parametrize("name", sorted(MODULES))
@pytest.mark.parametrize("impl", ["auto", "fused"])
def test_gradient_penalty_step_equals_reference(name, impl):
    x = torch.randn(6, 16, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    modules = [MODULES[name](4, impl=i).double() for i in (impl, "reference")]
    for m in modules:
        with torch.no_grad():
            m.weight.copy_(torch.tensor([0.3, -0.2, 0.5, 0.7]))
            m.bias.fill_(0.1)
    ours, exact = (_penalty_step(m, x) for m in modules)
    for p, e in zip(ours, exact, strict=True):
        torch.testing.assert_close(p, e, rtol=1e-12, atol=1e-12)
    assert not torch.equal(exact[0], torch.tensor([0.3, -0.2, 0.5, 0.7], dtype=torch.float64))
