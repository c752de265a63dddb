"""High-precision training of one FFN block: variable projection + Levenberg-Marquardt, float64.

The model is ``Linear -> act -> [Linear -> act]* -> Linear`` (``polyapprox.train.ffn_model.FFN``, any
activation). Split it as ``f(x) = Phi(x; theta) c``: ``Phi`` holds the hidden features of the last hidden
layer plus a constant column, ``c`` the last layer's weights and bias, ``theta`` everything else (inner weights
and biases, PolyReLU / PolyNorm coefficients).

* **Projection** (Golub-Pereyra): for the current ``theta`` the output layer is solved exactly,
  ``c = argmin ||Phi c - y||^2 + ridge ||c||^2``, by a QR factorisation of ``[Phi; sqrt(ridge) I]``; the
  residual ``r(theta) = Phi c(theta) - y`` is a function of ``theta`` only.
* **Jacobian** (Kaufman's approximation): ``J = (I - P) d(Phi c)/d theta`` with ``c`` held fixed, where
  ``P = Q_top Q_top^T`` is the (ridge) hat matrix; ``d(Phi c)/d theta`` is the per-point gradient from
  ``torch.func`` (``vmap(grad)``), evaluated in chunks of points.
* **Levenberg-Marquardt** with Marquardt's diagonal scaling and Nielsen's damping rule: a step is accepted
  only if the projected loss decreases, else the damping grows and the step is retried.
* **Fallback**: when the Jacobian (points x parameters, float64) would exceed the ``memory_mb`` limit,
  L-BFGS on the projected loss (its gradient is the gradient with ``c`` fixed, the variable projection
  identity).
* **Sup-norm polish** (optional): a few LM rounds on the residual reweighted by ``|r|^((p-2)/2)`` with ``p``
  rising to ``polish_p`` (IRLS towards the L^p, then near-minimax, fit); the state with the smallest
  training sup error is kept.
* **Initialisation** (``spread_init_``): every hidden layer's units get random directions and offsets
  spread over the range of their projected inputs on the training points (uniform or Chebyshev-like), so
  the breakpoints (knots) of ReLU-type units cover the domain.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from polyapprox.core.limits import limit
from polyapprox.errors import ConfigError
from polyapprox.train.ffn import Dataset, Progress, _check_finite
from polyapprox.train.ffn_model import init_ffn_

INITS = ("adaptive", "uniform", "chebyshev", "random")
#: ``--batch-seeds``: auto batches the seeds of one width on CUDA only (on CPU the fits are arithmetic-bound
#: and the batch measured no faster: see ``polyapprox.train.varpro_batch``), on / off force it.
BATCH_SEEDS = ("auto", "on", "off")
Params = dict[str, torch.Tensor]


@dataclass(frozen=True, slots=True)
class VarProConfig:
    """Settings of one VarPro + LM run (one CLI flag each where exposed)."""

    steps: int = 300  # LM iterations (accepted or rejected)
    ridge: float = 1e-24  # relative ridge: ridge * mean squared feature norm (1e-16 already caps sin(2 pi x) at
    # width 128 near 2.5e-7 instead of 4e-9: the truncated-power features are ill-conditioned)
    init: str = "uniform"  # knot placement: uniform, chebyshev, random (uniform random knots)
    polish: int = 0  # sup-norm polish rounds (0: none)
    polish_p: float = 10.0  # final exponent of the L^p polish
    tol: float = 1e-30  # stop when the projected loss (mean square) is below tol
    device: str = "cpu"
    batch_seeds: str = "auto"  # fit the seeds of one width as one batch: auto (CUDA only), on, off

    def __post_init__(self) -> None:
        if self.steps < 0 or self.polish < 0:
            raise ConfigError(f"steps / polish: {self.steps} / {self.polish} must be >= 0")
        if not (self.ridge >= 0 and math.isfinite(self.ridge)):
            raise ConfigError(f"ridge: {self.ridge} must be a finite number >= 0")
        if self.init not in INITS:
            raise ConfigError(f"init: unknown {self.init!r}; choose from {', '.join(INITS)}")
        if self.batch_seeds not in BATCH_SEEDS:
            raise ConfigError(f"batch_seeds: unknown {self.batch_seeds!r}; choose from {', '.join(BATCH_SEEDS)}")
        if not (self.polish_p >= 2 and math.isfinite(self.polish_p)):
            raise ConfigError(f"polish_p: {self.polish_p} must be >= 2")


    @property
    def batched(self) -> bool:
        """Whether the seeds of one width are fitted as one batch (``batch_seeds``; auto: on CUDA)."""
        return self.batch_seeds == "on" or (self.batch_seeds == "auto" and str(self.device).startswith("cuda"))


@dataclass(frozen=True, slots=True)
class VarProResult:
    """Outcome of ``train_varpro``: MSEs and sup errors on the training / validation points."""

    train_loss: float
    val_loss: float
    init_val_loss: float
    train_sup: float
    steps: int  # LM iterations done (accepted + rejected)
    accepted: int
    polish_rounds: int
    solver: str  # "lm" or "lbfgs" (memory fallback)
    seconds: float
    history: tuple[float, ...]  # projected training loss after each accepted step
    batch: int = 1  # seeds fitted together (``varpro_batch``); ``seconds`` is then the batch's time / batch


# ---- model split and functional features --------------------------------------------------------


def split_model(model: nn.Module) -> tuple[nn.Sequential, nn.Linear]:
    """(features, head) of an ``FFN``: every module but the last ``Linear``, and that ``Linear``."""
    layers = getattr(model, "layers", None)
    if not isinstance(layers, nn.Sequential) or not isinstance(layers[-1], nn.Linear):
        raise ConfigError("varpro: needs an FFN (Linear -> act -> ... -> Linear); use --method adam for this model")
    return nn.Sequential(*list(layers)[:-1]), layers[-1]


def _plain(features: nn.Module) -> dict[nn.Module, str]:
    """Switch PolyReLU / PolyNorm to the plain formula (differentiable under ``torch.func``); returns the
    old ``impl`` per module so ``_restore`` can put it back."""
    old = {m: m.impl for m in features.modules() if hasattr(m, "impl")}
    for m in old:
        m.impl = "reference"
    return old


def _restore(old: dict[nn.Module, str]) -> None:
    for m, impl in old.items():
        m.impl = impl


def feature_matrix(features: nn.Module, params: Params, x: torch.Tensor) -> torch.Tensor:
    """Phi (P, h + 1): hidden features of ``x`` under ``params``, and a constant column."""
    h = torch.func.functional_call(features, params, (x,))
    return torch.cat([h, torch.ones_like(h[:, :1])], dim=1)


def flatten(params: Params) -> torch.Tensor:
    return torch.cat([p.reshape(-1) for p in params.values()])


def unflatten(theta: torch.Tensor, like: Params) -> Params:
    """Split the flat vector ``theta`` into tensors shaped as ``like``."""
    out, k = {}, 0
    for name, p in like.items():
        out[name] = theta[k:k + p.numel()].view_as(p)
        k += p.numel()
    return out


# ---- projection ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Projection:
    """The exact output layer for given features: ``c``, the stacked residual ``r = [Phi c - y; sqrt(lam) c]``
    (its first P entries are the fit's residual) and ``q``, the Q factor of ``[Phi; sqrt(lam) I]``."""

    c: torch.Tensor
    r: torch.Tensor
    q: torch.Tensor
    points: int

    @property
    def fit_residual(self) -> torch.Tensor:
        """``Phi c - y`` (P,)."""
        return self.r[:self.points]

    @property
    def loss(self) -> float:
        """The projected objective ``(||Phi c - y||^2 + lam ||c||^2) / P``."""
        return float(self.r @ self.r) / self.points


def ridge_scale(phi: torch.Tensor, ridge: float) -> float:
    """The absolute ridge ``lam = ridge * ||Phi||_F^2 / P`` (fixed once per run, so the objective is smooth)."""
    return ridge * float(torch.sum(phi**2)) / phi.shape[0]


def project(phi: torch.Tensor, y: torch.Tensor, lam: float) -> Projection:
    """``c = argmin ||Phi c - y||^2 + lam ||c||^2`` by a QR factorisation of ``A = [Phi S; sqrt(lam) S]``
    (``lam = 0``: of ``Phi S``), ``S`` the diagonal of inverse column norms, so the solve does not depend
    on the units' scales; the residual is ``A (c / S) - [y; 0]``, so ``Q^T r = 0`` up to rounding (the
    normal equations ``Phi^T (Phi c - y) + lam c = 0``). Dead columns (norm <= 1e-13 of the largest: a
    unit off on every point) get ``c = 0`` and are left out of ``A``, so the solve is deterministic (the
    rank-deficient fallback is only for ``lam = 0``)."""
    m = phi.shape[1]
    norms = torch.linalg.norm(phi, dim=0)
    live = torch.nonzero(norms > 1e-13 * float(norms.max()) + 1e-300).reshape(-1)
    inv = 1.0 / norms[live]
    a, b = phi[:, live] * inv, y
    if lam > 0:
        a = torch.cat([a, math.sqrt(lam) * torch.diag(inv)])
        b = torch.cat([y, y.new_zeros(live.numel())])
    q, rr = torch.linalg.qr(a)
    if _invertible(rr):
        cs = torch.linalg.solve_triangular(rr, (q.T @ b)[:, None], upper=True)[:, 0]
    else:
        driver = "gelsd" if a.device.type == "cpu" else None
        cs = torch.linalg.lstsq(a, b[:, None], driver=driver).solution[:, 0]
    c = phi.new_zeros(m)
    c[live] = cs * inv
    return Projection(c=c, r=a @ cs - b, q=q, points=phi.shape[0])


def _invertible(r: torch.Tensor) -> bool:
    """R's diagonal has no entry below 1e-14 of its largest (else ``project`` falls back to ``lstsq``)."""
    d = torch.abs(torch.diagonal(r))
    return bool(d.min() > 1e-14 * max(float(d.max()), 1e-300))

# ---- Jacobian -----------------------------------------------------------------------------------


def output_jacobian(features: nn.Module, like: Params, theta: torch.Tensor, c: torch.Tensor,
                    x: torch.Tensor, chunk: int) -> torch.Tensor:
    """d(Phi(theta) c)/d theta per point, (P, n_params), by ``vmap(grad)`` over chunks of ``chunk`` points."""

    def one(t: torch.Tensor, xi: torch.Tensor) -> torch.Tensor:
        return (feature_matrix(features, unflatten(t, like), xi[None]) @ c)[0]

    per_point = torch.func.vmap(torch.func.grad(one), in_dims=(None, 0))
    return torch.cat([per_point(theta, x[s:s + chunk]) for s in range(0, x.shape[0], chunk)])


def projected_jacobian(jc: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """Kaufman's Jacobian of the projected (stacked) residual: ``(I - Q Q^T) [jc; 0]``."""
    p, extra = jc.shape[-2], q.shape[-2] - jc.shape[-2]  # also batched: jc (S, P, n), q (S, P + m, m)
    full = torch.cat([jc, jc.new_zeros(*jc.shape[:-2], extra, jc.shape[-1])], dim=-2) if extra > 0 else jc
    return full - q @ (q[..., :p, :].mT @ jc)


def jacobian_bytes(points: int, n_params: int) -> int:
    """Memory of the Jacobian and its projection (two float64 (points, n_params) arrays)."""
    return 2 * 8 * points * n_params


# ---- Levenberg-Marquardt -------------------------------------------------------------------------


@dataclass
class _LM:
    """The state of one LM run on the (optionally row-weighted) projected residual."""

    features: nn.Module
    like: Params
    x: torch.Tensor
    y: torch.Tensor
    lam: float  # absolute ridge (``ridge_scale``)
    weights: torch.Tensor | None = None  # square roots of row weights (polish), None: plain least squares
    chunk: int = 4096

    def evaluate(self, theta: torch.Tensor) -> Projection:
        phi = feature_matrix(self.features, unflatten(theta, self.like), self.x)
        if self.weights is None:
            return project(phi, self.y, self.lam)
        return project(phi * self.weights[:, None], self.y * self.weights, self.lam)

    def jacobian(self, theta: torch.Tensor, proj: Projection) -> torch.Tensor:
        jc = output_jacobian(self.features, self.like, theta, proj.c, self.x, self.chunk)
        if self.weights is not None:
            jc = jc * self.weights[:, None]
        return projected_jacobian(jc, proj.q)


def lm_solve(lm: _LM, theta: torch.Tensor, steps: int, tol: float = 0.0,
             progress: Progress | None = None) -> tuple[torch.Tensor, list[float], int]:
    """Levenberg-Marquardt (Nielsen's damping, Marquardt scaling) on ``lm``'s projected residual.

    Returns (theta, losses after each accepted step starting with the initial loss, iterations done). A step
    is accepted only if it lowers ``0.5 ||r||^2``; the returned losses are therefore strictly decreasing.
    """
    proj = lm.evaluate(theta)
    history, mu, nu, done = [proj.loss], None, 2.0, 0
    need_jac = True
    for done in range(1, steps + 1):
        if need_jac:
            j = lm.jacobian(theta, proj)
            jtj, g = j.T @ j, j.T @ proj.r
            diag = torch.clamp(torch.diagonal(jtj), min=1e-12 * float(torch.diagonal(jtj).max()) + 1e-300)
            mu = 1e-3 if mu is None else mu
            need_jac = False
        delta = _damped_step(jtj, g, diag, mu)
        if delta is None:
            mu, nu = mu * nu, 2 * nu
            continue
        trial = theta + delta
        new = lm.evaluate(trial)
        f_old, f_new = 0.5 * float(proj.r @ proj.r), 0.5 * float(new.r @ new.r)
        predicted = 0.5 * float(delta @ (mu * diag * delta - g))
        rho = (f_old - f_new) / predicted if predicted > 0 else -1.0
        if math.isfinite(f_new) and f_new < f_old and rho > 0:
            theta, proj, need_jac = trial, new, True
            history.append(proj.loss)
            mu, nu = mu * max(1 / 3, 1 - (2 * rho - 1) ** 3), 2.0
            if progress:
                progress("lm", done, steps, proj.loss)
            if proj.loss <= tol:
                break
        else:
            mu, nu = mu * nu, 2 * nu
            if mu > 1e16:  # no decrease possible at this resolution: converged
                break
    return theta, history, done


def _damped_step(jtj: torch.Tensor, g: torch.Tensor, diag: torch.Tensor, mu: float) -> torch.Tensor | None:
    """``-(J^T J + mu diag(J^T J))^{-1} J^T r`` by Cholesky; None if the matrix is not positive definite."""
    a = jtj + torch.diag(mu * diag)
    chol, info = torch.linalg.cholesky_ex(a)
    if int(info) != 0:
        return None
    step = -torch.cholesky_solve(g[:, None], chol)[:, 0]
    return step if bool(torch.isfinite(step).all()) else None


def lbfgs_solve(lm: _LM, theta: torch.Tensor, steps: int) -> tuple[torch.Tensor, list[float], int]:
    """The memory fallback: L-BFGS on the projected loss (gradient with ``c`` fixed at its optimum)."""
    t = theta.clone().requires_grad_(True)
    opt = torch.optim.LBFGS([t], lr=1.0, max_iter=steps, history_size=50, line_search_fn="strong_wolfe",
                            tolerance_grad=0.0, tolerance_change=0.0)

    def closure() -> torch.Tensor:
        opt.zero_grad(set_to_none=True)
        phi = feature_matrix(lm.features, unflatten(t, lm.like), lm.x)
        with torch.no_grad():
            c = project(phi, lm.y, lm.lam).c
        loss = 0.5 * torch.sum((phi @ c - lm.y) ** 2)  # + 0.5 lam ||c||^2: constant in t at fixed c
        loss.backward()
        return loss

    first = lm.evaluate(theta).loss
    opt.step(closure)
    done = int(opt.state[t].get("n_iter", 0))
    theta_new = t.detach()
    last = lm.evaluate(theta_new).loss
    return (theta_new, [first, last], done) if last < first else (theta, [first], done)


# ---- initialisation ------------------------------------------------------------------------------


def knot_fractions(n: int, kind: str, generator: torch.Generator) -> torch.Tensor:
    """n positions in (0, 1): cell midpoints (uniform), Chebyshev points, or uniform random draws."""
    k = torch.arange(n, dtype=torch.float64)
    if kind == "uniform":
        u = (k + 0.5) / n
    elif kind == "chebyshev":
        u = 0.5 - 0.5 * torch.cos(math.pi * (k + 0.5) / n)
    else:
        return torch.rand(n, dtype=torch.float64, generator=generator)
    return u[torch.randperm(n, generator=generator)]


def adaptive_fractions(x: torch.Tensor, y: torch.Tensor, n: int, degree: int,
                       generator: torch.Generator) -> torch.Tensor | None:
    """n knot fractions of [min x, max x] (1-D data) equidistributing ``|f^(k)|^(2/(2k+1))``, k = degree + 1,
    the L2-optimal knot density of a free-knot spline of degree ``degree``; ``f^(k)`` is estimated by k-th
    divided differences of the data on at most 256 of its points (sorted by x), floored at 1e-3 of its
    largest value. None when the estimate is not usable (too few distinct points, non-finite values):
    the caller keeps uniform knots."""
    k = degree + 1
    order = torch.argsort(x)
    idx = torch.unique(torch.linspace(0, x.numel() - 1, min(x.numel(), 256)).round().long())
    xs, d = x[order][idx], y[order][idx]
    for j in range(1, k + 1):
        gap = xs[j:] - xs[:-j]
        if d.numel() < 2 or bool((gap <= 0).any()):
            return None
        d = (d[1:] - d[:-1]) / gap
    mid = (xs[:-k] + xs[k:]) / 2
    if mid.numel() < 2 or not bool(torch.isfinite(d).all()):
        return None
    dens = (d.abs() + 1e-3 * float(d.abs().max()) + 1e-300) ** (2.0 / (2 * k + 1))
    grid = torch.cat([xs[:1], mid, xs[-1:]])
    dens = torch.cat([dens[:1], dens, dens[-1:]])
    cdf = torch.cat([dens.new_zeros(1), torch.cumsum((grid[1:] - grid[:-1]) * (dens[1:] + dens[:-1]) / 2, 0)])
    q = (torch.arange(n, dtype=torch.float64) + 0.5) / n * cdf[-1]
    pos = torch.searchsorted(cdf, q).clamp(1, cdf.numel() - 1)
    lo_c, hi_c = cdf[pos - 1], cdf[pos]
    t = grid[pos - 1] + (grid[pos] - grid[pos - 1]) * (q - lo_c) / (hi_c - lo_c).clamp_min(1e-300)
    u = (t - xs[0]) / (xs[-1] - xs[0])
    return u[torch.randperm(n, generator=generator)]


def polynomial_degree(act: nn.Module) -> int:
    """Degree r of the polynomial an activation is on its active side (ReLU^k: k, PolyReLU_r: r); 0 for
    activations that are not piecewise polynomial (GELU, SwiGLU, PolyNorm)."""
    if type(act).__name__ == "PolyReLU":
        return int(act.order)
    return int(getattr(act, "k", 0))


def outside_units(width: int, degree: int) -> int:
    """Units whose knot is put below the data's range (active everywhere, so they are degree-r polynomials):
    ``degree`` of them (with the constant column they span the polynomials of degree r, which the
    truncated powers ``(x - t)_+^r`` alone lack), at most a quarter of the layer."""
    return min(degree, width // 4)


def spread_init_(model: nn.Module, x: torch.Tensor, kind: str, generator: torch.Generator,
                 y: torch.Tensor | None = None) -> nn.Module:
    """Seeded in-place init of every hidden ``Linear``: random unit directions ``a_i``, and offsets so that
    unit i's breakpoint sits at fraction ``u_i`` (``knot_fractions``) of the range of ``a_i . h`` over the
    training inputs ``h`` of the layer; weights scaled so each unit's pre-activation spans a range of 1.
    Before a piecewise-polynomial activation of degree r, ``outside_units`` of the units get their knot
    below the range instead (fractions -1/r, ..., -1): in 1-D the features are then the truncated powers
    ``(x - t_i)_+^r`` of a free-knot spline *and* the polynomials of degree r, the full spline space (without
    them the L2 fit at uniform knots is 25-60 times worse for sin(2 pi x) at widths 32-128, measured).
    PolyReLU / PolyNorm coefficients start as the pure highest power (``weight = (1, 0, ..., 0)``, bias 0).
    The output layer (which VarPro solves; it only sets ``init_val_loss``) gets ``init_ffn_``'s seeded draw, so
    the whole model is a function of the generator. ``kind="adaptive"`` (needs the labels ``y``): in a
    layer with one input, knots at ``adaptive_fractions`` of the data (de Boor-style equidistribution),
    elsewhere uniform. With one input the directions are +-1, and a unit of direction -1 gets fraction
    ``1 - u``, so that the knots in x are the fractions themselves: with a symmetric set of fractions, ``u``
    for both signs would put pairs of knots on the same point (measured: feature rank 100 of 129 at w = 128)."""
    features, head = split_model(model)
    init_ffn_(head, generator)
    mods = list(features)
    h = x.to(torch.float64)
    with torch.no_grad():
        for i, m in enumerate(mods):
            if isinstance(m, nn.Linear):
                act = mods[i + 1] if i + 1 < len(mods) else None
                n_out = outside_units(m.out_features, polynomial_degree(act) if act is not None else 0)
                dirs = torch.randn(m.weight.shape, dtype=torch.float64, generator=generator)
                dirs = dirs / torch.linalg.norm(dirs, dim=1, keepdim=True).clamp_min(1e-300)
                u = _fractions(m, act, h, y, kind, n_out, generator)
                if m.in_features == 1:  # directions are +-1: place the knots in x, not in a.x (no collisions)
                    u = torch.where(dirs[:u.numel(), 0] < 0, 1 - u, u)
                u = torch.cat([u, -torch.arange(1, n_out + 1, dtype=torch.float64) / max(n_out, 1)])
                z = h @ dirs.T  # (P, units)
                lo, hi = z.min(dim=0).values, z.max(dim=0).values
                span = (hi - lo).clamp_min(1e-12)
                knots = lo + span * u
                m.weight.copy_(dirs / span[:, None])
                m.bias.copy_(-knots / span)
            elif hasattr(m, "impl") and hasattr(m, "weight"):  # PolyReLU / PolyNorm
                m.weight.zero_()
                m.weight[0] = 1.0
                m.bias.zero_()
            h = m(h)
    return model


def _fractions(m: nn.Linear, act: nn.Module | None, h: torch.Tensor, y: torch.Tensor | None, kind: str,
               n_out: int, generator: torch.Generator) -> torch.Tensor:
    """Knot fractions of the ``m.out_features - n_out`` inside units of ``m`` (input ``h``)."""
    n = m.out_features - n_out
    if kind == "adaptive":
        if y is None:
            raise ConfigError("init: adaptive knots need the training labels y")
        degree = max(polynomial_degree(act) if act is not None else 0, 1)
        u = adaptive_fractions(h[:, 0], y.to(torch.float64), n, degree, generator) if m.in_features == 1 else None
        return u if u is not None else knot_fractions(n, "uniform", generator)
    return knot_fractions(n, kind, generator)


# ---- driver --------------------------------------------------------------------------------------


def train_varpro(model: nn.Module, data: Dataset, config: VarProConfig,
                 progress: Progress | None = None) -> VarProResult:
    """Fit ``model`` (an FFN, already initialised) to ``data`` in place by VarPro + LM; float64."""
    t0 = time.perf_counter()
    device = config.device
    model.to(device=device, dtype=torch.float64)
    features, head = split_model(model)
    old_impl = _plain(features)
    try:
        xt, yt, xv, yv = (torch.as_tensor(a, dtype=torch.float64, device=device)
                          for a in (data.x_train, data.y_train, data.x_val, data.y_val))
        like = {k: v.detach() for k, v in features.named_parameters()}
        theta = flatten(like).clone()
        init_val = _val_loss(model, xv, yv)
        lam = ridge_scale(feature_matrix(features, like, xt), config.ridge)
        lm = _LM(features, like, xt, yt, lam, chunk=_chunk(theta.numel()))
        fits = jacobian_bytes(xt.shape[0], theta.numel()) <= limit("memory_mb") * 2**20
        solve: Callable[..., tuple[torch.Tensor, list[float], int]]
        solve = (lambda lm_, th, n: lm_solve(lm_, th, n, config.tol, progress)) if fits else lbfgs_solve
        theta, history, done = solve(lm, theta, config.steps)
        theta, rounds = _polish(lm, theta, config, solve) if config.polish else (theta, 0)
        proj = lm.evaluate(theta)
        _write_back(features, head, like, theta, proj.c)
    finally:
        _restore(old_impl)
    train_loss = proj.loss
    _check_finite(model, train_loss)
    return VarProResult(train_loss=train_loss, val_loss=_val_loss(model, xv, yv), init_val_loss=init_val,
                        train_sup=float(proj.fit_residual.abs().max()), steps=done, accepted=len(history) - 1,
                        polish_rounds=rounds, solver="lm" if fits else "lbfgs",
                        seconds=time.perf_counter() - t0, history=tuple(history))


def _chunk(n_params: int) -> int:
    """Points per ``vmap`` chunk of the Jacobian: about 2^22 gradient entries at a time."""
    return max(64, (1 << 22) // max(n_params, 1))


def _val_loss(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        v = float(torch.mean((model(x) - y) ** 2))
    return v if math.isfinite(v) else math.inf


def _polish(lm: _LM, theta: torch.Tensor, config: VarProConfig,
            solve: Callable[..., tuple[torch.Tensor, list[float], int]]) -> tuple[torch.Tensor, int]:
    """IRLS rounds with weights ``|r|^(p-2)`` (p from 4 up to ``polish_p``); keeps the smallest training sup."""
    best, best_sup = theta, float(lm.evaluate(theta).fit_residual.abs().max())
    steps = max(10, config.steps // (4 * config.polish))
    for k in range(config.polish):
        p = 4 + (config.polish_p - 4) * k / max(config.polish - 1, 1)
        r = lm.evaluate(theta).fit_residual.abs()
        w = (r / r.max()).clamp_min(1e-8) ** ((p - 2) / 2)
        weighted = _LM(lm.features, lm.like, lm.x, lm.y, lm.lam, weights=w, chunk=lm.chunk)
        theta, _, _ = solve(weighted, theta, steps)
        sup = float(lm.evaluate(theta).fit_residual.abs().max())
        if sup < best_sup:
            best, best_sup = theta, sup
    return best, config.polish


def _write_back(features: nn.Module, head: nn.Linear, like: Params, theta: torch.Tensor, c: torch.Tensor) -> None:
    """Copy ``theta`` into the feature layers and ``c`` into the output layer."""
    named = dict(features.named_parameters())
    with torch.no_grad():
        for name, value in unflatten(theta, like).items():
            named[name].copy_(value)
        head.weight.copy_(c[:-1][None, :])
        head.bias.copy_(c[-1:])


def describe(result: VarProResult) -> dict[str, object]:
    """The JSON fields of one run (history omitted)."""
    return {"train_loss": result.train_loss, "val_loss": result.val_loss, "init_val_loss": result.init_val_loss,
            "train_sup": result.train_sup, "lm_steps": result.steps, "accepted": result.accepted,
            "polish_rounds": result.polish_rounds, "solver": result.solver, "batch": result.batch}
