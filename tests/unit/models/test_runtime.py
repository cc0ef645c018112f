from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from openinspect.models.runtime import OnnxModel


def test_runtime_import_does_not_import_torch() -> None:
    code = "import sys, openinspect.models.runtime, openinspect.models; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


@pytest.fixture(scope="module")
def identity_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch = pytest.importorskip("torch")
    from openinspect.models.export import export_onnx

    class Mean(torch.nn.Module):
        def forward(self, images: torch.Tensor) -> torch.Tensor:
            x = images.float().mean((1, 2))[:, :2]
            return x.softmax(1)

    path = tmp_path_factory.mktemp("onnx") / "mean.onnx"
    export_onnx(Mean(), (8, 6), path)
    return path


def test_onnx_model_reads_input_size_and_accepts_any_batch(identity_model: Path) -> None:
    model = OnnxModel(identity_model, threads=1)
    assert model.input_size == (8, 6)
    for n in (1, 5):
        probs = model.predict(np.zeros((n, 8, 6, 3), np.uint8))
        assert probs.shape == (n, 2)
        assert probs.dtype == np.float32
        np.testing.assert_allclose(probs.sum(1), 1.0, rtol=1e-6)


def test_onnx_model_rejects_wrong_shape_with_the_shape_in_the_message(identity_model: Path) -> None:
    model = OnnxModel(identity_model)
    with pytest.raises(ValueError, match=r"expected \(N, 8, 6, 3\) uint8, got \(1, 6, 8, 3\)"):
        model.predict(np.zeros((1, 6, 8, 3), np.uint8))


def test_export_leaves_no_temporary_file(identity_model: Path) -> None:
    assert [p.name for p in identity_model.parent.iterdir()] == ["mean.onnx"]


def _cpuinfo(tmp_path: Path, name: str, flags: str) -> Path:
    path = tmp_path / name
    path.write_text(f"processor\t: 0\nmodel name\t: Test CPU\nflags\t\t: fpu sse2 {flags}\n\nprocessor\t: 1\n")
    return path


def test_instruction_sets_read_the_kernel_flags_and_say_when_int8_is_fast(tmp_path: Path) -> None:
    from openinspect.models.runtime import REPORTED_SETS, fast_int8, instruction_sets

    avx2 = _cpuinfo(tmp_path, "avx2", "avx avx2 fma")
    vnni = _cpuinfo(tmp_path, "vnni", "avx2 avx512f avx512_vnni")
    amx = _cpuinfo(tmp_path, "amx", "avx2 amx_tile amx_int8")
    assert instruction_sets(avx2) == {"avx2": True, "avx512f": False, "avx512_vnni": False, "avx_vnni": False,
                                      "amx": False}
    assert not fast_int8(avx2)
    assert instruction_sets(vnni)["avx512_vnni"] and fast_int8(vnni)
    assert instruction_sets(amx)["amx"] and not instruction_sets(amx)["avx512f"] and fast_int8(amx)
    missing = instruction_sets(tmp_path / "none")
    assert list(missing) == list(REPORTED_SETS) and not any(missing.values()) and not fast_int8(tmp_path / "none")


def test_model_time_is_the_median_of_its_calls_and_the_settings_are_reported(identity_model: Path) -> None:
    model = OnnxModel(identity_model, threads=1)
    assert model.model_ms is None and model.precision == "fp32"
    for _ in range(3):
        model.predict(np.zeros((2, 8, 6, 3), np.uint8))
    assert model.model_ms is not None and model.model_ms > 0
    assert model.threads.describe() == {"intra_op_threads": 1, "inter_op_threads": 1, "spinning": False,
                                        "graph_optimization": "all", "execution_mode": "sequential"}
    assert OnnxModel(identity_model).threads.describe()["intra_op_threads"] >= 1  # the default, resolved


def test_int8_is_kept_within_tolerance_when_faster_and_not_tried_where_it_does_not_pay(
        identity_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from openinspect.models import quantize

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (12, 8, 6, 3), dtype=np.uint8)
    labels = OnnxModel(identity_model).predict(images).argmax(1)
    target = tmp_path / "model.int8.onnx"
    monkeypatch.setattr(quantize, "median_ms", lambda models, batch: [2.0, 1.0])  # int8 twice as fast
    kept = quantize.choose_precision(identity_model, target, images, labels, "classifier", fast=True)
    assert kept.precision == "int8" and target.is_file(), kept.reason
    assert kept.fp32 == 1.0 and kept.fp32 - (kept.int8 or 0.0) <= quantize.INT8_TOLERANCE and kept.crops == 12
    assert (kept.quantized, kept.fp32_ms, kept.int8_ms) == ("all", 2.0, 1.0)
    assert OnnxModel(target, 1, "int8").predict(images).shape == (12, 2)
    monkeypatch.setattr(quantize, "median_ms", lambda models, batch: [1.0, 1.5])  # accurate but slower: fp32
    slower = quantize.choose_precision(identity_model, target, images, labels, "classifier", fast=True)
    assert slower.precision == "fp32" and not target.exists() and "not faster here" in slower.reason
    monkeypatch.setattr(quantize, "INT8_TOLERANCE", -1.0)  # no variant is close enough: int8 is dropped
    dropped = quantize.choose_precision(identity_model, target, images, labels, "classifier", fast=True)
    assert dropped.precision == "fp32" and not target.exists() and "beyond" in dropped.reason
    assert dropped.quantized == "Conv"  # every variant was tried, the last was the convolutions only
    no_vnni = quantize.choose_precision(identity_model, target, images, labels, "classifier", fast=False)
    assert no_vnni.precision == "fp32" and not target.exists() and "no fast int8" in no_vnni.reason
    anomaly = quantize.choose_precision(identity_model, target, images, labels, "anomaly", fast=True)
    assert anomaly.precision == "fp32" and not target.exists()
