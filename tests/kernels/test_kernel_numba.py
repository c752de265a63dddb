"""The numba CPU kernels (``polyapprox.kernels.numba_kernels``) against the float64 reference, and the
switch and fallback around them.

Without numba these tests skip, unless ``POLYAPPROX_REQUIRE_NUMBA=1`` (set by ``.ci/run``), which turns a
missing numba into a failure. The first test to run compiles the kernels (or loads them from numba's
disk cache); ``pytest --durations`` shows how long that took.
"""

import os
import sys
import warnings
import zlib

import pytest
import torch

from polyapprox.kernels import _common as common
from polyapprox.kernels import compare_to_reference, polynorm, polyrelu, tolerance
from polyapprox.nn import polynorm_reference, polyrelu_reference

KERNELS = {"polynorm": (polynorm, polynorm_reference), "polyrelu": (polyrelu, polyrelu_reference)}
NAMES = {"polynorm": ("polynorm_forward", "polynorm_backward"), "polyrelu": ("polyrelu_forward", "polyrelu_backward")}
#: Odd widths, a single column, several PolyReLU blocks (> 16384 elements) and the threaded path
#: (> 32767 elements: the fixture lowers SERIAL_ELEMS).
SHAPES = [(1, 1), (3, 7), (5, 129), (2, 3, 33), (9, 4099)]


@pytest.fixture
def numba_kernels(monkeypatch):
    """numba_kernels with ``POLYAPPROX_KERNELS=numba`` (failures raise) and call counters on its entry points."""
    if not common.numba_available():
        if os.environ.get("POLYAPPROX_REQUIRE_NUMBA") == "1":
            pytest.fail("POLYAPPROX_REQUIRE_NUMBA=1 but numba is not installed")
        pytest.skip("numba is not installed")
    from polyapprox.kernels import numba_kernels as module

    monkeypatch.setenv(common.KERNELS_ENV, "numba")
    monkeypatch.setattr(common, "_BROKEN", {})
    monkeypatch.setattr(module, "SERIAL_ELEMS", 32767)  # small test inputs take the threaded path too
    calls: list[str] = []
    for names in NAMES.values():
        for name in names:
            real = getattr(module, name)
            monkeypatch.setattr(module, name, lambda *a, _real=real, _name=name: calls.append(_name) or _real(*a))
    module.calls = calls
    return module


def _data(shape, order, dtype, seed):
    gen = torch.Generator().manual_seed(seed)
    x = (3 * torch.randn(*shape, generator=gen, dtype=torch.float64)).to(dtype)
    grad = torch.randn(*shape, generator=gen, dtype=torch.float64).to(dtype)
    weight = torch.randn(order, generator=gen, dtype=torch.float64).to(dtype)
    bias = torch.randn(1, generator=gen, dtype=torch.float64).to(dtype)
    return x, weight, bias, grad


def _check(name, x, weight, bias, grad):
    kernel, reference = KERNELS[name]
    errors = compare_to_reference(kernel, reference, x, weight, bias, grad)
    assert errors.forward <= tolerance(x.dtype), errors
    assert max(errors.dx, errors.dweight, errors.dbias) <= tolerance(x.dtype, grad=True), errors


@pytest.mark.parametrize("name", sorted(KERNELS))
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=str)
@pytest.mark.parametrize("order", [1, 2, 3, 4, 5])
def test_numba_matches_float64_reference(numba_kernels, name, dtype, order):
    for shape in SHAPES:
        x, weight, bias, grad = _data(shape, order, dtype, seed=zlib.crc32(repr((name, shape, order)).encode()))
        _check(name, x, weight, bias, grad)
    assert numba_kernels.calls.count(NAMES[name][0]) >= len(SHAPES)  # the numba path ran, forward ...
    assert numba_kernels.calls.count(NAMES[name][1]) >= len(SHAPES)  # ... and backward


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_numba_non_contiguous_large_and_tiny_rows(numba_kernels, name):
    x, weight, bias, grad = _data((300, 7), 3, torch.float32, seed=1)
    _check(name, x.t(), weight, bias, grad.t())  # (7, 300), not contiguous
    x, weight, bias, grad = _data((4, 9), 3, torch.float64, seed=2)
    _check(name, x * 2.0**100, weight, bias, grad)  # large rows: PolyNorm scales them by a power of two
    assert numba_kernels.calls


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_numba_empty_input_and_high_order_take_the_torch_path(numba_kernels, name):
    kernel, _ = KERNELS[name]
    x = torch.zeros(0, 5, requires_grad=True)
    y = kernel(x, torch.ones(3), torch.zeros(1))
    y.sum().backward()
    assert y.shape == (0, 5) and x.grad.shape == (0, 5)
    x, weight, bias, grad = _data((3, 11), common.NUMBA_MAX_ORDER + 1, torch.float64, seed=3)
    _check(name, x, weight, bias, grad)  # order 6: torch path, still exact
    assert numba_kernels.calls == []


@pytest.mark.parametrize("name", sorted(KERNELS))
@pytest.mark.parametrize("order", [1, 3, 5])
def test_numba_gradcheck_float64(numba_kernels, name, order):
    kernel, _ = KERNELS[name]
    x, weight, bias, _ = _data((3, 5), order, torch.float64, seed=order)
    if name == "polyrelu":  # keep finite differences off the kink at 0
        x = torch.sign(x) * (0.2 + x.abs())
    inputs = tuple(t.requires_grad_(True) for t in (x, weight, bias))
    assert torch.autograd.gradcheck(kernel, inputs)
    assert numba_kernels.calls


def _count_calls(monkeypatch, module, name):
    """Record the calls of ``module.name`` (then call the real one)."""
    real, seen = getattr(module, name), []
    monkeypatch.setattr(module, name, lambda *a: seen.append(a) or real(*a))
    return seen


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_numba_threads_follow_torch_and_give_the_same_bits(numba_kernels, monkeypatch, name):
    from polyapprox.kernels import omp_team

    kernel, _ = KERNELS[name]
    x, weight, bias, grad = _data((70, 1030), 3, torch.float32, seed=5)  # > TEAM_ELEMS elements

    def run():
        xg = x.clone().requires_grad_(True)
        out = kernel(xg, weight, bias)
        out.backward(grad)
        return out, xg.grad

    monkeypatch.setattr(torch, "get_num_threads", lambda: 1)
    team_calls = _count_calls(monkeypatch, omp_team, "run_on_team")
    single = run()
    assert team_calls == []  # one thread: the calling thread alone
    monkeypatch.setattr(torch, "get_num_threads", lambda: 3)
    if omp_team.team() is not None:
        assert all(torch.equal(a, b) for a, b in zip(run(), single, strict=True))  # spans are independent
        assert [call[3] for call in team_calls] == [3, 3]  # forward and backward on torch's team of 3
    monkeypatch.setattr(omp_team, "team", lambda: None)  # no team (macOS, Windows): our own pool
    pool_calls = _count_calls(monkeypatch, numba_kernels, "_pool")
    assert all(torch.equal(a, b) for a, b in zip(run(), single, strict=True))
    assert len(pool_calls) == 4  # two workers next to the calling thread, forward and backward


def test_omp_team_is_torchs_libgomp():
    from pathlib import Path

    from polyapprox.kernels import omp_team

    home = Path(torch.__file__).resolve().parent
    lines = [f"7f00-7f01 r-xp 0 08:01 1 {home}/lib/libgomp.so.1", "7f02-7f03 r-xp 0 08:01 2 /usr/lib/libgomp.so.1.0.0"]
    assert omp_team.libgomp_in("\n".join(lines)) == home / "lib/libgomp.so.1"  # torch's, not numba's
    assert omp_team.libgomp_in(lines[1]) == Path("/usr/lib/libgomp.so.1.0.0")  # the only one
    assert omp_team.libgomp_in("7f00-7f01 r-xp 0 08:01 1 /usr/lib/libc.so.6") is None
    if sys.platform == "linux" and "OpenMP" in torch.__config__.parallel_info():
        team = omp_team.team()  # CI's torch: the team must be found, with both thread-number functions
        assert team is not None and team.thread_num and team.num_threads


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_numba_fewer_tasks_than_spans(numba_kernels, monkeypatch, name):
    monkeypatch.setattr(torch, "get_num_threads", lambda: 2)
    for shape in [(3, 20000), (1, 40000), (2, 16385)]:  # 3, 1, 2 rows; 4, 3, 3 PolyReLU blocks
        x, weight, bias, grad = _data(shape, 2, torch.float64, seed=shape[0])
        _check(name, x, weight, bias, grad)


def test_numba_calls_from_several_threads(numba_kernels, monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    monkeypatch.setattr(torch, "get_num_threads", lambda: 2)
    weight, bias = torch.rand(3), torch.rand(1)
    inputs = [torch.randn(64, 1024, generator=torch.Generator().manual_seed(k)) for k in range(8)]
    expected = [polynorm(x, weight, bias) for x in inputs]
    with ThreadPoolExecutor(4) as pool:  # callers compete for the worker; the losers run their spans alone
        for _ in range(5):
            got = list(pool.map(lambda x: polynorm(x, weight, bias), inputs))
            assert all(torch.equal(a, b) for a, b in zip(got, expected, strict=True))


def test_fused_switch_and_missing_numba_use_the_torch_path(numba_kernels, monkeypatch):
    x = torch.randn(4, 6)
    weight, bias = torch.rand(3), torch.rand(1)
    monkeypatch.setenv(common.KERNELS_ENV, "fused")
    polynorm(x, weight, bias)
    assert numba_kernels.calls == []
    monkeypatch.setenv(common.KERNELS_ENV, "auto")
    monkeypatch.setattr(common, "numba_available", lambda: False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing optional package is not worth a warning
        polyrelu(x, weight, bias)
    assert numba_kernels.calls == []
    assert not common.use_numba(x, 3)
    assert not common.use_numba(x.half(), 3)


def test_broken_numba_falls_back_with_one_warning(numba_kernels, monkeypatch):
    monkeypatch.setenv(common.KERNELS_ENV, "auto")
    monkeypatch.setattr(common, "numba_available", lambda: True)

    def broken(*_args):
        raise RuntimeError("LLVM lowering failed")

    monkeypatch.setattr(numba_kernels, "polynorm_forward", broken)
    x, weight, bias, grad = _data((3, 8), 3, torch.float32, seed=4)
    with pytest.warns(RuntimeWarning, match="numba kernel failed .*LLVM lowering failed.*torch path"):
        _check("polynorm", x, weight, bias, grad)
    assert not common.use_numba(x, 3)  # switched off for the process
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _check("polyrelu", x, weight, bias, grad)  # no second warning
    monkeypatch.setattr(common, "_BROKEN", {})
    monkeypatch.setenv(common.KERNELS_ENV, "numba")
    with pytest.raises(RuntimeError, match="LLVM"):
        polynorm(x, weight, bias)  # asked for numba explicitly: no silent fallback


def test_forked_child_uses_the_torch_path(numba_kernels, monkeypatch):
    x = torch.randn(4, 6)
    polynorm(x, torch.rand(3), torch.rand(1))  # records this process as the numba one
    assert common._NUMBA_PID == [os.getpid()]
    monkeypatch.setattr(common, "_NUMBA_PID", [os.getpid() + 1])  # as seen from a fork()ed child
    assert not common.use_numba(x, 3)


@pytest.mark.parametrize("order", [1, 3, 5])
def test_numba_polynorm_rows_that_overflow_unscaled(numba_kernels, order):
    """The forward first sums x**(2p) unscaled; rows where that overflows (or holds a NaN) are redone with the
    power-of-two scale. Mixed in one call: each row matches the float64 reference where that does not
    overflow itself, every output is finite, a NaN row is NaN and touches no other row."""
    gen = torch.Generator().manual_seed(order)
    magnitudes = [1.0, 3e3, 1e7, 1e20, 3e38, 1e-30]  # float32 x**(2r) overflows from ~2.6e6 (r=3), 7e3 (r=5)
    x = torch.cat([m * (2 * torch.rand(1, 37, generator=gen, dtype=torch.float64) - 1) for m in magnitudes])
    x[:, 0] = torch.tensor(magnitudes, dtype=torch.float64)  # the max |x| of each row
    weight = torch.randn(order, generator=gen, dtype=torch.float64)
    bias = torch.randn(1, generator=gen, dtype=torch.float64)
    x32 = x.float()
    got = polynorm(x32, weight.float(), bias.float())
    want = polynorm_reference(x32.double(), weight, bias)
    exact = torch.tensor(magnitudes, dtype=torch.float64) ** (2 * order) < torch.finfo(torch.float64).max
    assert ((got[exact].double() - want[exact]).abs() / (1 + want[exact].abs())).max() <= tolerance(torch.float32)
    assert torch.isfinite(got).all()  # also the row whose float64 plain formula overflows
    x32[2, 5] = float("nan")
    with_nan = polynorm(x32, weight.float(), bias.float())
    assert torch.isnan(with_nan[2]).all()
    others = [0, 1, 3, 4, 5]
    assert torch.equal(with_nan[others], got[others])
    assert numba_kernels.calls.count("polynorm_forward") == 2


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=str)
def test_numba_polynorm_unscaled_and_scaled_rows_give_the_same_bits(numba_kernels, dtype):
    """With eps = 0 PolyNorm is invariant under x -> 2**k x. Row 0 takes the unscaled sums, row 1 = 2**k row 0
    overflows them and takes the power-of-two scale: a power of two changes no rounding, so the bits agree."""
    gen = torch.Generator().manual_seed(7)
    k = 100 if dtype == torch.float32 else 900
    row = (4 * torch.rand(1, 301, generator=gen, dtype=torch.float64) - 2).to(dtype)
    x = torch.cat([row, row * 2.0**k])
    assert not torch.isfinite((x[1].double() ** 10).to(dtype)).all()  # row 1 overflows unscaled
    weight, bias = torch.randn(5, generator=gen, dtype=dtype), torch.randn(1, generator=gen, dtype=dtype)
    out = polynorm(x, weight, bias, 0.0)
    assert torch.equal(out[0], out[1])
