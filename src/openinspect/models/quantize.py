"""int8 variant of an exported model (static QDQ quantisation calibrated on training crops), and whether to keep it.

Imports ONNX Runtime's quantisation tools (and ``onnx``), never torch; run it at training time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
from onnxruntime.quantization.shape_inference import quant_pre_process

from openinspect.models.runtime import INPUT_NAME, OnnxModel


class _Crops(CalibrationDataReader):
    """Feeds calibration crops one at a time."""

    def __init__(self, images: np.ndarray) -> None:
        self._batches = iter([{INPUT_NAME: images[i : i + 1]} for i in range(len(images))])

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self._batches, None)


def quantize_int8(source: Path, target: Path, calibration: np.ndarray, ops: list[str] | None = None,
                  fp32_after: tuple[str, ...] = ()) -> None:
    """Write an int8 QDQ copy of ``source`` to ``target``.

    Args:
        source: float ONNX model as training exports it.
        target: where the int8 model goes; written to a temporary file first.
        calibration: ``(N, H, W, 3)`` uint8 RGB crops at the model input size, typically the training set.
        ops: quantise only these operator types (e.g. ``["Conv"]``); ``None``: every one ONNX Runtime can.
        fp32_after: operator types from which on the graph stays fp32: every node fed (directly or not) by a node
            of one of these types (an anomaly model's ``MatMul``: its bank search) is left unquantised.

    """
    target = Path(target)
    prepared = target.with_name(f".{target.name}.pre")
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
        excluded = downstream_nodes(onnx.load(str(prepared)), fp32_after) if fp32_after else []
        quantize_static(
            str(prepared),
            str(tmp),
            _Crops(calibration),
            quant_format=QuantFormat.QDQ,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=ops,
            nodes_to_exclude=excluded,
        )
        tmp.replace(target)
    finally:
        prepared.unlink(missing_ok=True)
        tmp.unlink(missing_ok=True)


def downstream_nodes(model: onnx.ModelProto, op_types: tuple[str, ...]) -> list[str]:
    """Names of the nodes of ``op_types`` and of every node their outputs reach (graphs list nodes in order)."""
    reached: set[str] = set()
    names = []
    for node in model.graph.node:
        if node.op_type in op_types or reached.intersection(node.input):
            reached.update(node.output)
            names.append(node.name)
    return names


INT8_TOLERANCE = 0.02
"""int8 is kept when its score on the evaluation crops is at most this much below fp32's."""
CALIBRATION_CROPS = 32
"""At most this many crops calibrate the int8 ranges (spread over the labelled crops)."""


INT8_VARIANTS: tuple[list[str] | None, ...] = (None, ["Conv"])
"""What is tried, in order, until one scores within tolerance: every operator, then the convolutions only (a Fast
classifier's nearest-neighbour distances lose too much in int8, its backbone does not)."""
TIMED_CALLS = 7
"""Calls of each precision, interleaved, whose medians decide whether int8 is faster."""
NO_FAST_INT8 = "this processor has no fast int8 dot product (AVX-512 VNNI, AVX-VNNI, AMX)"
"""Why a model stays fp32 where int8 cannot pay (see :func:`openinspect.models.runtime.fast_int8`)."""


@dataclass(frozen=True)
class PrecisionChoice:
    """Which precision a model version runs in, and the figures that decided it (kept in ``meta.json``)."""

    precision: str
    """``int8`` or ``fp32``."""
    reason: str
    metric: str = ""
    fp32: float | None = None
    int8: float | None = None
    crops: int = 0
    quantized: str = ""
    """The operators the int8 copy quantises: ``all`` or ``Conv``."""
    fp32_ms: float | None = None
    int8_ms: float | None = None
    """Median time of one crop through each, measured at training on this processor."""

    def record(self) -> dict[str, Any]:
        """The choice as ``meta.json`` keeps it (``int8`` key)."""
        return asdict(self)


def choose_precision(source: Path, target: Path, images: np.ndarray, targets: np.ndarray, kind: str,
                     fast: bool) -> PrecisionChoice:
    """Write an int8 copy of ``source`` to ``target``; keep it when it scores within tolerance of fp32 and runs faster.

    Only where it can pay: on a processor with a fast int8 dot product (``fast``, see
    :func:`openinspect.models.runtime.fast_int8`), for classifiers and segmenters (an anomaly model chooses at
    training, as its bank and threshold must come from the encoder it runs:
    :func:`openinspect.models.anomaly.choose_int8_encoder`). Both models judge the same
    labelled crops: balanced accuracy (classifiers) or mean pooled IoU over the pixel classes (segmenters); the
    variants of :data:`INT8_VARIANTS` are tried in turn until one is within :data:`INT8_TOLERANCE`. That one is
    kept when its median time on one crop is below fp32's. ``target`` is removed when int8 is not kept.

    Args:
        source: the exported fp32 model.
        target: where the int8 model goes.
        images: ``(N, H, W, 3)`` uint8 RGB labelled crops at the model input size.
        targets: ``(N,)`` class indices (classifiers) or ``(N, H, W)`` class maps (segmenters).
        kind: ``classifier``, ``segmenter`` or ``anomaly``.
        fast: the processor has a fast int8 dot product.
    """
    if kind not in _SCORES:
        return PrecisionChoice("fp32", f"{kind} models run in fp32")
    if not fast:
        return PrecisionChoice("fp32", NO_FAST_INT8)
    metric, score = _SCORES[kind]
    spread = np.linspace(0, len(images) - 1, min(len(images), CALIBRATION_CROPS)).astype(int)
    reference = OnnxModel(source, 1)
    fp32 = score(_run(reference, images), targets)
    for ops in INT8_VARIANTS:
        quantize_int8(source, target, images[spread], ops)
        quantized = OnnxModel(target, 1, "int8")
        int8 = score(_run(quantized, images), targets)
        if fp32 - int8 <= INT8_TOLERANCE:
            break
    compared = f"int8 {metric} {int8:.3f} vs fp32 {fp32:.3f} on {len(images)} labelled crops"
    measured = PrecisionChoice("fp32", compared, metric, round(fp32, 4), round(int8, 4), len(images),
                               "+".join(ops) if ops else "all")
    if fp32 - int8 > INT8_TOLERANCE:
        target.unlink()
        return replace(measured, reason=f"{compared}: beyond the {INT8_TOLERANCE} tolerance")
    fp32_ms, int8_ms = median_ms([reference, quantized], images[:1])
    timed = replace(measured, fp32_ms=round(fp32_ms, 2), int8_ms=round(int8_ms, 2))
    if int8_ms >= fp32_ms:
        target.unlink()
        return replace(timed, reason=f"{compared}, but not faster here: {int8_ms:.1f} vs {fp32_ms:.1f} ms a crop")
    return replace(timed, precision="int8", reason=f"{compared}: within the {INT8_TOLERANCE} tolerance; "
                                                   f"{int8_ms:.1f} vs {fp32_ms:.1f} ms a crop")


def median_ms(models: list[OnnxModel], batch: np.ndarray) -> list[float]:
    """Each model's median time on ``batch`` over :data:`TIMED_CALLS` interleaved calls, after one warm-up call."""
    times: list[list[float]] = [[] for _ in models]
    for call in range(TIMED_CALLS + 1):
        for model, spent in zip(models, times, strict=True):
            started = time.perf_counter()
            model.predict(batch)
            if call:
                spent.append((time.perf_counter() - started) * 1000)
    return [float(np.median(spent)) for spent in times]


def _run(model: OnnxModel, images: np.ndarray, batch: int = 8) -> np.ndarray:
    return np.concatenate([model.predict(images[i : i + batch]) for i in range(0, len(images), batch)])


def _balanced_accuracy(probs: np.ndarray, labels: np.ndarray) -> float:
    predicted = probs.argmax(1)
    return float(np.mean([np.mean(predicted[labels == c] == c) for c in np.unique(labels)]))


def _pooled_iou(masks: np.ndarray, truth: np.ndarray) -> float:
    """Mean over the pixel classes present in either of pooled IoU (1.0 when no class appears anywhere)."""
    classes = [c for c in np.union1d(np.unique(masks), np.unique(truth)) if c]
    return float(np.mean([np.sum((masks == c) & (truth == c)) / np.sum((masks == c) | (truth == c))
                          for c in classes])) if classes else 1.0


_SCORES: dict[str, tuple[str, Callable[[np.ndarray, np.ndarray], float]]] = {
    "classifier": ("balanced accuracy", _balanced_accuracy), "segmenter": ("pooled IoU", _pooled_iou)}
