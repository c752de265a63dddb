"""VarPro + Levenberg-Marquardt over a batch of seeds: one set of tensor operations for S same-shaped FFNs.

The S fits are independent: each seed has its own data, ridge, damping ``mu`` and accept/reject decisions,
exactly as in ``polyapprox.train.varpro.lm_solve``. Only the arithmetic is batched: the features
(``vmap`` of ``functional_call`` over a leading seed axis), the column-scaled QR of the output-layer solve,
the Kaufman Jacobians ``J`` (S, M, P), the normal matrices ``J^T J`` and their Cholesky factors are computed
for all seeds that need them in one call each (``torch.linalg`` on batches), so the per-step Python and
kernel-launch overhead is paid once per batch instead of once per seed. Works on any device. On CPU (one
thread, 3 seeds) it measured no faster: per seed and iteration 1.9 vs 2.1 ms at width 8, 5.8 vs 4.6 ms at 32,
28.6 vs 24.5 ms at 128 (the QR and Cholesky batches cost what the single ones do; the vmap over seeds of the
features and Jacobians about 20 % more), hence ``VarProConfig.batch_seeds="auto"`` batches on CUDA only.

Dead feature columns (a unit off on every point) cannot be dropped per seed in a batch: their scaled column
is set to 0 in the data rows and to 1 in an extra ridge row of their own, so the solve gives them weight 0
and leaves the other weights exactly as the unbatched solve (which drops them) does.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import torch
from torch import nn

from polyapprox.core.limits import limit
from polyapprox.train.ffn import Dataset, Progress, _check_finite
from polyapprox.train.varpro import (
    _LM,
    Params,
    VarProConfig,
    VarProResult,
    _chunk,
    _plain,
    _polish,
    _restore,
    _val_loss,
    _write_back,
    feature_matrix,
    flatten,
    jacobian_bytes,
    lm_solve,
    output_jacobian,
    projected_jacobian,
    ridge_scale,
    split_model,
    train_varpro,
    unflatten,
)


@dataclass
class BatchProjection:
    """Per seed: output weights ``c`` (S, m), stacked residuals ``r`` (S, P + m) and Q factors (S, P + m, m)."""

    c: torch.Tensor
    r: torch.Tensor
    q: torch.Tensor
    points: int

    @property
    def losses(self) -> torch.Tensor:
        """``||r||^2 / P`` per seed (the projected objective of ``Projection.loss``)."""
        return torch.sum(self.r**2, dim=1) / self.points

    def take(self, idx: torch.Tensor) -> BatchProjection:
        return BatchProjection(self.c[idx], self.r[idx], self.q[idx], self.points)

    def put(self, idx: torch.Tensor, other: BatchProjection) -> None:
        self.c[idx], self.r[idx], self.q[idx] = other.c, other.r, other.q


def project_batch(phi: torch.Tensor, y: torch.Tensor, lam: torch.Tensor) -> BatchProjection:
    """``c_s = argmin ||Phi_s c - y_s||^2 + lam_s ||c||^2`` for every seed s, by one batched QR of
    ``[Phi_s S_s; D_s]`` (``S_s`` inverse column norms; ``D_s = sqrt(lam_s) S_s`` on live columns, 1 on dead
    ones, whose data column is zeroed); a seed whose R is singular is solved by ``lstsq`` alone."""
    s, p, m = phi.shape
    norms = torch.linalg.norm(phi, dim=1)
    live = norms > 1e-13 * norms.max(dim=1, keepdim=True).values + 1e-300
    inv = torch.where(live, 1.0 / torch.where(live, norms, 1.0), 0.0)
    ridge = torch.where(live, torch.sqrt(lam)[:, None] * inv, 1.0)
    a = torch.cat([phi * inv[:, None, :], torch.diag_embed(ridge)], dim=1)
    b = torch.cat([y, y.new_zeros(s, m)], dim=1)
    q, rr = torch.linalg.qr(a)
    cs = torch.linalg.solve_triangular(rr, (q.mT @ b[:, :, None]), upper=True)[:, :, 0]
    d = torch.abs(torch.diagonal(rr, dim1=1, dim2=2))
    singular = d.min(dim=1).values <= 1e-14 * d.max(dim=1).values.clamp_min(1e-300)  # ``_invertible``, batched
    for k in torch.nonzero(singular).reshape(-1).tolist():  # one host sync per solve, not one per seed
        driver = "gelsd" if a.device.type == "cpu" else None
        cs[k] = torch.linalg.lstsq(a[k], b[k][:, None], driver=driver).solution[:, 0]
    r = (a @ cs[:, :, None])[:, :, 0] - b
    return BatchProjection(c=cs * inv, r=r, q=q, points=p)


@dataclass
class BatchLM:
    """S fits sharing one architecture (``features``, parameter shapes ``like``): data x (S, P, d), y (S, P),
    absolute ridges ``lam`` (S,)."""

    features: nn.Module
    like: Params
    x: torch.Tensor
    y: torch.Tensor
    lam: torch.Tensor
    chunk: int = 4096

    def evaluate(self, theta: torch.Tensor, idx: torch.Tensor) -> BatchProjection:
        """The projections of the seeds ``idx`` at their parameters ``theta`` (len(idx), n)."""
        feats = torch.func.vmap(lambda t, x: feature_matrix(self.features, unflatten(t, self.like), x))
        return project_batch(feats(theta, self.x[idx]), self.y[idx], self.lam[idx])

    def jacobian(self, theta: torch.Tensor, proj: BatchProjection, idx: torch.Tensor) -> torch.Tensor:
        """Kaufman Jacobians (len(idx), P + m, n) of the seeds ``idx``."""
        per_seed = torch.func.vmap(
            lambda t, c, x: output_jacobian(self.features, self.like, t, c, x, self.chunk))
        return projected_jacobian(per_seed(theta, proj.c, self.x[idx]), proj.q)


@dataclass
class _Damping:
    """Per-seed LM state: damping ``mu``, its growth ``nu``, and the normal equations of the last Jacobian."""

    mu: torch.Tensor
    nu: torch.Tensor
    jtj: torch.Tensor
    g: torch.Tensor
    diag: torch.Tensor

    def reject(self, idx: torch.Tensor) -> None:
        self.mu[idx] = self.mu[idx] * self.nu[idx]
        self.nu[idx] = 2 * self.nu[idx]


def lm_solve_batch(blm: BatchLM, theta: torch.Tensor, steps: int, tol: float = 0.0,
                   progress: Progress | None = None) -> tuple[torch.Tensor, list[list[float]], list[int]]:
    """``lm_solve`` for every seed at once (same damping rule, same acceptance test, per seed).

    Returns (theta (S, n), per seed the losses after each accepted step starting with the initial loss,
    per seed the iterations done). A seed stops when its loss is <= tol or its damping passes 1e16."""
    s, n = theta.shape
    theta = theta.clone()
    every = torch.arange(s, device=theta.device)
    proj = blm.evaluate(theta, every)
    history = [[v] for v in proj.losses.tolist()]
    st = _Damping(mu=theta.new_full((s,), 1e-3), nu=theta.new_full((s,), 2.0), jtj=theta.new_zeros(s, n, n),
                  g=theta.new_zeros(s, n), diag=theta.new_zeros(s, n))
    active = torch.ones(s, dtype=torch.bool, device=theta.device)
    need_jac = active.clone()
    done = [0] * s
    for it in range(1, steps + 1):
        idx = torch.nonzero(active).reshape(-1)
        if idx.numel() == 0:
            break
        for k in idx.tolist():
            done[k] = it
        _refresh(blm, theta, proj, st, torch.nonzero(active & need_jac).reshape(-1))
        need_jac[idx] = False
        step, ok = _damped_steps(st, idx)
        st.reject(idx[~ok])
        tri, step = idx[ok], step[ok]
        if tri.numel() == 0:
            continue
        new = blm.evaluate(theta[tri] + step, tri)
        f_old, f_new = 0.5 * torch.sum(proj.r[tri] ** 2, 1), 0.5 * torch.sum(new.r**2, 1)
        predicted = 0.5 * torch.sum(step * (st.mu[tri, None] * st.diag[tri] * step - st.g[tri]), 1)
        rho = torch.where(predicted > 0, (f_old - f_new) / torch.where(predicted > 0, predicted, 1.0), -1.0)
        acc = torch.isfinite(f_new) & (f_new < f_old) & (rho > 0)
        good, bad = tri[acc], tri[~acc]
        theta[good] = theta[good] + step[acc]
        proj.put(good, new.take(torch.nonzero(acc).reshape(-1)))
        need_jac[good] = True
        st.mu[good] = st.mu[good] * torch.clamp(1 - (2 * rho[acc] - 1) ** 3, min=1 / 3)
        st.nu[good] = 2.0
        vals = proj.losses[good]  # one host transfer per iteration, not one per accepted seed
        for k, v in zip(good.tolist(), vals.tolist(), strict=True):
            history[k].append(v)
        active[good[vals <= tol]] = False
        st.reject(bad)
        active[bad[st.mu[bad] > 1e16]] = False
        if progress and good.numel():
            progress("lm", it, steps, max(history[k][-1] for k in good.tolist()))
    return theta, history, done


def _refresh(blm: BatchLM, theta: torch.Tensor, proj: BatchProjection, st: _Damping, idx: torch.Tensor) -> None:
    """New Jacobians for the seeds ``idx`` (those whose last step was accepted): ``J^T J``, ``J^T r`` and the
    clamped diagonal of Marquardt's scaling."""
    if idx.numel() == 0:
        return
    sub = proj.take(idx)
    j = blm.jacobian(theta[idx], sub, idx)
    jtj = j.mT @ j
    d = torch.diagonal(jtj, dim1=1, dim2=2)
    st.jtj[idx], st.g[idx] = jtj, (j.mT @ sub.r[:, :, None])[:, :, 0]
    st.diag[idx] = torch.maximum(d, 1e-12 * d.max(dim=1, keepdim=True).values + 1e-300)


def _damped_steps(st: _Damping, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``-(J^T J + mu diag)^{-1} J^T r`` for the seeds ``idx`` by batched Cholesky, and which are usable
    (positive definite and finite)."""
    a = st.jtj[idx] + torch.diag_embed(st.mu[idx, None] * st.diag[idx])
    chol, info = torch.linalg.cholesky_ex(a)
    step = -torch.cholesky_solve(st.g[idx, :, None], chol)[:, :, 0]
    return step, (info == 0) & torch.isfinite(step).all(dim=1)


def train_varpro_batch(models: list[nn.Module], datas: list[Dataset], config: VarProConfig,
                       progress: Progress | None = None) -> list[VarProResult]:
    """``train_varpro`` for same-shaped FFNs (one per seed, already initialised) in one batch; each result's
    ``seconds`` is the batch's wall time divided by the number of seeds. Falls back to one fit at a time
    when there is one model, the shapes or point counts differ, or the S Jacobians exceed ``memory_mb``."""
    if not _batchable(models, datas):
        return [train_varpro(m, d, config, progress) for m, d in zip(models, datas, strict=True)]
    t0 = time.perf_counter()
    dev = config.device
    parts = []
    for m in models:
        m.to(device=dev, dtype=torch.float64)
        parts.append(split_model(m))
    olds = [_plain(f) for f, _ in parts]
    try:
        results = _fit_batch(models, parts, datas, config, progress)
    finally:
        for old in olds:
            _restore(old)
    secs = (time.perf_counter() - t0) / len(models)
    out = []
    for m, r in zip(models, results, strict=True):
        _check_finite(m, r.train_loss)
        out.append(dataclasses.replace(r, seconds=secs, batch=len(models)))
    return out


def _batchable(models: list[nn.Module], datas: list[Dataset]) -> bool:
    """Two or more models with the same parameter shapes, the same training-point count, and room for all
    their Jacobians under ``memory_mb``."""
    if len(models) < 2:
        return False
    shapes = {tuple((k, tuple(v.shape)) for k, v in m.named_parameters()) for m in models}
    counts = {d.x_train.shape for d in datas}
    n = sum(p.numel() for p in split_model(models[0])[0].parameters())
    fits = len(models) * jacobian_bytes(datas[0].x_train.shape[0], n) <= limit("memory_mb") * 2**20
    return len(shapes) == 1 and len(counts) == 1 and fits


def _fit_batch(models: list[nn.Module], parts: list[tuple[nn.Sequential, nn.Linear]], datas: list[Dataset],
               config: VarProConfig, progress: Progress | None) -> list[VarProResult]:
    """The batched LM, then per seed the optional polish, the write-back and the result (``seconds`` 0)."""
    dev = config.device

    def as_t(a: object) -> torch.Tensor:
        return torch.as_tensor(a, dtype=torch.float64, device=dev)

    likes = [{k: v.detach() for k, v in f.named_parameters()} for f, _ in parts]
    xs, ys = torch.stack([as_t(d.x_train) for d in datas]), torch.stack([as_t(d.y_train) for d in datas])
    lams = [ridge_scale(feature_matrix(f, like, x), config.ridge) for (f, _), like, x in zip(parts, likes, xs,
                                                                                             strict=True)]
    init_vals = [_val_loss(m, as_t(d.x_val), as_t(d.y_val)) for m, d in zip(models, datas, strict=True)]
    n = flatten(likes[0]).numel()
    blm = BatchLM(parts[0][0], likes[0], xs, ys, as_t(lams), chunk=max(8, _chunk(n) // len(models)))
    theta, histories, dones = lm_solve_batch(blm, torch.stack([flatten(like) for like in likes]), config.steps,
                                             config.tol, progress)
    results = []
    for k, ((features, head), m, d) in enumerate(zip(parts, models, datas, strict=True)):
        lm = _LM(features, likes[k], xs[k], ys[k], lams[k], chunk=_chunk(n))
        th, rounds = theta[k], 0
        if config.polish:
            th, rounds = _polish(lm, th, config, lambda lm_, t, s: lm_solve(lm_, t, s, config.tol))
        proj = lm.evaluate(th)
        _write_back(features, head, likes[k], th, proj.c)
        results.append(VarProResult(train_loss=proj.loss, val_loss=_val_loss(m, as_t(d.x_val), as_t(d.y_val)),
                                    init_val_loss=init_vals[k], train_sup=float(proj.fit_residual.abs().max()),
                                    steps=dones[k], accepted=len(histories[k]) - 1, polish_rounds=rounds,
                                    solver="lm", seconds=0.0, history=tuple(histories[k])))
    return results

