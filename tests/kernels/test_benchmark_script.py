"""benchmarks/activations.py --quick prints one JSON document with every variant."""

import importlib.util
import json
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "activations.py"
VARIANTS = {
    "gelu", "relu2", "swiglu", "polyrelu_reference", "polynorm_reference", "polyrelu_fused", "polynorm_fused",
    "polyrelu_reference_compiled", "polynorm_reference_compiled",
}  # fmt: skip


def test_quick_benchmark_json(capsys):
    spec = importlib.util.spec_from_file_location("benchmark_activations", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--quick", "--device", "cpu"]) == 0
    top = json.loads(capsys.readouterr().out)
    assert top["baseline"] == "gelu"
    [doc] = top["runs"]
    [summary] = top["summary"]
    assert summary["goal"] is None and summary["polynorm_fused"] == doc["results"]["polynorm_fused"]["ratio_to_gelu"]
    assert set(doc["results"]) == VARIANTS
    assert doc["results"]["gelu"]["ratio_to_gelu"] == 1.0
    assert (doc["config"]["rows"], doc["config"]["cols"]) == (64, 256)
    for name in VARIANTS - {"polyrelu_reference_compiled", "polynorm_reference_compiled"}:
        result = doc["results"][name]
        assert result["seconds"] > 0
        assert result["saved_bytes"] > 0
    # ours keeps one input-sized tensor (+ tiny per-row statistics); the references keep several
    assert doc["results"]["polynorm_fused"]["saved_input_multiples"] < 1.1
    assert doc["results"]["polynorm_reference"]["saved_input_multiples"] >= 3
    assert "skipped" in doc["results"]["polynorm_reference_compiled"]["error"]
    assert doc["config"]["repeats"] == 2 and doc["config"]["repeats_asked"] == 2  # --quick sets it
    assert [module.auto_repeats(s) for s in (10.0, 0.1, 1e-6)] == [module.MIN_REPEATS, 20, module.MAX_REPEATS]


def test_gpu_check_fails_fast_without_cuda(capsys, tmp_path):
    import pytest
    import torch

    if torch.cuda.is_available():
        pytest.skip("checks the no-CUDA path")
    path = SCRIPT.parent / "gpu_check.py"
    spec = importlib.util.spec_from_file_location("gpu_check", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--out", str(tmp_path / "s.json")]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "gpu_check: no CUDA device (torch.cuda.is_available() is False); run it on a GPU machine"
    ]
    assert not (tmp_path / "s.json").exists()
