"""Pure ``Net -> Net`` operations: linear maps, composition, parallel stacking, sums, strict form.

All exact (docs/constructions.md §1.6): ``compose`` merges adjacent affine maps (depths add, the merged matrix
is the exact product); ``parallel`` stacks layer by layer and equalises depths by appending identity
carrier layers; ``add`` is ``parallel`` followed by a summing output map. ``strict`` replaces hidden
identity units by ReLU pairs ``t = ReLU(t) - ReLU(-t)`` when a result must hold for pure PolyReLU networks.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from polyapprox.core.net import IDENTITY, RELU, Identity, Layer, Net, SparseMatrix, as_fraction
from polyapprox.errors import NetError


def linear(weight: object, bias: Sequence[object] | None = None, in_dim: int | None = None) -> Net:
    """The affine map x -> W x + b as a one-layer net of identity units."""
    layer = Layer.make(weight if isinstance(weight, SparseMatrix) or in_dim is None
                       else SparseMatrix.from_dense(weight, in_dim), bias)  # type: ignore[arg-type]
    return Net(layer.in_dim, (layer,))


def identity_net(d: int) -> Net:
    """x -> x on R^d (one affine layer)."""
    return Net(d, (Layer(SparseMatrix.identity(d), (Fraction(0),) * d, (IDENTITY,) * d),))


def _merge_affine(first: Layer, second: Layer) -> Layer:
    """second(first(x)) where ``first`` is affine: W = W2 W1, b = W2 b1 + b2, activations of ``second``."""
    w = second.weight.matmul(first.weight)
    b = [bi + ci for bi, ci in zip(second.weight.apply(first.bias), second.bias, strict=True)]
    return Layer(w, tuple(b), second.activations)


def compose(f: Net, g: Net) -> Net:
    """f o g (g first). Adjacent affine layers are merged exactly, so depths add."""
    if f.in_dim != g.out_dim:
        raise NetError(f"compose: f takes {f.in_dim} inputs but g gives {g.out_dim}")
    if g.layers[-1].is_affine:
        merged = _merge_affine(g.layers[-1], f.layers[0])
        return Net(g.in_dim, g.layers[:-1] + (merged,) + f.layers[1:])
    return Net(g.in_dim, g.layers + f.layers)


def _carrier(width: int) -> Layer:
    return Layer(SparseMatrix.identity(width), (Fraction(0),) * width, (IDENTITY,) * width)


def pad_depth(net: Net, n_layers: int) -> Net:
    """Append identity carrier layers (of the output width) until ``net`` has ``n_layers`` layers."""
    extra = n_layers - len(net.layers)
    if extra < 0:
        raise NetError(f"pad_depth: net has {len(net.layers)} layers > {n_layers}")
    return Net(net.in_dim, net.layers + tuple(_carrier(net.out_dim) for _ in range(extra)))


def _block_diag(blocks: Sequence[SparseMatrix], share_columns: bool) -> SparseMatrix:
    rows = sum(b.shape[0] for b in blocks)
    cols = blocks[0].shape[1] if share_columns else sum(b.shape[1] for b in blocks)
    entries = []
    r0 = c0 = 0
    for b in blocks:
        entries.extend((r0 + i, c0 + j, v) for i, j, v in b.entries)
        r0 += b.shape[0]
        if not share_columns:
            c0 += b.shape[1]
    return SparseMatrix((rows, cols), tuple(entries))


def _common_dim(op: str, nets: Sequence[Net], attr: str) -> int:
    """The value of ``attr`` (in_dim / out_dim) shared by all ``nets``, else a NetError naming the culprit."""
    if not nets:
        raise NetError(f"{op}: no networks given")
    value = getattr(nets[0], attr)
    say = "takes {} inputs" if attr == "in_dim" else "has {} outputs"
    for k, n in enumerate(nets):
        if getattr(n, attr) != value:
            raise NetError(f"{op}: nets[{k}] {say.format(getattr(n, attr))}, nets[0] {say.format(value)}")
    return value


def parallel(*nets: Net) -> Net:
    """x -> (f_1(x), ..., f_k(x)): all nets read the same input; depths equalised by carriers."""
    d = _common_dim("parallel", nets, "in_dim")
    depth = max(len(n.layers) for n in nets)
    padded = [pad_depth(n, depth) for n in nets]
    layers = []
    for k in range(depth):
        parts = [n.layers[k] for n in padded]
        layers.append(Layer(
            _block_diag([p.weight for p in parts], share_columns=(k == 0)),
            tuple(b for p in parts for b in p.bias),
            tuple(a for p in parts for a in p.activations),
        ))
    return Net(d, tuple(layers))


def add(*nets: Net, weights: Sequence[object] | None = None) -> Net:
    """x -> sum_k weights[k] * f_k(x) (weights default to 1); all nets share in_dim and out_dim."""
    m = _common_dim("add", nets, "out_dim")
    ws = [as_fraction(w, f"weights[{k}]") for k, w in enumerate(weights)] if weights else [Fraction(1)] * len(nets)
    if len(ws) != len(nets):
        raise NetError(f"add: {len(ws)} weights for {len(nets)} nets")
    summing = SparseMatrix((m, m * len(nets)), tuple(
        (i, k * m + i, w) for k, w in enumerate(ws) for i in range(m)))
    return compose(linear(summing), parallel(*nets))


def scale(net: Net, c: object) -> Net:
    """x -> c * net(x)."""
    q = as_fraction(c, "c")
    m = net.out_dim
    return compose(linear(SparseMatrix((m, m), tuple((i, i, q) for i in range(m)))), net)


def strict(net: Net) -> Net:
    """Equivalent net whose hidden layers hold PolyReLU units only (identity t -> ReLU(t) - ReLU(-t)).

    The last layer (the output map) keeps its identity units. Exact on all of R^d.
    """
    layers = list(net.layers)
    for k in range(len(layers) - 1):
        layer, nxt = layers[k], layers[k + 1]
        ident = [i for i, a in enumerate(layer.activations) if isinstance(a, Identity)]
        if not ident:
            continue
        # new unit order: every old unit, then a negated copy of each identity unit
        extra = {i: layer.out_dim + n for n, i in enumerate(ident)}
        rows = layer.weight.rows()
        entries = list(layer.weight.entries)
        entries += [(extra[i], j, -v) for i in ident for j, v in rows[i]]
        bias = list(layer.bias) + [-layer.bias[i] for i in ident]
        acts = [RELU if isinstance(a, Identity) else a for a in layer.activations] + [RELU] * len(ident)
        width = layer.out_dim + len(ident)
        new_layer = Layer(SparseMatrix((width, layer.in_dim), tuple(entries)), tuple(bias), tuple(acts))
        nxt_entries = list(nxt.weight.entries) + [(r, extra[c], -v) for r, c, v in nxt.weight.entries if c in extra]
        new_next = Layer(SparseMatrix((nxt.out_dim, width), tuple(nxt_entries)), nxt.bias, nxt.activations)
        layers[k], layers[k + 1] = new_layer, new_next
    return Net(net.in_dim, tuple(layers))
