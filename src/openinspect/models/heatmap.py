"""An anomaly model's output turned into what the station reports: a heat map, a score, a region, a threshold.

The exported anomaly graph (:mod:`openinspect.models.anomaly`) returns, per crop, the distance of every
patch (stride 16; models trained before: stride 8) to its nearest good patch. Everything after that is here, in
numpy and OpenCV only, so the station, training and the benchmark compute scores the same way and the runtime never
imports torch.
"""

from __future__ import annotations

from statistics import NormalDist

import cv2
import numpy as np

SIGMA_PX = 4.0
"""Gaussian smoothing of the upsampled heat map, in crop pixels: one patch's blockiness, not a small defect."""
PATCH_CENTRE_PX = 4.0
"""Patch (i, j) of a ``stride`` grid sees the crop around pixel ``stride * (i, j) - 4`` (measured)."""


def heat_map(distances: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Upsample one crop's patch distances to the crop and smooth them.

    Args:
        distances: ``(h, w)`` float32 patch distances (higher is more anomalous).
        size: the crop's ``(height, width)`` in px.

    Returns:
        ``(height, width)`` float32 heat map.

    >>> d = np.zeros((8, 8), np.float32); d[3, 5] = 1.0
    >>> h = heat_map(d, (64, 64)); h.shape, [int(v) for v in np.unravel_index(h.argmax(), h.shape)]
    ((64, 64), [20, 36])
    """
    height, width = size
    rows, cols = distances.shape
    # Patch (i, j) sees the crop around pixel stride * (i, j) - 4 (measured: the input gradient of a stride-8 patch
    # is centred 4 px up and left of 8 * (i, j); the stride-16 grid takes every other stride-8 patch), not the
    # middle of its cell as a plain resize assumes: that put defects 7 px down and right of where they are.
    sx, sy = width / cols, height / rows
    scale = np.array([[sx, 0, -PATCH_CENTRE_PX], [0, sy, -PATCH_CENTRE_PX]], np.float32)
    upsampled = cv2.warpAffine(np.asarray(distances, np.float32), scale, (width, height), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE)
    return cv2.GaussianBlur(upsampled, (0, 0), SIGMA_PX)


def anomaly_score(heat: np.ndarray) -> float:
    """A crop's anomaly score: the hottest point of its heat map (one small defect is enough)."""
    return float(heat.max())


def anomalous_region(heat: np.ndarray, threshold: float) -> np.ndarray:
    """The pixels at or above ``threshold``: ``(H, W)`` uint8, 1 = anomalous, 0 = as the good parts."""
    return (heat >= threshold).astype(np.uint8)


def threshold_for(good_scores: np.ndarray, false_reject_rate: float) -> float:
    """The score at which about ``false_reject_rate`` of good crops would be rejected.

    The scores are held-out good crops' (scored by a model that never saw them). With few crops the empirical
    quantile cannot reach a 1 % tail, so the threshold is the larger of that quantile and the same quantile of a
    normal distribution fitted to the scores.

    Args:
        good_scores: ``(N,)`` held-out good crops' scores, ``N >= 2``.
        false_reject_rate: the share of good crops that may be rejected, in ``(0, 1)``.

    >>> round(threshold_for(np.array([0.1, 0.2, 0.3]), 0.01), 3)
    0.433
    """
    scores = np.asarray(good_scores, np.float64)
    quantile = float(np.quantile(scores, 1.0 - false_reject_rate))
    fitted = float(scores.mean() + NormalDist().inv_cdf(1.0 - false_reject_rate) * scores.std(ddof=1))
    return max(quantile, fitted)
