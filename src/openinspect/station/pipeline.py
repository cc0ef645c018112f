"""Judge one capture: decode, crop every ROI, run each inspection type's model batched, decide.

This is the station's hot path: it imports ONNX Runtime through :mod:`openinspect.models.runtime`
and never torch. Every stage reports its time.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from openinspect.dataset import roi_crops
from openinspect.errors import ModelNotFoundError, NotFoundError, OpenInspectError
from openinspect.imaging import Aligner, Pose, Rect, decode_image, read_image
from openinspect.recipe import Recipe, Roi
from openinspect.station.results import InspectionResult, RoiResult
from openinspect.station.runners import Runner, make_runner
from openinspect.store import Workspace


class Inspector:
    """Judges captures for one recipe with the latest model of each of its inspection types."""

    def __init__(self, recipe: Recipe, runners: dict[str, Runner], aligner: Aligner | None = None) -> None:
        self.recipe = recipe
        self.runners = runners
        self.aligner = aligner

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
            runners[spec.name] = make_runner(recipe, spec, version, threads)
        return cls(recipe, runners, load_aligner(workspace, recipe))

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
        pose = None
        try:
            if self.aligner is not None:
                pose = self.aligner.locate(image)
                timing["align"] = (time.perf_counter() - begin) * 1000
                if not pose.found:
                    timing["total"] = (time.perf_counter() - started) * 1000
                    return InspectionResult(name, [], timing, reason="alignment", pose=pose)
            for type_name, runner in self.runners.items():
                rois = self.recipe.rois_of(type_name)
                t0 = time.perf_counter()
                prepared = runner.prepare(roi_crops(image, self.recipe, rois, name, pose))
                t1 = time.perf_counter()
                rects = [roi_rect(roi, image, pose) for roi in rois]
                results += runner.judge(prepared, [roi.name for roi in rois], rects)
                timing["crop"] += (t1 - t0) * 1000
                timing["models"] += (time.perf_counter() - t1) * 1000
        except OpenInspectError as err:
            return InspectionResult(name, error=str(err))
        order = {roi.name: i for i, roi in enumerate(self.recipe.rois)}
        results.sort(key=lambda r: order[r.roi])
        timing["total"] = (time.perf_counter() - started) * 1000
        return InspectionResult(name, results, timing, pose=pose)


def load_aligner(workspace: Workspace, recipe: Recipe) -> Aligner | None:
    """The recipe's aligner, or ``None`` when it has no alignment.

    Raises:
        NotFoundError: the reference capture is neither in the recipe's folder nor in the workspace.
        RecipeError: the template does not lie inside the reference.

    """
    spec = recipe.alignment
    if spec is None:
        return None
    path = workspace.recipe_path(recipe.name).parent / spec.reference
    if not path.is_file():
        stored = workspace.image(spec.reference, missing_ok=True) if len(spec.reference) == 64 else None
        if stored is None:
            raise NotFoundError(f"recipe '{recipe.name}': alignment reference '{spec.reference}' is neither a file in "
                                f"{path.parent} nor a workspace image; put the reference capture there")
        path = stored.path
    return Aligner(read_image(path), spec.template.rect(), spec.min_score, spec.max_angle)


def roi_rect(roi: Roi, image: np.ndarray, pose: Pose | None) -> Rect:
    """Where a ROI lay on the capture: moved with the part when the recipe aligns."""
    rect = roi.rect(image.shape[1], image.shape[0])
    return rect if pose is None or roi.x is None else pose.moved_rect(rect)
