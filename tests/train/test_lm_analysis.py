"""Effective rank, layer cosine similarity, the power-law fit and the sweep plots."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from polyapprox.train.lm import build_model, lm_config
from polyapprox.train.lm_analysis import (
    effective_rank,
    ffn_effective_ranks,
    layer_cosine_similarity,
    polycom_coefficients,
)
from polyapprox.train.lm_plots import plot_loss_curves, plot_scaling
from polyapprox.train.lm_scaling import fit_power_law

SVD_TOL = 1e-12  # float64 SVD of small well-conditioned matrices: a few ulps of n


@pytest.mark.parametrize("n", [1, 2, 5, 17], ids=str)
def test_erank_identity_is_n(n):
    assert effective_rank(torch.eye(n)) == pytest.approx(n, rel=SVD_TOL)


@pytest.mark.parametrize("shape", [(1, 1), (4, 7), (30, 3)], ids=str)
def test_erank_rank_one_is_one(shape):
    gen = torch.Generator().manual_seed(0)
    # float64: round-off leaves singular values ~1e-16 sigma_1, adding ~p ln(1/p) ~ 4e-15 to the entropy
    u = torch.randn(shape[0], 1, generator=gen, dtype=torch.float64)
    v = torch.randn(1, shape[1], generator=gen, dtype=torch.float64)
    assert effective_rank(u @ v) == pytest.approx(1.0, abs=SVD_TOL)


def test_erank_two_unequal_singular_values():
    p = np.array([3.0, 1.0]) / 4.0
    assert effective_rank(torch.diag(torch.tensor([3.0, 1.0]))) == pytest.approx(
        math.exp(-(p * np.log(p)).sum()), rel=SVD_TOL
    )
    assert effective_rank(torch.zeros(3, 3)) == 0.0


@pytest.mark.parametrize("activation", ["swiglu", "polyrelu"])
def test_model_analyses_shapes(activation):
    cfg = lm_config("tiny", activation, n_layer=3)
    model = build_model(cfg, 0)
    eranks = ffn_effective_ranks(model)
    assert len(eranks) == 3
    for e in eranks:
        assert 1.0 <= e["w_in"] <= cfg.d_model and 1.0 <= e["w_out"] <= cfg.d_model
    cos = layer_cosine_similarity(
        model, torch.randint(0, 256, (2, 16), generator=torch.Generator().manual_seed(0))
    )
    assert len(cos) == 2 and all(-1.0 <= c <= 1.0 for c in cos)
    coeffs = polycom_coefficients(model)
    assert len(coeffs) == (3 if activation == "polyrelu" else 0)


def test_power_law_fit_recovers_a_known_law():
    N = np.array([1e5, 3e5, 1e6, 3e6, 1e7])
    E, A, alpha = 1.5, 2.0, 0.3
    N_ref = float(np.exp(np.log(N).mean()))
    L = E + A * (N / N_ref) ** (-alpha)
    fit = fit_power_law(N.tolist(), L.tolist())
    assert fit.status == "fit" and fit.points == 5
    assert fit.alpha == pytest.approx(alpha, rel=1e-6)  # noise-free data: curve_fit converges to ~1e-8
    assert fit.E == pytest.approx(E, rel=1e-6)
    np.testing.assert_allclose(fit.predict(N), L, rtol=1e-6)


def test_power_law_with_three_sizes_is_under_determined():
    N = [1e5, 1e6, 1e7]
    L = [2.0 * (n / 1e6) ** -0.2 for n in N]
    fit = fit_power_law(N, L)
    assert fit.status.startswith("under-determined") and fit.E == 0.0
    assert fit.alpha == pytest.approx(0.2, rel=1e-9)
    assert fit.stderr["alpha"] == pytest.approx(0.0, abs=1e-9)  # exact law: zero residual


def test_power_law_with_one_size_is_insufficient():
    fit = fit_power_law([1e5], [2.0])
    assert fit.status.startswith("insufficient") and fit.alpha is None


def _runs():
    out = []
    for act, scale in (("relu", 1.0), ("polynorm", 0.9)):
        for i, n in enumerate((1e5, 1e6, 1e7, 1e8)):
            loss = scale * (1.0 + 2.0 * (n / 1e6) ** -0.25)
            out.append(
                {
                    "activation": act,
                    "size": f"s{i}",
                    "params": n,
                    "val_loss": loss,
                    "train_curve": [[100, 5.0], [200, loss + 0.1]],
                    "val_curve": [[200, loss]],
                }
            )
    return out


def test_scaling_plot_draws_points_and_fit():
    runs = _runs()
    fits = {
        a: fit_power_law(
            [r["params"] for r in runs if r["activation"] == a],
            [r["val_loss"] for r in runs if r["activation"] == a],
        ).to_dict()
        for a in ("relu", "polynorm")
    }
    fig = plot_scaling(runs, fits)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    labels = [line.get_label() for line in ax.get_lines()]
    assert "relu" in labels and any(lab.startswith("polynorm fit: alpha = 0.250") for lab in labels)


def test_loss_curve_plot_has_train_and_val_per_run():
    fig = plot_loss_curves(_runs())
    assert len(fig.axes[0].get_lines()) == 2 * len(_runs())  # one (activation, size) group per run here


def _seed_runs(seeds: int = 3) -> list[dict]:
    rng = np.random.default_rng(0)
    out = []
    for act in ("swiglu", "polynorm"):
        for s in range(seeds):
            steps = np.arange(1, 41) * 100
            loss = 3.0 / np.sqrt(steps / 100) + rng.normal(0, 0.05, steps.size)
            out.append({"activation": act, "size": "tiny", "seed": s, "params": 1000, "val_loss": float(loss[-1]),
                        "train_curve": np.column_stack([steps, loss]).tolist(),
                        "val_curve": [[1000, 1.0], [4000, float(loss[-1])]]})
    return out


def test_loss_curves_zoom_ema_and_seed_bands():
    fig = plot_loss_curves(_seed_runs())
    full, zoom = fig.axes
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == ["swiglu", "polynorm"]  # one entry per activation
    assert len([c for c in full.collections if c.get_gid() == "seedband"]) == 2
    assert zoom.get_xlim()[0] == 2000.0  # the last half of 4000 tokens
    train = full.get_lines()[0].get_ydata()
    raw = np.mean([np.asarray(r["train_curve"])[:, 1] for r in _seed_runs()[:3]], axis=0)
    assert np.std(np.diff(train)) < np.std(np.diff(raw))  # smoothed
    assert "seeds" in fig.get_suptitle()
