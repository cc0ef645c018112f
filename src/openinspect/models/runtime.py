"""The station's inference path: one ONNX classifier session, fed raw crops, returning probabilities.

This module imports numpy and ONNX Runtime only, never torch: the graph written by training
already holds the normalisation, the layout change and the softmax.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort

INPUT_NAME = "image"
"""Graph input: ``(N, H, W, 3)`` uint8 RGB, dynamic ``N``, fixed ``H`` and ``W``."""
OUTPUT_NAME = "probs"
"""Graph output: ``(N, C)`` float32 class probabilities."""


class OnnxModel:
    """A classifier exported by :meth:`openinspect.models.classifier.TrainedClassifier.export_onnx`.

    Attributes:
        input_size: the ``(height, width)`` every crop must be resized to before :meth:`predict`.
    """

    def __init__(self, path: Path, threads: int | None = None) -> None:
        """Open a session on ``path``; ``threads`` caps intra-op threads (``None``: ONNX Runtime's default)."""
        options = ort.SessionOptions()
        if threads is not None:
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        shape = self._session.get_inputs()[0].shape
        self.input_size: tuple[int, int] = (int(shape[1]), int(shape[2]))
        self._output = self._session.get_outputs()[0].name  # classifiers: "probs", segmenters: "mask"

    def predict(self, batch: np.ndarray) -> np.ndarray:
        """Classify a batch of crops.

        Args:
            batch: ``(N, H, W, 3)`` uint8 RGB in ``[0, 255]``, with ``(H, W) == input_size``.

        Returns:
            ``(N, C)`` float32 probabilities; each row sums to 1.

        Raises:
            ValueError: the batch has the wrong shape or dtype.
        """
        expected = (*self.input_size, 3)
        if batch.dtype != np.uint8 or batch.ndim != 4 or batch.shape[1:] != expected:
            raise ValueError(f"expected (N, {expected[0]}, {expected[1]}, 3) uint8, got {batch.shape} {batch.dtype}")
        (output,) = self._session.run([self._output], {INPUT_NAME: np.ascontiguousarray(batch)})
        return output
