"""The expression parser: what it accepts (exactly as before the ast rewrite), what it refuses, its limits,
and the expansion bounds of ``exprsize`` (upper bounds on the real expansion)."""

from __future__ import annotations

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from polyapprox.core.limits import LimitError
from polyapprox.errors import ExpressionError
from polyapprox.symbolic.expressions import as_polynomial, parse_expression, parse_variables, to_expression
from polyapprox.symbolic.exprsize import expression_size

X, Y = sympy.symbols("x y", real=True)
R = sympy.Rational


@pytest.mark.parametrize(("text", "expected"), [
    ("x**2*y - 1/3", X ** 2 * Y - R(1, 3)),
    ("x^3", X ** 3),
    ("0.1 + 0.2", R(3, 10)),
    ("1.5e-3*x", R(3, 2000) * X),
    (".5", R(1, 2)),
    ("1.", sympy.Integer(1)),
    ("1_000", sympy.Integer(1000)),
    ("0x10", sympy.Integer(16)),
    ("x**-1", 1 / X),
    ("x**0.5", sympy.sqrt(X)),
    ("2**-1", R(1, 2)),
    ("x**2**3", X ** 8),
    ("pi*x + E", sympy.pi * X + sympy.E),
    ("abs(x) + Abs(y)", sympy.Abs(X) + sympy.Abs(Y)),
    ("max(x, 0) - Min(x, y, 1)", sympy.Max(X, 0) - sympy.Min(X, Y, 1)),
    ("Rational(1, 3) + Integer(2) + Float(1.5)", R(23, 6)),
    ("log(x, 2)", sympy.log(X) / sympy.log(2)),
    ("sin(x)*cos(y) + exp(-x**2) + sqrt(2) + erf(x) + atan(y)",
     sympy.sin(X) * sympy.cos(Y) + sympy.exp(-X ** 2) + sympy.sqrt(2) + sympy.erf(X) + sympy.atan(Y)),
    ("Heaviside(x) + sign(y)", sympy.Heaviside(X) + sympy.sign(Y)),
    ("Piecewise((x, x > 0), (0, True))", sympy.Piecewise((X, X > 0), (0, True))),
    ("Piecewise((1, (x >= 0) & (y < 1)), (2, 0 < x <= 1), (0, True))",
     sympy.Piecewise((1, (X >= 0) & (Y < 1)), (2, (X > 0) & (X <= 1)), (0, True))),
    ("-(x - y) + +x", -(X - Y) + X),
    ("x - y - x", -Y),
    ("x / y / 2", X / Y / 2),
    ("(\n x + 1)", X + 1),
])
def test_accepted(text: str, expected: sympy.Expr) -> None:
    assert parse_expression(text, "x,y") == expected


def test_symbols_given_as_objects_and_variables() -> None:
    a = sympy.Symbol("a")
    assert parse_expression("a + 1", [a]) == a + 1
    assert parse_variables("x, y") == (X, Y)
    for bad in ("x,x", "x,", "lambda", "sin", "__x", "1x", "True"):
        with pytest.raises(ExpressionError, match="vars"):
            parse_variables(bad)


@pytest.mark.parametrize(("text", "message"), [
    ("x.real", "attribute access not allowed"),
    ("x[0]", "subscripts not allowed"),
    ("'x'", "strings not allowed"),
    ("lambda: 1", "lambda not allowed"),
    ("f'{x}'", "f-strings not allowed"),
    ("(y := 2)", r"assignment \(:=\) not allowed"),
    ("[x for x in ()]", "comprehensions not allowed"),
    ("sin(*[x])", "starred arguments not allowed"),
    ("sin(x=1)", "keyword arguments not allowed"),
    ("x if y else 1", "conditional expressions not allowed"),
    ("eval('1')", "unknown function 'eval'"),
    ("open('f')", "unknown function 'open'"),
    ("getattr(x, 'a')", "unknown function 'getattr'"),
    ("__import__('os')", "unknown function '__import__'"),
    ("().__class__", "attribute access"),
    ("x(y)", "'x' is a variable, not a function"),
    ("(x)(y)", "'x' is a variable, not a function"),
    ("sin", "'sin' is a function"),
    ("sin(x, y)", "sin takes 1 arguments, got 2"),
    ("Max()", "Max takes 1\\+ arguments, got 0"),
    ("x // 2", "operator FloorDiv is not allowed"),
    ("x % 2", "operator Mod is not allowed"),
    ("~x", "operator Invert not allowed"),
    ("x > 0", "comparisons"),
    ("True", "True/False"),
    ("1j", "imaginary numbers not allowed"),
    ("x, y", "tuples"),
    ("Piecewise(x)", "pairs"),
    ("Piecewise((x, x is y))", "comparison Is not allowed"),
    ("Piecewise((x, y))", "Piecewise condition"),
    ("x*w", "unknown name 'w'"),
    ("2x", "cannot parse"),
    ("x +", "cannot parse"),
    ("x*(y", "cannot parse"),
    ("\x00", "cannot parse"),
    ("1/0", "not finite"),
    ("log(0)", "not finite"),
    ("", "empty"),
    ("   ", "empty"),
])
def test_refused(text: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        parse_expression(text, "x,y")


@pytest.mark.parametrize(("text", "limit"), [
    ("x" + "+x" * 6000, "POLYAPPROX_MAX_EXPR_CHARS"),
    ("(" * 10_000 + "x" + ")" * 10_000, "POLYAPPROX_MAX_EXPR_CHARS"),
    ("(" * 101 + "x" + ")" * 101, "POLYAPPROX_MAX_EXPR_DEPTH"),
    ("-" * 150 + "x", "POLYAPPROX_MAX_EXPR_DEPTH"),
    ("sin(" * 120 + "x" + ")" * 120, "POLYAPPROX_MAX_EXPR_DEPTH"),
    ("+".join(["x*y"] * 2000), "POLYAPPROX_MAX_EXPR_NODES"),
    ("x**(10**9)", "POLYAPPROX_MAX_EXPONENT"),
    ("10**10**10", "POLYAPPROX_MAX_EXPONENT"),
    ("x**5000", "POLYAPPROX_MAX_EXPONENT"),
    ("x**64**64", "POLYAPPROX_MAX_EXPONENT"),
    ("2**(10**9/3)", "POLYAPPROX_MAX_EXPONENT"),
    ("x*1e999999999", "POLYAPPROX_MAX_LITERAL_DIGITS"),
    ("x*1e-999999999", "POLYAPPROX_MAX_LITERAL_DIGITS"),
    ("1e" + "9" * 300, "POLYAPPROX_MAX_LITERAL_DIGITS"),
    ("9" * 401, "POLYAPPROX_MAX_LITERAL_DIGITS"),
    ("0x" + "f" * 400, "POLYAPPROX_MAX_LITERAL_DIGITS"),
    ("(x+1)**64*(y+1)**64", "POLYAPPROX_MAX_DEGREE"),
    ("((x+1)**64)**64", "POLYAPPROX_MAX_DEGREE"),
    ("(x+y+1)**60 + (x+y+2)**60 + (x-y)**60", "POLYAPPROX_MAX_EXPR_TERMS"),
    ("+".join(f"(x+{i})**60" for i in range(100)), "POLYAPPROX_MAX_EXPR_TERMS"),
    ("(10**60+1)**60*(10**60+3)**60", "POLYAPPROX_MAX_NUMBER_DIGITS"),
    ("+".join(f"1/(10**60+{i})**60" for i in range(3)), "POLYAPPROX_MAX_NUMBER_DIGITS"),
    ("(x + 10**60*10**60)**64", "POLYAPPROX_MAX_NUMBER_DIGITS"),
])
def test_limits(text: str, limit: str) -> None:
    with pytest.raises(LimitError, match=limit) as info:
        parse_expression(text, "x,y")
    assert "\n" not in str(info.value) and len(str(info.value)) < 300


def test_limits_can_be_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYAPPROX_MAX_EXPONENT", "200")
    monkeypatch.setenv("POLYAPPROX_MAX_DEGREE", "200")
    assert parse_expression("x**100", "x") == X ** 100


def test_long_chains_and_python_parser_limits() -> None:
    assert parse_expression("+".join(["x"] * 2000), "x") == 2000 * X  # a chain counts as one level
    with pytest.raises(ExpressionError):
        parse_expression("+".join(["x"] * 4900), "x")  # over CPython's own parser limits: a clean error


def test_no_code_runs(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for text in ("x**2 + x.subs.__globals__['__builtins__']['__import__']('os').system('touch PWNED')",
                 "Rational.__new__.__globals__['__builtins__']['__import__']('os').system('touch PWNED')"):
        with pytest.raises(ExpressionError, match="not allowed"):
            parse_expression(text, "x")
    assert not (tmp_path / "PWNED").exists()


def test_to_expression_never_sympifies_strings() -> None:
    assert to_expression("x + 1/2", (X,)) == X + R(1, 2)
    assert to_expression(X + 1, (X,)) == X + 1
    assert to_expression(3, (X,)) == 3
    with pytest.raises(ExpressionError):
        to_expression("__import__('os')", (X,))
    with pytest.raises(ExpressionError, match="expected a string"):
        to_expression(object(), (X,))


def test_as_polynomial_limits() -> None:
    assert as_polynomial(parse_expression("(x+y+1)**3", "x,y"), (X, Y)).total_degree() == 3
    with pytest.raises(LimitError, match="POLYAPPROX_MAX_DEGREE"):
        as_polynomial((X + 1) ** 64 * (Y + 1) ** 64, (X, Y))  # a sympy expression from the Python API
    with pytest.raises(LimitError, match="POLYAPPROX_MAX_DEGREE"):
        as_polynomial(X ** 5000, (X,))
    with pytest.raises(ExpressionError, match="not a polynomial"):
        as_polynomial(sympy.sin(X), (X,))


POLY = st.recursive(
    st.sampled_from([X, Y, sympy.Integer(2), R(-1, 3), R(7, 10)]),
    lambda inner: st.one_of(
        st.tuples(inner, inner).map(lambda ab: sympy.Add(*ab)),
        st.tuples(inner, inner).map(lambda ab: sympy.Mul(*ab)),
        st.tuples(inner, st.integers(-2, 4)).map(lambda bk: sympy.Pow(bk[0], bk[1]))),
    max_leaves=8)


def _digits(n: int) -> int:
    return len(str(abs(n)))


@settings(max_examples=150, deadline=None)
@given(POLY)
def test_size_bounds_the_expansion(expr: sympy.Expr) -> None:
    size = expression_size(expr)[0]
    expanded = sympy.expand(expr)
    if not expanded.is_polynomial(X, Y):
        return
    poly = sympy.Poly(expanded, X, Y, domain="QQ")
    assert poly.total_degree() <= size.degree
    assert len(poly.terms()) <= size.terms
    for c in poly.coeffs():
        assert _digits(c.p) <= size.num and (c.q == 1 or _digits(c.q) <= size.den), (c, size)


def test_zero_and_constant_polynomials_pass_the_degree_limit() -> None:
    """The zero polynomial has total degree -oo in sympy; the degree check must not choke on it."""
    import sympy as sp

    from polyapprox.symbolic.expressions import as_polynomial

    x = sp.Symbol("x", real=True)
    assert as_polynomial(sp.Integer(0), (x,)).is_zero
    assert as_polynomial(sp.Rational(3, 2), (x,)).total_degree() == 0
