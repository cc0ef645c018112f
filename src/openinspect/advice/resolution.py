"""The resolution check: how much a ROI is downscaled for its model and whether a defect stays visible."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from openinspect.advice.errors import AdviceError
from openinspect.imaging import MAX_MODEL_SIDE
from openinspect.imaging.tiles import tile_origins

MIN_DEFECT_PX = 3
"""The smallest defect a model can still see: this many pixels across after the downscale."""
TILE_OVERLAP = 64
"""The overlap of the station's full-resolution tiles (``station/runners.py`` uses the same; a test checks)."""


@dataclass(frozen=True)
class Resolution:
    """What the model sees of one ROI and, given a defect size, whether that defect survives."""

    roi: tuple[int, int]
    """The ROI's width and height in capture pixels."""
    downscale: float
    """How many times smaller each side is at the model's input (1.0: full resolution)."""
    smallest_visible_px: float
    """The smallest defect, in capture pixels, still ``MIN_DEFECT_PX`` across after the downscale."""
    defect_px: float | None = None
    defect_after_px: float | None = None
    """The defect's size at the model's input."""
    visible: bool | None = None
    mm_per_px: float | None = None
    max_roi_side: int | None = None
    """The longest ROI side that keeps the defect visible, when it is not."""
    split: tuple[int, int] | None = None
    """Columns and rows of ROIs of at most ``max_roi_side`` that cover this ROI."""
    tiles: int = 1
    """Full-resolution tiles of ``MAX_MODEL_SIDE`` px covering the ROI with tiling on."""
    recommendations: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The check as the advice's ``resolution`` object."""
        return {"roi": list(self.roi), "model_side": MAX_MODEL_SIDE, "downscale": round(self.downscale, 3),
                "smallest_visible_px": round(self.smallest_visible_px, 1),
                "smallest_visible_mm": (round(self.smallest_visible_px * self.mm_per_px, 3)
                                        if self.mm_per_px else None),
                "defect_px": self.defect_px, "defect_after_px": _round(self.defect_after_px),
                "visible": self.visible, "max_roi_side": self.max_roi_side,
                "split": list(self.split) if self.split else None, "tiles": self.tiles,
                "recommendations": self.recommendations}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def roi_size(roi: tuple[int, ...] | None, image: tuple[int, int] | None) -> tuple[int, int]:
    """The ROI's size, checked against the capture: ``roi`` is ``(x, y, w, h)`` or ``(w, h)``; none: the capture.

    >>> roi_size((10, 20, 300, 200), (640, 480))
    (300, 200)

    Raises:
        AdviceError: no ROI and no capture, a size that is not positive, or a ROI outside the capture.
    """
    if roi is None:
        if image is None:
            raise AdviceError("give a ROI (X,Y,W,H or W,H) or a capture to check the resolution")
        return image
    if len(roi) not in (2, 4):
        raise AdviceError(f"a ROI is X,Y,W,H (or its size W,H), got {len(roi)} numbers: {roi}")
    w, h = roi[-2:]
    if w <= 0 or h <= 0 or min(roi) < 0:
        raise AdviceError(f"ROI {','.join(map(str, roi))}: x and y must be 0 or more, width and height above 0")
    if image is not None and len(roi) == 4:
        x, y = roi[0], roi[1]
        if x + w > image[0] or y + h > image[1]:
            raise AdviceError(f"ROI {x},{y},{w},{h} reaches to x={x + w}, y={y + h}, outside the {image[0]}x{image[1]} "
                              f"capture; draw it inside the capture (x+w <= {image[0]}, y+h <= {image[1]})")
    return w, h


def defect_pixels(defect_px: float | None, defect_mm: float | None, mm_per_px: float | None) -> float | None:
    """The defect's size in capture pixels, from pixels or from millimetres and the pixel size.

    >>> defect_pixels(None, 0.5, 0.1)
    5.0

    Raises:
        AdviceError: a size that is not positive, both sizes, or millimetres without the pixel size.
    """
    for name, value in (("--defect-size", defect_px), ("--defect-size-mm", defect_mm), ("--mm-per-px", mm_per_px)):
        if value is not None and not (value > 0 and math.isfinite(value)):
            raise AdviceError(f"{name} must be a positive number, got {value}")
    if defect_px is not None and defect_mm is not None:
        raise AdviceError("give the defect size once: --defect-size PX or --defect-size-mm MM with --mm-per-px")
    if defect_mm is not None:
        if mm_per_px is None:
            raise AdviceError("--defect-size-mm needs --mm-per-px (the pixel size on the part) to convert it to pixels")
        return defect_mm / mm_per_px
    return defect_px


def check_resolution(size: tuple[int, int], defect_px: float | None = None,
                     mm_per_px: float | None = None) -> Resolution:
    """The downscale of a ``size = (w, h)`` ROI and, for a defect of ``defect_px`` capture pixels, what to do.

    >>> check = check_resolution((2048, 1024), defect_px=4)
    >>> check.downscale, check.visible, check.max_roi_side, check.split
    (4.0, False, 682, (4, 2))
    """
    w, h = size
    factor = max(w, h) / MAX_MODEL_SIDE if max(w, h) > MAX_MODEL_SIDE else 1.0
    tiles = len(tile_origins(w, MAX_MODEL_SIDE, TILE_OVERLAP)) * len(tile_origins(h, MAX_MODEL_SIDE, TILE_OVERLAP))
    base = Resolution((w, h), factor, MIN_DEFECT_PX * factor, mm_per_px=mm_per_px, tiles=tiles)
    if defect_px is None:
        return base
    after = defect_px / factor
    visible = after >= MIN_DEFECT_PX
    fields: dict[str, Any] = {"defect_px": round(defect_px, 2), "defect_after_px": after, "visible": visible}
    if defect_px < MIN_DEFECT_PX:
        fields["recommendations"] = [_too_small_for_camera(defect_px, mm_per_px)]
    elif not visible:
        side = math.floor(MAX_MODEL_SIDE * defect_px / MIN_DEFECT_PX)
        split = (math.ceil(w / side), math.ceil(h / side))
        fields |= {"max_roi_side": side, "split": split,
                   "recommendations": _fixes((w, h), defect_px, after, side, split, tiles)}
    return replace(base, **fields)


def _fixes(size: tuple[int, int], defect: float, after: float, side: int, split: tuple[int, int],
           tiles: int) -> list[str]:
    w, h = size
    cols, rows = split
    return [
        f"A {defect:g} px defect becomes {after:.1f} px at the model's {MAX_MODEL_SIDE} px input (it needs "
        f"{MIN_DEFECT_PX} px): it may vanish in this {w}x{h} ROI.",
        f"Use smaller ROIs around the critical features: at most {side} px on the longest side keeps it visible.",
        f"Or split the area into {cols * rows} ROIs ({cols} x {rows}) of about {math.ceil(w / cols)}x"
        f"{math.ceil(h / rows)} px each.",
        f"Or, for a segmenter or anomaly type, turn on tiling: {tiles} full-resolution tiles of {MAX_MODEL_SIDE} px "
        f"cover the ROI, and the defect stays {defect:g} px.",
    ]


def _too_small_for_camera(defect: float, mm_per_px: float | None) -> str:
    finer = f" (about {mm_per_px * defect / MIN_DEFECT_PX:.3g} mm per px)" if mm_per_px else ""
    return (f"A {defect:g} px defect is under {MIN_DEFECT_PX} px even at full resolution: no ROI size fixes that; "
            f"use a lens or camera with finer pixels{finer} so it spans at least {MIN_DEFECT_PX} px.")
