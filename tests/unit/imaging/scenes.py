"""Generated captures of a rigid part that moves, turns and is lit differently, for alignment tests."""

from __future__ import annotations

import cv2
import numpy as np

from openinspect.imaging import Rect

SIZE = (600, 800)
"""``(height, width)`` of every generated capture."""
PIVOT = (420.0, 300.0)
"""The point the part turns about when a scene is rendered with an angle."""
TEMPLATE = Rect(290, 190, 260, 240)
"""The part's distinctive region on the reference scene."""
NUT = Rect(440, 305, 50, 30)
"""A dark nut on the part: a ROI placed here sees it only when it moves with the part."""


def truth(dx: float, dy: float, angle: float) -> np.ndarray:
    """``(2, 3)`` float64 map from reference to capture coordinates of a part turned about :data:`PIVOT`."""
    matrix = cv2.getRotationMatrix2D(PIVOT, angle, 1.0)
    matrix[:, 2] += (dx, dy)
    return matrix


def scene(dx: float = 0.0, dy: float = 0.0, angle: float = 0.0, *, gain: float = 1.0, offset: float = 0.0,
          part: bool = True, seed: int = 0) -> np.ndarray:
    """A capture: the part moved by :func:`truth` on a fixed, unevenly lit background.

    Returns:
        ``(600, 800, 3)`` uint8 RGB (gray).

    """
    rng = np.random.default_rng(seed)
    height, width = SIZE
    background = np.full(SIZE, 90, np.float32) + np.linspace(0, 30, width, dtype=np.float32)[None, :]
    image = background
    if part:
        layer, mask = _part()
        matrix = truth(dx, dy, angle)
        layer = cv2.warpAffine(layer, matrix, (width, height), flags=cv2.INTER_LINEAR)
        mask = cv2.warpAffine(mask, matrix, (width, height), flags=cv2.INTER_LINEAR)
        image = background * (1 - mask) + layer * mask
    image = image * gain + offset + rng.normal(0, 3, SIZE).astype(np.float32)
    gray = np.clip(image, 0, 255).astype(np.uint8)
    return np.repeat(gray[:, :, None], 3, axis=2)


def _part() -> tuple[np.ndarray, np.ndarray]:
    """The part on the reference pose: ``(H, W)`` float32 shading and ``(H, W)`` float32 coverage 0..1."""
    layer = np.zeros(SIZE, np.float32)
    mask = np.zeros(SIZE, np.float32)
    plate = np.array([[300, 200], [520, 220], [540, 330], [450, 420], [320, 380]], np.int32)
    cv2.fillPoly(mask, [plate], 1.0, cv2.LINE_AA)
    cv2.fillPoly(layer, [plate], 190, cv2.LINE_AA)
    cv2.circle(layer, (360, 260), 25, 60, -1, cv2.LINE_AA)
    cv2.circle(layer, (480, 250), 12, 120, -1, cv2.LINE_AA)
    cv2.rectangle(layer, (NUT.x, NUT.y), (NUT.x + NUT.w - 1, NUT.y + NUT.h - 1), 40, -1)
    return layer, mask
