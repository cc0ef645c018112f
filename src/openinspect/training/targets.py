"""Training targets of synthetic images: the Defect Creator's exact masks widened as a person paints them."""

from __future__ import annotations

import cv2
import numpy as np

PAINTER_MARGIN = 0.01
"""How far past a defect's edge a person painting it goes, as a share of the image's shorter side (3 px on a
300 px magnetic tile): :func:`as_painted` widens the Defect Creator's exact masks by it for training, so a
segmenter trained on synthetic defects marks them as widely as painted ones (``bench/README.md``, Defect
Creator, k = 0)."""


def as_painted(masks: np.ndarray, margin: float = PAINTER_MARGIN) -> np.ndarray:
    """Exact class maps widened by the margin a painter leaves: the training targets of synthetic images.

    A synthetic mask marks exactly the pixels the Defect Creator changed; painted masks run a little past the
    defect. Each pixel class grows by ``margin`` of the image's shorter side (at least one pixel) into the
    background around it; a class never overwrites another's pixels.

    Args:
        masks: ``(N, H, W)`` uint8 class maps (0 = background, k = the k-th pixel class).
        margin: the widening, as a share of ``min(H, W)``.

    >>> m = np.zeros((1, 100, 100), np.uint8); m[0, 50, 50] = 1
    >>> int(as_painted(m)[0].sum())   # radius 1 px on a 100 px image: the pixel and its four neighbours
    5
    """
    radius = max(1.0, margin * min(masks.shape[1:3]))
    out = masks.copy()
    for i, mask in enumerate(masks):
        for k in np.unique(mask[mask > 0]):
            gap = cv2.distanceTransform((mask != k).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
            out[i][(gap <= radius + 1e-6) & (out[i] == 0)] = k
    return out
