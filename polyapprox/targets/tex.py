"""Catalogue targets as formulas (matplotlib mathtext), for figure titles and labels."""

from __future__ import annotations

#: catalogue ids as mathtext formulas
TEX = {"sin1": r"$\sin(2\pi x)$", "exp1": r"$e^{x}$", "exp2": r"$e^{x_1+2x_2}$", "exp3": r"$e^{x_1+2x_2-x_3}$",
       "gauss2": r"$e^{-|x-c|^2/\sigma^2}$", "runge1": r"$1/(1+25(x-1/2)^2)$",
       "sinsin2": r"$\sin(2\pi x_1)\sin(2\pi x_2+1)$"}


def tex_target(name: str) -> str:
    """The target's formula in mathtext when known, else its name."""
    return TEX.get(name, name)
