"""Judge one capture: decode, crop every ROI, run each inspection type's model batched, decide.

This is the station's hot path: it imports ONNX Runtime through :mod:`openinspect.models.runtime`
and never torch. Every stage reports its time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from openinspect.dataset import model_batch, roi_crops
from openinspect.errors import ModelNotFoundError, OpenInspectError
from openinspect.imaging import decode_image
from openinspect.models.runtime import OnnxModel
from openinspect.recipe import InspectionType, Recipe
from openinspect.store import ModelVersion, Workspace


@dataclass(frozen=True)
class RoiResult:
    """A classifier's judgement of one ROI crop."""

    roi: str
    type: str
    class_name: str
    confidence: float
    passes: bool

    def to_json(self) -> dict[str, Any]:
        """The ROI's entry in a result line."""
        return {"roi": self.roi, "type": self.type, "class": self.class_name,
                "confidence": round(self.confidence, 4), "pass": self.passes}


@dataclass(frozen=True)
class InspectionResult:
    """The verdict on one capture, or why it could not be judged."""

    image: str
    rois: list[RoiResult] = field(default_factory=list)
    timing_ms: dict[str, float] = field(default_factory=dict)
    error: str | None = None

    @property
    def passes(self) -> bool:
        """A capture passes only when it was judged and every ROI passes."""
        return self.error is None and all(r.passes for r in self.rois)

    def to_json(self) -> dict[str, Any]:
        """One JSON object per capture, as ``openinspect inspect --json`` prints it."""
        if self.error is not None:
            return {"image": self.image, "error": self.error}
        return {"image": self.image, "pass": self.passes, "rois": [r.to_json() for r in self.rois],
                "timing_ms": {k: round(v, 2) for k, v in self.timing_ms.items()}}


@dataclass(frozen=True)
class TypeRunner:
    """One inspection type's model, ready to judge that type's ROIs."""

    spec: InspectionType
    model: OnnxModel
    version: ModelVersion

    def prepare(self, crops: list[np.ndarray]) -> np.ndarray:
        """Resize ``(h, w, 3)`` uint8 RGB crops of any size into this model's input batch."""
        return model_batch(crops, self.model.input_size)

    def judge(self, batch: np.ndarray, roi_names: list[str]) -> list[RoiResult]:
        """Classify a prepared batch in one model call.

        Args:
            batch: ``(N, h, w, 3)`` uint8 RGB from :meth:`prepare`.
            roi_names: the ROI of each crop.

        """
        probs = self.model.predict(batch)
        results = []
        for name, row in zip(roi_names, probs, strict=True):
            index = self.spec.decide(row)
            chosen = self.spec.classes[index]
            results.append(RoiResult(name, self.spec.name, chosen.name, float(row[index]), chosen.passes))
        return results


class Inspector:
    """Judges captures for one recipe with the latest model of each of its inspection types."""

    def __init__(self, recipe: Recipe, runners: dict[str, TypeRunner]) -> None:
        self.recipe = recipe
        self.runners = runners

    @classmethod
    def load(cls, workspace: Workspace, recipe_name: str, threads: int | None = None) -> Inspector:
        """Load a recipe and the latest model version of each type.

        Raises:
            NotFoundError: unknown recipe.
            ModelNotFoundError: a type has no trained model, or its model no longer fits the recipe.

        """
        recipe = workspace.recipe(recipe_name)
        runners = {}
        for spec in recipe.types:
            version = workspace.latest_model(recipe.name, spec.name)
            trained_for = version.meta()["classes"]
            if trained_for != spec.class_names():
                raise ModelNotFoundError(
                    f"model v{version.version} of type '{spec.name}' was trained for classes {trained_for}, "
                    f"the recipe now lists {spec.class_names()}; retrain with "
                    f"`openinspect train {recipe.name} --type {spec.name}`")
            runners[spec.name] = TypeRunner(spec, OnnxModel(version.onnx_path, threads), version)
        return cls(recipe, runners)

    def inspect_file(self, path: Path) -> InspectionResult:
        """Read and judge one capture file; an unreadable file yields a result with ``error`` set."""
        try:
            data = path.read_bytes()
        except OSError as err:
            return InspectionResult(str(path), error=f"cannot read {path}: {err.strerror}")
        return self.inspect_bytes(data, str(path))

    def inspect_bytes(self, data: bytes, name: str) -> InspectionResult:
        """Decode and judge one encoded capture; a bad capture yields a result with ``error`` set."""
        started = time.perf_counter()
        try:
            image = decode_image(data, name)
        except OpenInspectError as err:
            return InspectionResult(name, error=str(err))
        return self.inspect_image(image, name, started=started)

    def inspect_image(self, image: np.ndarray, name: str, *, started: float | None = None) -> InspectionResult:
        """Judge one decoded capture.

        Args:
            image: ``(H, W, 3)`` uint8 RGB capture.
            name: what to call the capture in the result (usually its path).
            started: ``time.perf_counter()`` when decoding began, to count decode time in the total.

        """
        begin = time.perf_counter()
        started = begin if started is None else started
        timing = {"decode": (begin - started) * 1000, "crop": 0.0, "models": 0.0}
        results: list[RoiResult] = []
        try:
            for type_name, runner in self.runners.items():
                rois = self.recipe.rois_of(type_name)
                t0 = time.perf_counter()
                batch = runner.prepare(roi_crops(image, self.recipe, rois, name))
                t1 = time.perf_counter()
                results += runner.judge(batch, [roi.name for roi in rois])
                timing["crop"] += (t1 - t0) * 1000
                timing["models"] += (time.perf_counter() - t1) * 1000
        except OpenInspectError as err:
            return InspectionResult(name, error=str(err))
        order = {roi.name: i for i, roi in enumerate(self.recipe.rois)}
        results.sort(key=lambda r: order[r.roi])
        timing["total"] = (time.perf_counter() - started) * 1000
        return InspectionResult(name, results, timing)
