"""Target functions on [0,1]^d with known smoothness and Sobolev norms (docs/measurement.md §1).

A ``Target`` is a sympy expression in the canonical symbols ``x1..xd`` (``symbols(d)``), its declared
smoothness (an integer s: f in W^{s,inf} but not W^{s+1,inf}; or ``"analytic"``), a vectorised numpy
evaluator ``f(x)`` for x of shape (P, d), exact derivatives ``D^alpha f`` (sympy), and the norm used by the
a-priori bound of the Sobolev constructions,

    S_n(f) = sum_{|alpha| = n} ||D^alpha f||_inf / alpha!          (docs/measurement.md §1.1),

returned by ``norm_bound(n) -> (value, method)`` with how it was obtained ("closed form", a rigorous
coefficient bound for polynomials, or a numerical *lower* estimate). Non-smooth pieces (Abs, Max, Min,
sign, Heaviside) are rewritten as ``Piecewise`` so that derivatives never produce ``DiracDelta``.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import sympy

from polyapprox.errors import ConfigError, ExpressionError

if TYPE_CHECKING:  # numpy is imported where a target is evaluated: listing the catalogue needs none
    import numpy as np

Smoothness = int | str
ANALYTIC = "analytic"


def symbols(d: int) -> tuple[sympy.Symbol, ...]:
    """The canonical real symbols x1..xd of a d-dimensional target."""
    return tuple(sympy.Symbol(f"x{k + 1}", real=True) for k in range(d))


def smoothness_order(s: Smoothness) -> float:
    """Ordering helper: an integer smoothness as float, ``"analytic"`` as +inf."""
    return math.inf if s == ANALYTIC else float(s)


def multi_indices(d: int, n: int) -> list[tuple[int, ...]]:
    """All alpha in N^d with |alpha| = n, lexicographic."""
    return [a for a in itertools.product(range(n + 1), repeat=d) if sum(a) == n]


def _factorial(alpha: tuple[int, ...]) -> int:
    return math.prod(math.factorial(a) for a in alpha)


def _piecewise_form(expr: sympy.Expr) -> sympy.Expr:
    """Rewrite Abs/Max/Min/sign/Heaviside as Piecewise (clean derivatives, no DiracDelta)."""
    kinds = (sympy.Abs, sympy.Max, sympy.Min, sympy.sign, sympy.Heaviside)
    if not expr.has(*kinds):
        return expr
    return sympy.piecewise_fold(expr.rewrite(sympy.Piecewise))


@functools.lru_cache(maxsize=512)
def _lambdified(expr: sympy.Expr, syms: tuple[sympy.Symbol, ...]) -> Callable[..., object]:
    try:
        return sympy.lambdify(syms, expr, modules="numpy")
    except (NameError, TypeError, SyntaxError) as exc:  # pragma: no cover - sympy printer gaps
        raise ExpressionError(f"expression {expr}: cannot be evaluated numerically ({exc})") from None


def evaluate(expr: sympy.Expr, syms: tuple[sympy.Symbol, ...], x: np.ndarray) -> np.ndarray:
    """expr at the rows of x (P, d) in float64, shape (P,). Unused Piecewise branches may overflow: ignored."""
    import numpy as np

    fn = _lambdified(expr, syms)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        try:
            val = fn(*(x[:, k] for k in range(x.shape[1])))
        except NameError as exc:
            raise ExpressionError(f"expression {expr}: cannot be evaluated numerically ({exc})") from None
    return np.broadcast_to(np.asarray(val, dtype=np.float64), (x.shape[0],)).copy()


@dataclass(frozen=True)
class Target:
    """A function on [0,1]^d: ``expr`` in ``symbols(dim)``, declared ``smoothness``, norm information.

    ``norms`` (optional) maps n to the closed-form S_n(f) (``math.inf`` outside W^{n,inf}); ``holder`` is the
    Holder exponent beta for |x - c|^beta-type targets (sup rate beta, not s).
    """

    name: str
    dim: int
    smoothness: Smoothness
    expr: sympy.Expr
    description: str = ""
    norms: Callable[[int], float] | None = field(default=None, compare=False, repr=False)
    norm_note: str = "closed form"
    holder: float | None = None

    @property
    def symbols(self) -> tuple[sympy.Symbol, ...]:
        return symbols(self.dim)

    @property
    def smooth_expr(self) -> sympy.Expr:
        """``expr`` with non-smooth functions written as Piecewise (what derivatives are taken of)."""
        return _piecewise_form(self.expr)

    @property
    def is_polynomial(self) -> bool:
        """True when expr is a polynomial with rational coefficients (Taylor data exact)."""
        e = sympy.expand(self.expr)
        if not e.is_polynomial(*self.symbols):
            return False
        return all(c.is_Rational for c in sympy.Poly(e, *self.symbols).coeffs())

    @property
    def rate_smoothness(self) -> float:
        """The exponent governing the sup rate: beta for Holder-type targets, s for W^{s,inf}, inf if analytic."""
        return self.holder if self.holder is not None else smoothness_order(self.smoothness)

    def f(self, x: np.ndarray) -> np.ndarray:
        """Vectorised f at x (P, d) -> (P,)."""
        return evaluate(self.smooth_expr, self.symbols, _points(x, self.dim))

    __call__ = f

    def derivative(self, alpha: tuple[int, ...]) -> sympy.Expr:
        """D^alpha f, exact (sympy)."""
        if len(alpha) != self.dim or any(a < 0 for a in alpha):
            raise ConfigError(f"alpha: {alpha!r} is not a multi-index of length {self.dim}")
        return _derivative(self.smooth_expr, self.symbols, tuple(alpha))

    def derivative_values(self, alpha: tuple[int, ...], x: np.ndarray) -> np.ndarray:
        """D^alpha f at x (P, d), float64 (P,)."""
        return evaluate(self.derivative(alpha), self.symbols, _points(x, self.dim))

    def norm_bound(self, n: int) -> tuple[float, str]:
        """(S_n(f), method). math.inf when f is declared outside W^{n,inf}."""
        if not isinstance(n, int) or n < 0:
            raise ConfigError(f"order: {n!r} must be an integer >= 0")
        if smoothness_order(self.smoothness) < n:
            return math.inf, f"not in W^{{{n},inf}} (declared smoothness {self.smoothness})"
        if self.norms is not None:
            return float(self.norms(n)), self.norm_note
        if self.is_polynomial:
            return _polynomial_norm(self.expr, self.symbols, n)
        return _numeric_norm(self.smooth_expr, self.symbols, n), "numerical (grid + L-BFGS-B; lower estimate)"

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "dim": self.dim, "smoothness": self.smoothness, "expr": str(self.expr),
                "description": self.description, "holder": self.holder}


def _points(x: np.ndarray, d: int) -> np.ndarray:
    from polyapprox.backends.floats import check_points

    return check_points(x, d)


@functools.lru_cache(maxsize=4096)
def _derivative(expr: sympy.Expr, syms: tuple[sympy.Symbol, ...], alpha: tuple[int, ...]) -> sympy.Expr:
    out = expr
    for s, a in zip(syms, alpha, strict=True):
        if a:
            out = sympy.diff(out, s, a)
    return out


def _polynomial_norm(expr: sympy.Expr, syms: tuple[sympy.Symbol, ...], n: int) -> tuple[float, str]:
    """S_n of a polynomial: exact where D^alpha f is constant, else sum |coeffs| (rigorous upper bound on the cube)."""
    total = sympy.Integer(0)
    exact = True
    for alpha in multi_indices(len(syms), n):
        poly = sympy.Poly(_derivative(sympy.expand(expr), syms, alpha), *syms)
        if poly.total_degree() > 0:
            exact = False
        total += sum(abs(c) for c in poly.coeffs()) / _factorial(alpha)
    return float(total), ("exact (polynomial)" if exact else "coefficient sum (rigorous upper bound)")


@functools.lru_cache(maxsize=256)
def _numeric_norm(expr: sympy.Expr, syms: tuple[sympy.Symbol, ...], n: int) -> float:
    """sum_{|alpha|=n} max |D^alpha f| / alpha! by a grid plus a compass search from the best grid points
    (lower estimate; numpy only, so that ``polyapprox targets --json`` starts without scipy)."""
    import numpy as np

    d = len(syms)
    g = {1: 2049, 2: 129, 3: 33, 4: 17}.get(d, 9)
    axes = np.linspace(0.0, 1.0, g)
    grid = np.stack(np.meshgrid(*([axes] * d), indexing="ij"), axis=-1).reshape(-1, d)
    total = 0.0
    for alpha in multi_indices(d, n):
        der = _derivative(expr, syms, alpha)
        vals = np.abs(evaluate(der, syms, grid))
        if not np.all(np.isfinite(vals)):
            return math.inf

        def size(x: np.ndarray, der: sympy.Expr = der) -> np.ndarray:
            v = np.abs(evaluate(der, syms, x))
            return np.where(np.isfinite(v), v, -np.inf)

        best = max([float(vals.max())] + [_compass_max(size, grid[i], 1.0 / (g - 1)) for i in np.argsort(vals)[-4:]])
        total += best / _factorial(alpha)
    return total


def _compass_max(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, h: float, tol: float = 1e-12,
                 max_steps: int = 4000) -> float:
    """max of f over [0,1]^d found from x by compass search: move to the best point of the stencil
    x + h {-1, 0, 1}^d (clipped to the cube) while it improves f, else halve h, until h < tol."""
    import numpy as np

    stencil = np.array(list(itertools.product((-1.0, 0.0, 1.0), repeat=len(x))))
    fx = float(f(x[None, :])[0])
    for _ in range(max_steps):
        if h < tol:
            break
        cand = np.clip(x + h * stencil, 0.0, 1.0)
        vals = f(cand)
        i = int(np.argmax(vals))
        if vals[i] > fx:
            x, fx = cand[i], float(vals[i])
        else:
            h /= 2
    return fx


# ----------------------------------------------------------------------------------------------- catalogue

def _x(d: int) -> tuple[sympy.Symbol, ...]:
    return symbols(d)


def _relu_power(u: sympy.Expr, s: int) -> sympy.Expr:
    """(u)_+^s / s! as Piecewise."""
    return sympy.Piecewise((0, u < 0), (u ** s / sympy.factorial(s), True))


def _catalogue() -> dict[str, Target]:
    pi = sympy.pi
    out: list[Target] = []
    (x,) = _x(1)
    out.append(Target("sin1", 1, ANALYTIC, sympy.sin(2 * pi * x), "sin(2 pi x)",
                      norms=lambda n: (2 * math.pi) ** n / math.factorial(n)))
    out.append(Target("exp1", 1, ANALYTIC, sympy.exp(x), "e^x (derivative norms attained at x = 1)",
                      norms=lambda n: math.e / math.factorial(n)))
    out.append(Target("runge1", 1, ANALYTIC, 1 / (1 + 25 * (x - sympy.Rational(1, 2)) ** 2),
                      "Runge function 1/(1+25(x-1/2)^2): analytic in a strip, huge derivative norms"))
    for n in range(1, 6):
        out.append(Target(f"poly{n}", 1, ANALYTIC, x ** n / sympy.factorial(n),
                          f"x^{n}/{n}! (golden: error kappa_n/(n! N^n) exactly at order n)"))
    c = sympy.sqrt(2) / 2
    for s in (1, 2, 3):
        out.append(Target(f"relu{s}", 1, s, _relu_power(x - c, s), f"(x - c)_+^{s}/{s}!, c = 1/sqrt(2)",
                          norms=functools.partial(_relu_norm, s=s, c=float(c))))
    for beta_txt, beta in (("15", sympy.Rational(3, 2)), ("25", sympy.Rational(5, 2))):
        out.append(Target(f"hold{beta_txt}", 1, int(beta), sympy.Abs(x - c) ** beta,
                          f"|x - c|^{beta}, c = 1/sqrt(2) (Holder: sup rate beta = {float(beta)})",
                          norms=functools.partial(_hold_norm, beta=float(beta), c=float(c)), holder=float(beta)))
    out.append(Target("spline2", 1, 2, sympy.Piecewise((x ** 2, x < c), (x ** 2 - 2 * (x - c) ** 2, True)),
                      "quadratic spline, f'' jumps from 2 to -2 at c = 1/sqrt(2)",
                      norms=functools.partial(_spline2_norm, c=float(c))))
    x1, x2 = _x(2)
    out.append(Target("exp2", 2, ANALYTIC, sympy.exp(x1 + 2 * x2), "e^(x1 + 2 x2)",
                      norms=lambda n: 3.0 ** n * math.e ** 3 / math.factorial(n)))
    out.append(Target("sinsin2", 2, ANALYTIC, sympy.sin(2 * pi * x1) * sympy.sin(2 * pi * x2 + 1),
                      "sin(2 pi x1) sin(2 pi x2 + 1)", norms=lambda n: (4 * math.pi) ** n / math.factorial(n),
                      norm_note="closed form (each ||D^alpha f|| = (2 pi)^n, attained)"))
    out.append(Target("sumexp2", 2, ANALYTIC, sympy.exp(x1) + sympy.sin(2 * pi * x2), "e^x1 + sin(2 pi x2)",
                      norms=lambda n: (math.e + (2 * math.pi) ** n) / math.factorial(n) if n else math.e + 1))
    out.append(Target("gauss2", 2, ANALYTIC,
                      sympy.exp(-((x1 - sympy.Rational(1, 2)) ** 2 + (x2 - sympy.Rational(1, 3)) ** 2) * 4),
                      "Gaussian bump exp(-|x - c|^2 / sigma^2), c = (1/2, 1/3), sigma = 1/2"))
    out.append(Target("poly2d", 2, ANALYTIC, x1 ** 2 * x2 + x2 ** 3 / 6 - x1 / 2, "x1^2 x2 + x2^3/6 - x1/2"))
    out.append(Target("ridge2", 2, 2, _relu_power(x1 + 2 * x2 - sympy.sqrt(2), 2),
                      "(x1 + 2 x2 - sqrt 2)_+^2 / 2: hyperplane singularity, smoothness 2"))
    out.append(Target("prodrelu2", 2, 2, _relu_power(x1 - c, 2) * sympy.cos(x2),
                      "(x1 - c)_+^2/2 * cos(x2): product, smoothness 2"))
    cc = (sympy.sqrt(2) / 2, sympy.sqrt(3) / 3)
    out.append(Target("rad25", 2, 2, ((x1 - cc[0]) ** 2 + (x2 - cc[1]) ** 2) ** sympy.Rational(5, 4),
                      "|x - c|^(5/2), c = (1/sqrt 2, 1/sqrt 3): point singularity", holder=2.5))
    x1, x2, x3 = _x(3)
    out.append(Target("exp3", 3, ANALYTIC, sympy.exp(x1 + 2 * x2 - x3), "e^(x1 + 2 x2 - x3)",
                      norms=lambda n: 4.0 ** n * math.e ** 3 / math.factorial(n)))
    out.append(Target("sinprod3", 3, ANALYTIC, sympy.Mul(*[sympy.sin(2 * pi * v + k + 1) for k, v in
                                                          enumerate((x1, x2, x3))]),
                      "prod_k sin(2 pi x_k + k)", norms=lambda n: (6 * math.pi) ** n / math.factorial(n)))
    x1, x2, x3, x4 = _x(4)
    out.append(Target("exp4", 4, ANALYTIC, sympy.exp(x1 + 2 * x2 - x3 + x4 / 2), "e^(x1 + 2 x2 - x3 + x4/2)",
                      norms=lambda n: 4.5 ** n * math.e ** 3.5 / math.factorial(n)))
    return {t.name: t for t in out}


def _spline2_norm(n: int, c: float) -> float:
    """S_n of the spline2 target: ||f|| = 1 - 2(1-c)^2 (at x = 1), ||f'|| = 2c (at x = c), ||f''||/2 = 1."""
    return {0: 1 - 2 * (1 - c) ** 2, 1: 2 * c, 2: 1.0}[n]


def _relu_norm(n: int, s: int, c: float) -> float:
    """S_n of (x - c)_+^s / s! on [0,1]: ||f^(n)|| / n! = (1 - c)^(s-n) / ((s-n)! n!)."""
    return (1 - c) ** (s - n) / (math.factorial(s - n) * math.factorial(n))


def _hold_norm(n: int, beta: float, c: float) -> float:
    """S_n of |x - c|^beta on [0,1]: |(beta)_n| max(c, 1-c)^(beta-n) / n! (falling factorial)."""
    falling = math.prod(beta - j for j in range(n))
    return abs(falling) * max(c, 1 - c) ** (beta - n) / math.factorial(n)


class _Catalogue(Mapping[str, Target]):
    """The catalogue as a read-only mapping, built on first use (building it costs ~0.3 s of sympy, which
    ``import``-ing this module, e.g. for ``polyapprox verify`` or ``--help``, should not pay)."""

    @functools.cached_property
    def _targets(self) -> dict[str, Target]:
        return _catalogue()

    def __getitem__(self, name: str) -> Target:
        return self._targets[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._targets)

    def __len__(self) -> int:
        return len(self._targets)


TARGETS: Mapping[str, Target] = _Catalogue()


def shifted_relu(s: int, c: object) -> Target:
    """relu_s, singularity at a rational c in (0, 1): (x - c)_+^s / s! (shift envelope, docs/measurement.md §1.3)."""
    from fractions import Fraction

    q = Fraction(c)  # type: ignore[arg-type]
    if not 0 < q < 1 or not isinstance(s, int) or s < 1:
        raise ConfigError(f"shifted_relu: need s >= 1 and 0 < c < 1, got s={s!r}, c={c!r}")
    (x,) = symbols(1)
    cs = sympy.Rational(q.numerator, q.denominator)
    return Target(f"relu{s}@{q}", 1, s, _relu_power(x - cs, s), f"(x - {q})_+^{s}/{s}!",
                  norms=functools.partial(_relu_norm, s=s, c=float(q)))


def list_targets(dim: int | None = None) -> list[Target]:
    """The catalogue (optionally only dimension ``dim``), in definition order."""
    return [t for t in TARGETS.values() if dim is None or t.dim == dim]


def get_target(name: str) -> Target:
    """A catalogue target by name; ConfigError naming the choices otherwise."""
    try:
        return TARGETS[name]
    except KeyError:
        raise ConfigError(f"target: unknown {name!r}; choose from {', '.join(TARGETS)} "
                          "or give an expression in x1..xd") from None


def user_target(expr_text: str, dim: int, smoothness: Smoothness = ANALYTIC, name: str | None = None) -> Target:
    """A target from a user expression in x1..xd (or x, y, z for d <= 3), with declared smoothness."""
    if not isinstance(dim, int) or isinstance(dim, bool) or dim < 1:
        raise ConfigError(f"dim: {dim!r} must be an integer >= 1")
    if smoothness != ANALYTIC and (not isinstance(smoothness, int) or smoothness < 0):
        raise ConfigError(f"smoothness: {smoothness!r} must be an integer >= 0 or 'analytic'")
    from polyapprox.symbolic.expressions import parse_expression

    canon = symbols(dim)
    aliases = ("x", "y", "z")[:dim] if dim <= 3 else ()
    names = [s.name for s in canon] + list(aliases)
    expr = parse_expression(expr_text, names)
    alias_syms = {sympy.Symbol(a, real=True): canon[k] for k, a in enumerate(aliases)}
    used_canon = any(s in expr.free_symbols for s in canon)
    if used_canon and any(s in expr.free_symbols for s in alias_syms):
        raise ExpressionError(f"expression {expr_text!r}: mixes x1..x{dim} with x, y, z")
    expr = expr.xreplace(alias_syms)
    return Target(name or expr_text.strip(), dim, smoothness, expr, f"user expression {expr_text.strip()}")


def resolve_target(spec: str, dim: int | None = None, smoothness: Smoothness = ANALYTIC) -> Target:
    """A catalogue name or an expression; ConfigError on a dimension mismatch with ``dim``."""
    if spec in TARGETS:
        t = TARGETS[spec]
        if dim is not None and dim != t.dim:
            raise ConfigError(f"dim: target {spec!r} has dimension {t.dim}, not {dim}")
        return t
    if spec.isidentifier() and spec not in {f"x{k + 1}" for k in range(dim or 4)} | {"x", "y", "z"}:
        get_target(spec)  # a bare unknown name: the unknown-target message
    if dim is None:
        dim = infer_dim(spec)
    return user_target(spec, dim, smoothness)


def infer_dim(spec: str) -> int:
    """The input dimension an expression implies: the largest k of its variables xk, else 1, 2, 3 for x, y, z
    (``"x1**2 + x3"`` -> 3, ``"x*y"`` -> 2); ConfigError when it names no variable."""
    import re

    from polyapprox.core.limits import check

    names = set(re.findall(r"(?<![A-Za-z0-9_])(x[0-9]+|[xyz])(?![A-Za-z0-9_])", spec))
    indexed = [int(n[1:]) for n in names if n[1:]]
    if indexed:
        check("dim", max(indexed), "dim: the largest k of the variables xk")
        return max(indexed)
    if names:
        return max("xyz".index(n) for n in names) + 1
    raise ConfigError(f"dim: the expression target {spec[:60]!r} has no variable x1..xd (or x, y, z); pass --dim")
