"""Judge one capture: decode, crop every ROI, run each inspection type's model batched, decide.

This is the station's hot path: it imports ONNX Runtime through :mod:`openinspect.models.runtime`
and never torch. Every stage reports its time.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from openinspect.dataset import RoiCropper
from openinspect.errors import ModelNotFoundError, OpenInspectError, PartNotFoundError
from openinspect.imaging import MAX_PIXELS, Pose, Rect, decode_image
from openinspect.recipe import AnomalyType, InspectionType, Recipe, region_model_input
from openinspect.station.results import InspectionResult, ModelRef, RoiResult
from openinspect.station.runners import Prepared, Runner, make_runner, prepare_regions
from openinspect.store import ModelVersion, Workspace


@dataclass(frozen=True)
class Staged:
    """A capture decoded, located and cut into each inspection type's model batch: all its models still need."""

    name: str
    pose: Pose | None
    batches: dict[str, Prepared]
    """Each type's ROI crops as its model's input, by type name."""
    rects: dict[str, list[Rect]]
    """Where each of a type's ROIs lies on the capture, in the order of its crops."""
    timing: dict[str, float]
    """``decode``, ``crop`` and (when the recipe aligns) ``align``, in ms."""


@dataclass(frozen=True)
class Stager:
    """A capture's work before its models: read, decode, locate the part, cut and prepare each type's crops.

    It holds no model session, so it travels cheaply to other processes (batch jobs stage captures on their
    workers and run the models elsewhere); :class:`Inspector` stages every capture it judges through one.

    Attributes:
        recipe: the recipe.
        cropper: cuts the ROI crops, aligned when the recipe aligns.
        inputs: each type's model input ``(height, width)`` and whether its ROIs are tiled, by type name.
        max_pixels: the largest capture decoded; a larger one is an error result.
        revision: the recipe revision every result names.
        models: the model version of each type, as every judged result names it.

    """

    recipe: Recipe
    cropper: RoiCropper
    inputs: dict[str, tuple[tuple[int, int], bool]]
    max_pixels: int = MAX_PIXELS
    revision: int | None = None
    models: dict[str, ModelRef] = field(default_factory=dict)

    def stage_file(self, path: Path) -> Staged | InspectionResult:
        """Read and stage one capture file; an unreadable file yields a result with ``error`` set."""
        try:
            data = path.read_bytes()
        except OSError as err:
            return InspectionResult(str(path), error=f"cannot read {path}: {err.strerror}")
        return self.stage_bytes(data, str(path))

    def stage_bytes(self, data: bytes, name: str) -> Staged | InspectionResult:
        """Decode and stage one encoded capture; a bad capture yields a result with ``error`` set."""
        started = time.perf_counter()
        try:
            image = decode_image(data, name, self.max_pixels)
        except OpenInspectError as err:
            return InspectionResult(name, error=str(err))
        return self.stage_image(image, name, started=started)

    def stage_image(self, image: np.ndarray, name: str, *, started: float | None = None) -> Staged | InspectionResult:
        """Locate the part on a decoded capture and cut each type's crops into its model's input.

        Args:
            image: ``(H, W, 3)`` uint8 RGB capture.
            name: what to call the capture in the result (usually its path).
            started: ``time.perf_counter()`` when decoding began, to count decode time.

        Returns:
            The staged capture; or, when no model is to run, its result: ``reason`` ``alignment`` when the part
            was not found, ``error`` when a ROI does not lie inside the capture.

        """
        begin = time.perf_counter()
        timing = {"decode": (begin - (begin if started is None else started)) * 1000, "crop": 0.0, "models": 0.0}
        batches, rects = {}, {}
        try:
            pose = self.cropper.locate(image, name)
            if pose is not None:
                timing["align"] = (time.perf_counter() - begin) * 1000
            cut = time.perf_counter()
            for type_name, (size, tiling) in self.inputs.items():
                rois = self.recipe.rois_of(type_name)
                batches[type_name] = prepare_regions(self.cropper.crops(image, rois, name, pose), size, tiling)
                rects[type_name] = [self.cropper.rect(r, image, pose) for r in rois]
            timing["crop"] = (time.perf_counter() - cut) * 1000
        except PartNotFoundError as err:
            timing["align"] = (time.perf_counter() - begin) * 1000
            timing["total"] = sum(timing.values())
            return InspectionResult(name, [], timing, reason="alignment", pose=err.pose, models=self.models,
                                    recipe_revision=self.revision)
        except OpenInspectError as err:
            return InspectionResult(name, error=str(err))
        return Staged(name, pose, batches, rects, timing)

    def result(self, staged: Staged, rois: list[RoiResult], models_ms: float) -> InspectionResult:
        """The result of a staged capture from its ROIs' results, in the recipe's ROI order."""
        order = {roi.name: i for i, roi in enumerate(self.recipe.rois)}
        timing = {**staged.timing, "models": models_ms}
        timing["total"] = sum(timing.values())
        return InspectionResult(staged.name, sorted(rois, key=lambda r: order[r.roi]), timing, pose=staged.pose,
                                models=self.models, recipe_revision=self.revision)


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
        inputs = {name: (runner.model.input_size, runner.tiling) for name, runner in runners.items()}
        self.stager = Stager(recipe, self.cropper, inputs, max_pixels, revision, self.models)

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
        return cls.of(InspectorPlan.load(workspace, recipe_name, max_pixels, versions), threads)

    @classmethod
    def of(cls, plan: InspectorPlan, threads: int | None = None) -> Inspector:
        """Open the model sessions of a plan (``threads`` CPU threads each; ``None``: ONNX Runtime's default)."""
        runners = {spec.name: make_runner(plan.recipe, spec, plan.versions[spec.name], threads)
                   for spec in plan.recipe.types}
        return cls(plan.recipe, runners, plan.cropper, plan.max_pixels, plan.revision, plan.models)

    def inspect_file(self, path: Path) -> InspectionResult:
        """Read and judge one capture file; an unreadable file yields a result with ``error`` set."""
        return self.judge_staged([self.stager.stage_file(path)])[0]

    def inspect_bytes(self, data: bytes, name: str) -> InspectionResult:
        """Decode and judge one encoded capture; a bad capture yields a result with ``error`` set."""
        return self.judge_staged([self.stager.stage_bytes(data, name)])[0]

    def inspect_image(self, image: np.ndarray, name: str, *, started: float | None = None) -> InspectionResult:
        """Judge one decoded capture.

        Args:
            image: ``(H, W, 3)`` uint8 RGB capture.
            name: what to call the capture in the result (usually its path).
            started: ``time.perf_counter()`` when decoding began, to count decode time in the total.

        """
        return self.judge_staged([self.stager.stage_image(image, name, started=started)])[0]

    def judge_staged(self, captures: Sequence[Staged | InspectionResult]) -> list[InspectionResult]:
        """Judge staged captures, each type's model run once over the crops of all of them; results in order.

        A capture already judged while staging (an error, the part not found) is passed through as it is. The
        station judges one capture at a time; batch jobs pass many, so the models batch across captures. Each
        capture's ``models`` time is its share of the model calls, by its number of crops.
        """
        staged = [c for c in captures if isinstance(c, Staged)]
        rois: dict[int, list[RoiResult]] = {id(s): [] for s in staged}
        models_ms = dict.fromkeys(rois, 0.0)
        for type_name, runner in self.runners.items():
            begin = time.perf_counter()
            parts = [s.batches[type_name] for s in staged]
            sizes = [len(p.batch) for p in parts]
            if not sum(sizes):
                continue
            outputs = runner.model.predict(np.concatenate([p.batch for p in parts]))
            names = [roi.name for roi in self.recipe.rois_of(type_name)]
            for s, part, start, size in zip(staged, parts, np.cumsum([0, *sizes[:-1]]), sizes, strict=True):
                rois[id(s)] += runner.decide(outputs[start : start + size], part, names, s.rects[type_name])
            elapsed = (time.perf_counter() - begin) * 1000
            for s, size in zip(staged, sizes, strict=True):
                models_ms[id(s)] += elapsed * size / sum(sizes)
        return [c if isinstance(c, InspectionResult) else self.stager.result(c, rois[id(c)], models_ms[id(c)])
                for c in captures]

    def judge_type(self, image: np.ndarray, type_name: str, name: str, pose: Pose | None) -> list[RoiResult]:
        """Judge the ROIs of one inspection type on a capture where the part was located.

        Args:
            image: ``(H, W, 3)`` uint8 RGB capture.
            type_name: the inspection type.
            name: what to call the capture in errors.
            pose: what ``self.cropper.locate`` returned for the capture.

        Raises:
            ImageError: a ROI does not lie inside the capture.

        """
        runner = self.runners[type_name]
        rois = self.recipe.rois_of(type_name)
        prepared = runner.prepare(self.cropper.crops(image, rois, name, pose))
        return runner.judge(prepared, [roi.name for roi in rois], [self.cropper.rect(r, image, pose) for r in rois])


@dataclass(frozen=True)
class InspectorPlan:
    """What an :class:`Inspector` judges with, resolved but not opened: a recipe revision and model versions.

    It holds no model session, so a batch job sends it to its workers, each of which opens its own sessions
    with :meth:`Inspector.of`.
    """

    recipe: Recipe
    cropper: RoiCropper
    versions: dict[str, ModelVersion]
    """The model version each type runs, by type name."""
    models: dict[str, ModelRef]
    max_pixels: int = MAX_PIXELS
    revision: int | None = None

    @classmethod
    def load(cls, workspace: Workspace, recipe_name: str, max_pixels: int = MAX_PIXELS,
             versions: Mapping[str, int] | None = None) -> InspectorPlan:
        """A recipe's current revision with the deployed model version of each type (or ``versions``).

        Raises:
            NotFoundError, RecipeError, ModelNotFoundError: as :meth:`Inspector.load`.

        """
        head = workspace.recipe_head(recipe_name)
        recipe = head.parsed()
        chosen = dict(versions or {})
        for name in chosen:
            recipe.inspection_type(name)
        resolved = {spec.name: fitting_model(workspace, recipe, spec, chosen.get(spec.name)) for spec in recipe.types}
        return cls(recipe, RoiCropper.load(workspace, recipe), resolved,
                   {name: ModelRef.of(version) for name, version in resolved.items()}, max_pixels, head.number)


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
