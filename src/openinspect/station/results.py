"""What the station says about a capture: per-ROI results and the capture's verdict."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from openinspect.imaging import Pose, Rect
from openinspect.station.measure import Blob
from openinspect.store import ModelVersion, content_id


@dataclass(frozen=True)
class ModelRef:
    """Which model version judged an inspection type's ROIs, and the SHA-256 of its ``model.onnx``."""

    version: int
    sha256: str

    @classmethod
    def of(cls, model: ModelVersion) -> ModelRef:
        """Hash a model version's file (once, when an inspector loads it)."""
        return cls(model.version, content_id(model.onnx_path.read_bytes()))

    def to_json(self) -> dict[str, Any]:
        """``{"version": 3, "sha256": "..."}``."""
        return {"version": self.version, "sha256": self.sha256}


@dataclass(frozen=True)
class RoiResult:
    """Any inspection type's judgement of one ROI."""

    roi: str
    type: str
    passes: bool
    rect: Rect
    """Where the ROI lay on the capture."""

    def to_json(self) -> dict[str, Any]:
        """The ROI's entry in a result line."""
        return {"roi": self.roi, "type": self.type, "pass": self.passes}


@dataclass(frozen=True)
class ClassifierRoiResult(RoiResult):
    """A classifier's class and confidence for one ROI crop."""

    class_name: str
    confidence: float

    def to_json(self) -> dict[str, Any]:
        """The ROI's entry: ``class`` and ``confidence`` beside ``pass``."""
        return {"roi": self.roi, "type": self.type, "class": self.class_name,
                "confidence": round(self.confidence, 4), "pass": self.passes}


@dataclass(frozen=True)
class SegmenterRoiResult(RoiResult):
    """A segmenter's mask of one ROI, its measurements and the rules that failed."""

    mask: np.ndarray = field(repr=False)
    """``(rect.h, rect.w)`` uint8 class map in the ROI's original pixels (0 = background)."""
    measurements: dict[str, dict[str, Any]]
    blobs: list[Blob]
    failed_rules: list[str]

    def to_json(self) -> dict[str, Any]:
        """The ROI's entry: measurements per pixel class, blobs with capture-coordinate boxes, failed rules."""
        blobs = [{"class": b.class_name, "area": b.area, "length": round(b.length, 1),
                  "bbox": [self.rect.x + b.bbox.x, self.rect.y + b.bbox.y, b.bbox.w, b.bbox.h]} for b in self.blobs]
        return {"roi": self.roi, "type": self.type, "pass": self.passes, "measurements": self.measurements,
                "blobs": blobs, "failed_rules": self.failed_rules}


@dataclass(frozen=True)
class AnomalyRoiResult(SegmenterRoiResult):
    """An anomaly model's judgement of one ROI: its score against the threshold, and the region as a segmenter's.

    ``mask`` is the anomalous region (1 = anomalous), measured and ruled like a segmenter's one pixel class.
    """

    score: float
    """The hottest point of the heat map; higher is more anomalous."""
    threshold: float
    heat: np.ndarray = field(repr=False)
    """``(rect.h, rect.w)`` float32 heat map in the ROI's original pixels."""

    def to_json(self) -> dict[str, Any]:
        """The ROI's entry: a segmenter's, with ``score`` and ``threshold`` beside ``pass`` and a small ``heat`` map."""
        return {"roi": self.roi, "type": self.type, "score": round(self.score, 4),
                "threshold": round(self.threshold, 4)} | super().to_json() | {
            "heat": heat_preview(self.heat, self.threshold, self.rect)}


HEAT_PREVIEW_SIDE = 48
"""Longest side of the heat map a result carries (for live views and history; a few kB as base64)."""
HEAT_LEVEL_AT_THRESHOLD = 128
"""The preview's level of a cell whose hottest pixel is exactly at the threshold."""


def heat_preview(heat: np.ndarray, threshold: float, rect: Rect) -> dict[str, Any]:
    """A heat map shrunk to at most 48 px a side for a result line, hottest pixel per cell kept.

    Args:
        heat: ``(H, W)`` float32 heat map of the ROI in its original pixels.
        threshold: the model's threshold.
        rect: where the ROI lay on the capture.

    Returns:
        ``{"rect": [x, y, w, h], "size": [h, w], "levels": base64}``: ``levels`` is ``h * w`` uint8 bytes, row by
        row, ``floor(128 * cell max / threshold)`` capped at 255: a cell is 128 or more exactly when some pixel in it
        is at or above the threshold (part of the anomalous region before ``min_blob_px``).

    >>> heat = np.zeros((96, 40), np.float32); heat[50, 3] = 0.5
    >>> p = heat_preview(heat, 0.5, Rect(0, 0, 40, 96)); levels = base64.b64decode(p["levels"])
    >>> p["size"], levels[25 * 20 + 1], max(levels), sum(v > 0 for v in levels)
    ([48, 20], 128, 128, 1)
    """
    height, width = heat.shape
    scale = min(1.0, HEAT_PREVIEW_SIDE / max(height, width))
    rows = np.linspace(0, height, max(1, round(height * scale)), endpoint=False).astype(np.int64)
    cols = np.linspace(0, width, max(1, round(width * scale)), endpoint=False).astype(np.int64)
    cells = np.maximum.reduceat(np.maximum.reduceat(heat, rows, axis=0), cols, axis=1)
    levels = np.floor(HEAT_LEVEL_AT_THRESHOLD * cells / threshold) if threshold > 0 else np.zeros_like(cells)
    data = np.clip(levels, 0, 255).astype(np.uint8).tobytes()
    return {"rect": [rect.x, rect.y, rect.w, rect.h], "size": [len(rows), len(cols)],
            "levels": base64.b64encode(data).decode("ascii")}


@dataclass(frozen=True)
class InspectionResult:
    """The verdict on one capture, or why it could not be judged."""

    image: str
    rois: list[RoiResult] = field(default_factory=list)
    timing_ms: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    reason: str | None = None
    """Why the capture failed before any model ran: ``alignment`` when the part was not found."""
    pose: Pose | None = None
    """Where the part was found, for recipes with alignment."""
    models: dict[str, ModelRef] = field(default_factory=dict)
    """The model version in force per inspection type, for every capture the station got to judge."""
    recipe_revision: int | None = None
    """The recipe revision that judged the capture: with ``models``, what judged it."""

    @property
    def passes(self) -> bool:
        """A capture passes only when it was judged, the part was found and every ROI passes."""
        return self.error is None and self.reason is None and all(r.passes for r in self.rois)

    def to_json(self) -> dict[str, Any]:
        """One JSON object per capture, as ``openinspect inspect --json`` prints it.

        ``reason`` and ``alignment`` appear only when set, so results of recipes without alignment
        keep their shape; ``recipe_revision`` and ``models`` (the model version and file hash per inspection
        type) say what judged the capture.
        """
        if self.error is not None:
            return {"image": self.image, "error": self.error}
        line: dict[str, Any] = {"image": self.image, "pass": self.passes}
        if self.reason is not None:
            line["reason"] = self.reason
        line["rois"] = [r.to_json() for r in self.rois]
        if self.pose is not None:
            line["alignment"] = self.pose.to_json()
        if self.recipe_revision is not None:
            line["recipe_revision"] = self.recipe_revision
        line["models"] = {name: ref.to_json() for name, ref in self.models.items()}
        line["timing_ms"] = {k: round(v, 2) for k, v in self.timing_ms.items()}
        return line
