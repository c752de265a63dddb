"""Exact rationals from untrusted text, and rationals printed at any size.

``parse_rational`` reads '3', '-1/4', '0.25', '1.5e-3' (no underscores, no inf/nan) and checks the digits the
result would have against the limit ``number_digits`` *before* building it, so '1e99999999' is refused in
microseconds instead of expanding a 100-million-digit integer.

``format_rational`` / ``rational_json`` print a Fraction or int of any size: exact when Python can convert it
to decimal (``sys.get_int_max_str_digits()``), else abbreviated as ``<1234...5678 (4,812 digits)>``, so printing
a huge counterexample never raises the int-string ``ValueError``. This is the one place that turns
rationals into text for output.
"""

from __future__ import annotations

import math
import re
import sys
from fractions import Fraction
from typing import Any

from polyapprox.core.limits import check
from polyapprox.errors import PolyapproxError, shorten

_RATIONAL = re.compile(r"""
    \s*(?P<sign>[-+]?)
    (?:
        (?P<num>\d+)/(?P<den>\d+)
      | (?P<int>\d*)(?:\.(?P<frac>\d*))?(?:[eE](?P<exp>[-+]?\d+))?
    )\s*""", re.VERBOSE | re.ASCII)
#: digits kept at each end of an abbreviated integer
KEEP = 4
_LOG10_2 = math.log10(2)


def _digits(s: str) -> int:
    """Significant digits of a digit string (leading zeros do not count; '0' has 1)."""
    return max(len(s.lstrip("0")), 1)


def _int(s: str) -> int:
    """int() of a digit string whose significant digits were checked (leading zeros would count towards
    Python's int-string limit)."""
    return int(s.lstrip("0") or "0")


def parse_rational(text: str, where: str, error: type[PolyapproxError] = PolyapproxError) -> Fraction:
    """The exact value of ``text`` ('p', 'p/q', decimal, scientific); ``error`` names ``where`` if it is not a
    rational; ``LimitError`` if numerator or denominator would exceed the ``number_digits`` limit."""
    m = _RATIONAL.fullmatch(text) if isinstance(text, str) else None
    if m is None or (m["num"] is None and not (m["int"] or m["frac"])):
        shown = shorten(text if isinstance(text, str) else repr(text), 60)
        raise error(f'{where}: not a rational: "{shown}"')
    sign = -1 if m["sign"] == "-" else 1
    what = f"{where}: digits"
    if m["num"] is not None:
        check("number_digits", _digits(m["num"]), what)
        check("number_digits", _digits(m["den"]), what)
        den = _int(m["den"])
        if den == 0:
            raise error(f'{where}: not a rational: "{shorten(text, 60)}" (zero denominator)')
        return Fraction(sign * _int(m["num"]), den)
    mantissa = (m["int"] or "") + (m["frac"] or "")
    exp_text = (m["exp"] or "0").lstrip("+-").lstrip("0") or "0"
    check("number_digits", len(exp_text), f"{where}: digits of the exponent")  # before int(): 1e(10**5000)
    exp = int(m["exp"] or 0) - len(m["frac"] or "")
    check("number_digits", _digits(mantissa) + max(exp, 0), what)
    check("number_digits", max(-exp, 0) + 1, f"{where}: digits of the denominator")
    value = Fraction(_int(mantissa))
    value = value * 10 ** exp if exp >= 0 else value / 10 ** -exp
    return sign * value


def int_digits(n: int) -> int:
    """Decimal digits of |n| without converting it to text (exact)."""
    n = abs(n)
    if n < 10:
        return 1
    k = int(n.bit_length() * _LOG10_2)  # k <= digits <= k + 1
    return k + 1 if n >= 10 ** k else k


def _printable(n: int) -> bool:
    cap = sys.get_int_max_str_digits()
    return cap == 0 or int_digits(n) <= cap


def format_int(n: int) -> str:
    """``str(n)``, or ``<1234...5678 (4,812 digits)>`` when ``n`` is too long for Python to print."""
    if _printable(n):
        return str(n)
    digits = int_digits(n)
    head = n // 10 ** (digits - KEEP) if n >= 0 else -(-n // 10 ** (digits - KEEP))
    tail = abs(n) % 10 ** KEEP
    return f"<{head}...{tail:0{KEEP}d} ({digits:,} digits)>"


def format_rational(q: Fraction | int) -> str:
    """'p' or 'p/q' exactly when printable, each part abbreviated by ``format_int`` otherwise."""
    q = Fraction(q)
    num = format_int(q.numerator)
    return num if q.denominator == 1 else f"{num}/{format_int(q.denominator)}"


def is_exact(q: Fraction | int) -> bool:
    """Whether ``format_rational(q)`` is the exact value (both parts printable)."""
    q = Fraction(q)
    return _printable(q.numerator) and _printable(q.denominator)


def rational_json(q: Fraction | int | None) -> str | None:
    """A rational for JSON output: the exact 'p/q' string, or the abbreviated text (see ``is_exact``)."""
    return None if q is None else format_rational(q)


def jsonable(value: Any) -> Any:
    """``value`` with every Fraction/int inside dicts/lists/tuples made safe for ``json.dumps``: rationals as
    ``rational_json`` strings (ints that are printable stay ints)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value if _printable(value) else format_int(value)
    if isinstance(value, Fraction):
        return rational_json(value)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value
