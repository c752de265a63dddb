"""THE parameter convention (docs/measurement.md §4), written once; every table and plot calls this.

* ``params`` (primary, "W_nnz"): nonzero weights + nonzero biases over all layers, output layer included.
  This is what Yarotsky (2017) counts and what every rate in polyapprox is fitted against.
* ``coefficients``: activation coefficients that are free in the per-unit network class (nonzero
  PolyReLU coefficients over all units); reported separately, never added to ``params``.
* ``dense``: sum_l (n_{l-1} + 1) n_l, the size of full matrices of the same widths. Never fit rates on it
  (widths ~N^d make it ~N^{2d}).
* ``units``: PolyReLU units; ``identity_units``: free identity carriers (not PolyReLU units).
* ``depth``: number of layers holding at least one PolyReLU unit (the hidden, nonlinear layers);
  ``layers``: all layers, the affine ones included; ``width``: the largest layer width, output excluded.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from polyapprox.core.net import Net, PolyReLU


@dataclass(frozen=True, slots=True)
class ParamCount:
    params: int
    weights: int
    biases: int
    coefficients: int
    dense: int
    units: int
    identity_units: int
    depth: int
    layers: int
    width: int

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


def count_params(net: Net) -> ParamCount:
    """Count ``net`` under the convention of this module's docstring."""
    weights = sum(layer.weight.nnz for layer in net.layers)
    biases = sum(1 for layer in net.layers for b in layer.bias if b != 0)
    units = identity = coefficients = depth = 0
    dense = 0
    prev = net.in_dim
    for layer in net.layers:
        dense += (prev + 1) * layer.out_dim
        prev = layer.out_dim
        poly = [a for a in layer.activations if isinstance(a, PolyReLU)]
        units += len(poly)
        identity += layer.out_dim - len(poly)
        coefficients += sum(1 for a in poly for c in a.coeffs if c != 0)
        depth += bool(poly)
    hidden = net.layers[:-1] or net.layers
    width = max(layer.out_dim for layer in hidden)
    return ParamCount(
        params=weights + biases,
        weights=weights,
        biases=biases,
        coefficients=coefficients,
        dense=dense,
        units=units,
        identity_units=identity,
        depth=depth,
        layers=len(net.layers),
        width=width,
    )
