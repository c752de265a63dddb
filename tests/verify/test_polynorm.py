"""The PolyNorm / PolyReLU gradient checks prove the true closed forms and refute perturbed ones."""

from __future__ import annotations

from polyapprox.verify import polynorm


def test_polynorm_backward_proved() -> None:
    assert polynorm.polynorm_backward().status == "proved"


def test_polynorm_backward_refutes_wrong_width() -> None:
    bad = polynorm.polynorm_backward_failures(H=2, orders=(1,), closed_width=3)
    assert bad == ["r=1: dL/dx0", "r=1: dL/dx1"]


def test_rms_vs_l2_proved() -> None:
    assert polynorm.rms_vs_l2().status == "proved"


def test_polyrelu_backward_proved() -> None:
    assert polynorm.polyrelu_backward().status == "proved"


def test_polyrelu_backward_refutes_nonzero_slope_on_negative_side() -> None:
    bad = polynorm.polyrelu_backward_failures(orders=(1,), slope_on_negative=1)
    assert bad == ["x<0, r=1: dL/dx"]
