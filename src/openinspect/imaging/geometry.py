"""Crop rectangles and resize crops for a model: the single place both training and inspection use."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

MAX_MODEL_SIDE = 512
"""Crops larger than this on a side are downscaled before any model sees them."""


@dataclass(frozen=True)
class Rect:
    """An axis-aligned rectangle in capture pixels: ``x, y`` is the top-left corner."""

    x: int
    y: int
    w: int
    h: int

    def fits(self, width: int, height: int) -> bool:
        """Whether the rectangle lies entirely inside a ``width`` x ``height`` capture."""
        return self.x >= 0 and self.y >= 0 and self.x + self.w <= width and self.y + self.h <= height


def crop(image: np.ndarray, rect: Rect) -> np.ndarray:
    """Cut ``rect`` out of ``image``.

    Args:
        image: ``(H, W, 3)`` uint8 RGB capture.
        rect: the region; it must lie inside the image (check with :meth:`Rect.fits`).

    Returns:
        A ``(rect.h, rect.w, 3)`` uint8 RGB view into ``image``.

    >>> img = np.zeros((10, 20, 3), np.uint8)
    >>> crop(img, Rect(2, 3, 5, 4)).shape
    (4, 5, 3)

    """
    return image[rect.y : rect.y + rect.h, rect.x : rect.x + rect.w]


def cap_size(width: int, height: int, limit: int = MAX_MODEL_SIDE) -> tuple[int, int]:
    """Scale ``(width, height)`` down, keeping the aspect ratio, so neither side exceeds ``limit``.

    >>> cap_size(2000, 1000)
    (512, 256)
    >>> cap_size(300, 200)
    (300, 200)
    """
    scale = min(1.0, limit / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def resize_to(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize an image to ``size = (height, width)``: area averaging down, bilinear up.

    Args:
        image: ``(H, W, 3)`` uint8 RGB.
        size: target ``(height, width)``.

    Returns:
        ``(height, width, 3)`` uint8 RGB, contiguous.

    >>> resize_to(np.zeros((100, 60, 3), np.uint8), (32, 16)).shape
    (32, 16, 3)

    """
    height, width = size
    if image.shape[:2] == (height, width):
        return np.ascontiguousarray(image)
    shrinking = height * width < image.shape[0] * image.shape[1]
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    return cv2.resize(image, (width, height), interpolation=interpolation)


def model_input_size(width: int, height: int, longest: int) -> tuple[int, int]:
    """The ``(height, width)`` a model takes for crops of ``width`` x ``height``.

    The aspect ratio is kept, the longest side becomes ``min(longest, MAX_MODEL_SIDE)`` and both
    sides are rounded to multiples of 32 (the backbone's stride).

    >>> model_input_size(200, 200, 224)
    (224, 224)
    >>> model_input_size(2000, 1000, 512)
    (256, 512)
    """
    side = min(longest, MAX_MODEL_SIDE)
    scale = side / max(width, height)

    def snap(value: float) -> int:
        return max(32, round(value / 32) * 32)

    return snap(height * scale), snap(width * scale)
