"""The VarPro + Levenberg-Marquardt trainer (polyapprox.train.varpro): exactness of its pieces, tiny sizes, CPU."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from polyapprox.train import varpro as vp
from polyapprox.train.ffn import Dataset
from polyapprox.train.ffn_model import FFN


def _setup(activation: str, depth: int = 1, width: int = 5, points: int = 40, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    model = FFN(1, width, activation, depth=depth)
    x = torch.rand(points, 1, dtype=torch.float64, generator=gen)
    vp.spread_init_(model, x, "uniform", gen)
    features, _ = vp.split_model(model)
    vp._plain(features)
    like = {k: v.detach() for k, v in features.named_parameters()}
    return model, features, like, vp.flatten(like).clone(), x


def _data(f, n: int, seed: int = 0) -> Dataset:
    rng = np.random.default_rng(seed)
    x, xv = rng.random((n, 1)), rng.random((n // 4, 1))
    return Dataset(x, f(x), xv, f(xv))


def _fd_jacobian(lm: vp._LM, theta: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    cols = []
    for i in range(theta.numel()):
        e = torch.zeros_like(theta)
        e[i] = eps
        cols.append((lm.evaluate(theta + e).r - lm.evaluate(theta - e).r) / (2 * eps))
    return torch.stack(cols, 1)


@pytest.mark.parametrize("activation,depth", [("gelu", 2), ("polyrelu", 2), ("polynorm", 1), ("swiglu", 1)])
def test_projected_gradient_matches_finite_differences(activation, depth):
    _, features, like, theta, x = _setup(activation, depth)
    lm = vp._LM(features, like, x, torch.sin(6 * x[:, 0]), lam=1e-6)
    proj = lm.evaluate(theta)
    g = lm.jacobian(theta, proj).T @ proj.r  # exact gradient of 0.5 ||r||^2 (Kaufman drops only a r-term)
    fd = _fd_jacobian(lm, theta).T @ proj.r
    assert float((g - fd).norm() / fd.norm()) < 1e-6


@pytest.mark.parametrize("activation", ["gelu", "polyrelu"])
def test_kaufman_jacobian_is_exact_at_zero_residual(activation):
    _, features, like, theta, x = _setup(activation, depth=2)
    phi = vp.feature_matrix(features, like, x)
    y = phi @ torch.linspace(-1, 1, phi.shape[1], dtype=torch.float64)  # y in the span: r = 0
    lm = vp._LM(features, like, x, y, lam=0.0)
    j = lm.jacobian(theta, lm.evaluate(theta))
    fd = _fd_jacobian(lm, theta)
    assert float((j - fd).norm() / fd.norm()) < 1e-6
    # ... and differs elsewhere (the test can fail: the dropped term is really there)
    lm2 = vp._LM(features, like, x, torch.sin(6 * x[:, 0]), lam=0.0)
    assert float((lm2.jacobian(theta, lm2.evaluate(theta)) - _fd_jacobian(lm2, theta)).norm()) > 1e-4


@pytest.mark.parametrize("lam", [0.0, 1e-3])
def test_output_layer_solve_satisfies_the_normal_equations(lam):
    g = torch.Generator().manual_seed(3)
    phi = torch.randn(50, 6, dtype=torch.float64, generator=g)
    y = torch.randn(50, dtype=torch.float64, generator=g)
    p = vp.project(phi, y, lam)
    normal = phi.T @ p.fit_residual + lam * p.c  # gradient of ||Phi c - y||^2 + lam ||c||^2 (halved)
    assert float(normal.abs().max()) < 1e-12 * float(phi.abs().max() * y.abs().max() * 50)
    expected = torch.linalg.solve(phi.T @ phi + lam * torch.eye(6, dtype=torch.float64), phi.T @ y)
    assert torch.allclose(p.c, expected, atol=1e-12)
    assert abs(p.loss - (float(p.fit_residual @ p.fit_residual) + lam * float(p.c @ p.c)) / 50) < 1e-14


def _relu_target():
    """A ReLU net with known knots 0.2, 0.45, 0.7, 0.9 (signs +, -, +, +) and output weights."""
    knots, signs = np.array([0.2, 0.45, 0.7, 0.9]), np.array([1.0, -1.0, 1.0, 1.0])
    coef = np.array([1.5, -0.7, 2.0, -3.0])

    def f(x):
        return np.maximum(signs * (x - knots), 0) @ coef + 0.3

    return f, knots, signs


def test_varpro_recovers_a_relu_net_from_a_perturbed_init():
    f, knots, signs = _relu_target()
    data = _data(f, 400)
    model = FFN(1, 4, "relu")
    with torch.no_grad():
        w = torch.as_tensor(signs * 1.1)
        model.layers[0].weight.copy_(w[:, None])
        model.layers[0].bias.copy_(-w * torch.as_tensor(knots + np.array([0.02, -0.03, 0.02, -0.02])))
    start = float(np.max(np.abs(f(data.x_train) - model(torch.as_tensor(data.x_train)).detach().numpy())))
    res = vp.train_varpro(model, data, vp.VarProConfig(steps=200, ridge=0.0))
    assert start > 1e-3
    assert res.train_sup < 1e-10 and res.solver == "lm"
    got = -model.layers[0].bias.detach().numpy() / model.layers[0].weight.detach().numpy()[:, 0]
    assert np.allclose(got, knots, atol=1e-8)


def test_lm_accepts_only_decreasing_steps():
    data = _data(lambda x: np.sin(2 * np.pi * x[:, 0]), 300)
    res = vp.train_varpro(_init(FFN(1, 8, "polyrelu"), data), data, vp.VarProConfig(steps=40))
    h = np.array(res.history)
    assert res.accepted == len(h) - 1 >= 5
    assert np.all(np.diff(h) < 0)
    assert res.train_loss <= h[-1] * (1 + 1e-12) and res.train_loss < 0.1 * h[0]


def test_rejected_steps_leave_theta_unchanged():
    """A residual that no step can lower (y = 0: c = 0 and r = 0 exactly): every step is rejected, theta kept.
    (y = Phi 1, in the span, leaves a rounding-level residual ~1e-32 that column-scaled solves can lower.)"""
    _, features, like, theta, x = _setup("gelu")
    y = torch.zeros(x.shape[0], dtype=torch.float64)
    lm = vp._LM(features, like, x, y, lam=0.0)
    out, hist, done = vp.lm_solve(lm, theta, steps=20)
    assert len(hist) == 1 and done >= 1 and torch.equal(out, theta)


def test_memory_fallback_uses_lbfgs(monkeypatch):
    monkeypatch.setenv("POLYAPPROX_MAX_MEMORY_MB", "1")
    data = _data(lambda x: np.sin(2 * np.pi * x[:, 0]), 3000)
    model = _init(FFN(1, 16, "relu"), data)
    res = vp.train_varpro(model, data, vp.VarProConfig(steps=30))
    assert res.solver == "lbfgs" and res.train_loss < res.history[0]


def test_spread_init_puts_knots_inside_the_data_range():
    """All knots but ``outside_units`` (r = 3 for PolyReLU_3) lie inside the data; those r units are active on
    every point (degree-r polynomials, so the features span the whole spline space); no two knots coincide."""
    x = torch.rand(500, 1, dtype=torch.float64)
    y = torch.sin(6 * x[:, 0])
    assert vp.outside_units(32, 3) == 3 and vp.outside_units(8, 3) == 2 and vp.outside_units(32, 0) == 0
    for kind in vp.INITS:
        m = vp.spread_init_(FFN(1, 32, "polyrelu"), x, kind, torch.Generator().manual_seed(1), y)
        k = -m.layers[0].bias.detach() / m.layers[0].weight.detach()[:, 0]
        inside = (k >= float(x.min()) - 1e-12) & (k <= float(x.max()) + 1e-12)
        assert int(inside.sum()) == 29
        z = m.layers[0](x).detach()[:, ~inside]
        assert bool((z > 0).all())  # the 3 others: active everywhere
        assert float(torch.diff(torch.sort(k[inside]).values).min()) > 1e-6  # no collisions (+-1 directions)
        assert m.layers[1].weight.tolist() == [1.0, 0.0, 0.0]  # pure highest power
    u = vp.knot_fractions(8, "chebyshev", torch.Generator().manual_seed(0)).sort().values
    assert float(u[1] - u[0]) < float(u[4] - u[3])  # clustered towards the ends


def test_adaptive_knots_follow_the_curvature():
    """Adaptive knots equidistribute |f''|^(2/5) for ReLU: for f = x^6 (f'' = 30 x^4) most knots lie in the
    right half; without labels they are refused; for a linear f (f'' = 0) they stay spread (floor)."""
    from polyapprox.errors import ConfigError

    x = torch.linspace(0, 1, 400, dtype=torch.float64)[:, None]
    m = vp.spread_init_(FFN(1, 40, "relu"), x, "adaptive", torch.Generator().manual_seed(0), x[:, 0] ** 6)
    k = -m.layers[0].bias.detach() / m.layers[0].weight.detach()[:, 0]
    k = k[(k > 0) & (k < 1)]
    assert int((k > 0.5).sum()) > 0.75 * k.numel()  # uniform: half
    u = vp.adaptive_fractions(x[:, 0], 2 * x[:, 0], 10, 1, torch.Generator().manual_seed(0))
    assert u is not None and float(u.min()) < 0.15 and float(u.max()) > 0.85
    with pytest.raises(ConfigError):
        vp.spread_init_(FFN(1, 8, "relu"), x, "adaptive", torch.Generator().manual_seed(0))


def test_config_is_checked():
    from polyapprox.errors import ConfigError

    for bad in ({"steps": -1}, {"ridge": float("nan")}, {"init": "grid"}, {"polish_p": 1.0}):
        with pytest.raises(ConfigError):
            vp.VarProConfig(**bad)
    with pytest.raises(ConfigError):
        vp.split_model(torch.nn.Linear(1, 1))


def _init(model: FFN, data: Dataset) -> FFN:
    return vp.spread_init_(model, torch.as_tensor(data.x_train), "uniform", torch.Generator().manual_seed(0))


def test_cli_varpro_saves_nets_that_remeasure_to_the_reported_error(capsys, tmp_path):
    from polyapprox.approx.measure import measure_errors
    from polyapprox.cli import main
    from polyapprox.core import netjson
    from polyapprox.core.results import read_json
    from polyapprox.targets.catalogue import resolve_target

    code = main(["train", "ffn", "--activations", "relu,polyrelu,gelu", "--widths", "3,6", "--seeds", "0",
                 "--lm-steps", "15", "--train-points", "200", "--val-points", "40", "--grids", "2",
                 "--out", str(tmp_path), "--quiet", "--json"])
    assert code == 0
    payload = read_json(tmp_path / "sweep.json")
    assert payload["size_key"] == "params_nnz"
    target = resolve_target("sin1", None)
    for act, series in payload["activations"].items():
        for p in series["points"]:
            assert p["method"] == "varpro" and p["accepted"] <= p["lm_steps"]
            state = torch.load(tmp_path / "nets" / f"{act}_w{p['width']}_s0.pt", weights_only=True)
            model = FFN(1, p["width"], act)
            model.load_state_dict(state)
            if act == "gelu":  # no exact Net: measured as a float64 module
                assert "net" not in p["files"]
                continue
            net = netjson.load(tmp_path / "nets" / f"{act}_w{p['width']}_s0.net.json")
            assert measure_errors(net, target).sup_error == p["sup_error"]  # the table's error is the file's
            x = np.linspace(0, 1, 50)[:, None]
            assert np.allclose(model(torch.as_tensor(x)).detach().numpy(), _net_values(net, x), atol=1e-12)
        assert series["seeds"][0]["median_sup"] == series["points"][0]["sup_error"]


def _net_values(net, x):
    from polyapprox.approx.measure import as_callable

    return as_callable(net, 1)(x)


def test_grid_training_points_hold_both_endpoints():
    from polyapprox.errors import ConfigError
    from polyapprox.train.ffn import training_points

    rng = np.random.default_rng(0)
    for kind in ("grid", "chebyshev"):
        x = training_points(2000, 1, kind, rng)
        assert x.shape == (2000, 1) and x.min() == 0.0 and x.max() == 1.0
        x2 = training_points(2000, 2, kind, rng)  # 44 x 44 tensor grid with the four corners
        assert x2.shape == (44 * 44, 2) and {(0.0, 0.0), (1.0, 1.0), (0.0, 1.0)} <= set(map(tuple, x2.tolist()))
    g = np.sort(training_points(11, 1, "grid", rng)[:, 0])
    assert np.allclose(np.diff(g), 0.1)
    c = np.sort(training_points(11, 1, "chebyshev", rng)[:, 0])
    assert np.diff(c)[0] < np.diff(c)[5]  # clustered at the ends
    assert training_points(50, 1, "random", rng).min() > 0.0  # random: no endpoints in general
    with pytest.raises(ConfigError):
        training_points(3, 2, "grid", rng)  # fewer than 2^d points


def test_initial_features_span_the_cubic_spline_space():
    """At init (uniform knots) the projected fit equals scipy's least-squares cubic spline on the same knots:
    the r always-active units supply the cubic polynomials, no two knots coincide, and the default ridge
    does not cap the precision (each failed before: 25-60x worse, measured)."""
    from scipy.interpolate import make_lsq_spline

    x = torch.linspace(0, 1, 800, dtype=torch.float64)[:, None]
    y = torch.sin(2 * torch.pi * x[:, 0])
    m = vp.spread_init_(FFN(1, 24, "polyrelu"), x, "uniform", torch.Generator().manual_seed(2))
    features, _ = vp.split_model(m)
    vp._plain(features)
    like = {k: v.detach() for k, v in features.named_parameters()}
    phi = vp.feature_matrix(features, like, x)
    ours = float(vp.project(phi, y, vp.ridge_scale(phi, vp.VarProConfig().ridge)).fit_residual.abs().max())
    k = (-m.layers[0].bias / m.layers[0].weight[:, 0]).detach().numpy()
    knots = np.sort(k[(k > 0) & (k < 1)])
    spline = make_lsq_spline(x[:, 0].numpy(), y.numpy(), np.r_[[0.0] * 4, knots, [1.0] * 4], k=3)
    ref = float(np.abs(spline(x[:, 0].numpy()) - y.numpy()).max())
    assert knots.size == 21 and abs(ours / ref - 1) < 1e-3


def test_dead_units_get_zero_output_weight_and_a_deterministic_fit():
    g = torch.Generator().manual_seed(0)
    phi = torch.rand(60, 5, dtype=torch.float64, generator=g)
    phi[:, 2] = 0.0  # a unit off on every point
    y = torch.rand(60, dtype=torch.float64, generator=g)
    fits = [vp.project(phi, y, lam) for lam in (0.0, 1e-24, 1e-24)]
    assert all(float(p.c[2]) == 0.0 for p in fits)
    expected = torch.linalg.lstsq(phi[:, [0, 1, 3, 4]], y[:, None]).solution[:, 0]
    assert torch.allclose(fits[0].c[[0, 1, 3, 4]], expected, atol=1e-10)
    assert torch.equal(fits[1].c, fits[2].c)
