"""Parsing user expressions (CLI ``EXPR`` arguments, targets): one safe parser for the whole toolkit.

``parse_expression("x**2*y - 1/3", ["x", "y"])`` returns a sympy expression in real symbols with exact
rationals (``1/3`` is ``Rational(1, 3)``, decimals such as ``0.5`` become exact rationals).

The text is read by ``ast.parse(text, mode="eval")`` and the sympy expression is built from the tree here,
node by node, from a whitelist: numbers, the declared variables, the constants ``pi`` and ``E``, ``+ - * /
**`` (``^`` is also a power), unary ``+ -``, parentheses and calls of ``FUNCTIONS`` (``Piecewise`` takes
``(value, condition)`` pairs whose conditions are comparisons, ``True``/``False`` and ``& | ~``). Nothing is
ever evaluated as Python; any other construct (attributes, subscripts, strings, lambdas, keywords, ...) is
refused. Every size is checked against ``core.limits`` before the work it would cause: length and bracket
depth before ``ast.parse``, nesting depth and node count before building, digits of literals before
converting them, exponents and the size of computed numbers before sympy computes them, and the degree, term
count and coefficient digits after expansion (``exprsize``). Errors are one-line ``ExpressionError`` (bad
expression) or ``LimitError`` (over a limit, naming its environment variable).
"""

from __future__ import annotations

import ast
import keyword
import numbers
import re
from collections.abc import Callable, Sequence

import sympy

from polyapprox.core.limits import LIMITS, LimitError, check, limit
from polyapprox.errors import ExpressionError, PolyapproxError
from polyapprox.symbolic import exprsize
from polyapprox.symbolic.exprsize import Size

#: Functions a user expression may call: name -> (sympy function, least and most arguments; None: any).
CALLS: dict[str, tuple[Callable[..., sympy.Basic], int, int | None]] = {
    **{name: (getattr(sympy, name), 1, 1) for name in (
        "sin", "cos", "tan", "exp", "sqrt", "Abs", "sinh", "cosh", "tanh", "atan", "asin", "acos", "sign", "erf")},
    "log": (sympy.log, 1, 2), "Heaviside": (sympy.Heaviside, 1, 2), "abs": (sympy.Abs, 1, 1),
    "Max": (sympy.Max, 1, None), "Min": (sympy.Min, 1, None), "max": (sympy.Max, 1, None),
    "min": (sympy.Min, 1, None), "Piecewise": (sympy.Piecewise, 1, None),
    "Rational": (lambda p, q=sympy.S.One: _ratio(p, q), 1, 2), "Integer": (lambda n: _integer(n), 1, 1),
    "Float": (lambda r: _ratio(r, sympy.S.One), 1, 1),
}
#: Named constants.
CONSTANTS: dict[str, sympy.Basic] = {"pi": sympy.pi, "E": sympy.E}
#: Every reserved name (functions and constants): none of them can be a variable.
FUNCTIONS: dict[str, object] = {**{k: v[0] for k, v in CALLS.items()}, **CONSTANTS}

_QUOTE = 60
#: values from here on are named by their number of digits in messages
_HUGE = 10 ** 15
_NUMBER_TOKEN = re.compile(r"(?<![\w.])[0-9][\w]*")
_FLOAT = re.compile(r"([0-9_]*)(?:\.([0-9_]*))?(?:[eE]([+-]?[0-9_]+))?")
_SUM = (ast.Add, ast.Sub)
_PRODUCT = (ast.Mult, ast.Div)
_COMPARE = {ast.Lt: sympy.Lt, ast.LtE: sympy.Le, ast.Gt: sympy.Gt, ast.GtE: sympy.Ge, ast.Eq: sympy.Eq,
            ast.NotEq: sympy.Ne}
#: Names of refused constructs, for the error message (others: the ast class name).
_REFUSED = {
    ast.Attribute: "attribute access", ast.Subscript: "subscripts", ast.Lambda: "lambda", ast.JoinedStr: "f-strings",
    ast.NamedExpr: "assignment (:=)", ast.ListComp: "comprehensions", ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions", ast.GeneratorExp: "comprehensions", ast.Starred: "starred arguments",
    ast.IfExp: "conditional expressions", ast.List: "lists", ast.Dict: "dicts", ast.Set: "sets",
    ast.Tuple: "tuples (outside Piecewise)", ast.Compare: "comparisons (outside Piecewise conditions)",
    ast.BoolOp: "and/or (outside Piecewise conditions)", ast.Slice: "slices", ast.Await: "await",
    ast.Yield: "yield", ast.YieldFrom: "yield",
}

#: refused wherever they appear (tuples, comparisons and and/or are allowed inside Piecewise only)
_NEVER = frozenset(_REFUSED) - {ast.Tuple, ast.Compare, ast.BoolOp}


def quote(text: str) -> str:
    """``text`` quoted for a one-line message: at most ~60 characters of it."""
    short = " ".join(text.split())
    return repr(short if len(short) <= _QUOTE else short[:_QUOTE] + "...")


def parse_variables(spec: str | Sequence[str]) -> tuple[sympy.Symbol, ...]:
    """'x,y' or ['x', 'y'] -> real symbols; names must be identifiers (not keywords or reserved) and distinct."""
    names = [n.strip() for n in spec.split(",")] if isinstance(spec, str) else [str(n).strip() for n in spec]
    if not names or any(not n for n in names):
        raise ExpressionError(f"vars: empty variable name in {quote(str(spec))}")
    for n in names:
        if not n.isidentifier() or keyword.iskeyword(n) or n in FUNCTIONS or n.startswith("__"):
            raise ExpressionError(f"vars: {quote(n)} is not a usable variable name")
    if len(set(names)) != len(names):
        raise ExpressionError(f"vars: duplicate variable in {quote(str(spec))}")
    check("expr_nodes", len(names), "number of variables")
    return tuple(sympy.Symbol(n, real=True) for n in names)


def parse_expression(text: str, variables: str | Sequence[str] | Sequence[sympy.Symbol]) -> sympy.Expr:
    """Parse ``text`` over the given variables (real symbols); exact rationals; one-line errors (module doc)."""
    if variables and isinstance(variables, (list, tuple)) and isinstance(variables[0], sympy.Symbol):
        syms = tuple(variables)
    else:
        syms = parse_variables(variables)  # type: ignore[arg-type]
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("expression: empty" if isinstance(text, str) else
                              f"expression: expected a string, got {type(text).__name__}")
    text = text.strip()
    tree = _parse_tree(text)
    where = f"expression {quote(text)}"
    _measure(tree, where)
    try:
        expr = _Builder(text, syms, where).build(tree.body)
    except RecursionError:
        raise ExpressionError(f"{where}: too deeply nested") from None
    if not isinstance(expr, sympy.Expr):
        raise ExpressionError(f"{where}: not an arithmetic expression")
    if expr.has(sympy.zoo, sympy.oo, -sympy.oo, sympy.nan):
        raise ExpressionError(f"{where}: not finite")
    exprsize.check_size(exprsize.expression_size(expr)[1], where)
    return expr


def to_expression(obj: object, syms: Sequence[sympy.Symbol]) -> sympy.Expr:
    """A user's target as a sympy expression: a string goes through ``parse_expression`` (never ``sympify``),
    a sympy expression is kept, a number becomes a sympy number; anything else is an ExpressionError."""
    if isinstance(obj, str):
        return parse_expression(obj, tuple(syms))
    if isinstance(obj, sympy.Basic):
        return obj  # type: ignore[return-value]
    if isinstance(obj, numbers.Number) and not isinstance(obj, bool):
        return sympy.sympify(obj, strict=True)  # strict: never parses a string
    raise ExpressionError(f"expression: expected a string or a sympy expression, got {type(obj).__name__}")


def as_polynomial(expr: sympy.Expr, syms: Sequence[sympy.Symbol]) -> sympy.Poly:
    """``expr`` as a Poly over QQ in ``syms``; ExpressionError if it is not a polynomial with rational
    coefficients, LimitError if its expansion would exceed the degree, term or digit limits."""
    where = f"expression {quote(str(expr)[:200])}"
    exprsize.check_size(exprsize.expression_size(expr)[1], where)
    try:
        poly = sympy.Poly(sympy.expand(expr), *syms, domain="QQ")
    except (sympy.PolynomialError, sympy.CoercionFailed, sympy.GeneratorsNeeded) as exc:
        raise ExpressionError(f"{where}: not a polynomial with rational coefficients "
                              f"in {', '.join(map(str, syms))} ({type(exc).__name__})") from None
    check("degree", 0 if poly.is_zero else int(poly.total_degree()), f"{where}: {LIMITS['degree'].meaning}")
    return poly


# ------------------------------------------------------------------------------------------ before building


def _parse_tree(text: str) -> ast.Expression:
    """Length, bracket depth and literal length checked by cheap scans, then ``ast.parse`` (errors: one line)."""
    where = f"expression {quote(text)}"
    check("expr_chars", len(text), f"{where}: {LIMITS['expr_chars'].meaning}")
    check("expr_depth", _bracket_depth(text), f"{where}: {LIMITS['expr_depth'].meaning}")
    longest = max((m.end() - m.start() for m in _NUMBER_TOKEN.finditer(text)), default=0)
    check("literal_digits", longest, f"{where}: {LIMITS['literal_digits'].meaning}")
    try:
        return ast.parse(text, mode="eval")
    except SyntaxError as exc:
        at = f" at column {exc.offset}" if exc.offset else ""
        raise ExpressionError(f"{where}: cannot parse ({exc.msg}{at}; write products with *)") from None
    except (RecursionError, MemoryError) as exc:
        raise ExpressionError(f"{where}: too deeply nested or too long a chain for Python's parser "
                              f"({type(exc).__name__})") from None
    except ValueError as exc:
        raise ExpressionError(f"{where}: cannot parse ({quote(str(exc))})") from None


def _bracket_depth(text: str) -> int:
    """Deepest nesting of ( [ { in ``text`` (a linear scan; unbalanced brackets are left to the parser)."""
    depth = deepest = 0
    for ch in text:
        if ch in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ")]}":
            depth -= 1
    return deepest


def _measure(tree: ast.Expression, where: str) -> None:
    """Nesting depth (a chain ``a + b - c`` or ``a * b / c`` is one level) and node count, without recursion;
    constructs never allowed anywhere (attributes, lambdas, ...) are refused here, before anything is built."""
    cap_depth, cap_nodes = limit("expr_depth"), limit("expr_nodes")
    nodes = 0
    stack: list[tuple[ast.AST, int]] = [(tree.body, 1)]
    while stack:
        node, depth = stack.pop()
        nodes += isinstance(node, ast.expr)
        if type(node) in _NEVER:
            raise ExpressionError(f"{where}: {_REFUSED[type(node)]} not allowed")
        if depth > cap_depth or nodes > cap_nodes:
            check("expr_depth", depth, f"{where}: {LIMITS['expr_depth'].meaning}")
            check("expr_nodes", nodes, f"{where}: {LIMITS['expr_nodes'].meaning}")
        for child in ast.iter_child_nodes(node):
            stack.append((child, depth if _same_chain(node, child) else depth + 1))


def _same_chain(parent: ast.AST, child: ast.AST) -> bool:
    """``child`` continues ``parent``'s chain of + - (or * /) on the left, or is an operator/context token."""
    if not isinstance(child, ast.expr):
        return True
    if not (isinstance(parent, ast.BinOp) and isinstance(child, ast.BinOp) and child is parent.left):
        return False
    return any(isinstance(parent.op, g) and isinstance(child.op, g) for g in (_SUM, _PRODUCT))


# ------------------------------------------------------------------------------------------------ building


def _ratio(p: sympy.Basic, q: sympy.Basic) -> sympy.Rational:
    if not (isinstance(p, sympy.Rational) and isinstance(q, sympy.Rational)):
        raise TypeError("Rational takes numbers")
    return p / q


def _integer(n: sympy.Basic) -> sympy.Integer:
    if not isinstance(n, sympy.Integer):
        raise TypeError("Integer takes an integer")
    return n


class _Builder:
    """Builds the sympy expression of a measured tree, refusing every construct off the whitelist."""

    def __init__(self, text: str, syms: Sequence[sympy.Symbol], where: str) -> None:
        self.text, self.where = text, where
        self.names = {s.name: s for s in syms}
        self.memo: dict[sympy.Basic, tuple[Size, Size]] = {}

    def check(self, name: str, value: int) -> None:
        """``limits.check`` with this expression quoted; a huge value is named by its digit count."""
        if value >= _HUGE and value > limit(name):
            lim = LIMITS[name]
            raise LimitError(f"{self.where}: {lim.meaning}: a {exprsize.int_digits(value)}-digit number is over "
                             f"the limit {limit(name)} (set {lim.env} to raise it)")
        check(name, value, f"{self.where}: {LIMITS[name].meaning}")

    def fail(self, problem: str) -> ExpressionError:
        return ExpressionError(f"{self.where}: {problem}")

    def size(self, e: sympy.Basic) -> Size:
        return exprsize.expression_size(e, self.memo)[0]

    def build(self, node: ast.AST) -> sympy.Basic:
        """The sympy value of ``node`` (an arithmetic expression)."""
        if isinstance(node, ast.BinOp) and isinstance(node.op, _SUM + _PRODUCT):
            return self.chain(node)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Pow, ast.BitXor)):
            return self.power(self.build(node.left), self.build(node.right))
        if isinstance(node, ast.BinOp):
            raise self.fail(f"operator {type(node.op).__name__} is not allowed (use + - * / **)")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
            value = self.build(node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.name(node.id)
        if isinstance(node, ast.Call):
            return self.call(node)
        raise self.refuse(node)

    def refuse(self, node: ast.AST) -> ExpressionError:
        what = _REFUSED.get(type(node), type(node).__name__)
        if isinstance(node, ast.UnaryOp):
            what = f"operator {type(node.op).__name__}"
        return self.fail(f"{what} not allowed")

    def chain(self, node: ast.BinOp) -> sympy.Basic:
        """``a + b - c`` (or ``a * b / c``) flattened along the left spine, built in one sympy call."""
        group = _SUM if isinstance(node.op, _SUM) else _PRODUCT
        spine: list[tuple[ast.operator | None, ast.AST]] = []
        cur: ast.AST = node
        while isinstance(cur, ast.BinOp) and isinstance(cur.op, group):
            spine.append((cur.op, cur.right))
            cur = cur.left
        spine.append((None, cur))
        parts = [self.operand(op, operand) for op, operand in reversed(spine)]
        sizes = [self.size(p) for p in parts]
        if group is _SUM:
            bound = exprsize.add_size(sizes, [p.as_coeff_Mul()[1] for p in parts])
        else:
            bound = exprsize.mul_size(sizes)
        exprsize.check_size(bound, self.where)
        return self.apply(sympy.Add if group is _SUM else sympy.Mul, *parts)

    def operand(self, op: ast.operator | None, node: ast.AST) -> sympy.Basic:
        """One operand of a chain: negated after ``-``, inverted after ``/``."""
        value = self.build(node)
        if isinstance(op, ast.Sub):
            return -value
        if isinstance(op, ast.Div):
            return self.power(value, sympy.Integer(-1))
        return value

    def power(self, base: sympy.Basic, exp: sympy.Basic) -> sympy.Basic:
        """``base**exp``; a numeric exponent p/q needs |p|, q within the exponent limit, and the result's
        size is bounded before sympy computes it."""
        if isinstance(exp, sympy.Rational):
            self.check("exponent", max(abs(int(exp.p)), int(exp.q)))
            exprsize.check_size(exprsize.pow_size(self.size(base), int(exp.p)), self.where)
        return self.apply(sympy.Pow, base, exp)

    def constant(self, node: ast.Constant) -> sympy.Rational:
        """An int or decimal literal as an exact rational (digits checked before conversion)."""
        value = node.value
        if isinstance(value, int) and not isinstance(value, bool):
            self.check("literal_digits", exprsize.int_digits(value))
            return sympy.Integer(value)
        if isinstance(value, float):
            return self.decimal(ast.get_source_segment(self.text, node) or "")
        kind = {bool: "True/False (outside Piecewise conditions)", complex: "imaginary numbers",
                str: "strings", bytes: "strings"}.get(type(value), type(value).__name__)
        raise self.fail(f"{kind} not allowed")

    def decimal(self, literal: str) -> sympy.Rational:
        """'1.5e-3' -> 3/2000 exactly; the digits of the result are checked before it is computed."""
        m = _FLOAT.fullmatch(literal.replace("_", ""))
        if not m:
            raise self.fail(f"cannot read the number {quote(literal)}")
        whole, frac, exp = m.group(1), m.group(2) or "", m.group(3) or "0"
        if len(exp.lstrip("+-").lstrip("0")) > 15:
            self.check("literal_digits", _HUGE)
        shift = int(exp) - len(frac)
        mantissa = (whole + frac).lstrip("0") or "0"
        self.check("literal_digits", len(mantissa) + abs(shift))
        return sympy.Integer(int(mantissa)) * sympy.Rational(10) ** shift

    def name(self, ident: str) -> sympy.Basic:
        if ident in self.names:
            return self.names[ident]
        if ident in CONSTANTS:
            return CONSTANTS[ident]
        if ident in CALLS:
            raise self.fail(f"{ident!r} is a function: call it, e.g. {ident}(x)")
        known = ", ".join(self.names)
        raise self.fail(f"unknown name {quote(ident)} (variables: {known[:80]})")

    def call(self, node: ast.Call) -> sympy.Basic:
        """A call of one of ``CALLS`` with positional arguments only."""
        if not isinstance(node.func, ast.Name):
            raise self.fail("calls of anything but a function name not allowed")
        name = node.func.id
        if name in self.names:
            raise self.fail(f"{quote(name)} is a variable, not a function (write products with *)")
        if name not in CALLS:
            raise self.fail(f"unknown function {quote(name)}")
        if node.keywords:
            raise self.fail(f"keyword arguments not allowed (in {name})")
        fn, least, most = CALLS[name]
        if not least <= len(node.args) <= (most if most is not None else len(node.args)):
            raise self.fail(f"{name} takes {least}{'' if most == least else '+' if most is None else f'-{most}'} "
                            f"arguments, got {len(node.args)}")
        if name == "Piecewise":
            args = [self.piece(a) for a in node.args]
        else:
            args = [self.build(a) for a in node.args]
        return self.apply(fn, *args)

    def piece(self, node: ast.AST) -> tuple[sympy.Basic, sympy.Basic]:
        """One ``(value, condition)`` pair of a Piecewise."""
        if not (isinstance(node, ast.Tuple) and len(node.elts) == 2):
            raise self.fail("Piecewise takes (value, condition) pairs")
        return self.build(node.elts[0]), self.condition(node.elts[1])

    def condition(self, node: ast.AST) -> sympy.Basic:
        """A comparison (chains allowed), True/False, or & | ~ / and or not of conditions."""
        if isinstance(node, ast.Constant) and isinstance(node.value, bool):
            return sympy.true if node.value else sympy.false
        if isinstance(node, ast.Compare):
            bad = [op for op in node.ops if type(op) not in _COMPARE]
            if bad:
                raise self.fail(f"comparison {type(bad[0]).__name__} not allowed")
            values = [self.build(node.left), *(self.build(c) for c in node.comparators)]
            pairs = zip(node.ops, values, values[1:], strict=False)
            rels = [self.apply(_COMPARE[type(op)], a, b) for op, a, b in pairs]
            return self.apply(sympy.And, *rels)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.BitAnd, ast.BitOr)):
            fn = sympy.And if isinstance(node.op, ast.BitAnd) else sympy.Or
            return self.apply(fn, self.condition(node.left), self.condition(node.right))
        if isinstance(node, ast.BoolOp):
            fn = sympy.And if isinstance(node.op, ast.And) else sympy.Or
            return self.apply(fn, *(self.condition(v) for v in node.values))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Invert, ast.Not)):
            return self.apply(sympy.Not, self.condition(node.operand))
        raise self.fail("a Piecewise condition must be a comparison, True/False, or & | ~ of them")

    def apply(self, fn: Callable[..., sympy.Basic], *args: sympy.Basic) -> sympy.Basic:
        """``fn(*args)`` with sympy's errors (e.g. comparing complex numbers) as one-line ExpressionErrors."""
        try:
            return fn(*args)
        except PolyapproxError:
            raise
        except (TypeError, ValueError, ArithmeticError, AttributeError) as exc:
            name = getattr(fn, "__name__", "operation")
            raise self.fail(f"cannot build {name} ({type(exc).__name__}: {quote(str(exc))})") from None
