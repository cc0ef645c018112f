"""Evaluate the latest model of an inspection type on labelled captures it has not seen."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from openinspect.dataset import class_folders, decode_mask
from openinspect.dataset.masks import mask_pairs
from openinspect.errors import DatasetError, OpenInspectError, PartNotFoundError, RecipeError
from openinspect.imaging import Pose, decode_image, image_suffix
from openinspect.recipe import AnomalyType, ClassifierType, SegmenterType
from openinspect.station import AnomalyRoiResult, ClassifierRoiResult, Inspector, RoiResult, SegmenterRoiResult
from openinspect.station.runners import Runner
from openinspect.store import content_id
from openinspect.training.metrics import anomaly_metrics, classification_metrics, segmentation_metrics


def evaluate_folders(inspector: Inspector, type_name: str, root: Path,
                     judges: Judges | None = None) -> dict[str, Any]:
    """Run a classifier type's model over ``root/<class>/*`` captures, every ROI of the type.

    Unreadable captures and captures that do not fit the ROIs are listed in ``skipped``, captures
    where alignment does not find the part in ``alignment_failed``; neither is fatal nor counted. Captures the
    model trained on (same content) are counted, listed in ``trained_on`` and said in ``warnings``.

    Returns:
        The metrics of :func:`classification_metrics` plus ``model_version``, ``skipped``, ``alignment_failed``,
        ``trained_on`` and ``warnings``.
    """
    spec = _typed(inspector, type_name, ClassifierType, "--folders DIR (a folder per class)")
    names = spec.class_names()
    truth: list[int] = []
    predicted: list[int] = []
    problems = _Problems()
    pairs = ((path, names.index(cls)) for cls, paths in class_folders(root, names).items() for path in paths)
    for judged in _judged(inspector, spec.name, pairs, problems, judges):
        truth += [judged.extra] * len(judged.results)
        predicted += [names.index(r.class_name) for r in judged.results if isinstance(r, ClassifierRoiResult)]
    metrics = classification_metrics(np.array(truth, dtype=np.int64), np.array(predicted, dtype=np.int64), names)
    return {**metrics, "model_version": _runner(inspector, spec.name).version.version, **problems.report()}


def evaluate_anomaly(inspector: Inspector, type_name: str, root: Path,
                     judges: Judges | None = None) -> dict[str, Any]:
    """Run an anomaly type's model over ``root/good/*`` and ``root/anomalous/*`` captures, every ROI of the type.

    Returns:
        The metrics of :func:`anomaly_metrics` (the station's pass/fail per ROI, scores, AUROC where both classes
        are present) plus ``model_version``, ``skipped``, ``alignment_failed``, ``trained_on`` and ``warnings`` (as
        :func:`evaluate_folders`).
    """
    spec = _typed(inspector, type_name, AnomalyType, "--folders DIR (good/ and anomalous/)")
    names = spec.class_names()
    truth: list[int] = []
    judged_rois: list[AnomalyRoiResult] = []
    problems = _Problems()
    pairs = ((path, names.index(cls)) for cls, paths in class_folders(root, names).items() for path in paths)
    for judged in _judged(inspector, spec.name, pairs, problems, judges):
        truth += [judged.extra] * len(judged.results)
        judged_rois += [r for r in judged.results if isinstance(r, AnomalyRoiResult)]
    runner = _runner(inspector, spec.name)
    scores = np.array([r.score for r in judged_rois])
    failed = np.array([not r.passes for r in judged_rois], dtype=np.int64)
    threshold = judged_rois[0].threshold if judged_rois else float(runner.version.meta().threshold or 0.0)
    metrics = anomaly_metrics(np.array(truth, dtype=np.int64), scores, threshold, names, failed)
    return {**metrics, "model_version": runner.version.version, **problems.report()}


def evaluate_masks(inspector: Inspector, type_name: str, images: Path, masks: Path,
                   judges: Judges | None = None) -> dict[str, Any]:
    """Run a segmenter type's model over captures with same-stem masks; captures without a mask count as clean.

    Masks are cut where alignment found the part in their capture, as the model's crops are.

    Returns:
        The metrics of :func:`segmentation_metrics` plus ``model_version``, ``skipped``, ``alignment_failed``,
        ``trained_on`` and ``warnings`` (as :func:`evaluate_folders`).
    """
    spec = _typed(inspector, type_name, SegmenterType, "--images DIR --masks DIR")
    truth: list[np.ndarray] = []
    predicted: list[np.ndarray] = []
    problems = _Problems()
    rois = inspector.recipe.rois_of(spec.name)
    for judged in _judged(inspector, spec.name, mask_pairs(images, masks), problems, judges):
        mask_path = judged.extra
        width, height = judged.size
        try:
            true_map = (decode_mask(mask_path.read_bytes(), str(mask_path), spec, (width, height))
                        if mask_path.is_file() else np.zeros((height, width), np.uint8))
        except OpenInspectError as err:
            problems.skipped.append(str(err))
            continue
        truth += [crop[:, :, 0] for crop in inspector.cropper.crops(true_map[:, :, None], rois, str(mask_path),
                                                                    judged.pose, nearest=True)]
        predicted += [r.mask for r in judged.results if isinstance(r, SegmenterRoiResult)]
    metrics = segmentation_metrics(truth, predicted, spec.class_names(), spec.min_blob_px)
    return {**metrics, "model_version": _runner(inspector, spec.name).version.version, **problems.report()}


@dataclass(frozen=True)
class _Judged:
    """One evaluated capture."""

    extra: Any
    """What came with the capture's path: its class index, or its mask's path."""
    size: tuple[int, int]
    """``(width, height)``."""
    pose: Pose | None
    results: list[RoiResult]


@dataclass
class _Problems:
    """Captures an evaluation could not count, and why; and those it counted that the model trained on."""

    skipped: list[str] = field(default_factory=list)
    """Unreadable, or not fitting the ROIs."""
    alignment_failed: list[str] = field(default_factory=list)
    """Alignment did not find the part."""
    trained_on: list[str] = field(default_factory=list)
    """Judged captures whose content the model trained on."""
    judged: int = 0
    version: int = 0

    def report(self) -> dict[str, Any]:
        """The lists as an evaluation's result carries them, with the warning the overlap calls for."""
        return {"skipped": self.skipped, "alignment_failed": self.alignment_failed, "trained_on": self.trained_on,
                "warnings": [trained_on_warning(self.trained_on, self.judged, self.version)] if self.trained_on else []}


def trained_on_warning(names: list[str], judged: int, version: int, shown: int = 5) -> str:
    """Say that some evaluated captures were training captures, naming up to ``shown`` of them.

    >>> trained_on_warning(["a.png", "b.png"], 10, 3)
    "2 of the 10 evaluated captures were in model v3's training set (same content): a.png, b.png; the figures \
are optimistic: evaluate on captures the model has not seen"
    """
    listed = ", ".join(names[:shown]) + (f" and {len(names) - shown} more" if len(names) > shown else "")
    return (f"{len(names)} of the {judged} evaluated captures were in model v{version}'s training set (same "
            f"content): {listed}; the figures are optimistic: evaluate on captures the model has not seen")


@dataclass(frozen=True)
class CaptureOutcome:
    """One capture as an evaluation judges it (a type's ROIs, aligned first), or why it could not be judged."""

    size: tuple[int, int] = (0, 0)
    """``(width, height)``."""
    pose: Pose | None = None
    results: list[RoiResult] = field(default_factory=list)
    content: str = ""
    """The capture's content id, to tell the model's training captures."""
    skipped: str | None = None
    """Why it is unusable (unreadable, not fitting the ROIs)."""
    alignment_failed: str | None = None
    """Why alignment did not find the part."""


def judge_capture(inspector: Inspector, type_name: str, path: Path) -> CaptureOutcome:
    """Judge one capture's ROIs of a type as the station does: aligned first when the recipe aligns."""
    try:
        data = path.read_bytes()
    except OSError as err:
        return CaptureOutcome(skipped=f"cannot read image {path.name}: {err.strerror}")
    try:
        image = decode_image(data, path.name, inspector.max_pixels)
        pose = inspector.cropper.locate(image, str(path))
        results = inspector.judge_type(image, type_name, str(path), pose)
    except PartNotFoundError as err:
        return CaptureOutcome(alignment_failed=str(err))
    except OpenInspectError as err:  # an unusable file is reported, the run goes on
        return CaptureOutcome(skipped=str(err))
    return CaptureOutcome((image.shape[1], image.shape[0]), pose, results, content_id(data))


def judge_captures(inspectors: list[Inspector], paths: list[Path], type_name: str) -> list[CaptureOutcome]:
    """:func:`judge_capture` on each path by the job's one inspector (a worker's work in ``eval --ray``)."""
    return [judge_capture(inspectors[0], type_name, path) for path in paths]


Judges = Callable[[str, list[Path]], Iterable[CaptureOutcome]]
"""Judges a type's ROIs on captures, an outcome per path in order: in this process, or on a cluster's workers."""


def _judged(inspector: Inspector, type_name: str, items: Iterable[tuple[Path, Any]],
            problems: _Problems, judges: Judges | None) -> Iterator[_Judged]:
    """Judge each capture's ROIs of one type (:func:`judge_capture`, by ``judges`` when given).

    Judged captures the model version trained on (by content) are listed in ``problems.trained_on``.
    """
    version = _runner(inspector, type_name).version
    trained = set(version.meta().images)
    problems.version = version.version
    pairs = list(items)
    paths = [path for path, _ in pairs]
    outcomes = judges(type_name, paths) if judges else (judge_capture(inspector, type_name, p) for p in paths)
    for (path, extra), outcome in zip(pairs, outcomes, strict=True):
        if outcome.alignment_failed is not None:
            problems.alignment_failed.append(outcome.alignment_failed)
            continue
        if outcome.skipped is not None:
            problems.skipped.append(outcome.skipped)
            continue
        problems.judged += 1
        if outcome.content in trained:
            problems.trained_on.append(str(path))
        yield _Judged(extra, outcome.size, outcome.pose, outcome.results)


def _runner(inspector: Inspector, type_name: str) -> Runner:
    return inspector.runners[type_name]


def _typed(inspector: Inspector, type_name: str, kind: type, usage: str) -> Any:
    spec = inspector.recipe.inspection_type(type_name)
    if not isinstance(spec, kind):
        raise DatasetError(f"type '{type_name}' is a {spec.kind.value}; evaluate it with {usage}")
    return spec


def evaluate_uploads(inspector: Inspector, type_name: str, captures: list[tuple[str, bytes]]) -> dict[str, Any]:
    """Evaluate a classifier type's model on uploaded labelled captures (``(class, encoded bytes)`` pairs).

    The captures are written under generated names in a temporary folder (request strings never become
    paths) and judged as :func:`evaluate_folders` judges a folder per class.

    Raises:
        RecipeError: the type is a segmenter.
        DatasetError: no captures, or a class the type does not have.
    """
    spec = inspector.recipe.inspection_type(type_name)
    if not isinstance(spec, ClassifierType):
        raise RecipeError(f"'{type_name}' is a segmenter: evaluate it with `openinspect eval {inspector.recipe.name} "
                          f"--type {type_name} --images DIR --masks DIR`")
    if not captures:
        raise DatasetError("no captures to evaluate: send image files, each with its class")
    bad = sorted({c for c, _ in captures if c not in spec.class_names()})
    if bad:
        raise DatasetError(f"class(es) {', '.join(bad)} not in type '{type_name}'; classes: "
                           f"{', '.join(spec.class_names())}")
    with tempfile.TemporaryDirectory(prefix="openinspect-eval-") as tmp:
        for index, (class_name, data) in enumerate(captures):
            path = Path(tmp) / class_name / f"{index:06d}{image_suffix(data) or '.img'}"
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(data)
        metrics = evaluate_folders(inspector, type_name, Path(tmp))
    for problems in ("skipped", "alignment_failed", "trained_on", "warnings"):
        metrics[problems] = [s.replace(tmp, "upload") for s in metrics[problems]]
    return metrics
