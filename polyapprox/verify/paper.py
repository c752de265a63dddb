"""Exact checks of the paper's plain numbers: parameter matching (§4.1) and the fp16 overflow thresholds (§4.3).

Both are Fraction arithmetic: ``polyapprox verify --only paper.`` reproduces the two claims-table rows that
used to be "arithmetic" and a pytest command.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from polyapprox.verify.registry import register

#: the largest finite IEEE binary16 number, (2 - 2^-10) 2^15
FP16_MAX = (2 - Fraction(1, 2 ** 10)) * 2 ** 15
#: (r, lower, upper): FP16_MAX^(1/(2r)) lies in (lower, upper), so mean(x^(2r)) overflows for |x| >= upper
OVERFLOW_BRACKETS = ((3, Fraction("6.349"), Fraction("6.350")), (4, Fraction("3.9997"), Fraction("3.9998")))


@dataclass(frozen=True)
class ArithmeticCertificate:
    """The outcome of an exact arithmetic check (``status`` proved / refuted, what was computed)."""

    status: str
    method: str
    detail: str


def _certificate(failures: list[str], detail: str) -> ArithmeticCertificate:
    return ArithmeticCertificate("refuted" if failures else "proved", "exact integer / Fraction arithmetic",
                                 "; ".join(failures) or detail)


@register("paper.param_matching",
          "3 x 2048 x 5504 (SwiGLU, 3 matrices) = 2 x 2048 x 8256 (2-matrix FFN) parameters at d_model = 2048")
def param_matching() -> ArithmeticCertificate:
    swiglu, two = 3 * 2048 * 5504, 2 * 2048 * 8256
    bad = [] if swiglu == two else [f"{swiglu} != {two}"]
    return _certificate(bad, f"3 x 2048 x 5504 = {swiglu:,} = 2 x 2048 x 8256")


@register("paper.fp16_overflow",
          "x^6 exceeds the fp16 maximum 65504 iff |x| > 6.349..6.350; x^8 iff |x| > 3.9997..3.9998 (r = 3, 4)")
def fp16_overflow() -> ArithmeticCertificate:
    bad = [] if FP16_MAX == 65504 else [f"fp16 max {FP16_MAX} != 65504"]
    for r, lo, hi in OVERFLOW_BRACKETS:
        if not lo ** (2 * r) < FP16_MAX < hi ** (2 * r):
            bad.append(f"r={r}: 65504^(1/{2 * r}) not in ({lo}, {hi})")
    return _certificate(bad, ", ".join(f"r={r}: 65504^(1/{2 * r}) in ({lo}, {hi})" for r, lo, hi in OVERFLOW_BRACKETS))
