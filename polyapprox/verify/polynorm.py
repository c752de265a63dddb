"""PolyNorm / PolyReLU gradients and the RMS-vs-L2 normalisation (docs/paper.md §1.5 item 1, §1.6), proved by sympy.

* ``polynorm.backward``: for one row x in R^H (H = 3) and orders r = 1, 2, 3, with
  y_j = sum_{p=1..r} w_p x_j^p r_p + b, r_p = (mean_j x_j^(2p) + eps)^(-1/2) and L = sum_j g_j y_j, the closed
  form of docs/paper.md §1.6 (Liger-Kernel PR #901),
  dL/dx_i = sum_p w_p [p x_i^(p-1) r_p g_i - (p/H) x_i^(2p-1) r_p^3 S_p], S_p = <g, x^p>,
  dL/dw_p = r_p S_p, dL/db = sum_j g_j,
  equals the exact derivative (``sympy.diff``) for symbolic real x, g, w, b and positive eps. The difference is
  a sum of rational functions of x times integer and half-integer powers of the positive symbols-only
  expressions mean(x^(2p)) + eps: no Max / Piecewise, so expansion to 0 is a proof (identically, for every
  real x and every eps > 0; at eps = 0 wherever x != 0).
* ``polynorm.rms_vs_l2``: N_rms(u) = u / sqrt(mean(u^2)) = sqrt(H) u / ||u||_2 for u != 0 (H = 1..5).
* ``polynorm.polyrelu_backward``: PolyReLU y = sum_p w_p R(x)^p + b, L = g y: dL/dx = g sum_p p w_p R(x)^(p-1)
  for x > 0 and 0 for x < 0 (torch's ReLU subgradient 0 at x = 0 is a convention, not a derivative),
  dL/dw_p = g R(x)^p, dL/db = g; proved on each open half-line with a sign-restricted symbol, so Max(x, 0)
  evaluates to x or 0 *before* differentiation (no Piecewise reaches the simplifier).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from polyapprox.verify.registry import register

METHOD = "sympy exact differentiation"
ROW_WIDTH = 3
ORDERS = (1, 2, 3)


@dataclass(frozen=True)
class GradientCertificate:
    """Outcome of a symbolic identity check: ``status`` 'proved' (difference expanded to 0) or 'refuted'."""

    status: str
    method: str
    detail: str = ""


def _is_zero(expr: sympy.Expr) -> bool:
    """True iff ``expr`` expands/cancels to the zero expression (sound: only algebraic rewriting is used)."""
    e = sympy.expand(expr)
    if e == 0:
        return True
    return sympy.simplify(sympy.together(e)) == 0


def _certificate(failures: list[str], cases: str, method: str = METHOD) -> GradientCertificate:
    if failures:
        return GradientCertificate("refuted", method, "; ".join(failures)[:300])
    return GradientCertificate("proved", method, cases)


def polynorm_backward_failures(H: int = ROW_WIDTH, orders: tuple[int, ...] = ORDERS,
                               closed_width: int | None = None) -> list[str]:
    """The components (order, variable) where the closed-form PolyNorm backward differs from sympy.diff.

    ``closed_width`` (default H) is the H in the closed form's p/H term; tests pass a wrong one (a plausible
    bug: a mean over the wrong width) to show the check can fail.
    """
    Hc = H if closed_width is None else closed_width
    x = sympy.symbols(f"x0:{H}", real=True)
    g = sympy.symbols(f"g0:{H}", real=True)
    b = sympy.Symbol("b", real=True)
    eps = sympy.Symbol("epsilon", positive=True)
    bad: list[str] = []
    for r in orders:
        w = sympy.symbols(f"w1:{r + 1}", real=True)
        rp = {p: (sum(xj ** (2 * p) for xj in x) / H + eps) ** sympy.Rational(-1, 2) for p in range(1, r + 1)}
        S = {p: sum(gj * xj ** p for gj, xj in zip(g, x, strict=True)) for p in rp}
        loss = sum(gj * (sum(w[p - 1] * xj ** p * rp[p] for p in rp) + b) for gj, xj in zip(g, x, strict=True))
        for i in range(H):
            closed = sum(w[p - 1] * (p * x[i] ** (p - 1) * rp[p] * g[i]
                                     - sympy.Rational(p, Hc) * x[i] ** (2 * p - 1) * rp[p] ** 3 * S[p]) for p in rp)
            if not _is_zero(sympy.diff(loss, x[i]) - closed):
                bad.append(f"r={r}: dL/dx{i}")
        for p in rp:
            if not _is_zero(sympy.diff(loss, w[p - 1]) - rp[p] * S[p]):
                bad.append(f"r={r}: dL/dw{p}")
        if not _is_zero(sympy.diff(loss, b) - sum(g)):
            bad.append(f"r={r}: dL/db")
    return bad


@register("polynorm.backward",
          "PolyNorm closed-form backward (docs/paper.md §1.6) = exact gradient of <g, PolyNorm(x)> for symbolic x, "
          "g, w, b in R, eps > 0 (row width H = 3, orders r = 1, 2, 3)")
def polynorm_backward() -> GradientCertificate:
    return _certificate(polynorm_backward_failures(), f"H={ROW_WIDTH}, r in {list(ORDERS)}: dx, dw, db identical")


def rms_vs_l2_failures(widths: range = range(1, 6)) -> list[str]:
    """Widths H where u / sqrt(mean(u^2)) - sqrt(H) u / ||u||_2 does not simplify to 0 (u real, not all 0)."""
    bad: list[str] = []
    for H in widths:
        u = sympy.symbols(f"u0:{H}", real=True)
        sq = sum(uj ** 2 for uj in u)
        for j in range(H):
            rms = u[j] / sympy.sqrt(sq / H)
            l2 = sympy.sqrt(H) * u[j] / sympy.sqrt(sq)
            if not _is_zero(rms - l2):
                bad.append(f"H={H}, component {j}")
    return bad


@register("polynorm.rms_vs_l2",
          "at eps = 0 the code's RMS norm u / sqrt(mean(u^2)) equals sqrt(H) u / ||u||_2 for u in R^H \\ {0} "
          "(H = 1..5)")
def rms_vs_l2() -> GradientCertificate:
    return _certificate(rms_vs_l2_failures(), "H = 1..5, every component", "sympy exact simplification")


def polyrelu_backward_failures(orders: tuple[int, ...] = ORDERS, slope_on_negative: int = 0) -> list[str]:
    """Orders/half-lines where the closed-form PolyReLU backward differs from sympy.diff.

    ``slope_on_negative`` is the closed form's indicator on x < 0 (correct: 0); tests pass 1 to see a refutation.
    """
    g, b = sympy.symbols("g b", real=True)
    bad: list[str] = []
    for side, x in (("x>0", sympy.Symbol("x", positive=True)), ("x<0", sympy.Symbol("x", negative=True))):
        relu = sympy.Max(x, 0)  # evaluates to x or 0 for a sign-restricted symbol
        if relu.has(sympy.Max):
            bad.append(f"{side}: Max(x, 0) did not evaluate")
            continue
        for r in orders:
            w = sympy.symbols(f"w1:{r + 1}", real=True)
            loss = g * (sum(w[p - 1] * relu ** p for p in range(1, r + 1)) + b)
            indicator = 1 if side == "x>0" else slope_on_negative
            closed_dx = g * indicator * sum(p * w[p - 1] * relu ** (p - 1) for p in range(1, r + 1))
            if not _is_zero(sympy.diff(loss, x) - closed_dx):
                bad.append(f"{side}, r={r}: dL/dx")
            for p in range(1, r + 1):
                if not _is_zero(sympy.diff(loss, w[p - 1]) - g * relu ** p):
                    bad.append(f"{side}, r={r}: dL/dw{p}")
            if not _is_zero(sympy.diff(loss, b) - g):
                bad.append(f"{side}, r={r}: dL/db")
    return bad


@register("polynorm.polyrelu_backward",
          "PolyReLU backward: d<g, sum_p w_p R(x)^p + b>/dx = g sum_p p w_p R(x)^(p-1) on x > 0 and 0 on x < 0; "
          "d/dw_p = g R(x)^p; d/db = g (orders r = 1, 2, 3)")
def polyrelu_backward() -> GradientCertificate:
    return _certificate(polyrelu_backward_failures(), f"x > 0 and x < 0, r in {list(ORDERS)}")
