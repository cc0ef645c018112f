"""Judge one capture: decode, crop every ROI, run each inspection type's model batched, decide.

This is the station's hot path: it imports ONNX Runtime through :mod:`openinspect.models.runtime`
and never torch. Every stage reports its time.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from openinspect.dataset import RoiCropper
from openinspect.errors import ModelNotFoundError, OpenInspectError, PartNotFoundError
from openinspect.imaging import MAX_PIXELS, Pose, decode_image
from openinspect.recipe import AnomalyType, InspectionType, Recipe, region_model_input
from openinspect.station.results import InspectionResult, ModelRef, RoiResult
from openinspect.station.runners import Runner, make_runner
from openinspect.store import ModelVersion, Workspace


class Inspector:
    """Judges captures for one recipe with the deployed model of each of its inspection types.

    Args:
        recipe: the recipe.
        runners: the model of each inspection type, by type name.
        cropper: cuts the ROI crops (aligned when the recipe aligns); default: the recipe's ROIs as drawn.
        max_pixels: the largest capture decoded (``Settings.max_pixels``); a larger one is an error result.
        revision: the recipe revision loaded, which the station stamps on every result (``recipe_revision``).
        models: which model version each runner runs, as every result names it.

    """

    def __init__(self, recipe: Recipe, runners: dict[str, Runner], cropper: RoiCropper | None = None,
                 max_pixels: int = MAX_PIXELS, revision: int | None = None,
                 models: dict[str, ModelRef] | None = None) -> None:
        self.recipe = recipe
        self.runners = runners
        self.cropper = cropper or RoiCropper(recipe)
        self.max_pixels = max_pixels
        self.revision = revision
        self.models = models or {}

    @classmethod
    def load(cls, workspace: Workspace, recipe_name: str, threads: int | None = None,
             max_pixels: int = MAX_PIXELS, versions: Mapping[str, int] | None = None) -> Inspector:
        """Load a recipe's current revision and the deployed model version of each type.

        Args:
            workspace: recipes and models.
            recipe_name: the recipe.
            threads: CPU threads per model session (``None``: ONNX Runtime's default).
            max_pixels: see :class:`Inspector`.
            versions: run these model versions instead of the deployed ones, by type name (to try a candidate).

        Raises:
            NotFoundError: unknown recipe or model version, or the recipe's alignment reference is missing.
            RecipeError: ``versions`` names a type the recipe does not have.
            ModelNotFoundError: a type has no trained model, or the model to run does not fit the recipe.

        """
        head = workspace.recipe_head(recipe_name)
        recipe = head.parsed()
        chosen = dict(versions or {})
        for name in chosen:
            recipe.inspection_type(name)
        runners, models = {}, {}
        for spec in recipe.types:
            version = fitting_model(workspace, recipe, spec, chosen.get(spec.name))
            runners[spec.name] = make_runner(recipe, spec, version, threads)
            models[spec.name] = ModelRef.of(version)
        return cls(recipe, runners, RoiCropper.load(workspace, recipe), max_pixels, head.number, models)

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
            image = decode_image(data, name, self.max_pixels)
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
            pose = self.cropper.locate(image, name)
            if pose is not None:
                timing["align"] = (time.perf_counter() - begin) * 1000
            for type_name in self.runners:
                results += self.judge_type(image, type_name, name, pose, timing)
        except PartNotFoundError as err:
            timing["align"] = (time.perf_counter() - begin) * 1000
            timing["total"] = (time.perf_counter() - started) * 1000
            return InspectionResult(name, [], timing, reason="alignment", pose=err.pose, models=self.models,
                                    recipe_revision=self.revision)
        except OpenInspectError as err:
            return InspectionResult(name, error=str(err))
        order = {roi.name: i for i, roi in enumerate(self.recipe.rois)}
        results.sort(key=lambda r: order[r.roi])
        timing["total"] = (time.perf_counter() - started) * 1000
        return InspectionResult(name, results, timing, pose=pose, models=self.models, recipe_revision=self.revision)

    def judge_type(self, image: np.ndarray, type_name: str, name: str, pose: Pose | None,
                   timing: dict[str, float] | None = None) -> list[RoiResult]:
        """Judge the ROIs of one inspection type on a capture where the part was located.

        Args:
            image: ``(H, W, 3)`` uint8 RGB capture.
            type_name: the inspection type.
            name: what to call the capture in errors.
            pose: what ``self.cropper.locate`` returned for the capture.
            timing: adds the time spent to its ``crop`` and ``models`` entries, when given.

        Raises:
            ImageError: a ROI does not lie inside the capture.

        """
        runner = self.runners[type_name]
        rois = self.recipe.rois_of(type_name)
        t0 = time.perf_counter()
        prepared = runner.prepare(self.cropper.crops(image, rois, name, pose))
        t1 = time.perf_counter()
        results = runner.judge(prepared, [roi.name for roi in rois], [self.cropper.rect(r, image, pose) for r in rois])
        if timing is not None:
            timing["crop"] += (t1 - t0) * 1000
            timing["models"] += (time.perf_counter() - t1) * 1000
        return results


def fitting_model(workspace: Workspace, recipe: Recipe, spec: InspectionType,
                  version: int | None = None) -> ModelVersion:
    """The deployed model version of ``spec`` (or ``version``), provided it was trained for the recipe's classes now.

    Raises:
        NotFoundError: no such ``version``.
        ModelNotFoundError: no model, or one trained for other classes.
    """
    if version is None:
        model = workspace.deployed_model(recipe.name, spec.name)
    else:
        model = workspace.model_version(recipe.name, spec.name, version)
    problem = misfit(recipe, spec, model)
    if problem is not None:
        raise ModelNotFoundError(problem)
    return model


def misfit(recipe: Recipe, spec: InspectionType, model: ModelVersion) -> str | None:
    """Why ``model`` cannot judge ``spec``, or ``None``.

    It was trained for other classes than the recipe lists now, or (anomaly types, whose good bank is only valid at
    the scale it learned) for another ROI size or tiling setting.
    """
    meta = model.meta()
    fix = (f"deploy a version trained for it (`openinspect model list {recipe.name} --type {spec.name}`) or train one "
           f"with `openinspect train {recipe.name} --type {spec.name} --deploy`")
    if meta.classes != spec.class_names():
        return (f"model v{model.version} of type '{spec.name}' was trained for classes {meta.classes}, the recipe now "
                f"lists {spec.class_names()}; {fix.replace('for it', 'for them')}")
    if not isinstance(spec, AnomalyType):
        return None
    if meta.tiling != spec.tiling:
        return (f"model v{model.version} of anomaly type '{spec.name}' was trained with tiling: "
                f"{str(meta.tiling).lower()}, the recipe now says tiling: {str(spec.tiling).lower()}; {fix}")
    for roi in recipe.rois_of(spec.name):
        if roi.w is not None and roi.h is not None and region_model_input(spec, roi.w, roi.h) != meta.input_size:
            trained = f"{meta.input_size[1]}x{meta.input_size[0]}"
            return (f"model v{model.version} of anomaly type '{spec.name}' was trained for {trained} px crops, ROI "
                    f"'{roi.name}' is now {roi.w}x{roi.h} px (model input "
                    f"{'x'.join(map(str, region_model_input(spec, roi.w, roi.h)[::-1]))}); {fix}")
    return None
