"""Train an inspection type from its labels: gather crops, validate, train, export, publish a version.

Torch is imported here only when training actually starts, so importing this module stays cheap.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np
from PIL import Image

from openinspect.dataset import RoiCropper, model_batch
from openinspect.errors import DatasetError, PartNotFoundError, RecipeError
from openinspect.imaging import MAX_MODEL_SIDE, model_input_size, read_image
from openinspect.imaging.tiles import cut_tiles
from openinspect.models.progress import Fold, Progress, Step, no_progress
from openinspect.recipe import ClassifierType, InspectionType, Recipe, SegmenterType, TrainingMode
from openinspect.store import Label, ModelMeta, ModelVersion, StoredImage, Workspace
from openinspect.training.data_checks import data_warnings
from openinspect.training.metrics import classification_metrics, segmentation_metrics
from openinspect.training.validation import (
    CropSource,
    ValidationCrop,
    classified_crop,
    plan_validation,
    segmented_crop,
    write_validation_crops,
)

log = logging.getLogger(__name__)
DEFAULT_CLASSIFIER_SIDE = {TrainingMode.FAST: 320, TrainingMode.ACCURATE: 384}
"""Default longest input side of a classifier per mode: detail for small defects at a CPU-friendly cost
(bench/README.md: Fast scored the same from 320 to 512 px; Accurate best at 384)."""
TILE_TRAIN_OVERLAP = 128
"""Overlap of the full-resolution tiles a tiled segmenter trains on."""
TILE_TRAIN_PATCH = 256
"""Side of the squares a tiled segmenter trains on, cut from its tiles over their defects."""


class _Trained(Protocol):
    def export_onnx(self, path: Path) -> None: ...


@dataclass(frozen=True)
class TrainingSet:
    """The crops of one inspection type, resized to the model input, with their targets."""

    images: np.ndarray
    """``(N, h, w, 3)`` uint8 RGB."""
    targets: np.ndarray
    """Classifier: ``(N,)`` int64 class indices. Segmenter: ``(N, h, w)`` uint8 class maps."""
    input_size: tuple[int, int]
    sources: list[CropSource]
    """Where each item was cut from (a tiled segmenter's tiles share their ROI's)."""
    skipped: list[str] = field(default_factory=list)
    """Why labelled captures were left out (alignment did not find the part)."""


@dataclass(frozen=True)
class _Outcome:
    model: _Trained
    metrics: dict[str, Any]
    validation: dict[str, str]
    crops: list[ValidationCrop] = field(default_factory=list)


@dataclass(frozen=True)
class TrainedType:
    """A trained, validated model of one inspection type, not yet exported or published."""

    recipe: str
    spec: InspectionType
    mode: TrainingMode
    seed: int
    data: TrainingSet
    model: _Trained
    metrics: dict[str, Any]
    validation: dict[str, str]
    """``method`` and ``reason`` (see :class:`~openinspect.training.validation.ValidationPlan`)."""
    crops: list[ValidationCrop]
    """What the model, trained without them, said about the validation crops."""
    started: float
    """``time.perf_counter()`` when training started; the published ``train_seconds`` run to the end of export."""
    warnings: list[str] = field(default_factory=list)
    """What in the training set will not generalise (:mod:`openinspect.training.data_checks`)."""


def input_size_for(recipe: Recipe, spec: InspectionType, captures: list[StoredImage],
                   mode: TrainingMode | None = None) -> tuple[int, int]:
    """The model input ``(h, w)``: the type's ROI aspect (median over labelled captures), longest side capped.

    Classifiers default to at most 320 px (Fast) or 384 px (Accurate; ``mode`` or else the type's own);
    segmenters to the ROI's size up to 512 px, and tiled segmenters always train and run on
    full-resolution tiles of at most 512 px. A type's ``input_size`` overrides the default.
    """
    rects = [roi.rect(c.width, c.height) for c in captures for roi in recipe.rois_of(spec.name)]
    width = round(float(np.median([r.w for r in rects])))
    height = round(float(np.median([r.h for r in rects])))
    if isinstance(spec, SegmenterType) and spec.tiling:
        return min(height, MAX_MODEL_SIDE) // 32 * 32 or 32, min(width, MAX_MODEL_SIDE) // 32 * 32 or 32
    default = MAX_MODEL_SIDE if isinstance(spec, SegmenterType) else DEFAULT_CLASSIFIER_SIDE[mode or spec.mode]
    return model_input_size(width, height, spec.input_size or min(default, max(width, height)))


def classification_set(workspace: Workspace, recipe: Recipe, spec: ClassifierType,
                       mode: TrainingMode | None = None) -> TrainingSet:
    """Gather every labelled crop of a classifier type, aligned as the station cuts it.

    A capture where alignment does not find the part is skipped with a warning. ``mode`` (else the
    type's own) picks the default input size, see :func:`input_size_for`.

    Raises:
        DatasetError: a class without images.
    """
    names = spec.class_names()
    rois = {roi.name: roi for roi in recipe.rois_of(spec.name)}
    labels = [lb for lb in workspace.labels(recipe.name, spec.name) if lb.roi in rois and lb.class_name in names]
    counts = {name: sum(lb.class_name == name for lb in labels) for name in names}
    empty = [name for name, n in counts.items() if n == 0]
    if empty:
        raise DatasetError(
            f"cannot train '{spec.name}' of recipe '{recipe.name}': class(es) {', '.join(empty)} have no labelled "
            f"images (counts: {', '.join(f'{k} {v}' for k, v in counts.items())}); label at least 3 per class, "
            f"e.g. with `openinspect label import {recipe.name} --type {spec.name} --folders DIR`")
    groups = _by_image(labels)
    size = input_size_for(recipe, spec, [group[0].image for group in groups.values()], mode)
    cropper = RoiCropper.load(workspace, recipe)
    crops: list[np.ndarray] = []
    targets: list[int] = []
    sources: list[CropSource] = []
    skipped: list[str] = []
    for group in groups.values():
        stored = group[0].image
        capture = read_image(stored.path)
        chosen = [rois[lb.roi] for lb in group]
        try:
            pose = cropper.locate(capture, stored.original_name)
        except PartNotFoundError as err:
            skipped.append(_skip(err))
            continue
        crops += list(model_batch(cropper.crops(capture, chosen, stored.original_name, pose), size))
        targets += [names.index(lb.class_name) for lb in group]
        sources += [CropSource(stored.sha256, roi.name, cropper.rect(roi, capture, pose)) for roi in chosen]
    lost = [name for index, name in enumerate(names) if index not in targets]
    if lost:
        raise DatasetError(f"cannot train '{spec.name}' of recipe '{recipe.name}': alignment found the part in no "
                           f"capture of class(es) {', '.join(lost)}; {skipped[0]}")
    return TrainingSet(np.stack(crops), np.array(targets, dtype=np.int64), size, sources, skipped)


def segmentation_set(workspace: Workspace, recipe: Recipe, spec: SegmenterType) -> TrainingSet:
    """Gather every masked crop of a segmenter type (or its full-resolution tiles, with ``tiling``), aligned.

    A capture where alignment does not find the part is skipped with a warning.

    Raises:
        DatasetError: no masks, or no labelled pixel of some pixel class.
    """
    labelled = workspace.masks(recipe.name, spec.name)
    if not labelled:
        raise DatasetError(f"cannot train '{spec.name}' of recipe '{recipe.name}': no masks; import captures with "
                           f"`openinspect label import {recipe.name} --type {spec.name} --images DIR --masks DIR`")
    size = input_size_for(recipe, spec, [image for image, _ in labelled])
    rois = recipe.rois_of(spec.name)
    cropper = RoiCropper.load(workspace, recipe)
    images: list[np.ndarray] = []
    masks: list[np.ndarray] = []
    sources: list[CropSource] = []
    skipped: list[str] = []
    for stored, mask_path in labelled:
        capture = read_image(stored.path)
        try:
            pose = cropper.locate(capture, stored.original_name)
        except PartNotFoundError as err:
            skipped.append(_skip(err))
            continue
        class_map = np.asarray(Image.open(mask_path))
        for roi, crop, mask_crop in zip(rois, cropper.crops(capture, rois, stored.original_name, pose),
                                        cropper.crops(class_map[:, :, None], rois, mask_path.name, pose,
                                                      nearest=True), strict=True):
            pairs = _fit(crop, mask_crop[:, :, 0], size, spec.tiling)
            images += [p[0] for p in pairs]
            masks += [p[1] for p in pairs]
            sources += [CropSource(stored.sha256, roi.name, cropper.rect(roi, capture, pose))] * len(pairs)
    if skipped and not images:
        raise DatasetError(f"cannot train '{spec.name}' of recipe '{recipe.name}': alignment found the part in no "
                           f"masked capture; {skipped[0]}")
    found = {int(v) for m in masks for v in np.unique(m)}
    missing = [c.name for k, c in enumerate(spec.pixel_classes, start=1) if k not in found]
    if missing:
        raise DatasetError(f"cannot train '{spec.name}': no labelled pixels of {', '.join(missing)}; paint or import "
                           f"masks that show them, or remove the pixel class from the recipe")
    return TrainingSet(np.stack(images), np.stack(masks), size, sources, skipped)


def _skip(err: PartNotFoundError) -> str:
    """Warn that a labelled capture is left out of training; returns why."""
    log.warning("training skips a capture: %s", err)
    return str(err)


def _fit(crop: np.ndarray, mask: np.ndarray, size: tuple[int, int],
         tiling: bool) -> list[tuple[np.ndarray, np.ndarray]]:
    if not tiling:
        height, width = size
        return [(model_batch([crop], size)[0], cv2.resize(mask, (width, height), interpolation=cv2.INTER_NEAREST))]
    image_tiles, _ = cut_tiles(crop, size, TILE_TRAIN_OVERLAP)
    mask_tiles, _ = cut_tiles(mask, size, TILE_TRAIN_OVERLAP)
    return list(zip(image_tiles, mask_tiles, strict=True))


def train_type(workspace: Workspace, recipe: Recipe, type_name: str, *, mode: TrainingMode | None = None,
               seed: int = 0, progress: Progress | None = None, time_budget_s: float | None = None,
               deploy: bool = False) -> ModelVersion:
    """Train, validate, export and publish a new model version of one inspection type.

    The version is a candidate the station does not run until it is deployed: at once with ``deploy``, and always
    for the type's first version (:meth:`~openinspect.store.Workspace.new_model_version`).

    ``progress`` gets the fraction done and the stage, with the optimiser step and the
    :class:`~openinspect.models.progress.Fold` of each model the run trains (validation folds first, then the
    final one). ``time_budget_s`` caps a segmenter's training time (it stops early with the best model so far).

    Raises:
        RecipeError: unknown type, or a training mode the type does not have.
        DatasetError: the labels cannot train a model.
    """
    trained = fit_type(workspace, recipe, type_name, mode=mode, seed=seed, progress=progress,
                       time_budget_s=time_budget_s)
    if progress is not None:
        progress(1.0, "exporting")
    return publish_type(workspace, trained, deploy=deploy)


def fit_type(workspace: Workspace, recipe: Recipe, type_name: str, *, mode: TrainingMode | None = None,
             seed: int = 0, progress: Progress | None = None, time_budget_s: float | None = None) -> TrainedType:
    """Gather a type's labelled crops, validate and train a model, without exporting or publishing it.

    Raises:
        RecipeError: unknown type, or a training mode the type does not have.
        DatasetError: the labels cannot train a model.
    """
    spec = recipe.inspection_type(type_name)
    report = progress or no_progress
    started = time.perf_counter()
    if isinstance(spec, SegmenterType):
        if mode not in (None, TrainingMode.ACCURATE):
            raise RecipeError(f"segmenter type '{spec.name}' has one training mode, accurate; drop --mode {mode}")
        mode = TrainingMode.ACCURATE
        data = segmentation_set(workspace, recipe, spec)
        warnings = data_warnings(workspace, data.sources, data.images, None, [])
        outcome = _train_segmenter(spec, data, seed, report, time_budget_s)
    else:
        mode = mode or spec.mode
        data = classification_set(workspace, recipe, spec, mode)
        warnings = data_warnings(workspace, data.sources, data.images, data.targets, spec.class_names())
        outcome = _train_classifier(spec, data, mode, seed, report)
    return TrainedType(recipe.name, spec, mode, seed, data, outcome.model, outcome.metrics, outcome.validation,
                       outcome.crops, started, warnings)


def publish_type(workspace: Workspace, trained: TrainedType, *, deploy: bool = False) -> ModelVersion:
    """Export a trained model and publish it, its ``meta.json`` and ``validation.json`` as the type's next version.

    With ``deploy`` the version is deployed in the same transaction as its record.
    """
    spec, data = trained.spec, trained.data
    with workspace.new_model_version(trained.recipe, spec.name, trained.mode.value, deploy=deploy) as folder:
        trained.model.export_onnx(folder / "model.onnx")
        write_validation_crops(folder, trained.crops)
        ModelMeta(spec.class_names(), spec.kind.value, trained.recipe, spec.name, trained.mode.value,
                  (int(data.input_size[0]), int(data.input_size[1])), trained.seed, datetime.now(UTC).isoformat(),
                  round(time.perf_counter() - trained.started, 2), len(data.images), list(data.skipped),
                  trained.validation, trained.metrics, warnings=trained.warnings,
                  images=sorted({source.image for source in data.sources})).write(folder)
    return workspace.latest_model(trained.recipe, spec.name)


def _train_classifier(spec: ClassifierType, data: TrainingSet, mode: TrainingMode, seed: int,
                      report: Progress) -> _Outcome:
    from openinspect.models.classifier import train_classifier  # torch: training only

    plan = plan_validation(data.targets, spec.class_names(), mode, seed)
    folds = 0 if plan.method == "hold-out" else len(plan.folds)  # a hold-out's one model is the final model

    def fit(indices: np.ndarray, index: int) -> Any:
        which = Fold(index + 1 if index < folds else None, folds)

        def forward(fraction: float, status: str, *, step: Step | None = None, fold: Fold | None = None) -> None:
            report((index + fraction) / (folds + 1), status, step=step, fold=fold or which)

        return train_classifier(
            data.images[indices], data.targets[indices], len(spec.classes), mode.value, seed=seed,
            hflip=spec.augment.hflip, vflip=spec.augment.vflip, rotate90=spec.augment.rotate90, progress=forward)

    validation = {"method": plan.method, "reason": plan.reason}
    truth: list[int] = []
    predicted: list[int] = []
    crops: list[ValidationCrop] = []
    model = None
    for index, (train_idx, val_idx) in enumerate(plan.folds):
        model = fit(train_idx, index)
        probabilities = model.predict_proba(data.images[val_idx])
        truth += data.targets[val_idx].tolist()
        predicted += [spec.decide(row) for row in probabilities]
        crops += [classified_crop(data.sources[i], spec, int(data.targets[i]), row)
                  for i, row in zip(val_idx, probabilities, strict=True)]
    metrics = classification_metrics(np.array(truth), np.array(predicted), spec.class_names()) if truth else {}
    if plan.method != "hold-out" or model is None:  # folds only measure; the shipped model learns from all
        model = fit(np.arange(len(data.targets)), folds)
    return _Outcome(model, metrics, validation, crops)


def _train_segmenter(spec: SegmenterType, data: TrainingSet, seed: int, report: Progress,
                     time_budget_s: float | None) -> _Outcome:
    from openinspect.models.segmenter import train_segmenter  # torch: training only

    rng = np.random.default_rng(seed)
    count = len(data.images)
    held = rng.permutation(count)[: count // 5] if count >= 5 else np.array([], dtype=np.int64)
    kept = np.setdiff1d(np.arange(count), held)
    model = train_segmenter(data.images[kept], data.targets[kept], len(spec.pixel_classes), seed=seed,
                            hflip=spec.augment.hflip, vflip=spec.augment.vflip, rotate90=spec.augment.rotate90,
                            progress=report, time_budget_s=time_budget_s,
                            patch=_tile_patch(data.input_size) if spec.tiling else None)
    if not len(held):
        return _Outcome(model, {}, {"method": "none", "reason": f"{count} crop(s): at least 5 are needed to hold "
                                    f"out a fifth; the model was trained on all: check it with `openinspect eval`"})
    predicted = list(model.predict_masks(data.images[held]))
    metrics = segmentation_metrics(list(data.targets[held]), predicted, spec.class_names(), spec.min_blob_px)
    crops = [segmented_crop(data.sources[i], spec, data.targets[i], mask)
             for i, mask in zip(held, predicted, strict=True)]
    return _Outcome(model, metrics, {"method": "hold-out", "reason": ""}, crops)


def _tile_patch(size: tuple[int, int]) -> int:
    """Training square for full-resolution tiles: 256 px (a quarter of a 512 px tile's cost per step)."""
    return min(TILE_TRAIN_PATCH, *size) // 32 * 32


def _by_image(labels: list[Label]) -> dict[str, list[Label]]:
    groups: dict[str, list[Label]] = {}
    for label in labels:
        groups.setdefault(label.image.sha256, []).append(label)
    return groups
