"""VarPro + LM batched over seeds (polyapprox.train.varpro_batch) against the one-seed path, tiny sizes, CPU.

Tolerances are derived, not tuned: a backward-stable QR solve / projection agrees with another one to
``c * kappa * eps`` relative (``kappa`` the condition number of the column-scaled system, computed in the
test, ``eps`` float64's unit roundoff); a Cholesky solve of the damped normal equations likewise to
``c * kappa(J^T J + mu D) * eps``. Whole LM runs are compared where the problem is well conditioned (an exact
ReLU net recovered from perturbed knots): both paths must reach the same knots to the precision each reaches
alone. (On the ill-conditioned sin fits, cond(J^T J + mu D) ~ 1e20 at init, so the two paths' rounding
differences change individual accept/reject decisions and the trajectories part after a few steps, as two
BLAS builds would; there the sweep's median slopes are what is compared, in the report.)
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from polyapprox.train import varpro as vp
from polyapprox.train import varpro_batch as vb
from polyapprox.train.ffn import Dataset
from polyapprox.train.ffn_model import FFN

EPS = float(torch.finfo(torch.float64).eps)


def _batch(activation: str, seeds: int = 3, width: int = 6, points: int = 120):
    x = torch.linspace(0, 1, points, dtype=torch.float64)[:, None]
    y = torch.sin(5 * x[:, 0])
    models = [vp.spread_init_(FFN(1, width, activation), x, "random", torch.Generator().manual_seed(s))
              for s in range(seeds)]
    parts = [vp.split_model(m) for m in models]
    for f, _ in parts:
        vp._plain(f)
    likes = [{k: v.detach() for k, v in f.named_parameters()} for f, _ in parts]
    lams = [vp.ridge_scale(vp.feature_matrix(f, lk, x), 1e-12) for (f, _), lk in zip(parts, likes, strict=True)]
    blm = vb.BatchLM(parts[0][0], likes[0], x.expand(seeds, -1, -1), y.expand(seeds, -1),
                     torch.tensor(lams, dtype=torch.float64))
    singles = [vp._LM(f, lk, x, y, lam) for (f, _), lk, lam in zip(parts, likes, lams, strict=True)]
    return blm, singles, torch.stack([vp.flatten(lk) for lk in likes])


def _scaled_cond(phi: torch.Tensor, lam: float) -> float:
    """kappa of the column-scaled ridge system ``[Phi S; sqrt(lam) S]`` that ``project`` factors."""
    s = 1.0 / torch.linalg.norm(phi, dim=0)
    a = torch.cat([phi * s, lam**0.5 * torch.diag(s)])
    return float(torch.linalg.cond(a))


@pytest.mark.parametrize("activation", ["relu", "polyrelu", "gelu"])
def test_batched_projection_and_jacobian_equal_the_single_seed_ones(activation):
    blm, singles, theta = _batch(activation)
    idx = torch.arange(theta.shape[0])
    bp = blm.evaluate(theta, idx)
    jb = blm.jacobian(theta, bp, idx)
    for k, lm in enumerate(singles):
        p = lm.evaluate(theta[k])
        j = lm.jacobian(theta[k], p)
        phi = vp.feature_matrix(lm.features, vp.unflatten(theta[k], lm.like), lm.x)
        tol = 100 * _scaled_cond(phi, lm.lam) * EPS
        assert tol < 1e-4  # the bound says something
        assert float((bp.c[k] - p.c).norm() / p.c.norm()) <= tol
        assert abs(float(bp.losses[k]) - p.loss) <= tol * p.loss
        rows = p.r.numel()  # the batch keeps a ridge row per column; here none is dead, so rows agree
        assert float((jb[k, :rows] - j).norm() / j.norm()) <= tol and float(jb[k, rows:].norm()) <= tol * j.norm()


def test_dead_columns_get_zero_weight_in_the_batch_as_alone():
    g = torch.Generator().manual_seed(0)
    phi = torch.rand(2, 60, 5, dtype=torch.float64, generator=g)
    phi[0, :, 2] = 0.0  # seed 0: a unit off on every point; seed 1: none
    y = torch.rand(2, 60, dtype=torch.float64, generator=g)
    for lam in (0.0, 1e-20):
        bp = vb.project_batch(phi, y, torch.tensor([lam, lam], dtype=torch.float64))
        assert float(bp.c[0, 2]) == 0.0
        for k in range(2):
            single = vp.project(phi[k], y[k], lam)
            tol = 100 * _scaled_cond(phi[k][:, [0, 1, 3, 4]], lam) * EPS
            assert float((bp.c[k] - single.c).norm() / single.c.norm()) <= tol
            assert abs(float(bp.losses[k]) - single.loss) <= tol * single.loss
    phi[1, :, 4] = phi[1, :, 3]  # seed 1 rank-deficient, lam = 0: both paths take the minimum-norm lstsq
    bp = vb.project_batch(phi, y, torch.zeros(2, dtype=torch.float64))
    single = vp.project(phi[1], y[1], 0.0)
    assert abs(float(bp.c[1, 3] - bp.c[1, 4])) < 1e-10 and torch.allclose(bp.c[1], single.c, atol=1e-10)


def test_one_damped_step_equals_the_single_seed_step():
    """The batched Cholesky step of each seed equals ``_damped_step`` to ``100 kappa eps`` (kappa of the
    damped normal matrix, computed here; the GELU case keeps kappa moderate so the bound is informative)."""
    blm, singles, theta = _batch("gelu", width=4)
    s = theta.shape[0]
    st = vb._Damping(mu=theta.new_full((s,), 1e-3), nu=theta.new_full((s,), 2.0),
                     jtj=theta.new_zeros(s, theta.shape[1], theta.shape[1]), g=theta.new_zeros(theta.shape),
                     diag=theta.new_zeros(theta.shape))
    idx = torch.arange(s)
    vb._refresh(blm, theta, blm.evaluate(theta, idx), st, idx)
    steps, ok = vb._damped_steps(st, idx)
    assert bool(ok.all())
    for k, lm in enumerate(singles):
        j = lm.jacobian(theta[k], lm.evaluate(theta[k]))
        jtj, g = j.T @ j, j.T @ lm.evaluate(theta[k]).r
        diag = torch.clamp(torch.diagonal(jtj), min=1e-12 * float(torch.diagonal(jtj).max()) + 1e-300)
        one = vp._damped_step(jtj, g, diag, 1e-3)
        kappa = float(torch.linalg.cond(jtj + torch.diag(1e-3 * diag)))
        assert 100 * kappa * EPS < 1e-3
        assert float((steps[k] - one).norm() / one.norm()) <= 100 * kappa * EPS


def _relu_data() -> tuple[Dataset, np.ndarray, np.ndarray]:
    knots, signs = np.array([0.2, 0.45, 0.7, 0.9]), np.array([1.0, -1.0, 1.0, 1.0])

    def f(x):
        return np.maximum(signs * (x - knots), 0) @ np.array([1.5, -0.7, 2.0, -3.0]) + 0.3

    x = np.linspace(0, 1, 300)[:, None]
    return Dataset(x, f(x), x[::7], f(x[::7])), knots, signs


def test_batched_lm_recovers_the_same_net_as_one_seed_at_a_time():
    data, knots, signs = _relu_data()
    models = []
    for shift in ([0.02, -0.03, 0.02, -0.02], [-0.01, 0.02, 0.03, -0.01], [0.03, 0.01, -0.02, 0.02]):
        m = FFN(1, 4, "relu")
        with torch.no_grad():
            w = torch.as_tensor(signs * 1.1)
            m.layers[0].weight.copy_(w[:, None])
            m.layers[0].bias.copy_(-w * torch.as_tensor(knots + np.array(shift)))
        models.append(m)
    alone = [copy.deepcopy(m) for m in models]
    cfg = vp.VarProConfig(steps=100, ridge=0.0)
    rb = vb.train_varpro_batch(models, [data] * 3, cfg)
    ra = [vp.train_varpro(m, data, cfg) for m in alone]
    for mb, ma, b, a in zip(models, alone, rb, ra, strict=True):
        assert a.train_sup < 1e-10 and b.train_sup < 1e-10 and b.solver == "lm"
        kb = -mb.layers[0].bias.detach() / mb.layers[0].weight.detach()[:, 0]
        ka = -ma.layers[0].bias.detach() / ma.layers[0].weight.detach()[:, 0]
        assert torch.allclose(kb, ka, atol=1e-8) and np.allclose(kb.numpy(), knots, atol=1e-8)
        assert np.all(np.diff(b.history) < 0) and b.accepted == len(b.history) - 1
    assert len({r.seconds for r in rb}) == 1  # the batch's wall time, shared out


def test_batch_falls_back_to_one_at_a_time(monkeypatch):
    """One model, or the S Jacobians over ``memory_mb``: the single-seed path (L-BFGS when even one is over)."""
    data, _, _ = _relu_data()
    models = [vp.spread_init_(FFN(1, 4, "relu"), torch.as_tensor(data.x_train), "uniform",
                              torch.Generator().manual_seed(s)) for s in range(2)]
    assert vb._batchable(models, [data] * 2)
    assert not vb._batchable(models[:1], [data])
    assert not vb._batchable([models[0], FFN(1, 5, "relu")], [data] * 2)
    big = Dataset(np.zeros((20000, 1)), np.zeros(20000), data.x_val, data.y_val)  # 2 x 2.6 MB of Jacobians
    assert vb._batchable(models, [big] * 2)
    monkeypatch.setenv("POLYAPPROX_MAX_MEMORY_MB", "4")
    assert not vb._batchable(models, [big] * 2) and vb._batchable(models[:1] * 2, [data] * 2)


def _sweep(tmp_path, *extra: str) -> dict:
    from polyapprox.cli import main
    from polyapprox.core.results import read_json

    assert main(["train", "ffn", "--train-points", "200", "--val-points", "40", "--lm-steps", "12", "--grids", "2",
                 "--out", str(tmp_path), "--quiet", "--json", *extra]) == 0
    return read_json(tmp_path / "sweep.json")


def test_cli_batches_the_seeds_of_one_width(tmp_path, one_thread):
    on = _sweep(tmp_path / "on", "--activations", "polyrelu", "--widths", "3", "--batch-seeds", "on")
    off = _sweep(tmp_path / "off", "--activations", "polyrelu", "--widths", "3", "--batch-seeds", "off")
    pts_on, pts_off = on["activations"]["polyrelu"]["points"], off["activations"]["polyrelu"]["points"]
    assert [p["batch"] for p in pts_on] == [3] * 3 and [p["batch"] for p in pts_off] == [1] * 3
    assert len({p["seconds"] for p in pts_on}) == 1  # one batch, its time shared out
    assert [(p["width"], p["seed"]) for p in pts_on] == [(p["width"], p["seed"]) for p in pts_off]


def test_cli_construct_then_train_by_varpro(tmp_path, one_thread):
    from polyapprox.approx.measure import measure_errors
    from polyapprox.core import netjson
    from polyapprox.core.net import IDENTITY
    from polyapprox.targets.catalogue import resolve_target
    from polyapprox.train.ffn_adapters import construction_net

    payload = _sweep(tmp_path, "--init", "construct", "--seeds", "0")
    (p,) = payload["construct_trained"]["construct"]["points"]
    assert p["method"] == "varpro" and p["params_nnz"] == 209  # the Theorem 3 net at N = 2, n = 3
    assert p["sup_error"] < 0.1 * p["before"]["sup_error"]  # 0.57 -> 0.008 measured (12 LM steps)
    net = netjson.load(p["files"]["net"])
    assert measure_errors(net, resolve_target("sin1", None)).sup_error == p["sup_error"]
    start = construction_net(resolve_target("sin1", None), 3, 2)
    groups = {(k, a) for k, layer in enumerate(start.layers[:-1]) for a in layer.activations if a != IDENTITY}
    assert p["coefficients"] == sum(len(a.coeffs) for _, a in groups)  # one (a_0 .. a_r) per group sharing a spec
    assert [layer.activations for layer in net.layers] != [layer.activations for layer in start.layers]  # trained


def _comparable(payload: dict) -> dict:
    """The payload without what may differ between identical runs: timings, file paths, provenance."""
    payload.pop("provenance")
    for series in (*payload.get("activations", {}).values(), *payload.get("construct_trained", {}).values()):
        for point in series["points"]:
            point.pop("seconds"), point.pop("files")
    return payload


@pytest.mark.parametrize("init", ["random", "construct"])
def test_two_identical_runs_give_identical_json(tmp_path, one_thread, init):
    """Every random draw of a point comes from its seed (the output layer's init too, which only sets
    ``init_val_loss``): two runs of one config agree in every number but the timings."""
    extra = ("--activations", "polyrelu,relu", "--widths", "3") if init == "random" else ()
    a, b = (_sweep(tmp_path / name, "--init", init, "--seeds", "1", *extra) for name in ("a", "b"))
    assert _comparable(a) == _comparable(b)


def test_boosted_sum_is_an_exact_net_with_both_parameter_sets(tmp_path, one_thread):
    """--boost: each point is f1 + f2, saved as one exact Net (hidden layers side by side) that re-measures to
    the reported error, with the nonzero parameters of both nets counted; the second net never raises the
    training mean square error (its projection can always choose output weights 0)."""
    from polyapprox.approx.measure import measure_errors
    from polyapprox.core import netjson
    from polyapprox.core.counting import count_params
    from polyapprox.targets.catalogue import resolve_target

    payload = _sweep(tmp_path, "--activations", "relu,polyrelu", "--widths", "6", "--seeds", "0", "--boost")
    for series in payload["activations"].values():
        (p,) = series["points"]
        net = netjson.load(p["files"]["net"])
        assert net.layers[0].weight.shape == (12, 1) and len(net.layers) == 2
        assert measure_errors(net, resolve_target("sin1", None)).sup_error == p["sup_error"]
        assert p["params_nnz"] == count_params(net).params + 1  # two output biases, stored as their sum
        assert p["boost"]["train_loss"] <= p["train_loss"] * (1 + 1e-9)  # c2 = 0 is feasible: never worse in L2
    relu, poly = payload["activations"]["relu"]["points"][0], payload["activations"]["polyrelu"]["points"][0]
    assert poly["boost"]["train_sup"] < 0.5 * poly["train_sup"]  # measured 0.040 -> 0.0057 (w = 6, 12 LM steps)
    assert relu["boost"]["train_loss"] < relu["train_loss"]  # (its sup error: 0.069 -> 0.072, no gain)


def test_side_by_side_adds_two_nets_exactly():
    from fractions import Fraction

    from polyapprox.train.ffn_boost import side_by_side
    from polyapprox.train.ffn_keep import exact_net

    a, b = FFN(1, 3, "polyrelu", depth=2), FFN(1, 2, "polyrelu", depth=2)
    net = side_by_side(exact_net(a), exact_net(b))
    x = np.linspace(0, 1, 7)[:, None]
    want = (a(torch.as_tensor(x)) + b(torch.as_tensor(x))).detach().numpy()
    assert np.allclose(net(x).reshape(-1), want, atol=1e-12)
    assert net.layers[-1].bias == (Fraction(a.layers[-1].bias.item()) + Fraction(b.layers[-1].bias.item()),)
