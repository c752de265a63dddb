"""Triton back end: in Triton's interpreter on CPU tensors (every CI run) and on CUDA (marked ``gpu``),
against the float64 reference; the back-end switch, the fallback, and ``-m gpu`` without CUDA.

The interpreter tests need the ``triton`` package (``.ci/run`` installs it and sets
``POLYAPPROX_REQUIRE_TRITON=1``, which turns a missing triton into a failure instead of a skip).
"""

import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import torch

import polyapprox.kernels._common as common
from polyapprox.errors import ConfigError
from polyapprox.kernels import compare_to_reference, polynorm, polyrelu, triton_available
from polyapprox.kernels._common import use_triton
from polyapprox.nn import polynorm_reference, polyrelu_reference

ROOT = Path(__file__).resolve().parents[2]

KERNELS = {"polynorm": (polynorm, polynorm_reference), "polyrelu": (polyrelu, polyrelu_reference)}


def test_module_imports_without_triton():
    from polyapprox.kernels import triton_kernels

    assert triton_kernels.AVAILABLE == triton_available()


def test_cpu_tensors_never_use_triton(monkeypatch):
    monkeypatch.delenv(common.KERNELS_ENV, raising=False)
    assert not use_triton(torch.zeros(2, 3))


def test_row_block_is_power_of_two_and_capped():
    from polyapprox.kernels.triton_kernels import MAX_TILE, _row_block

    for width in (1, 7, 129, 4096, 100_000):
        for rp in (2, 4, 8):
            block = _row_block(width, rp)
            assert block & (block - 1) == 0
            assert block * rp <= max(MAX_TILE, 16 * rp)
            assert block >= min(width, MAX_TILE // rp)


needs_triton = pytest.mark.skipif(
    not (torch.cuda.is_available() and triton_available()), reason="needs CUDA and triton"
)


@pytest.mark.gpu
@needs_triton
@pytest.mark.parametrize("name", sorted(KERNELS))
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float16], ids=str)
@pytest.mark.parametrize("shape", [(1, 1), (3, 7), (5, 129), (2, 3, 33), (4, 5000), (3, 70_000)], ids=str)
@pytest.mark.parametrize("order", [1, 2, 3, 5])
def test_triton_matches_float64_reference(name, dtype, shape, order):
    kernel, reference = KERNELS[name]
    gen = torch.Generator(device="cuda").manual_seed(order)
    x = torch.randn(*shape, device="cuda", generator=gen).to(dtype)
    grad = torch.randn(*shape, device="cuda", generator=gen).to(dtype)
    weight = torch.randn(order, device="cuda", generator=gen)
    bias = torch.randn(1, device="cuda", generator=gen)
    assert use_triton(x)
    errors = compare_to_reference(kernel, reference, x, weight, bias, grad)
    assert errors.within_tolerance(), errors


@pytest.mark.gpu
@needs_triton
@pytest.mark.parametrize("name", sorted(KERNELS))
def test_triton_non_contiguous_input(name):
    kernel, reference = KERNELS[name]
    x = torch.randn(64, 48, device="cuda").t()
    weight, bias = torch.rand(3, device="cuda"), torch.rand(1, device="cuda")
    errors = compare_to_reference(kernel, reference, x, weight, bias, torch.randn(48, 64, device="cuda"))
    assert errors.within_tolerance(), errors


# --- Triton's interpreter on CPU tensors: runs on every CI run ------------------------------------------


@pytest.fixture(scope="module")
def interpreted():
    """triton_kernels with its kernels built for the interpreter, and POLYAPPROX_KERNELS=triton."""
    if not triton_available():
        if os.environ.get("POLYAPPROX_REQUIRE_TRITON") == "1":
            pytest.fail("POLYAPPROX_REQUIRE_TRITON=1 but triton is not installed")
        pytest.skip("triton is not installed (CI installs it: .ci/run)")
    saved = {k: os.environ.get(k) for k in ("TRITON_INTERPRET", common.KERNELS_ENV)}
    os.environ.update({"TRITON_INTERPRET": "1", common.KERNELS_ENV: "triton"})
    from triton.runtime.interpreter import InterpretedFunction

    from polyapprox.kernels import triton_kernels

    if not isinstance(triton_kernels._polynorm_fwd_kernel, InterpretedFunction):
        pytest.fail("triton_kernels was imported before TRITON_INTERPRET=1 (set by tests/kernels/conftest.py)")
    yield triton_kernels
    for key, value in saved.items():
        os.environ.pop(key) if value is None else os.environ.__setitem__(key, value)


def _data(shape, dtype, order, seed, scale=1.0):
    gen = torch.Generator().manual_seed(seed)
    x = (torch.randn(shape, generator=gen) * scale).to(dtype)
    grad = torch.randn(shape, generator=gen).to(dtype)
    return x, torch.randn(order, generator=gen), torch.randn(1, generator=gen), grad


@pytest.mark.parametrize("name", sorted(KERNELS))
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float16], ids=str)
@pytest.mark.parametrize("order", [1, 2, 3, 4, 5])
def test_interpreted_triton_matches_float64_reference(interpreted, name, dtype, order):
    """Odd widths, a 0-d and a 3-d input, and rows wider than a block (width 5000 > BLOCK for every order)."""
    kernel, reference = KERNELS[name]
    for k, shape in enumerate([(), (1, 1), (3, 7), (2, 3, 33), (2, 5000)]):
        x, weight, bias, grad = _data(shape, dtype, order, seed=100 * order + k)
        assert use_triton(x)
        grad = grad.reshape(torch.broadcast_shapes(x.shape, (1,)))
        errors = compare_to_reference(kernel, reference, x, weight, bias, grad)
        assert errors.within_tolerance(), (shape, errors)


@pytest.mark.parametrize("order", [1, 3, 5])
def test_interpreted_triton_many_blocks_per_row(interpreted, order, monkeypatch):
    """A small tile cap forces 16-column blocks: 301 columns = 19 blocks, the last one partial."""
    monkeypatch.setattr(interpreted, "MAX_TILE", 16 * interpreted._rp(order))
    for name, (kernel, reference) in KERNELS.items():
        x, weight, bias, grad = _data((3, 301), torch.float32, order, seed=order)
        errors = compare_to_reference(kernel, reference, x, weight, bias, grad)
        assert errors.within_tolerance(), (name, errors)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16], ids=str)
def test_interpreted_triton_statistics_equal_torch_path(interpreted, dtype):
    """Same power-of-two row scale (bit-exact) and the same rho_p as the torch path, up to huge |x|."""
    from polyapprox.kernels.polynorm import polynorm_forward_torch

    x = torch.tensor([[3.0e38, 1.0, -2.0], [0.5, 0.25, 0.0], [0.0, 0.0, 0.0], [4.0, 1e-3, 3.0]])
    x = x.clamp(-torch.finfo(dtype).max, torch.finfo(dtype).max).to(dtype)
    weight, bias = torch.randn(5), torch.randn(1)
    y_tr, stats_tr = interpreted.polynorm_forward(x, weight, bias, 1e-6)
    y_pt, stats_pt = polynorm_forward_torch(x, weight, bias, 1e-6)
    assert torch.equal(stats_tr[:, -1], stats_pt[:, -1])
    torch.testing.assert_close(stats_tr, stats_pt, rtol=1e-6, atol=0)
    assert torch.isfinite(y_tr).all()


# --- back-end switch and fallback ---------------------------------------------------------------------


def test_kernels_env_switch(monkeypatch):
    x = torch.randn(4, 6, requires_grad=True)
    weight, bias = torch.rand(3), torch.rand(1)
    monkeypatch.setenv(common.KERNELS_ENV, "reference")
    assert "PolyNormFunction" not in type(polynorm(x, weight, bias).grad_fn).__name__
    monkeypatch.setenv(common.KERNELS_ENV, "fused")
    assert "PolyNormFunction" in type(polynorm(x, weight, bias).grad_fn).__name__
    assert not use_triton(x)
    monkeypatch.setenv(common.KERNELS_ENV, "cuda-please")
    with pytest.raises(ConfigError, match="POLYAPPROX_KERNELS: unknown 'cuda-please'"):
        polyrelu(x, weight, bias)


def test_broken_triton_falls_back_with_one_warning(monkeypatch):
    monkeypatch.delenv(common.KERNELS_ENV, raising=False)
    monkeypatch.setattr(common, "_BROKEN", {})

    broken = RuntimeError("PTX compile failed")
    with pytest.warns(RuntimeWarning, match="Triton kernel failed .*PTX compile failed.*torch path"):
        assert common.fall_back("triton", broken, lambda: "torch path") == "torch path"
    assert not use_triton(torch.zeros(2, 2, dtype=torch.float16))  # switched off for the process
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert common.fall_back("triton", broken, lambda: "again") == "again"  # no second warning
    monkeypatch.setenv(common.KERNELS_ENV, "triton")
    with pytest.raises(RuntimeError, match="PTX"):
        common.fall_back("triton", broken, lambda: None)  # asked for triton explicitly: no silent fallback


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-CUDA message")
@pytest.mark.parametrize("where", ["tests/kernels/conftest.py", "tests/train/test_lm_defaults.py"])
def test_pytest_m_gpu_without_cuda_fails_with_one_line(where):
    """The root conftest's hook: for the kernel tests and for a folder outside tests/kernels alike."""
    cmd = [sys.executable, "-m", "pytest", "-m", "gpu", "-q", "-p", "no:cacheprovider", where]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 4  # pytest's usage-error exit code, not 0 ("all skipped")
    errors = [line for line in (done.stdout + done.stderr).splitlines() if "error" in line.lower()]
    assert errors == [
        "ERROR: pytest -m gpu: no CUDA device here (torch.cuda.is_available() is False); "
        "run the gpu tests on a GPU machine"
    ], errors
    assert "Traceback" not in done.stdout + done.stderr
