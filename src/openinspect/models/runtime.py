"""The station's inference path: one ONNX session per model, fed raw crops, returning its output.

This module imports numpy and ONNX Runtime only, never torch: the graph written by training
already holds the normalisation, the layout change and the softmax. It also says what the processor
offers (:func:`instruction_sets`), which decides whether a model runs in int8 (:func:`fast_int8`).
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import onnxruntime as ort

INPUT_NAME = "image"
"""Graph input: ``(N, H, W, 3)`` uint8 RGB, dynamic ``N``, fixed ``H`` and ``W``."""
OUTPUT_NAME = "probs"
"""Graph output: ``(N, C)`` float32 class probabilities."""
CPUINFO = Path("/proc/cpuinfo")
REPORTED_SETS = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx")
"""The instruction sets that decide how fast a model runs on a CPU, as ``openinspect info`` reports them."""
FAST_INT8_SETS = ("avx512_vnni", "avx_vnni", "amx")
"""Any of these gives the processor a fast int8 dot product: int8 models then run faster than fp32."""
RECENT_CALLS = 100
"""How many of a model's latest calls its :attr:`OnnxModel.model_ms` is the median of."""


def instruction_sets(cpuinfo: Path = CPUINFO) -> dict[str, bool]:
    """Which of :data:`REPORTED_SETS` the processor has, from the kernel's CPU flags; all ``False`` when unreadable.

    ``amx`` is AMX with int8 tiles (flag ``amx_int8``).
    """
    flags = _cpu_flags(cpuinfo)
    return {name: ("amx_int8" if name == "amx" else name) in flags for name in REPORTED_SETS}


def fast_int8(cpuinfo: Path = CPUINFO) -> bool:
    """Whether the processor has a fast int8 dot product (AVX-512 VNNI, AVX-VNNI or AMX)."""
    found = instruction_sets(cpuinfo)
    return any(found[name] for name in FAST_INT8_SETS)


@cache
def _cpu_flags(cpuinfo: Path) -> frozenset[str]:
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:  # not Linux, or no /proc: report nothing rather than guess
        return frozenset()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            return frozenset(value.split())
    return frozenset()


@dataclass(frozen=True)
class ThreadSettings:
    """How ONNX Runtime runs one model session on the CPU."""

    intra_op: int
    """Threads one operator may use (``0``: ONNX Runtime's default, one per physical core)."""
    inter_op: int = 1
    """Operators run one after the other (sequential execution): these graphs are chains."""
    spinning: bool = False
    """Whether idle worker threads spin waiting for work; off, so a shared or busy CPU is not taken from others."""
    graph_optimization: str = "all"
    """ONNX Runtime's graph optimisation level: constant folding, node fusions and layout changes."""

    @classmethod
    def of(cls, threads: int | None) -> ThreadSettings:
        """The settings for ``threads`` intra-op threads (``None``: ONNX Runtime's default)."""
        return cls(threads or 0)

    def session_options(self) -> ort.SessionOptions:
        """These settings as ONNX Runtime session options."""
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.intra_op
        options.inter_op_num_threads = self.inter_op
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.add_session_config_entry("session.intra_op.allow_spinning", "1" if self.spinning else "0")
        options.add_session_config_entry("session.inter_op.allow_spinning", "0")
        return options

    def describe(self) -> dict[str, int | bool | str]:
        """What ``openinspect info`` and the status show; ``intra_op_threads`` resolved to a number."""
        return {"intra_op_threads": self.intra_op or os.cpu_count() or 1, "inter_op_threads": self.inter_op,
                "spinning": self.spinning, "graph_optimization": self.graph_optimization,
                "execution_mode": "sequential"}


class OnnxModel:
    """A model exported by training (classifier, segmenter or anomaly), run by ONNX Runtime on the CPU.

    Attributes:
        input_size: the ``(height, width)`` every crop must be resized to before :meth:`predict`.
        precision: ``fp32`` or ``int8``, as the caller loaded it.
        threads: the session's thread settings.
    """

    def __init__(self, path: Path | bytes, threads: int | None = None, precision: str = "fp32") -> None:
        """Open a session on ``path`` or a serialised graph; ``threads`` caps intra-op threads (``None``: default)."""
        self.threads = ThreadSettings.of(threads)
        self.precision = precision
        source = path if isinstance(path, bytes) else str(path)
        self._session = ort.InferenceSession(source, self.threads.session_options(), providers=["CPUExecutionProvider"])
        shape = self._session.get_inputs()[0].shape
        self.input_size: tuple[int, int] = (int(shape[1]), int(shape[2]))
        self._output = self._session.get_outputs()[0].name  # classifiers: "probs", segmenters: "mask"
        self._recent: deque[float] = deque(maxlen=RECENT_CALLS)
        self._lock = threading.Lock()

    def predict(self, batch: np.ndarray) -> np.ndarray:
        """Run the model on a batch of crops in one call, and note the call's time (:attr:`model_ms`).

        Args:
            batch: ``(N, H, W, 3)`` uint8 RGB in ``[0, 255]``, with ``(H, W) == input_size``.

        Returns:
            The graph's output for the batch: classifiers ``(N, C)`` float32 probabilities, each row summing to 1.

        Raises:
            ValueError: the batch has the wrong shape or dtype.
        """
        expected = (*self.input_size, 3)
        if batch.dtype != np.uint8 or batch.ndim != 4 or batch.shape[1:] != expected:
            raise ValueError(f"expected (N, {expected[0]}, {expected[1]}, 3) uint8, got {batch.shape} {batch.dtype}")
        started = time.perf_counter()
        (output,) = self._session.run([self._output], {INPUT_NAME: np.ascontiguousarray(batch)})
        with self._lock:
            self._recent.append((time.perf_counter() - started) * 1000)
        return output

    @property
    def model_ms(self) -> float | None:
        """Median time of the latest calls (up to :data:`RECENT_CALLS`), in ms; ``None`` before the first."""
        with self._lock:
            recent = list(self._recent)
        return float(np.median(recent)) if recent else None
