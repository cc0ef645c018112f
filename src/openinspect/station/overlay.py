"""Pictures of a result: pixel classes or anomaly heat maps painted over the capture, ROI outlines; full masks."""

from __future__ import annotations

import cv2
import numpy as np

from openinspect.recipe import AnomalyType, Recipe, SegmenterType
from openinspect.station.results import (
    AnomalyRoiResult,
    ClassifierRoiResult,
    InspectionResult,
    RoiResult,
    SegmenterRoiResult,
)

PASS_RGB = (40, 200, 70)
FAIL_RGB = (230, 40, 40)


def draw_overlay(image: np.ndarray, result: InspectionResult, recipe: Recipe, opacity: float = 0.5) -> np.ndarray:
    """Paint a result over its capture.

    Args:
        image: ``(H, W, 3)`` uint8 RGB capture the result was computed on.
        result: its inspection result.
        recipe: the recipe (for pixel class colours).
        opacity: how strongly pixel classes cover the image, 0..1.

    Returns:
        A new ``(H, W, 3)`` uint8 RGB image: segmenter pixel classes in their colours, anomaly heat maps (blue cool,
        red hot, relative to the threshold) with the anomalous region outlined, each ROI outlined green (pass) or red
        (fail), classifier ROIs captioned with class and confidence, anomaly ROIs with score and threshold.
    """
    canvas = image.copy()
    for roi in result.rois:
        if isinstance(roi, AnomalyRoiResult):
            _paint_heat(canvas, roi, opacity)
        elif isinstance(roi, SegmenterRoiResult):
            _paint(canvas, roi, _colours(recipe, roi.type), opacity)
    thickness = max(2, round(max(image.shape[:2]) / 400))
    for roi in result.rois:
        rect = roi.rect
        colour = PASS_RGB if roi.passes else FAIL_RGB
        cv2.rectangle(canvas, (rect.x, rect.y), (rect.x + rect.w - 1, rect.y + rect.h - 1), colour, thickness)
        cv2.putText(canvas, _caption(roi), (rect.x + 4, max(14, rect.y - 6)), cv2.FONT_HERSHEY_SIMPLEX, 0.5, colour,
                    1, cv2.LINE_AA)
    return canvas


def _caption(roi: RoiResult) -> str:
    if isinstance(roi, ClassifierRoiResult):
        return f"{roi.roi}: {roi.class_name} {roi.confidence:.0%}"
    if isinstance(roi, AnomalyRoiResult):
        return f"{roi.roi}: score {roi.score:.3f} / {roi.threshold:.3f}"
    return f"{roi.roi}: {'pass' if roi.passes else 'fail'}"


def _paint_heat(canvas: np.ndarray, roi: AnomalyRoiResult, opacity: float) -> None:
    """Blend the heat map over the ROI (0 to twice the threshold, JET colours) and outline the region in white."""
    window = canvas[roi.rect.y : roi.rect.y + roi.rect.h, roi.rect.x : roi.rect.x + roi.rect.w]
    level = np.clip(roi.heat / (2 * roi.threshold) if roi.threshold > 0 else roi.heat, 0.0, 1.0)
    colours = cv2.applyColorMap((level * 255).astype(np.uint8), cv2.COLORMAP_JET)[:, :, ::-1]
    window[:] = ((1 - opacity) * window + opacity * colours).round().astype(np.uint8)
    contours, _ = cv2.findContours(roi.mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    cv2.drawContours(window, contours, -1, (255, 255, 255), 2)


def _colours(recipe: Recipe, type_name: str) -> np.ndarray:
    spec = recipe.inspection_type(type_name)
    assert isinstance(spec, SegmenterType)
    return np.array([(0, 0, 0), *(c.rgb() for c in spec.pixel_classes)], np.float32)


def _paint(canvas: np.ndarray, roi: SegmenterRoiResult, colours: np.ndarray, opacity: float) -> None:
    window = canvas[roi.rect.y : roi.rect.y + roi.rect.h, roi.rect.x : roi.rect.x + roi.rect.w]
    painted = roi.mask > 0
    blend = (1 - opacity) * window[painted] + opacity * colours[roi.mask[painted]]
    window[painted] = blend.round().astype(np.uint8)


def capture_mask(shape: tuple[int, int], result: InspectionResult, recipe: Recipe) -> np.ndarray:
    """The predicted class map of a whole capture: ``(H, W)`` uint8, 0 = background.

    Value k is the k-th pixel class of the recipe's segmenter and anomaly types taken in recipe order (for the
    usual single segmenter type: its k-th pixel class; an anomaly type has one, its anomalous region).
    """
    offsets, total = {}, 0
    for spec in recipe.types:
        if isinstance(spec, SegmenterType | AnomalyType):
            offsets[spec.name], total = total, total + len(_region_classes(spec))
    out = np.zeros(shape, np.uint8)
    for roi in result.rois:
        if isinstance(roi, SegmenterRoiResult):
            window = out[roi.rect.y : roi.rect.y + roi.rect.h, roi.rect.x : roi.rect.x + roi.rect.w]
            painted = roi.mask > 0
            window[painted] = roi.mask[painted] + offsets[roi.type]
    return out


def _region_classes(spec: SegmenterType | AnomalyType) -> list[str]:
    return spec.region_names() if isinstance(spec, AnomalyType) else spec.class_names()
