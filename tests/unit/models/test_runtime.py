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
