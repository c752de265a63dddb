"""Box-by-box certificates of the PUT-PolyReLU construction: proofs succeed, and fail on a wrong formula."""

from __future__ import annotations

from fractions import Fraction

import pytest

from polyapprox.construct.sobolev import put_net
from polyapprox.verify.sobolev import (
    CHECKS,
    _random_coeffs,
    boxes,
    partition_of_unity,
    prove_net_formula,
)


@pytest.mark.parametrize("cid,statement,fn", CHECKS, ids=[c[0] for c in CHECKS])
def test_registered_checks_prove(cid: str, statement: str, fn) -> None:
    cert = fn()
    assert cert.proved, cert.detail
    assert cert.boxes > 0 and statement


def test_wrong_coefficient_is_refuted_with_the_box() -> None:
    coeffs = _random_coeffs(1, 2, 2, seed=3)
    net = put_net(coeffs, 1, 2, 2)
    wrong = dict(coeffs)
    key = ((1,), (1,))
    wrong[key] = wrong[key] + Fraction(1, 1000)
    cert = prove_net_formula(net, wrong, 1, 2, 2)
    assert not cert.proved and "difference" in cert.detail


def test_boxes_tile_the_cube() -> None:
    bx = boxes(2, 2)
    assert len(bx) == 36
    assert sum((hi0 - lo0) * (hi1 - lo1) for (lo0, hi0), (lo1, hi1) in bx) == 1
    assert partition_of_unity(1, 1).proved
