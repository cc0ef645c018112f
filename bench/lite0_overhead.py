"""What the product adds over a bare Lite0: ONNX Runtime time of the exported Accurate graph vs the bare network.

    python bench/lite0_overhead.py

Ours: uint8 NHWC in, normalisation and the avg+max head included, through ``OnnxModel`` (dynamo exporter),
and the same graph from the legacy TorchScript exporter. Bare: the backbone alone, float NCHW in, mean-pooled
head map out (legacy exporter), which is what a plain "Lite0 at 224 px" timing measures. Median of 100 calls
of one 224 px image, at ONNX Runtime's default threads, 1 and 2.
"""

from __future__ import annotations

import tempfile
import warnings
from functools import partial
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

from classifier import median_ms  # bench/ is on the path when this script runs
from openinspect.models.accurate import AccurateNet
from openinspect.models.backbone import EfficientNetLite, load_pretrained
from openinspect.models.classifier import TrainedClassifier
from openinspect.models.runtime import OnnxModel

SIDE = 224


class Bare(torch.nn.Module):
    """The backbone alone: float NCHW in, the mean-pooled head map out."""

    def __init__(self, backbone: EfficientNetLite) -> None:
        super().__init__()
        self.backbone = backbone

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, 3, H, W)`` normalised float -> ``(N, 1280)``."""
        return self.backbone(x)[2].mean((2, 3))


def main() -> None:
    torch.set_num_threads(2)
    folder = Path(tempfile.mkdtemp())
    net = AccurateNet(load_pretrained(), 2).eval()
    TrainedClassifier(net, (SIDE, SIDE)).export_onnx(folder / "ours.onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(Bare(net.backbone).eval(), (torch.zeros(1, 3, SIDE, SIDE),), str(folder / "bare.onnx"),
                          dynamo=False, opset_version=17)
        torch.onnx.export(net, (torch.zeros(1, SIDE, SIDE, 3, dtype=torch.uint8),), str(folder / "legacy.onnx"),
                          dynamo=False, opset_version=17, input_names=["image"], dynamic_axes={"image": {0: "n"}})
    image = np.zeros((1, SIDE, SIDE, 3), np.uint8)
    tensor = np.zeros((1, 3, SIDE, SIDE), np.float32)
    print("threads | ours (dynamo, OnnxModel) ms | ours (legacy exporter) ms | bare Lite0 ms | ours / bare")
    for threads in (None, 1, 2):
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        ours = OnnxModel(folder / "ours.onnx", threads)
        legacy = ort.InferenceSession(str(folder / "legacy.onnx"), options, providers=["CPUExecutionProvider"])
        bare = ort.InferenceSession(str(folder / "bare.onnx"), options, providers=["CPUExecutionProvider"])
        a = median_ms(partial(ours.predict, image), 100)
        b = median_ms(partial(legacy.run, None, {"image": image}), 100)
        c = median_ms(partial(bare.run, None, {bare.get_inputs()[0].name: tensor}), 100)
        print(f"{threads or 'default'} | {a:.2f} | {b:.2f} | {c:.2f} | {a / c:.2f}")


if __name__ == "__main__":
    main()
