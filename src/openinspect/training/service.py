"""Train an inspection type from its labels: gather crops, validate, train, export, publish a version.

Torch is imported here only when training actually starts, so importing this module stays cheap.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import cv2
import numpy as np
from PIL import Image

from openinspect.dataset import RoiCropper, model_batch
from openinspect.errors import DatasetError, PartNotFoundError, RecipeError
from openinspect.imaging import Pose, model_input_size, read_image
from openinspect.imaging.tiles import cut_tiles
from openinspect.models.heatmap import anomaly_score
from openinspect.models.progress import Fold, Progress, Stages, Step, no_progress
from openinspect.recipe import (
    GOOD,
    AnomalyType,
    ClassifierType,
    InspectionType,
    Recipe,
    SegmenterType,
    TrainingMode,
    region_model_input,
)
from openinspect.store import Label, ModelMeta, ModelVersion, StoredImage, SyntheticOrigin, Workspace, content_id
from openinspect.store.results import ResultFilter, ResultStore
from openinspect.training.data_checks import data_warnings
from openinspect.training.metrics import (
    anomaly_metrics,
    classification_metrics,
    region_metrics,
    segmentation_metrics,
)
from openinspect.training.validation import (
    CropSource,
    ValidationCrop,
    classified_crop,
    hold_out_fifth,
    plan_validation,
    segmented_crop,
    synthetic_note,
    with_synthetic,
    write_validation_crops,
)

if TYPE_CHECKING:
    from openinspect.models.quantize import PrecisionChoice

log = logging.getLogger(__name__)
DEFAULT_CLASSIFIER_SIDE = {TrainingMode.FAST: 320, TrainingMode.ACCURATE: 352}
"""Default longest input side of a classifier per mode: detail for small defects at a CPU-friendly cost
(bench/README.md: Fast scored the same from 320 to 512 px; Accurate's Lite1 at 352 px costs about what Lite0 did at
384 px, where Lite0 scored best)."""
TILE_TRAIN_OVERLAP = 128
"""Overlap of the full-resolution tiles a tiled segmenter or anomaly type trains on."""
TILE_TRAIN_PATCH = 256
"""Side of the squares a tiled segmenter trains on, cut from its tiles over their defects."""

# Expected seconds of each training stage, about as long as on a quiet 2-core CPU; what counts is their ratios,
# set from recorded runs (`bench/fast_train.py --record`, CPU and wall shares of each stage). They weight the stages
# of a run's progress, so its fraction done tracks its time and the time left can be estimated from it.
TORCH_IMPORT_S = 3.0
"""Loading torch and the trainer, the first time a process trains."""
FAST_FEATURE_S = 0.7
"""Fast: backbone features, per crop view and megapixel of model input."""
FAST_FIT_S = 0.05
"""Fast: memory banks and head, per training crop view and megapixel."""
FAST_BANK_S = 0.2
"""Fast: the coreset of one class's memory bank."""
FAST_EXPORT_S = 1.5
"""Fast: the ONNX export."""
ACCURATE_STEP_S = 1.7
"""Accurate: one optimiser step, per crop of the batch and megapixel: Lite0's 1.4 (bench/README.md: 120 steps of 16
crops at 384 px in 398 s) times 1.19, since a Lite1 step at 352 px took as long as a Lite0 step at 384 px (issue 16)."""
ACCURATE_EXPORT_S = 15.0
"""Accurate and segmenter: the ONNX export through ``torch.export`` (14-19 s of CPU for a Lite0 graph)."""
SEGMENTER_TRAIN_S = 120.0
"""Segmenter training without a time budget (not measured per run: its loop plans its own steps)."""
MAX_UNLABELLED = 500
"""Most unlabelled captures an Accurate run learns from: the recipe's own first, then the newest archived results."""


class _Trained(Protocol):
    @property
    def backbone(self) -> str: ...

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
    regions: np.ndarray | None = None
    """Anomaly types: ``(N, h, w)`` uint8 painted anomalous regions (1; all 0 where none is painted)."""
    painted: np.ndarray | None = None
    """Anomaly types: ``(N,)`` bool, the crop's capture has a painted region (its ``regions`` entry is a truth)."""


@dataclass(frozen=True)
class _Outcome:
    model: _Trained
    metrics: dict[str, Any]
    validation: dict[str, str]
    crops: list[ValidationCrop] = field(default_factory=list)
    exporting: Progress = no_progress
    pseudo_labelled: int = 0


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
    """``method`` and ``reason`` (see :class:`~openinspect.training.validation.ValidationPlan`; anomaly types:
    ``leave-one-out``)."""
    crops: list[ValidationCrop]
    """What the model, trained without them, said about the validation crops."""
    started: float
    """``time.perf_counter()`` when training started; the published ``train_seconds`` run to the end of export."""
    exporting: Progress = no_progress
    """The export's share of the run's progress (:func:`publish_type` reports its start)."""
    warnings: list[str] = field(default_factory=list)
    """What in the training set will not generalise (:mod:`openinspect.training.data_checks`)."""
    synthetic_images: int = 0
    """Synthetic images it trained on (never validated on)."""
    unlabelled: UnlabelledSet | None = None
    """The unlabelled captures an Accurate model learnt from (``None``: it was not asked to)."""
    pseudo_labelled: int = 0
    """Unlabelled crops the final model trained on: those its Fast teacher was confident of."""


@dataclass(frozen=True)
class UnlabelledSet:
    """Crops of captures nobody labelled for a type, for semi-supervised training."""

    images: np.ndarray
    """``(M, h, w, 3)`` uint8 RGB, at the labelled set's input size: every ROI of the type in each capture."""
    captures: list[str]
    """Content hash of each capture used (archived results: of the archived file)."""
    skipped: list[str] = field(default_factory=list)
    """Why captures were left out (alignment did not find the part)."""


@dataclass(frozen=True)
class _Archived:
    """An archived station capture, read like a library image."""

    sha256: str
    path: Path
    original_name: str


def input_size_for(recipe: Recipe, spec: InspectionType, captures: list[StoredImage],
                   mode: TrainingMode | None = None) -> tuple[int, int]:
    """The model input ``(h, w)``: the type's ROI aspect (median over labelled captures), longest side capped.

    Classifiers default to at most 320 px (Fast) or 352 px (Accurate; ``mode`` or else the type's own);
    segmenter and anomaly types as :func:`~openinspect.recipe.region_model_input` says (the ROI's size up to 512 px,
    or its full-resolution tiles). A type's ``input_size`` overrides the default.
    """
    rects = [roi.rect(c.width, c.height) for c in captures for roi in recipe.rois_of(spec.name)]
    width = round(float(np.median([r.w for r in rects])))
    height = round(float(np.median([r.h for r in rects])))
    if isinstance(spec, SegmenterType | AnomalyType):
        return region_model_input(spec, width, height)
    return model_input_size(width, height, spec.input_size or min(DEFAULT_CLASSIFIER_SIDE[mode or spec.mode],
                                                                  max(width, height)))


def classification_set(workspace: Workspace, recipe: Recipe, spec: ClassifierType,
                       mode: TrainingMode | None = None, *, exclude: frozenset[str] = frozenset()) -> TrainingSet:
    """Gather every labelled crop of a classifier type, aligned as the station cuts it.

    A capture where alignment does not find the part is skipped with a warning. ``mode`` (else the
    type's own) picks the default input size, see :func:`input_size_for`. Images in ``exclude`` (content
    hashes) are left out.

    Raises:
        DatasetError: a class without images.
    """
    names = spec.class_names()
    rois = {roi.name: roi for roi in recipe.rois_of(spec.name)}
    labels = [lb for lb in workspace.labels(recipe.name, spec.name)
              if lb.roi in rois and lb.class_name in names and lb.image.sha256 not in exclude]
    counts = {name: sum(lb.class_name == name for lb in labels) for name in names}
    empty = [name for name, n in counts.items() if n == 0]
    if empty:
        raise DatasetError(
            f"cannot train '{spec.name}' of recipe '{recipe.name}': class(es) {', '.join(empty)} have no labelled "
            f"images (counts: {', '.join(f'{k} {v}' for k, v in counts.items())}); label at least 3 per class, "
            f"e.g. with `openinspect label import {recipe.name} --type {spec.name} --folders DIR`")
    data = _labelled_crops(workspace, recipe, spec, labels, mode)
    lost = [name for index, name in enumerate(names) if index not in data.targets]
    if lost:
        raise DatasetError(f"cannot train '{spec.name}' of recipe '{recipe.name}': alignment found the part in no "
                           f"capture of class(es) {', '.join(lost)}; {data.skipped[0]}")
    return data


def anomaly_set(workspace: Workspace, recipe: Recipe, spec: AnomalyType, *,
                exclude: frozenset[str] = frozenset()) -> TrainingSet:
    """Gather every labelled or painted crop of an anomaly type, aligned (``good`` to learn, the rest to validate).

    A crop with a painted anomalous pixel is anomalous whatever its class label says, and keeps its painted region
    (``regions``) for the pixel-level figures. A painted capture's ROI without a painted pixel counts as its label
    says, and is left out without one: painting marks anomalies, not good parts.

    Images in ``exclude`` (content hashes) are left out.

    Raises:
        DatasetError: fewer than 3 good crops (anomalous crops alone cannot train it).
    """
    from openinspect.models.anomaly import MIN_GOOD  # torch: training only

    rois = {roi.name for roi in recipe.rois_of(spec.name)}
    labels = [lb for lb in workspace.labels(recipe.name, spec.name) if lb.roi in rois
              and lb.class_name in spec.class_names() and lb.image.sha256 not in exclude]
    classes = {(lb.image.sha256, lb.roi): lb.class_name for lb in labels}
    masks = [(image, path) for image, path in workspace.masks(recipe.name, spec.name) if image.sha256 not in exclude]
    painted = {image.sha256: path for image, path in masks}
    images = {lb.image.sha256: lb.image for lb in labels} | {image.sha256: image for image, _ in masks}
    good = sum(name == GOOD for name in classes.values())
    data = _anomaly_crops(workspace, recipe, spec, list(images.values()), classes, painted) \
        if good >= MIN_GOOD else None
    kept = int((data.targets == 0).sum()) if data is not None else good
    if kept < MIN_GOOD:
        lost = f" ({good - kept} left out: alignment did not find the part, or a painted region)" if kept < good else ""
        raise DatasetError(
            f"cannot train anomaly type '{spec.name}' of recipe '{recipe.name}': it learns from good crops only and "
            f"has {kept} good crop(s){lost}, at least {MIN_GOOD} are needed ({len(classes) - good} anomalous "
            f"crop(s) only validate); label {MIN_GOOD - kept} more good crop(s), e.g. with `openinspect label "
            f"import {recipe.name} --type {spec.name} --folders DIR` (a folder named good)")
    assert data is not None
    return data


def _anomaly_crops(workspace: Workspace, recipe: Recipe, spec: AnomalyType, ordered: list[StoredImage],
                   classes: dict[tuple[str, str], str], painted: dict[str, Path]) -> TrainingSet:
    """An anomaly type's crops (tiles, with ``tiling``) of the ``ordered`` captures, with targets and painted regions.

    ``classes``: ``{(image sha256, ROI name): class name}`` labels; ``painted``: ``{image sha256: mask path}``.
    """
    names = spec.class_names()
    size = input_size_for(recipe, spec, ordered)
    cropper = RoiCropper.load(workspace, recipe)
    crops: list[np.ndarray] = []
    targets: list[int] = []
    regions: list[np.ndarray] = []
    from_painted: list[bool] = []
    sources: list[CropSource] = []
    skipped: list[str] = []
    for stored, capture, pose in _located(cropper, ordered, skipped):
        mask_path = painted.get(stored.sha256)
        chosen = [roi for roi in recipe.rois_of(spec.name) if mask_path or (stored.sha256, roi.name) in classes]
        class_map = np.asarray(Image.open(mask_path)) if mask_path else np.zeros(capture.shape[:2], np.uint8)
        for roi, crop, region in zip(chosen, cropper.crops(capture, chosen, stored.original_name, pose),
                                     cropper.crops(class_map[:, :, None], chosen, stored.original_name, pose,
                                                   nearest=True), strict=True):
            label = classes.get((stored.sha256, roi.name))
            for piece, piece_region in _fit(crop, region[:, :, 0], size, spec.tiling):
                hit = bool(piece_region.any())
                if hit or label is not None:
                    crops.append(piece)
                    targets.append(1 if hit else names.index(label or GOOD))
                    regions.append((piece_region > 0).astype(np.uint8))
                    from_painted.append(mask_path is not None)
                    sources.append(CropSource(stored.sha256, roi.name, cropper.rect(roi, capture, pose)))
    if not crops:
        return TrainingSet(np.zeros((0, *size, 3), np.uint8), np.zeros(0, np.int64), size, sources, skipped)
    return TrainingSet(np.stack(crops), np.array(targets, dtype=np.int64), size, sources, skipped,
                       regions=np.stack(regions), painted=np.array(from_painted))


def _labelled_crops(workspace: Workspace, recipe: Recipe, spec: ClassifierType, labels: list[Label],
                    mode: TrainingMode | None = None) -> TrainingSet:
    """The labelled crops (class index targets), aligned as the station cuts them; unaligned captures skipped."""
    names = spec.class_names()
    rois = {roi.name: roi for roi in recipe.rois_of(spec.name)}
    groups = _by_image(labels)
    size = input_size_for(recipe, spec, [group[0].image for group in groups.values()], mode)
    cropper = RoiCropper.load(workspace, recipe)
    crops: list[np.ndarray] = []
    targets: list[int] = []
    sources: list[CropSource] = []
    skipped: list[str] = []
    for stored, capture, pose in _located(cropper, [group[0].image for group in groups.values()], skipped):
        group = groups[stored.sha256]
        chosen = [rois[lb.roi] for lb in group]
        for label, roi, crop in zip(group, chosen, cropper.crops(capture, chosen, stored.original_name, pose),
                                    strict=True):
            crops += list(model_batch([crop], size))
            targets.append(names.index(label.class_name))
            sources.append(CropSource(stored.sha256, roi.name, cropper.rect(roi, capture, pose)))
    if not crops:
        return TrainingSet(np.zeros((0, *size, 3), np.uint8), np.zeros(0, np.int64), size, sources, skipped)
    return TrainingSet(np.stack(crops), np.array(targets, dtype=np.int64), size, sources, skipped)


def segmentation_set(workspace: Workspace, recipe: Recipe, spec: SegmenterType, *,
                     exclude: frozenset[str] = frozenset()) -> TrainingSet:
    """Gather every masked crop of a segmenter type (or its full-resolution tiles, with ``tiling``), aligned.

    A capture where alignment does not find the part is skipped with a warning; images in ``exclude`` (content
    hashes) are left out.

    Raises:
        DatasetError: no masks, or no labelled pixel of some pixel class.
    """
    labelled = [(image, path) for image, path in workspace.masks(recipe.name, spec.name) if image.sha256 not in exclude]
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
    mask_paths = {image.sha256: path for image, path in labelled}
    for stored, capture, pose in _located(cropper, [image for image, _ in labelled], skipped):
        mask_path = mask_paths[stored.sha256]
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


class _Readable(Protocol):
    @property
    def path(self) -> Path: ...
    @property
    def original_name(self) -> str: ...


_Capture = TypeVar("_Capture", bound=_Readable)


def _located(cropper: RoiCropper, captures: list[_Capture],
             skipped: list[str]) -> Iterator[tuple[_Capture, np.ndarray, Pose | None]]:
    """Read each capture and find the part in it as the station does: ``(stored, capture, pose)`` per capture found.

    A capture where alignment does not find the part is left out with a warning, and why is appended to ``skipped``.
    """
    for stored in captures:
        capture = read_image(stored.path)
        try:
            pose = cropper.locate(capture, stored.original_name)
        except PartNotFoundError as err:
            log.warning("training skips a capture: %s", err)
            skipped.append(str(err))
            continue
        yield stored, capture, pose


def unlabelled_set(workspace: Workspace, recipe: Recipe, spec: ClassifierType, size: tuple[int, int], *,
                   archive: ResultStore | None = None, limit: int = MAX_UNLABELLED) -> UnlabelledSet:
    """The crops of captures nobody labelled for a classifier type, aligned as the station cuts them.

    Captures: the recipe's own (added for labelling) and then, newest first, the station's archived results of the
    recipe, up to ``limit`` in all, each once by content. Never an image labelled for the type (its validation
    crops among them) nor a synthetic image; a capture where alignment does not find the part is skipped.
    """
    shut_out = {lb.image.sha256 for lb in workspace.labels(recipe.name, spec.name)}
    shut_out |= set(workspace.synthetic(recipe.name))
    captures: list[StoredImage | _Archived] = []
    for sha in workspace.capture_ids(recipe.name):
        if len(captures) == limit:
            break
        stored = workspace.image(sha, missing_ok=True) if sha not in shut_out else None
        if stored is not None:
            captures.append(stored)
            shut_out.add(sha)
    if archive is not None and len(captures) < limit:
        for _, path in archive.archived(ResultFilter(recipe=recipe.name)):
            try:
                sha = content_id(path.read_bytes())
            except FileNotFoundError:  # evicted by retention since the query
                continue
            if sha not in shut_out:
                captures.append(_Archived(sha, path, path.name))
                shut_out.add(sha)
                if len(captures) == limit:
                    break
    rois = recipe.rois_of(spec.name)
    cropper = RoiCropper.load(workspace, recipe)
    crops: list[np.ndarray] = []
    used: list[str] = []
    skipped: list[str] = []
    for capture, pixels, pose in _located(cropper, captures, skipped):
        crops += list(model_batch(cropper.crops(pixels, rois, capture.original_name, pose), size))
        used.append(capture.sha256)
    images = np.stack(crops) if crops else np.zeros((0, *size, 3), np.uint8)
    return UnlabelledSet(images, used, skipped)


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
               deploy: bool = False, synthetic: bool = True, unlabelled: bool = True,
               archive: ResultStore | None = None) -> ModelVersion:
    """Train, validate, export and publish a new model version of one inspection type.

    The version is a candidate the station does not run until it is deployed: at once with ``deploy``, and always
    for the type's first version (:meth:`~openinspect.store.Workspace.new_model_version`).

    ``progress`` gets the fraction done and the stage, with the optimiser step and the
    :class:`~openinspect.models.progress.Fold` of each model the run trains (validation folds first, then the
    final one). ``time_budget_s`` caps a segmenter's training time (it stops early with the best model so far).
    ``synthetic``: train on the recipe's synthetic images too (never validated on; see :func:`fit_type`).
    ``unlabelled`` and ``archive``: an Accurate classifier learns from unlabelled captures (see :func:`fit_type`).

    Raises:
        RecipeError: unknown type, or a training mode the type does not have.
        DatasetError: the labels cannot train a model.
    """
    trained = fit_type(workspace, recipe, type_name, mode=mode, seed=seed, progress=progress,
                       time_budget_s=time_budget_s, synthetic=synthetic, unlabelled=unlabelled, archive=archive)
    return publish_type(workspace, trained, deploy=deploy)


def fit_type(workspace: Workspace, recipe: Recipe, type_name: str, *, mode: TrainingMode | None = None,
             seed: int = 0, progress: Progress | None = None, time_budget_s: float | None = None,
             synthetic: bool = True, unlabelled: bool = True, archive: ResultStore | None = None) -> TrainedType:
    """Gather a type's labelled crops, validate and train a model, without exporting or publishing it.

    Synthetic images (the Defect Creator's) are trained on when ``synthetic`` is set, and never validated on
    (:func:`~openinspect.training.validation.with_synthetic`); an anomaly type, which learns good crops only,
    leaves them out.

    With ``unlabelled`` an Accurate classifier also learns from captures nobody labelled for it
    (:func:`unlabelled_set`: the recipe's captures, then ``archive``'s archived results) by self-training: a Fast
    teacher fitted on each model's labelled crops gives them classes, and those it is confident of join the
    fine-tuning (:class:`~openinspect.models.classifier.FoldTrainer`). Labelled images, the validation crops among
    them, are never among them.

    Raises:
        RecipeError: unknown type, or a training mode the type does not have.
        DatasetError: the labels cannot train a model.
    """
    spec = recipe.inspection_type(type_name)
    report = progress or no_progress
    started = time.perf_counter()
    report(0.0, "reading the labelled captures")
    if isinstance(spec, SegmenterType | AnomalyType) and mode not in (None, TrainingMode.ACCURATE):
        raise RecipeError(f"{spec.kind.value} type '{spec.name}' has one training mode, accurate; drop --mode {mode}")
    mode = mode or spec.mode
    made = workspace.synthetic(recipe.name)
    extra: UnlabelledSet | None = None
    leave_out = frozenset(made) if not synthetic or isinstance(spec, AnomalyType) else frozenset()
    if isinstance(spec, SegmenterType):
        data = _defect_rois_only(segmentation_set(workspace, recipe, spec, exclude=leave_out), made)
        flags = _flags(data, made)
        warnings = data_warnings(workspace, data.sources, data.images, None, [])
        outcome = _train_segmenter(spec, data, seed, report, time_budget_s, time.perf_counter() - started, flags)
    elif isinstance(spec, AnomalyType):
        data = anomaly_set(workspace, recipe, spec, exclude=leave_out)
        flags = _flags(data, made)
        # near-duplicates only: the anomalous class is optional, so class counts and balance say nothing here
        warnings = data_warnings(workspace, data.sources, data.images, None, [])
        outcome = _train_anomaly(spec, data, seed, report)
    else:
        data = classification_set(workspace, recipe, spec, mode, exclude=leave_out)
        flags = _flags(data, made)
        warnings = data_warnings(workspace, data.sources, data.images, data.targets, spec.class_names())
        if unlabelled and mode is TrainingMode.ACCURATE:
            report(0.0, "reading the unlabelled captures")
            extra = unlabelled_set(workspace, recipe, spec, data.input_size, archive=archive)
        outcome = _train_classifier(spec, data, mode, seed, report, time.perf_counter() - started, flags,
                                    extra.images if extra is not None else None)
    return TrainedType(recipe.name, spec, mode, seed, data, outcome.model, outcome.metrics, outcome.validation,
                       outcome.crops, started, exporting=outcome.exporting, warnings=warnings,
                       synthetic_images=len({s.image for s, f in zip(data.sources, flags, strict=True) if f}),
                       unlabelled=extra, pseudo_labelled=outcome.pseudo_labelled)


def _flags(data: TrainingSet, made: dict[str, SyntheticOrigin]) -> np.ndarray:
    """``(N,)`` bool: which items of a training set were cut from synthetic images."""
    return np.array([source.image in made for source in data.sources], dtype=bool)


def _defect_rois_only(data: TrainingSet, made: dict[str, SyntheticOrigin]) -> TrainingSet:
    """A segmenter's set without the crops of synthetic images outside their defects' ROIs (copies of the host)."""
    keep = np.array([source.image not in made or source.roi in made[source.image].rois for source in data.sources],
                    dtype=bool)
    if keep.all():
        return data
    return TrainingSet(data.images[keep], data.targets[keep], data.input_size,
                       [s for s, k in zip(data.sources, keep, strict=True) if k], data.skipped)


def publish_type(workspace: Workspace, trained: TrainedType, *, deploy: bool = False) -> ModelVersion:
    """Export a trained model and publish it, its ``meta.json`` and ``validation.json`` as the type's next version.

    With ``deploy`` the version is deployed in the same transaction as its record.
    """
    spec, data = trained.spec, trained.data
    trained.exporting(0.0, "exporting to ONNX")
    with workspace.new_model_version(trained.recipe, spec.name, trained.mode.value, deploy=deploy) as folder:
        trained.model.export_onnx(folder / "model.onnx")
        choice = _precision(folder, trained, workspace.synthetic(trained.recipe))
        write_validation_crops(folder, trained.crops)
        ModelMeta(spec.class_names(), spec.kind.value, trained.recipe, spec.name, trained.mode.value,
                  (int(data.input_size[0]), int(data.input_size[1])), trained.seed, datetime.now(UTC).isoformat(),
                  round(time.perf_counter() - trained.started, 2), len(data.images), list(data.skipped),
                  trained.validation, trained.metrics, threshold=trained.metrics.get("threshold"),
                  tiling=bool(getattr(spec, "tiling", False)), warnings=trained.warnings,
                  images=sorted({source.image for source in data.sources}),
                  synthetic_images=trained.synthetic_images,
                  unlabelled_images=sorted(trained.unlabelled.captures) if trained.unlabelled is not None else None,
                  pseudo_labelled=trained.pseudo_labelled, precision=choice.precision,
                  int8=choice.record(), backbone=trained.model.backbone).write(folder)
    return workspace.latest_model(trained.recipe, spec.name)


def _precision(folder: Path, trained: TrainedType, made: dict[str, SyntheticOrigin]) -> PrecisionChoice:
    """Keep an int8 copy beside ``model.onnx`` where it runs faster and scores within tolerance of fp32.

    Only crops the published model did not learn from can show what int8 costs (on its own training crops a Fast
    model agrees with itself in int8 and still misjudges new parts): a segmenter's held-out fifth. A classifier's
    published model learns every labelled crop, so it stays fp32.
    """
    from openinspect.models.quantize import PrecisionChoice, choose_precision  # onnx: training only
    from openinspect.models.runtime import fast_int8

    data, kind = trained.data, trained.spec.kind.value
    if kind != "segmenter" or trained.validation.get("method") != "hold-out":
        return PrecisionChoice("fp32", "no crops held out from the published model to check int8 on")
    held = hold_out_fifth(_flags(data, made), trained.seed)  # the crops validation held out (fit_type)
    return choose_precision(folder / "model.onnx", folder / "model.int8.onnx", data.images[held],
                            data.targets[held], kind, fast_int8())


def _train_classifier(spec: ClassifierType, data: TrainingSet, mode: TrainingMode, seed: int, report: Progress,
                      gathered_s: float, synthetic: np.ndarray, unlabelled: np.ndarray | None = None) -> _Outcome:
    """Validate (every fold's model judges the crops it did not learn from), then train the model to publish.

    ``synthetic``: ``(N,)`` bool, the crops of synthetic images: trained on in every fold, never validated on.
    ``unlabelled``: crops nobody labelled, which Accurate learns from through a Fast teacher per model.

    Fast computes the backbone features of every crop once and every model shares them (:class:`FoldTrainer`).
    Progress runs through :class:`Stages` weighted by :func:`classifier_costs`, so it tracks time.
    """
    loading = 0.0 if "torch" in sys.modules else TORCH_IMPORT_S
    from openinspect.models.accurate import Augment  # torch: training only
    from openinspect.models.classifier import FoldTrainer

    real = np.flatnonzero(~synthetic)
    plan = with_synthetic(plan_validation(data.targets[real], spec.class_names(), mode, seed), real,
                          np.flatnonzero(synthetic))
    folds = 0 if plan.method == "hold-out" else len(plan.folds)  # a hold-out's one model is the final model
    fits = [train for train, _ in plan.folds] + ([] if plan.method == "hold-out" else [np.arange(len(data.targets))])
    trainer = FoldTrainer(data.images, data.targets, len(spec.classes), mode.value, seed=seed,
                          augment=Augment(spec.augment.hflip, spec.augment.vflip, spec.augment.rotate90),
                          unlabelled=unlabelled)
    shared, per_fit, export = classifier_costs(mode, data.input_size, trainer.views, len(spec.classes),
                                               [len(indices) for indices in fits], len(trainer.unlabelled))
    stages = Stages(report, [gathered_s, loading, shared, *per_fit, export])
    stages.stage(1)(1.0, "loading the trainer")
    if mode is TrainingMode.FAST:
        trainer.prepare(_named(stages.stage(2), f"extracting features once, for {len(fits)} model(s)"))
    elif trainer.shares_features:
        trainer.prepare(_named(stages.stage(2), f"a Fast teacher reads {len(trainer.unlabelled)} unlabelled crop(s)"))
    crops: list[ValidationCrop] = []
    model = None
    for index, indices in enumerate(fits):
        model = trainer.fit(indices, stages.stage(3 + index, Fold(index + 1 if index < folds else None, folds)))
        if index < len(plan.folds):
            val_idx = plan.folds[index][1]
            crops += [classified_crop(data.sources[i], spec, int(data.targets[i]), row)
                      for i, row in zip(val_idx, trainer.predict_proba(model, val_idx), strict=True)]
    truth = [spec.class_names().index(c.true_class or "") for c in crops]
    predicted = [spec.class_names().index(c.predicted_class or "") for c in crops]
    metrics = classification_metrics(np.array(truth), np.array(predicted), spec.class_names()) if crops else {}
    assert model is not None  # every plan trains at least the final model
    return _Outcome(model, metrics, {"method": plan.method, "reason": _with_note(plan.reason, synthetic)}, crops,
                    stages.stage(3 + len(fits), Fold(None, folds)),
                    pseudo_labelled=len(trainer.pseudo[-1].labels) if trainer.pseudo else 0)


def _with_note(reason: str, synthetic: np.ndarray) -> str:
    """Why a run was not validated, with how many synthetic crops it trained on (a run validated has no reason)."""
    note = synthetic_note(int(synthetic.sum())) if reason else ""
    return f"{reason} ({note})" if note else reason


def classifier_costs(mode: TrainingMode, input_size: tuple[int, int], views: int, classes: int,
                     fits: list[int], unlabelled: int = 0) -> tuple[float, list[float], float]:
    """Expected seconds of a classifier run's stages: shared features, each model it trains, the export.

    Args:
        mode: Fast or Accurate.
        input_size: the model input ``(h, w)``.
        views: copies of each crop a Fast model learns from (the crop and its mirrored views).
        classes: number of classes.
        fits: training crops of each model the run trains, in order.
        unlabelled: crops nobody labelled that Accurate learns from (its Fast teacher's features, a larger step).

    >>> shared, fits, export = classifier_costs(TrainingMode.FAST, (320, 320), 3, 2, [32, 40])
    >>> round(shared, 1), [round(f, 1) for f in fits], export
    (8.6, [0.9, 1.0], 1.5)
    """
    megapixels = input_size[0] * input_size[1] / 1e6
    if mode is TrainingMode.FAST:
        crops = max(fits)  # the final model learns from every crop, whose features are shared
        per_fit = [FAST_FIT_S * n * views * megapixels + FAST_BANK_S * classes for n in fits]
        return FAST_FEATURE_S * crops * views * megapixels, per_fit, FAST_EXPORT_S
    from openinspect.models.accurate import BATCH, PSEUDO_BATCH, Schedule  # torch: training only

    steps = [Schedule().steps(n) for n in fits]
    batch = BATCH + (PSEUDO_BATCH if unlabelled else 0)
    teacher = FAST_FEATURE_S * (max(fits) * views + unlabelled) * megapixels if unlabelled else 0.0
    return teacher, [ACCURATE_STEP_S * batch * megapixels * s for s in steps], ACCURATE_EXPORT_S


def _named(progress: Progress, status: str) -> Progress:
    """``progress`` with every report's stage replaced by ``status``."""
    def forward(fraction: float, _status: str, /, *, step: Step | None = None, fold: Fold | None = None) -> None:
        progress(fraction, status, step=step, fold=fold)

    return forward


def _train_segmenter(spec: SegmenterType, data: TrainingSet, seed: int, report: Progress,
                     time_budget_s: float | None, gathered_s: float, synthetic: np.ndarray) -> _Outcome:
    """Hold out a fifth of the real crops (never a synthetic one) to validate, train on the rest."""
    loading = 0.0 if "torch" in sys.modules else TORCH_IMPORT_S
    from openinspect.models.segmenter import train_segmenter  # torch: training only

    stages = Stages(report, [gathered_s, loading, time_budget_s or SEGMENTER_TRAIN_S, ACCURATE_EXPORT_S])
    stages.stage(1)(1.0, "loading the trainer")

    held = hold_out_fifth(synthetic, seed)
    kept = np.setdiff1d(np.arange(len(data.images)), held)
    model = train_segmenter(data.images[kept], data.targets[kept], len(spec.pixel_classes), seed=seed,
                            hflip=spec.augment.hflip, vflip=spec.augment.vflip, rotate90=spec.augment.rotate90,
                            progress=stages.stage(2), time_budget_s=time_budget_s,
                            patch=_tile_patch(data.input_size) if spec.tiling else None)
    if not len(held):
        reason = (f"{int((~synthetic).sum())} real crop(s): at least 5 are needed to hold out a fifth; the model was "
                  f"trained on all: check it with `openinspect eval`")
        return _Outcome(model, {}, {"method": "none", "reason": _with_note(reason, synthetic)},
                        exporting=stages.stage(3))
    predicted = list(model.predict_masks(data.images[held]))
    metrics = segmentation_metrics(list(data.targets[held]), predicted, spec.class_names(), spec.min_blob_px)
    crops = [segmented_crop(data.sources[i], spec, data.targets[i], mask)
             for i, mask in zip(held, predicted, strict=True)]
    return _Outcome(model, metrics, {"method": "hold-out", "reason": ""}, crops, stages.stage(3))


def _train_anomaly(spec: AnomalyType, data: TrainingSet, seed: int, report: Progress) -> _Outcome:
    """Learn the good crops; they validate leave-one-out (the threshold's source), anomalous crops as they are.

    Anomalous crops with a painted region also validate the heat map pixel by pixel (:func:`region_metrics`).
    """
    from openinspect.models.anomaly import train_anomaly  # torch: training only

    good, anomalous = np.flatnonzero(data.targets == 0), np.flatnonzero(data.targets == 1)
    model = train_anomaly(data.images[good], false_reject_rate=spec.false_reject_rate, seed=seed, progress=report)
    scores = np.zeros(len(data.targets))
    scores[good] = model.good_scores
    heats = model.heat_maps(data.images[anomalous]) if len(anomalous) else np.zeros((0, *data.input_size))
    scores[anomalous] = [anomaly_score(heat) for heat in heats]
    metrics = anomaly_metrics(data.targets, scores, model.threshold, spec.class_names())
    painted = data.painted[anomalous] if data.painted is not None else np.zeros(len(anomalous), bool)
    if painted.any() and data.regions is not None:
        metrics |= region_metrics(heats[painted], data.regions[anomalous[painted]], model.threshold)
    names = spec.class_names()
    crops = [ValidationCrop(data.sources[i], names[data.targets[i]], names[int(scores[i] >= model.threshold)],
                            score=float(scores[i])) for i in range(len(scores))]
    reason = (f"threshold {model.threshold:.4f} from the {len(good)} good crops, each scored by a model without it "
              f"(leave-one-out), at false_reject_rate {spec.false_reject_rate:g}")
    reason += (f"; {len(anomalous)} anomalous crop(s) validate only ({int(painted.sum())} with a painted region)"
               if len(anomalous) else
               "; no anomalous crop: how many anomalies it misses is unknown until some are labelled")
    return _Outcome(model, metrics, {"method": "leave-one-out", "reason": reason}, crops)


def _tile_patch(size: tuple[int, int]) -> int:
    """Training square for full-resolution tiles: 256 px (a quarter of a 512 px tile's cost per step)."""
    return min(TILE_TRAIN_PATCH, *size) // 32 * 32


def _by_image(labels: list[Label]) -> dict[str, list[Label]]:
    groups: dict[str, list[Label]] = {}
    for label in labels:
        groups.setdefault(label.image.sha256, []).append(label)
    return groups
