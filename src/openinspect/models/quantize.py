"""Optional int8 variant of an exported classifier: static QDQ quantisation calibrated on training crops.

Imports ONNX Runtime's quantisation tools (and ``onnx``), never torch; run it at training time.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
from onnxruntime.quantization.shape_inference import quant_pre_process

from openinspect.models.runtime import INPUT_NAME


class _Crops(CalibrationDataReader):
    """Feeds calibration crops one at a time."""

    def __init__(self, images: np.ndarray) -> None:
        self._batches = iter([{INPUT_NAME: images[i : i + 1]} for i in range(len(images))])

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self._batches, None)


def quantize_int8(source: Path, target: Path, calibration: np.ndarray) -> None:
    """Write an int8 QDQ copy of ``source`` to ``target``.

    Args:
        source: float ONNX classifier as written by ``TrainedClassifier.export_onnx``.
        target: where the int8 model goes; written to a temporary file first.
        calibration: ``(N, H, W, 3)`` uint8 RGB crops at the model input size, typically the training set.

    """
    target = Path(target)
    prepared = target.with_name(f".{target.name}.pre")
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
        quantize_static(
            str(prepared),
            str(tmp),
            _Crops(calibration),
            quant_format=QuantFormat.QDQ,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            per_channel=True,
        )
        tmp.replace(target)
    finally:
        prepared.unlink(missing_ok=True)
        tmp.unlink(missing_ok=True)
