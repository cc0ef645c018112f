"""Run one inspection type's model over that type's ROI crops of a capture, in one batched call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from openinspect.dataset import model_batch
from openinspect.imaging import Rect
from openinspect.imaging.tiles import cut_tiles, stitch
from openinspect.models.heatmap import anomalous_region, anomaly_score, heat_map
from openinspect.models.runtime import OnnxModel, fast_int8
from openinspect.recipe import AnomalyType, ClassifierType, InspectionType, Recipe, SegmenterType
from openinspect.station.measure import failed_rules, find_blobs, measure
from openinspect.station.results import AnomalyRoiResult, ClassifierRoiResult, RoiResult, SegmenterRoiResult
from openinspect.store import ModelMeta, ModelVersion

TILE_OVERLAP = 64
"""Overlap between neighbouring tiles of a tiled segmenter or anomaly ROI, in px."""


@dataclass(frozen=True)
class Prepared:
    """A type's crops as one model batch, with what is needed to map outputs back to the ROIs."""

    batch: np.ndarray
    """``(N, h, w, 3)`` uint8 RGB model input."""
    crop_sizes: list[tuple[int, int]]
    """``(height, width)`` of each ROI crop before resizing."""
    tiles: list[list[tuple[int, int]]] | None = None
    """For tiled ROIs: the ``(y, x)`` origin of each tile, per ROI, in batch order."""


class _BatchedRunner:
    """What every runner does alike: its ROI crops as one batch, one model call, then the type's own decision."""

    spec: InspectionType
    model: OnnxModel

    @property
    def tiling(self) -> bool:
        """Whether a ROI is cut into full-resolution tiles rather than downscaled.

        A segmenter's or anomaly type's setting; classifiers always resize a crop to the model input.
        """
        return isinstance(self.spec, SegmenterType | AnomalyType) and self.spec.tiling

    def prepare(self, crops: list[np.ndarray]) -> Prepared:
        """Resize ``(h, w, 3)`` uint8 RGB crops of any size into this model's input batch (``tiling``: tiles)."""
        return prepare_regions(crops, self.model.input_size, self.tiling)

    def judge(self, prepared: Prepared, names: list[str], rects: list[Rect]) -> list[RoiResult]:
        """Run a prepared batch in one model call; ``names`` and ``rects`` are the ROIs of its crops."""
        return self.decide(self.model.predict(prepared.batch), prepared, names, rects)

    def decide(self, outputs: np.ndarray, prepared: Prepared, names: list[str], rects: list[Rect]) -> list[RoiResult]:
        """Each ROI's result from the model's outputs on ``prepared`` (each type its own)."""
        raise NotImplementedError


@dataclass(frozen=True)
class ClassifierRunner(_BatchedRunner):
    """A classifier type's model: one class and confidence per ROI crop."""

    spec: ClassifierType
    model: OnnxModel
    version: ModelVersion

    def decide(self, probs: np.ndarray, prepared: Prepared, names: list[str], rects: list[Rect]) -> list[RoiResult]:
        """Each ROI's class from the model's ``(N, C)`` probabilities on ``prepared``."""
        results: list[RoiResult] = []
        for name, rect, row in zip(names, rects, probs, strict=True):
            index = self.spec.decide(row)
            chosen = self.spec.classes[index]
            results.append(ClassifierRoiResult(name, self.spec.name, chosen.passes, rect, chosen.name,
                                               float(row[index])))
        return results


@dataclass(frozen=True)
class SegmenterRunner(_BatchedRunner):
    """A segmenter type's model: a class map per ROI, measured in the ROI's original pixels, then the rules."""

    spec: SegmenterType
    model: OnnxModel
    version: ModelVersion
    mm_per_px: float | None = None

    def decide(self, outputs: np.ndarray, prepared: Prepared, names: list[str], rects: list[Rect]) -> list[RoiResult]:
        """Each ROI's class map from the model's outputs on ``prepared``, measured and ruled."""
        results: list[RoiResult] = []
        for index, (name, rect) in enumerate(zip(names, rects, strict=True)):
            mask = roi_map(outputs, prepared, index, _nearest)
            blobs = find_blobs(mask, self.spec.class_names(), self.spec.min_blob_px)
            values = measure(blobs, self.spec.class_names(), self.mm_per_px)
            failed = failed_rules(self.spec, values)
            results.append(SegmenterRoiResult(name, self.spec.name, not failed, rect, mask, values, blobs, failed))
        return results



@dataclass(frozen=True)
class AnomalyRunner(_BatchedRunner):
    """An anomaly type's model: a heat map per ROI, its score against the threshold, the region, then the rules."""

    spec: AnomalyType
    model: OnnxModel
    version: ModelVersion
    threshold: float
    """The score from which a crop is anomalous, as training set it (``meta.json``)."""
    mm_per_px: float | None = None

    def decide(self, outputs: np.ndarray, prepared: Prepared, names: list[str], rects: list[Rect]) -> list[RoiResult]:
        """Each ROI's heat map from the model's outputs on ``prepared``: scored, its region measured and ruled."""
        if prepared.tiles is not None:  # each tile's heat map at the tile's size, stitched below
            outputs = np.stack([heat_map(d, self.model.input_size) for d in outputs])
        results: list[RoiResult] = []
        regions = self.spec.region_names()
        for index, (name, rect) in enumerate(zip(names, rects, strict=True)):
            heat = roi_map(outputs, prepared, index, heat_map)
            mask = anomalous_region(heat, self.threshold)
            blobs = find_blobs(mask, regions, self.spec.min_blob_px)
            values = measure(blobs, regions, self.mm_per_px)
            failed = failed_rules(self.spec, values)
            results.append(AnomalyRoiResult(name, self.spec.name, not failed, rect, mask, values, blobs, failed,
                                            anomaly_score(heat), self.threshold, heat))
        return results


def prepare_regions(crops: list[np.ndarray], size: tuple[int, int], tiling: bool) -> Prepared:
    """Crops as one batch at ``size``: downscaled, or with ``tiling`` cut into full-resolution tiles of ``size``."""
    sizes = [c.shape[:2] for c in crops]
    if not tiling:
        return Prepared(model_batch(crops, size), sizes)
    pieces, origins = zip(*(cut_tiles(c, size, TILE_OVERLAP) for c in crops), strict=True)
    return Prepared(np.stack([t for tiles in pieces for t in tiles]), sizes, list(origins))


def roi_map(outputs: np.ndarray, prepared: Prepared, index: int,
            resize: Callable[[np.ndarray, tuple[int, int]], np.ndarray]) -> np.ndarray:
    """The ``index``-th ROI's map at its crop size: its output resized, or its tiles' outputs stitched."""
    height, width = prepared.crop_sizes[index]
    if prepared.tiles is None:
        return resize(outputs[index], (height, width))
    start = sum(len(t) for t in prepared.tiles[:index])
    origins = prepared.tiles[index]
    return stitch(list(outputs[start : start + len(origins)]), origins, (height, width))


def _nearest(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    return cv2.resize(mask, (size[1], size[0]), interpolation=cv2.INTER_NEAREST)


Runner = ClassifierRunner | SegmenterRunner | AnomalyRunner


def load_model(version: ModelVersion, meta: ModelMeta, threads: int | None) -> OnnxModel:
    """A version's session: its int8 copy where training kept one and this processor has a fast int8 dot product."""
    if meta.precision == "int8" and fast_int8() and version.int8_path.is_file():
        return OnnxModel(version.int8_path, threads, "int8")
    return OnnxModel(version.onnx_path, threads)


def make_runner(recipe: Recipe, spec: InspectionType, version: ModelVersion, threads: int | None) -> Runner:
    """The runner for an inspection type's model version."""
    meta = version.meta()
    model = load_model(version, meta, threads)
    mm_per_px = recipe.calibration.mm_per_px if recipe.calibration else None
    if isinstance(spec, SegmenterType):
        return SegmenterRunner(spec, model, version, mm_per_px)
    if isinstance(spec, AnomalyType):
        return AnomalyRunner(spec, model, version, float(meta.threshold or 0.0), mm_per_px)
    return ClassifierRunner(spec, model, version)
