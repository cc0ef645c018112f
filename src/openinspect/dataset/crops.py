"""Cut a capture into the ROI crops of one inspection type, as training, evaluation and inspection all do."""

from __future__ import annotations

import numpy as np

from openinspect.errors import ImageError
from openinspect.imaging import Pose, Rect, crop, resize_to
from openinspect.recipe import Recipe, Roi


def roi_crops(image: np.ndarray, recipe: Recipe, rois: list[Roi], name: str,
              pose: Pose | None = None) -> list[np.ndarray]:
    """Cut each ROI out of a capture.

    Args:
        image: ``(H, W, 3)`` uint8 RGB capture.
        recipe: the recipe the ROIs belong to (named in errors).
        rois: the ROIs to cut, in order.
        name: what to call the capture in errors (usually its path).
        pose: where the recipe's aligner found the part; ROI rectangles, given on the reference
            capture, then move and turn with it (a ROI without a rectangle stays the whole capture).

    Returns:
        One ``(h, w, 3)`` uint8 RGB crop per ROI (a view into ``image`` when not aligned).

    Raises:
        ImageError: a ROI does not lie inside the capture; the message names the ROI and both sizes.

    """
    height, width = image.shape[:2]
    crops = []
    for roi in rois:
        rect = roi.rect(width, height)
        if pose is not None and roi.x is not None:
            crops.append(_aligned(image, rect, pose, f"{name}: ROI '{roi.name}' of recipe '{recipe.name}'"))
            continue
        if not rect.fits(width, height):
            raise ImageError(
                f"{name}: capture is {width}x{height} px but ROI '{roi.name}' of recipe '{recipe.name}' spans "
                f"x {rect.x}..{rect.x + rect.w}, y {rect.y}..{rect.y + rect.h}; use captures of the recipe's "
                f"camera set-up or move the ROI inside the image")
        crops.append(crop(image, rect))
    return crops


def _aligned(image: np.ndarray, rect: Rect, pose: Pose, what: str) -> np.ndarray:
    try:
        return pose.crop(image, rect)
    except ImageError as err:
        raise ImageError(f"{what}: {err}") from err


def model_batch(crops: list[np.ndarray], size: tuple[int, int]) -> np.ndarray:
    """Resize crops to a model's ``(height, width)`` and stack them: ``(N, height, width, 3)`` uint8 RGB."""
    return np.stack([resize_to(c, size) for c in crops])
