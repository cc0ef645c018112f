"""What the station says about a capture: per-ROI results and the capture's verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from openinspect.imaging import Pose, Rect
from openinspect.station.measure import Blob


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

    @property
    def passes(self) -> bool:
        """A capture passes only when it was judged, the part was found and every ROI passes."""
        return self.error is None and self.reason is None and all(r.passes for r in self.rois)

    def to_json(self) -> dict[str, Any]:
        """One JSON object per capture, as ``openinspect inspect --json`` prints it.

        ``reason`` and ``alignment`` appear only when set, so results of recipes without alignment
        keep their shape.
        """
        if self.error is not None:
            return {"image": self.image, "error": self.error}
        line: dict[str, Any] = {"image": self.image, "pass": self.passes}
        if self.reason is not None:
            line["reason"] = self.reason
        line["rois"] = [r.to_json() for r in self.rois]
        if self.pose is not None:
            line["alignment"] = self.pose.to_json()
        line["timing_ms"] = {k: round(v, 2) for k, v in self.timing_ms.items()}
        return line
