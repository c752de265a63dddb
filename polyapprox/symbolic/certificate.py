"""The result of a symbolic check: ``Certificate`` (status, method, timing, exact counterexample)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from fractions import Fraction
from typing import Any

from polyapprox.core.rational import is_exact, rational_json

STATUSES = ("proved", "refuted", "unknown", "evidence")


def _out(v: Fraction | str | None) -> str | None:
    return v if v is None or isinstance(v, str) else rational_json(v)


def _in(v: Any) -> Fraction | str | None:
    if v is None:
        return None
    try:
        return Fraction(v)
    except (ValueError, ZeroDivisionError):
        return str(v)  # an irrational expression value (sympy text), or an abbreviated huge rational


def _plain(v: Any) -> Any:
    """Fractions as ("q", numerator, denominator) (plain ints: no decimal conversion), dicts value-wise."""
    if isinstance(v, Fraction):
        return ("q", v.numerator, v.denominator)
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    return v


def _unplain(v: Any) -> Any:
    if isinstance(v, tuple) and len(v) == 3 and v[0] == "q":
        return Fraction(v[1], v[2])
    if isinstance(v, dict):
        return {k: _unplain(x) for k, x in v.items()}
    return v


@dataclass(frozen=True, repr=False)
class Certificate:
    """Outcome of ``prove_equal`` / ``evidence``.

    ``status``: proved (for every point of the domain), refuted (an exact point where the values differ,
    verified by exact evaluation), unknown (neither), evidence (agreement at sampled points only; never a
    proof). ``method``: algebraic, regionwise-1d, regionwise-box or sampling. ``regions``: the number of
    cells proved (region-wise methods), else 0. ``counterexample``: variable name -> exact rational.
    ``net_value`` / ``expr_value``: the differing output's exact values there (``expr_value`` is sympy
    text when it is irrational). ``output``: the index of that output.
    """

    status: str
    method: str
    seconds: float
    regions: int = 0
    counterexample: dict[str, Fraction] | None = None
    net_value: Fraction | None = None
    expr_value: Fraction | str | None = None
    detail: str = ""
    output: int | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status: {self.status!r} not in {STATUSES}")

    def __repr__(self) -> str:
        """One line with exact rationals written 'p/q' (not ``Fraction(p, q)``)."""
        parts = [f"status={self.status}", f"method={self.method}", f"seconds={self.seconds:.3f}"]
        if self.regions:
            parts.append(f"regions={self.regions}")
        if self.counterexample is not None:
            at = ", ".join(f"{k}={v}" for k, v in self.counterexample.items())
            parts.append(f"counterexample={{{at}}}")
        parts += [f"{k}={getattr(self, k)}" for k in ("net_value", "expr_value", "output")
                  if getattr(self, k) is not None]
        if self.detail:
            parts.append(f"detail={self.detail!r}")
        return f"Certificate({', '.join(parts)})"

    __str__ = __repr__

    @property
    def proved(self) -> bool:
        return self.status == "proved"

    @property
    def exact(self) -> bool:
        """Whether every rational of the certificate prints exactly (else ``to_dict`` abbreviates some)."""
        values = [*(self.counterexample or {}).values(), self.net_value, self.expr_value]
        return all(is_exact(v) for v in values if isinstance(v, Fraction))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; rationals as strings 'p/q' (or 'p' for integers), abbreviated as
        '<1234...5678 (4,812 digits)>' beyond Python's int-string limit (then ``exact`` is false)."""
        cx = None if self.counterexample is None else {k: _out(v) for k, v in self.counterexample.items()}
        return {
            "status": self.status, "method": self.method, "seconds": self.seconds, "regions": self.regions,
            "counterexample": cx, "net_value": _out(self.net_value), "expr_value": _out(self.expr_value),
            "output": self.output, "detail": self.detail, "exact": self.exact,
        }

    def to_plain(self) -> dict[str, Any]:
        """Every field as plain data (rationals as integer pairs, exact at any size): for a worker's pipe."""
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_plain(cls, doc: dict[str, Any]) -> Certificate:
        return cls(**{k: _unplain(v) for k, v in doc.items()})

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Certificate:
        cx = doc.get("counterexample")
        net_value = _in(doc.get("net_value"))
        return cls(
            status=doc["status"], method=doc["method"], seconds=float(doc["seconds"]),
            regions=int(doc.get("regions", 0)),
            counterexample=None if cx is None else {k: _in(v) for k, v in cx.items()},
            net_value=net_value if isinstance(net_value, Fraction) else None,
            expr_value=_in(doc.get("expr_value")), detail=doc.get("detail", ""), output=doc.get("output"),
        )
