"""Evaluate the latest model of an inspection type on labelled captures it has not seen."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from openinspect.dataset import class_folders, decode_mask, roi_crops
from openinspect.dataset.masks import mask_pairs
from openinspect.errors import DatasetError, OpenInspectError
from openinspect.imaging import read_image
from openinspect.recipe import ClassifierType, SegmenterType
from openinspect.station import ClassifierRoiResult, Inspector, RoiResult, SegmenterRoiResult
from openinspect.station.runners import Runner
from openinspect.training.metrics import classification_metrics, segmentation_metrics
from openinspect.training.service import inspection_type


def evaluate_folders(inspector: Inspector, type_name: str, root: Path) -> dict[str, Any]:
    """Run a classifier type's model over ``root/<class>/*`` captures, every ROI of the type.

    Unreadable captures and captures that do not fit the ROIs are listed in ``skipped``, not fatal.

    Returns:
        The metrics of :func:`classification_metrics` plus ``model_version`` and ``skipped``.
    """
    spec = _typed(inspector, type_name, ClassifierType, "--folders DIR (a folder per class)")
    names = spec.class_names()
    truth: list[int] = []
    predicted: list[int] = []
    skipped: list[str] = []
    pairs = ((path, names.index(cls)) for cls, paths in class_folders(root, names).items() for path in paths)
    for _path, label, _size, results in _judged(inspector, spec.name, pairs, skipped):
        truth += [label] * len(results)
        predicted += [names.index(r.class_name) for r in results if isinstance(r, ClassifierRoiResult)]
    metrics = classification_metrics(np.array(truth, dtype=np.int64), np.array(predicted, dtype=np.int64), names)
    return {**metrics, "model_version": _runner(inspector, spec.name).version.version, "skipped": skipped}


def evaluate_masks(inspector: Inspector, type_name: str, images: Path, masks: Path) -> dict[str, Any]:
    """Run a segmenter type's model over captures with same-stem masks; captures without a mask count as clean.

    Returns:
        The metrics of :func:`segmentation_metrics` plus ``model_version`` and ``skipped``.
    """
    spec = _typed(inspector, type_name, SegmenterType, "--images DIR --masks DIR")
    truth: list[np.ndarray] = []
    predicted: list[np.ndarray] = []
    skipped: list[str] = []
    rois = inspector.recipe.rois_of(spec.name)
    for _path, mask_path, (width, height), results in _judged(inspector, spec.name, mask_pairs(images, masks),
                                                                skipped):
        try:
            true_map = (decode_mask(mask_path.read_bytes(), str(mask_path), spec, (width, height))
                        if mask_path.is_file() else np.zeros((height, width), np.uint8))
        except OpenInspectError as err:
            skipped.append(str(err))
            continue
        truth += [crop[:, :, 0] for crop in roi_crops(true_map[:, :, None], inspector.recipe, rois, str(mask_path))]
        predicted += [r.mask for r in results if isinstance(r, SegmenterRoiResult)]
    metrics = segmentation_metrics(truth, predicted, spec.class_names(), spec.min_blob_px)
    return {**metrics, "model_version": _runner(inspector, spec.name).version.version, "skipped": skipped}


def _judged(inspector: Inspector, type_name: str, items: Iterable[tuple[Path, Any]],
            skipped: list[str]) -> Iterator[tuple[Path, Any, tuple[int, int], list[RoiResult]]]:
    """Judge each capture's ROIs of one type; yields ``(path, extra, (width, height), results)``."""
    runner = _runner(inspector, type_name)
    rois = inspector.recipe.rois_of(type_name)
    for path, extra in items:
        try:
            image = read_image(path)
            prepared = runner.prepare(roi_crops(image, inspector.recipe, rois, str(path)))
        except OpenInspectError as err:  # an unusable file is reported, the run goes on
            skipped.append(str(err))
            continue
        rects = [roi.rect(image.shape[1], image.shape[0]) for roi in rois]
        yield path, extra, (image.shape[1], image.shape[0]), runner.judge(prepared, [roi.name for roi in rois], rects)


def _runner(inspector: Inspector, type_name: str) -> Runner:
    return inspector.runners[type_name]


def _typed(inspector: Inspector, type_name: str, kind: type, usage: str) -> Any:
    spec = inspection_type(inspector.recipe, type_name)
    if not isinstance(spec, kind):
        raise DatasetError(f"type '{type_name}' is a {spec.kind.value}; evaluate it with {usage}")
    return spec
