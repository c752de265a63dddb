"""Scaling fit of validation loss against parameters: L(N) = E + A (N / N_ref)^(-alpha) (Kaplan et al. 2020;
Hoffmann et al. 2022 form in N only).

With >= 4 sizes: nonlinear least squares (``scipy.optimize.curve_fit``), standard errors from its
covariance. With 2-3 sizes the three-parameter law is under-determined: ``E`` is fixed at 0 and
``log L = log A - alpha log(N / N_ref)`` is fitted by OLS (standard errors only with 3 sizes). With < 2 sizes
nothing is fitted. ``N_ref`` is the geometric mean of the sizes (conditions the fit); the status says which.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass

import numpy as np

MIN_FULL_FIT = 4


@dataclass(frozen=True)
class PowerLawFit:
    status: str  # "fit", "under-determined: E fixed at 0", "insufficient", "failed: ..."
    points: int
    N_ref: float | None
    E: float | None
    A: float | None
    alpha: float | None
    stderr: dict[str, float | None]

    def predict(self, N: np.ndarray) -> np.ndarray:
        """L(N) from the fitted parameters (E = 0 when it was fixed)."""
        if self.A is None or self.alpha is None:
            raise ValueError(f"no fitted law ({self.status})")
        return (self.E or 0.0) + self.A * (np.asarray(N, dtype=float) / self.N_ref) ** (-self.alpha)

    def to_dict(self) -> dict:
        return asdict(self)


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def fit_power_law(params: list[int], losses: list[float]) -> PowerLawFit:
    """Fit L(N) = E + A (N/N_ref)^(-alpha) to (params, losses); see the module docstring for the regimes."""
    from scipy.optimize import OptimizeWarning, curve_fit

    N, L = np.asarray(params, dtype=float), np.asarray(losses, dtype=float)
    none = {"E": None, "A": None, "alpha": None}
    n = len(np.unique(N))
    if n < 2:
        return PowerLawFit("insufficient: fewer than 2 sizes", len(N), None, None, None, None, none)
    N_ref = float(np.exp(np.log(N).mean()))
    u = np.log(N / N_ref)
    if n < MIN_FULL_FIT:
        X = np.column_stack([np.ones_like(u), -u])
        coef, *_ = np.linalg.lstsq(X, np.log(L), rcond=None)
        logA, alpha = coef
        stderr: dict[str, float | None] = dict(none)
        dof = len(N) - 2
        if dof > 0:
            resid = np.log(L) - X @ coef
            cov = (resid @ resid / dof) * np.linalg.inv(X.T @ X)
            stderr = {
                "E": None,
                "A": _finite(math.exp(logA) * math.sqrt(cov[0, 0])),
                "alpha": _finite(math.sqrt(cov[1, 1])),
            }
        status = f"under-determined ({n} sizes < {MIN_FULL_FIT}): E fixed at 0"
        return PowerLawFit(status, len(N), N_ref, 0.0, float(math.exp(logA)), float(alpha), stderr)

    def law(x: np.ndarray, E: float, A: float, alpha: float) -> np.ndarray:
        return E + A * np.exp(-alpha * x)

    p0 = (0.5 * L.min(), max(L.max() - 0.5 * L.min(), 1e-3), 0.3)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", OptimizeWarning)  # an undefined covariance is a failed fit here
            popt, pcov = curve_fit(law, u, L, p0=p0, bounds=([0, 0, 0], [np.inf, np.inf, 10]), maxfev=20000)
    except (RuntimeError, ValueError, OptimizeWarning) as exc:
        return PowerLawFit(f"failed: {type(exc).__name__}", len(N), N_ref, None, None, None, none)
    se = np.sqrt(np.diag(pcov))
    return PowerLawFit(
        "fit",
        len(N),
        N_ref,
        *map(float, popt),
        {k: _finite(v) for k, v in zip(("E", "A", "alpha"), se, strict=True)},
    )
