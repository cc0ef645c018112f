"""Write a torch classifier to one self-contained ONNX file, atomically."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import torch
from torch import nn

from openinspect.models.runtime import INPUT_NAME, OUTPUT_NAME

OPSET = 18
_REGISTRY_LOG = logging.getLogger("torch.onnx._internal.exporter._registration")
"""Warns 'torchvision is not installed' for every torchvision op it skips; our models use none, so export mutes it."""


def export_onnx(net: nn.Module, input_size: tuple[int, int], path: Path, output_name: str = OUTPUT_NAME, *,
                traced: bool = False) -> None:
    """Export ``net`` (uint8 NHWC images in, probabilities out) with a dynamic batch axis.

    Args:
        net: module mapping ``(N, H, W, 3)`` uint8 RGB to ``(N, C)`` float32 probabilities.
        input_size: the fixed ``(H, W)``.
        path: destination; written to a temporary file first, then moved into place.
        output_name: name of the graph output (segmenters: ``mask``, a uint8 class map).
        traced: use torch's TorchScript-tracing exporter instead of ``torch.export``. For the Fast classifier it
            is what keeps training in seconds: 2.5 s of CPU instead of 14-19 s for the same graph (outputs equal
            within 2e-6; bench/README.md, "Fast training time"). torch deprecates it; tests check its output.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    dummy = torch.zeros((2, *input_size, 3), dtype=torch.uint8)
    net.eval()
    level = _REGISTRY_LOG.level
    _REGISTRY_LOG.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            # torch's exporters trip over their own deprecations (the tracer is one); they say nothing of our graph.
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            if traced:
                torch.onnx.export(net, (dummy,), str(tmp), input_names=[INPUT_NAME], output_names=[output_name],
                                  dynamic_axes={INPUT_NAME: {0: "batch"}, output_name: {0: "batch"}},
                                  opset_version=OPSET, dynamo=False)
            else:
                torch.onnx.export(net, (dummy,), str(tmp), input_names=[INPUT_NAME], output_names=[output_name],
                                  dynamic_shapes=({0: torch.export.Dim("batch", min=1, max=1024)},),
                                  opset_version=OPSET, dynamo=True, external_data=False, optimize=True, verbose=False)
        tmp.replace(path)
    finally:
        _REGISTRY_LOG.setLevel(level)
        tmp.unlink(missing_ok=True)
