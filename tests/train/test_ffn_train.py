"""Training loop, float64 callable and user-data loading of the FFN harness."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from polyapprox.errors import ConfigError, InvalidDataError
from polyapprox.train.ffn import (
    TrainConfig,
    load_data_file,
    numpy_callable,
    resolve_device,
    sample_dataset,
    split_dataset,
    train,
)
from polyapprox.train.ffn_model import FFN, init_ffn_

TINY = TrainConfig(steps=150, lbfgs_steps=25, eval_every=25, patience=100)


pytestmark = pytest.mark.usefixtures("one_thread")


def _square(x: np.ndarray) -> np.ndarray:
    return x[:, 0] ** 2


def _setup(activation: str = "relu2", seed: int = 0):
    data = sample_dataset(_square, 1, 128, 64, np.random.default_rng(seed))
    model = init_ffn_(FFN(1, 8, activation), torch.Generator().manual_seed(seed))
    return data, model


def _val_mse(model, data) -> float:
    with torch.no_grad():
        pred = model(torch.as_tensor(data.x_val))
    return float(torch.mean((pred - torch.as_tensor(data.y_val)) ** 2))


@pytest.mark.parametrize("activation", ["relu", "relu2", "gelu", "swiglu", "polyrelu", "polynorm"])
def test_training_lowers_validation_loss_and_keeps_the_best(activation):
    data, model = _setup(activation)
    initial = _val_mse(model, data)
    result = train(model, data, TINY)
    # returned model = best validation state: its recomputed loss is the reported one (same float64 ops)
    assert _val_mse(model, data) == result.val_loss
    assert result.init_val_loss == initial
    assert result.val_loss <= initial
    assert result.val_loss < 0.1 * initial  # x^2 with 8 units: far below the constant-ish start


def test_training_is_deterministic_given_the_seeds():
    r1 = train(_setup()[1], _setup()[0], TINY)
    r2 = train(_setup()[1], _setup()[0], TINY)
    assert (r1.train_loss, r1.val_loss, r1.adam_steps) == (r2.train_loss, r2.val_loss, r2.adam_steps)


def test_zero_steps_leaves_the_model_unchanged():
    data, model = _setup()
    before = [p.detach().clone() for p in model.parameters()]
    train(model, data, TrainConfig(steps=0, lbfgs_steps=0))
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))


def test_numpy_callable_is_the_float64_model():
    # Bitwise only against literally the same computation: the model on the same 7-row chunks of the same
    # array. Chunks against one whole batch would compare different BLAS kernels (blocking, FMA use), which
    # differ by an ulp on some CPUs (AVX-512); chunking itself must not change a value.
    data, model = _setup("polynorm")
    fn = numpy_callable(model, chunk=7)  # several chunks, the last one short
    x = np.random.default_rng(1).random((50, 1))
    with torch.no_grad():
        want = np.concatenate([model(torch.as_tensor(x[s:s + 7])).numpy() for s in range(0, 50, 7)])
        whole = model(torch.as_tensor(x)).numpy()
    np.testing.assert_array_equal(fn(x), want)
    np.testing.assert_array_equal(numpy_callable(model, chunk=50)(x), whole)  # one chunk = the whole batch


def test_npz_and_csv_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.random((20, 2)), rng.random(20)
    np.savez(tmp_path / "d.npz", x=x, y=y)
    np.savetxt(tmp_path / "d.csv", np.column_stack([x, y]), delimiter=",", header="x1,x2,y", comments="")
    for name in ("d.npz", "d.csv"):
        gx, gy = load_data_file(tmp_path / name)
        np.testing.assert_array_equal(gx, x) if name.endswith("npz") else np.testing.assert_allclose(gx, x, rtol=1e-15)
        assert gy.shape == (20,)
    parts = split_dataset(x, y, np.random.default_rng(0))
    sizes = (len(parts.y_train), len(parts.y_val), len(parts.y_test))
    assert sum(sizes) == 20 and min(sizes) >= 1


def test_nan_in_data_names_the_entry(tmp_path):
    x, y = np.zeros((12, 1)), np.zeros(12)
    x[7, 0] = np.nan
    np.savez(tmp_path / "bad.npz", x=x, y=y)
    with pytest.raises(InvalidDataError, match=r"x\[7, 0\] is nan"):
        load_data_file(tmp_path / "bad.npz")


@pytest.mark.parametrize("content, match", [
    ("1,2\n3,nan\n" * 6, r"y\[1\] is nan"),
    ("a,b\n1,x\n", "cannot read"),
], ids=["nan", "text"])
def test_bad_csv(tmp_path, content, match):
    (tmp_path / "d.csv").write_text(content)
    with pytest.raises(InvalidDataError, match=match):
        load_data_file(tmp_path / "d.csv")


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_without_gpu_is_a_config_error():
    with pytest.raises(ConfigError, match="no CUDA device"):
        resolve_device("cuda")
    assert resolve_device("auto") == "cpu"


@pytest.mark.parametrize("kwargs", [{"steps": -1}, {"eval_every": 0}, {"lr": 0.0}, {"dtype": "float16"}], ids=str)
def test_bad_train_config(kwargs):
    with pytest.raises(ConfigError):
        TrainConfig(**kwargs)


def test_lbfgs_runs_at_most_the_requested_iterations():
    data, model = _setup("gelu")
    result = train(model, data, TrainConfig(steps=0, lbfgs_steps=30, eval_every=25, patience=100))
    assert 0 < result.lbfgs_steps <= 30


def test_float32_training_is_measured_through_a_float64_copy():
    data, model = _setup("polyrelu")
    train(model, data, TrainConfig(steps=20, lbfgs_steps=0, dtype="float32"))
    assert all(p.dtype == torch.float32 for p in model.parameters())
    out = numpy_callable(model)(data.x_val)
    assert out.dtype == np.float64
    with torch.no_grad():
        want = model.double()(torch.as_tensor(data.x_val)).numpy()  # the float32 weights, evaluated in float64
    np.testing.assert_array_equal(out, want)
