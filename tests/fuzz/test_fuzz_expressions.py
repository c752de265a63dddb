"""Hostile expressions: no code runs, every refusal is exit 2 / ExpressionError / LimitError in one line, fast.

Canary payloads go through the real CLI (subprocess for the issue's two reproducers, in-process ``main`` for
the variants) and the Python API; a canary file must never appear. Hypothesis then throws token soup and
deeply nested, huge-number grammar output at ``parse_expression`` in-process.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polyapprox.cli.main import main
from polyapprox.construct.blocks import product_block
from polyapprox.construct.polynomials import polynomial_net
from polyapprox.core import netjson
from polyapprox.core.limits import LimitError
from polyapprox.errors import ExpressionError
from polyapprox.symbolic import prove_equal
from polyapprox.symbolic.expressions import parse_expression
from polyapprox.targets.catalogue import user_target
from tests.fuzz.conftest import assert_refused

#: seconds any one expression may take in-process (parse and refuse, or parse)
PARSE_SECONDS = 2.0
CANARY = "CANARY"


def payloads(canary: Path) -> list[str]:
    """Code-execution attempts, each of which would create ``canary`` if it ran."""
    c = str(canary)
    return [
        f"x**2 + x.subs.__globals__['__builtins__']['__import__']('os').system('touch {c}')",
        f"Rational.__new__.__globals__['__builtins__']['__import__']('os').system('touch {c}')",
        f"__import__('os').system('touch {c}')",
        f"x + ().__class__.__base__.__subclasses__()[0]('touch {c}')",
        f"(lambda: __import__('os').system('touch {c}'))()",
        f"getattr(__import__('os'), 'system')('touch {c}')",
        f"f\"{{__import__('os').system('touch {c}')}}\"",
        f"(y := __import__('os').system('touch {c}'))",
        f"eval(\"__import__('os').system('touch {c}')\")",
        f"open('{c}', 'w')",
        f"[__import__('os').system('touch {c}') for x in ()] or x",
        f"x + sin.__globals__['__builtins__']['open']('{c}', 'w')",
        f"exec(\"open('{c}','w')\")",
        f"x * Max(x, __builtins__['open']('{c}', 'w'))",
    ]


@pytest.fixture
def net_file(tmp_path: Path) -> Path:
    path = tmp_path / "product.json"
    netjson.save(product_block(), path)
    return path


def _main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse errors
        code = int(exc.code or 0)
    return code, capsys.readouterr().err


def _one_line_refusal(code: int, err: str) -> None:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("polyapprox:") and "Traceback" not in err, err
    assert len(lines[0]) < 400, lines[0]


def test_issue_reproducers_in_a_real_process(cli, tmp_path: Path, net_file: Path) -> None:
    """The issue's two payloads, one real process each (the in-process test below covers every verb)."""
    canary = tmp_path / CANARY
    first, second = payloads(canary)[:2]
    assert_refused(cli("construct", "polynomial", first, "--vars", "x"))
    assert_refused(cli("check", str(net_file), "--equals", second, "--vars", "x,y"))
    assert_refused(cli("rates", "--target", first.replace("x", "x1"), "--dim", "1", "--order", "2"))
    assert not canary.exists()


def test_payloads_through_every_entry_point(capsys, tmp_path: Path, net_file: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    canary = tmp_path / CANARY
    x, y = sympy.symbols("x y", real=True)
    for text in payloads(canary):
        _one_line_refusal(*_main(capsys, "construct", "polynomial", text, "--vars", "x,y"))
        _one_line_refusal(*_main(capsys, "check", str(net_file), "--equals", text, "--vars", "x,y"))
        _one_line_refusal(*_main(capsys, "rates", "--target", text, "--dim", "2", "--order", "2"))
        _one_line_refusal(*_main(capsys, "train", "ffn", "--target", text, "--dim", "2", "--steps", "1"))
        for call in (lambda t: parse_expression(t, "x,y"), lambda t: polynomial_net(t, "x,y"),
                     lambda t: user_target(t, 2), lambda t: prove_equal(product_block(), t, symbols=(x, y)),
                     lambda t: prove_equal(product_block(), [t], symbols=(x, y))):
            with pytest.raises(ExpressionError):
                call(text)
    assert not canary.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["product.json"]


#: the issue's resource reproducers and friends: (expression, limit named in the message)
REPRODUCERS = [
    ("x**(10**9)", "EXPONENT"), ("10**10**10", "EXPONENT"), ("x*1e999999999", "LITERAL_DIGITS"),
    ("(" * 10_000 + "x" + ")" * 10_000, "EXPR_CHARS"), ("x**5000", "EXPONENT"),
    ("(x+1)**64*(y+1)**64", "DEGREE"),
]


def test_issue_resource_reproducers_exit_2_fast(capsys) -> None:
    for text, limit in REPRODUCERS:
        start = time.monotonic()
        code, err = _main(capsys, "construct", "polynomial", text, "--vars", "x,y")
        assert time.monotonic() - start < PARSE_SECONDS, text[:40]
        _one_line_refusal(code, err)
        assert f"POLYAPPROX_MAX_{limit}" in err, err


CLI_CASES = [
    "x**(10**9)", "10**10**10", "x*1e999999999", "(" * 10_000 + "x" + ")" * 10_000, "x**5000",
    "(x+1)**64*(y+1)**64", "-" * 5000 + "x", "x" + "+x" * 4000, "9" * 5000, "1e" + "9" * 100, "x +* 2", "x*(y",
    ")" * 50, "\x00", "x\n+1", "2x", "sin(", "Piecewise((x, x > 0)", "x**64**64", "1/0",
    "((x+y+1)**64)**64", "x.__class__", "z", "sin", "'x'",
]


@pytest.mark.parametrize("verb", ["construct", "check", "rates"])
def test_cli_refusals_are_one_line(capsys, net_file: Path, verb: str) -> None:
    for text in CLI_CASES:
        start = time.monotonic()
        if verb == "construct":
            result = _main(capsys, "construct", "polynomial", text, "--vars", "x,y")
        elif verb == "check":
            result = _main(capsys, "check", str(net_file), "--equals", text, "--vars", "x,y")
        else:
            result = _main(capsys, "rates", "--target", text, "--dim", "2", "--order", "2", "--grids", "2")
        assert time.monotonic() - start < PARSE_SECONDS * 2, (verb, text[:40])
        _one_line_refusal(*result)


def _parse_or_refuse(text: str) -> None:
    """The fuzz contract: a sympy expression or ExpressionError/LimitError (one line), never anything else."""
    start = time.monotonic()
    try:
        expr = parse_expression(text, "x,y")
    except (ExpressionError, LimitError) as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 400, str(exc)[:500]
    else:
        assert isinstance(expr, sympy.Expr)
        assert expr.free_symbols <= {sympy.Symbol("x", real=True), sympy.Symbol("y", real=True)}
    assert time.monotonic() - start < PARSE_SECONDS, text[:80]


TOKENS = [
    "x", "y", "z", "1", "0", "2", "64", "0.5", "1e999999999", "1e-999999999", "9" * 399, "0x" + "f" * 300, "1j",
    "10**10**10", "(", ")", "((", "))", "+", "-", "*", "/", "**", "^", "//", "%", "@", "~", ".", ",", ":", ";",
    "[", "]", "{", "}", "'a'", '"b"', "f'{x}'", "lambda", "if", "else", "for", "in", "not", "and", "or", "is",
    "==", "<", ">", "<=", ":=", "=", "True", "None", "...", "__class__", "__globals__", "__import__", "os",
    "system", "eval", "exec", "open", "getattr", "sin", "cos", "log", "sqrt", "Max", "min", "abs", "Piecewise",
    "Rational", "Integer", "Float", "pi", "E", "e", "I", "oo", "nan", "\\", "\n", "\t", " ", "#", "\x00", "é",
]


@settings(max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(TOKENS), max_size=30))
def test_fuzz_token_soup(tokens: list[str]) -> None:
    _parse_or_refuse("".join(tokens))


LEAF = st.one_of(
    st.sampled_from(["x", "y", "pi", "E", "w", "x.real", "'s'", "1e999999999", "0.125", "1/3"]),
    st.integers(-10 ** 30, 10 ** 30).map(str),
    st.integers(0, 10 ** 12).map(lambda k: f"1e{k}"),
)


def _combine(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "**", "^", "%", "//", ">"]), inner)
        .map(lambda t: f"({t[0]}{t[1]}{t[2]})"),
        st.tuples(inner, st.integers(-10 ** 12, 10 ** 12)).map(lambda t: f"({t[0]})**{t[1]}"),
        st.tuples(st.sampled_from(["sin", "exp", "log", "sqrt", "Max", "abs", "Heaviside", "open", "x", "Rational"]),
                  st.lists(inner, min_size=0, max_size=3)).map(lambda t: f"{t[0]}({', '.join(t[1])})"),
        st.tuples(inner, inner).map(lambda t: f"Piecewise(({t[0]}, {t[1]} > 0), (0, True))"),
        st.tuples(inner, st.integers(1, 300)).map(lambda t: "(" * t[1] + t[0] + ")" * t[1]),
        st.tuples(inner, st.integers(1, 300)).map(lambda t: "-" * t[1] + t[0]),
        inner.map(lambda s: f"-{s}"),
    )


@settings(max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.recursive(LEAF, _combine, max_leaves=25))
def test_fuzz_grammar(text: str) -> None:
    _parse_or_refuse(text)


def test_internal_sympify_sites_never_parse_text(tmp_path) -> None:
    """The remaining sympify calls (canonical Abs form, arb evaluation, counterexample re-check) refuse strings."""
    import sympy as sp

    from polyapprox.approx.arbexpr import arb_function
    from polyapprox.symbolic.absform import canonical

    x = sp.Symbol("x", real=True)
    canary = tmp_path / "PWNED"
    payload = f"__import__('os').system('touch {canary}')"
    with pytest.raises(sp.SympifyError):
        canonical(payload)
    with pytest.raises(sp.SympifyError):
        arb_function(payload, [x])
    assert not canary.exists()
