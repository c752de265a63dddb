"""The closed-form backward of PolyNorm / PolyReLU equals the sympy gradient, exactly (H = 3).

PolyNorm (docs/paper.md §1.6): with r_p = (mean(x**(2p)) + eps)**(-1/2) and S_p = <g, x**p>,
dx_j = sum_p w_p [p x_j**(p-1) r_p g_j - (p/H) x_j**(2p-1) r_p**3 S_p], dw_p = r_p S_p, db = sum g.
The implemented kernel is then checked against the exact sympy gradient at rational points.
"""

import pytest
import sympy as sp
import torch

from polyapprox.kernels import polynorm, polyrelu, tolerance

H = 3


def _polynorm_symbols(order):
    x = sp.symbols(f"x0:{H}", real=True)
    g = sp.symbols(f"g0:{H}", real=True)
    w = sp.symbols(f"w1:{order + 1}", real=True)  # w[p-1] = w_p multiplies x**p
    b, eps = sp.symbols("b eps", positive=True)
    return x, g, w, b, eps


def _polynorm_loss(x, g, w, b, eps, order):
    r = [(sum(xj ** (2 * p) for xj in x) / H + eps) ** sp.Rational(-1, 2) for p in range(1, order + 1)]
    y = [sum(w[p - 1] * xj**p * r[p - 1] for p in range(1, order + 1)) + b for xj in x]
    return sum(gj * yj for gj, yj in zip(g, y, strict=True)), r


@pytest.mark.parametrize("order", [1, 2, 3])
def test_polynorm_closed_form_dx_equals_sympy(order):
    x, g, w, b, eps = _polynorm_symbols(order)
    loss, r = _polynorm_loss(x, g, w, b, eps, order)
    s = [sum(gj * xj**p for gj, xj in zip(g, x, strict=True)) for p in range(1, order + 1)]
    for j in range(H):
        closed = sum(
            w[p - 1]
            * (
                p * x[j] ** (p - 1) * r[p - 1] * g[j]
                - sp.Rational(p, H) * x[j] ** (2 * p - 1) * r[p - 1] ** 3 * s[p - 1]
            )
            for p in range(1, order + 1)
        )
        assert sp.expand(sp.diff(loss, x[j]) - closed) == 0


@pytest.mark.parametrize("order", [1, 3])
def test_polynorm_closed_form_dw_db_equal_sympy(order):
    x, g, w, b, eps = _polynorm_symbols(order)
    loss, r = _polynorm_loss(x, g, w, b, eps, order)
    for p in range(1, order + 1):
        s_p = sum(gj * xj**p for gj, xj in zip(g, x, strict=True))
        assert sp.expand(sp.diff(loss, w[p - 1]) - r[p - 1] * s_p) == 0
    assert sp.expand(sp.diff(loss, b) - sum(g)) == 0


@pytest.mark.parametrize("sign", ["positive", "negative"])
def test_polyrelu_closed_form_equals_sympy(sign):
    order = 3
    x = sp.symbols(f"x0:{H}", **{sign: True})
    g = sp.symbols(f"g0:{H}", real=True)
    w = sp.symbols(f"w1:{order + 1}", real=True)
    b = sp.Symbol("b", real=True)
    y = [sp.Max(xj, 0) for xj in x]
    terms = [sum(w[p - 1] * yj**p for p in range(1, order + 1)) + b for yj in y]
    loss = sum(gj * tj for gj, tj in zip(g, terms, strict=True))
    on = 1 if sign == "positive" else 0  # the indicator [x > 0]
    for j in range(H):
        closed = g[j] * sum(p * w[p - 1] * y[j] ** (p - 1) for p in range(1, order + 1)) * on
        assert sp.expand(sp.diff(loss, x[j]) - closed) == 0
    for p in range(1, order + 1):
        assert sp.expand(sp.diff(loss, w[p - 1]) - sum(gj * yj**p for gj, yj in zip(g, y, strict=True))) == 0


def _exact_polynorm_grads(xv, gv, wv, bv, epsv, order):
    """Exact sympy gradients (dx, dw by power, db) at rational points."""
    x, g, w, b, eps = _polynorm_symbols(order)
    loss, _ = _polynorm_loss(x, g, w, b, eps, order)
    subs = dict(zip(x, xv, strict=True)) | dict(zip(g, gv, strict=True)) | dict(zip(w, wv, strict=True))
    subs |= {b: bv, eps: epsv}
    dx = [sp.diff(loss, xj).subs(subs) for xj in x]
    dw = [sp.diff(loss, wp).subs(subs) for wp in w]
    return dx, dw, sp.diff(loss, b).subs(subs)


@pytest.mark.parametrize("order", [1, 2, 3])
def test_polynorm_kernel_equals_exact_gradient(order):
    """The implemented kernel (float64) reproduces the exact gradient at rational points."""
    xv = [sp.Rational(3, 2), sp.Rational(-1, 4), sp.Rational(5, 8)]
    gv = [sp.Rational(1, 2), sp.Rational(-3, 4), sp.Rational(2)]
    wv = [sp.Rational(p, 5) for p in range(1, order + 1)]  # by power p
    bv, epsv = sp.Rational(1, 8), sp.Rational(1, 2**20)
    dx_exact, dw_exact, db_exact = _exact_polynorm_grads(xv, gv, wv, bv, epsv, order)

    def t(vals):
        return torch.tensor([float(v) for v in vals], dtype=torch.float64)

    x = t(xv).reshape(1, H).requires_grad_(True)
    weight = t(wv[::-1]).requires_grad_(True)  # code order: highest power first
    bias = t([bv]).requires_grad_(True)
    polynorm(x, weight, bias, eps=float(epsv)).backward(t(gv).reshape(1, H))
    tol = tolerance(torch.float64, grad=True)
    exact_dx, exact_dw = t([sp.N(v, 30) for v in dx_exact]), t([sp.N(v, 30) for v in dw_exact[::-1]])
    assert torch.allclose(x.grad[0], exact_dx, rtol=tol, atol=tol)
    assert torch.allclose(weight.grad, exact_dw, rtol=tol, atol=tol)
    assert float(bias.grad) == float(db_exact)


def test_polyrelu_kernel_equals_exact_gradient():
    """PolyReLU r = 3 at dyadic points: every value is exact in float64, so the gradient matches with ==."""
    x = torch.tensor([[1.5, -0.25, 0.625]], dtype=torch.float64, requires_grad=True)
    weight = torch.tensor([0.75, -0.5, 0.25], dtype=torch.float64, requires_grad=True)  # w_3, w_2, w_1
    bias = torch.tensor([0.125], dtype=torch.float64, requires_grad=True)
    g = torch.tensor([[0.5, -0.75, 2.0]], dtype=torch.float64)
    polyrelu(x, weight, bias).backward(g)
    w3, w2, w1 = (sp.Rational(0.75), sp.Rational(-0.5), sp.Rational(0.25))
    xs = [sp.Rational(1.5), sp.Rational(-0.25), sp.Rational(0.625)]
    gs = [sp.Rational(0.5), sp.Rational(-0.75), sp.Rational(2)]
    dx = [gj * (3 * w3 * xj**2 + 2 * w2 * xj + w1) if xj > 0 else 0 for gj, xj in zip(gs, xs, strict=True)]
    dw = [sum(gj * max(xj, 0) ** p for gj, xj in zip(gs, xs, strict=True)) for p in (3, 2, 1)]
    assert x.grad[0].tolist() == [float(v) for v in dx]
    assert weight.grad.tolist() == [float(v) for v in dw]
    assert bias.grad.tolist() == [float(sum(gs))]
