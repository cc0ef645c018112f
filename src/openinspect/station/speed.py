"""Why a station is as fast as it is: instruction sets, ONNX Runtime's threads, each model's precision and time.

``openinspect info`` prints it; ``GET /api/v1/status`` carries it.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import onnxruntime as ort

from openinspect.models.runtime import ThreadSettings, fast_int8, instruction_sets
from openinspect.station.pipeline import Inspector
from openinspect.station.runners import Runner


@dataclass(frozen=True)
class LoadedModel:
    """One loaded model of a recipe's inspection type."""

    recipe: str
    type: str
    kind: str
    """``classifier``, ``segmenter`` or ``anomaly``."""
    version: int
    precision: str
    """``fp32`` or ``int8``."""
    input_size: tuple[int, int]
    rois: int
    """The ROIs of the type: each capture runs them in one model call."""
    model_ms: float | None
    """Median time of the model's latest calls (one per capture), in ms; ``None`` before the first."""

    @classmethod
    def of(cls, recipe: str, type_name: str, runner: Runner, rois: int) -> LoadedModel:
        """Describe a runner's model now."""
        model = runner.model
        return cls(recipe, type_name, runner.spec.kind.value, runner.version.version, model.precision,
                   model.input_size, rois, model.model_ms)


@dataclass(frozen=True)
class SpeedReport:
    """The processor, ONNX Runtime's settings and the loaded models."""

    instruction_sets: dict[str, bool]
    fast_int8: bool
    """int8 models run here (see :func:`openinspect.models.runtime.fast_int8`)."""
    onnxruntime: str
    threads: dict[str, Any]
    """:meth:`ThreadSettings.describe` of every session."""
    cpus: int
    models: list[LoadedModel] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """As plain JSON types."""
        return asdict(self)


def speed_report(threads: int | None, inspectors: list[Inspector]) -> SpeedReport:
    """The report for sessions opened with ``threads`` (``Settings.threads``) and the models of ``inspectors``."""
    models = [LoadedModel.of(inspector.recipe.name, name, runner, len(inspector.recipe.rois_of(name)))
              for inspector in inspectors for name, runner in inspector.runners.items()]
    return SpeedReport(instruction_sets(), fast_int8(), ort.__version__, ThreadSettings.of(threads).describe(),
                       os.cpu_count() or 1, models)


def warm_up(inspector: Inspector, calls: int) -> None:
    """Run each model of ``inspector`` ``calls`` times on blank crops, one batch of its type's ROIs per call.

    What ``openinspect info`` measures when no station has judged captures in this process.
    """
    for name, runner in inspector.runners.items():
        model = runner.model
        batch = np.zeros((len(inspector.recipe.rois_of(name)), *model.input_size, 3), np.uint8)
        for _ in range(calls):
            model.predict(batch)
