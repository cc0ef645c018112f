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


def export_onnx(net: nn.Module, input_size: tuple[int, int], path: Path, output_name: str = OUTPUT_NAME) -> None:
    """Export ``net`` (uint8 NHWC images in, probabilities out) with a dynamic batch axis.

    Args:
        net: module mapping ``(N, H, W, 3)`` uint8 RGB to ``(N, C)`` float32 probabilities.
        input_size: the fixed ``(H, W)``.
        path: destination; written to a temporary file first, then moved into place.
        output_name: name of the graph output (segmenters: ``mask``, a uint8 class map).
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    dummy = torch.zeros((2, *input_size, 3), dtype=torch.uint8)
    net.eval()
    level = _REGISTRY_LOG.level
    _REGISTRY_LOG.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            # torch's exporter trips over its own deprecations; they say nothing about our graph.
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            torch.onnx.export(
                net,
                (dummy,),
                str(tmp),
                input_names=[INPUT_NAME],
                output_names=[output_name],
                dynamic_shapes=({0: torch.export.Dim("batch", min=1, max=1024)},),
                opset_version=OPSET,
                dynamo=True,
                external_data=False,
                optimize=True,
                verbose=False,
            )
        tmp.replace(path)
    finally:
        _REGISTRY_LOG.setLevel(level)
        tmp.unlink(missing_ok=True)
