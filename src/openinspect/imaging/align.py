"""Align a capture to a recipe's reference: find the part, so ROIs move and turn with it.

A recipe's alignment template is a rectangle of a reference capture around a distinctive feature
of the part. Each capture is registered to it by normalised cross-correlation of gradient
magnitudes (so brightness, contrast and slow lighting gradients do not matter), coarse to fine:

1. coarse: the whole capture, downscaled so the template's shorter side is about 32 px, against
   the template rotated in steps of a few degrees over ``[-max_angle, max_angle]``;
2. fine: a small window around the coarse hit, downscaled so that side is about 96 px, against
   angles in half-degree steps around the coarse angle (the range moves on when the best angle
   lies on its edge);
3. polish: the same window at twice that resolution, against the fine angle and a quarter degree
   either side.

Each level refines angle and position to sub-step precision with a parabola through the best
score and its neighbours. Precomputed template banks keep a 250 px template's search over ±15° at
about 10 ms of CPU time on an 800x600 capture (``bench/align.py``).

Rotated templates are cut from the rotated *reference* around the template centre, so they carry
no empty corners. The result is a :class:`Pose`: the rigid transform from reference to capture
coordinates, which cuts each ROI out of the capture as the part now lies.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from openinspect.errors import ImageError, RecipeError
from openinspect.imaging.geometry import Rect

_COARSE_SIDE = 32
"""The template's shorter side at the coarse level, in px."""
_FINE_SIDE = 96
"""The template's shorter side at the fine level, in px: finer costs time and gains nothing measurable."""
_FINE_STEP = 0.5
"""Angle step of the fine search, in degrees."""
_MAX_WALKS = 4
"""How often the fine search may move its angle range after a coarse miss."""
_EDGE = 40.0
"""Gradient magnitude at the coarse level that counts as an edge: a step of about 13 grey levels (sensor noise
stays under 30 there)."""
_MIN_EDGE_SHARE = 0.02
"""The share of a template's coarse-level pixels that must be edges: with fewer, the coarse search has nothing
to match and finds noise."""


@dataclass(frozen=True)
class Pose:
    """Where the part lies in a capture relative to the reference capture.

    Attributes:
        found: whether the template matched with at least the recipe's ``min_score``.
        score: the normalised cross-correlation of the best match, -1..1.
        dx: shift of the template centre in px along x, capture minus reference.
        dy: shift of the template centre in px along y.
        angle: rotation of the part in degrees, counter-clockwise as the image is displayed.
        matrix: ``(2, 3)`` float64 affine map from reference to capture pixel coordinates.

    """

    found: bool
    score: float
    dx: float
    dy: float
    angle: float
    matrix: np.ndarray

    def map_points(self, points: np.ndarray) -> np.ndarray:
        """Map ``(N, 2)`` reference ``(x, y)`` coordinates into the capture: ``(N, 2)`` float64."""
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        return pts @ self.matrix[:, :2].T + self.matrix[:, 2]

    def roi_corners(self, rect: Rect) -> np.ndarray:
        """The corners of a reference rectangle as the part now lies.

        Returns:
            ``(4, 2)`` float64 ``(x, y)``: top-left, top-right, bottom-right, bottom-left.

        """
        corners = [(rect.x, rect.y), (rect.x + rect.w, rect.y), (rect.x + rect.w, rect.y + rect.h),
                   (rect.x, rect.y + rect.h)]
        return self.map_points(np.array(corners, dtype=np.float64))

    def moved_rect(self, rect: Rect) -> Rect:
        """The axis-aligned rectangle of ``rect``'s size centred where the part moved its centre.

        Exact for a pure shift; for a turned part it is where the upright crop of :meth:`crop` sits.
        """
        (cx, cy), = self.map_points(np.array([[rect.x + rect.w / 2, rect.y + rect.h / 2]]))
        return Rect(round(cx - rect.w / 2), round(cy - rect.h / 2), rect.w, rect.h)

    def crop(self, image: np.ndarray, rect: Rect, *, nearest: bool = False) -> np.ndarray:
        """Cut a reference rectangle out of the capture, moved and turned with the part.

        Args:
            image: ``(H, W, C)`` uint8 capture (any channel order; it is kept) or class map (``C`` = 1).
            rect: the rectangle in reference coordinates.
            nearest: take the nearest pixel instead of interpolating: for class maps, whose values
                must not blend into other classes.

        Returns:
            ``(rect.h, rect.w, C)`` uint8, the part's region upright as in the reference.

        Raises:
            ImageError: the moved rectangle leaves the capture.

        """
        height, width = image.shape[:2]
        corners = self.roi_corners(rect)
        if corners.min() < -0.5 or (corners[:, 0] > width + 0.5).any() or (corners[:, 1] > height + 0.5).any():
            raise ImageError(f"the part moved so far that rectangle x {rect.x}, y {rect.y}, {rect.w}x{rect.h} "
                             f"leaves the {width}x{height} capture")
        to_capture = self.matrix @ np.array([[1.0, 0.0, rect.x], [0.0, 1.0, rect.y], [0.0, 0.0, 1.0]])
        interpolation = cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR
        moved = cv2.warpAffine(image, to_capture, (rect.w, rect.h),
                               flags=interpolation | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE)
        return moved.reshape(rect.h, rect.w, *image.shape[2:])  # OpenCV drops a single channel's axis

    def to_json(self) -> dict[str, Any]:
        """The pose as a result record carries it."""
        return {"found": self.found, "score": round(self.score, 4), "dx": round(self.dx, 2),
                "dy": round(self.dy, 2), "angle": round(self.angle, 2)}


class Aligner:
    """Registers captures to a template cut from a reference capture.

    Args:
        reference: ``(H, W, 3)`` uint8 RGB reference capture.
        template: the distinctive region of the part in ``reference``.
        min_score: the lowest match score (normalised cross-correlation of gradients) that counts
            as the part being found.
        max_angle: the largest rotation searched, in degrees either way.

    Raises:
        RecipeError: the template does not lie inside the reference, is too small to match, or is flat (too few
            edges to find it by).

    """

    def __init__(self, reference: np.ndarray, template: Rect, min_score: float = 0.5, max_angle: float = 15.0) -> None:
        height, width = reference.shape[:2]
        if not template.fits(width, height) or min(template.w, template.h) < 8:
            raise RecipeError(f"alignment template x {template.x}, y {template.y}, {template.w}x{template.h} must "
                              f"lie inside the {width}x{height} reference and be at least 8x8 px")
        self.template = template
        self.min_score = min_score
        self.max_angle = max_angle
        self.center = (template.x + template.w / 2, template.y + template.h / 2)
        self.reference = gray = _gray(reference)
        short = min(template.w, template.h)
        _check_edges(gray, template, max(1.0, short / _COARSE_SIDE))
        self.coarse = _Level(gray, self.center, template, max(1.0, short / _COARSE_SIDE), self._coarse_step(short),
                             max_angle)
        self.fine = _Level(gray, self.center, template, max(1.0, short / _FINE_SIDE), _FINE_STEP, max_angle)

    def locate(self, image: np.ndarray) -> Pose:
        """Find the part in a capture.

        Args:
            image: ``(H, W, 3)`` uint8 RGB capture, at least as large as the template.

        Returns:
            The pose; ``found`` is false when the best match scores below ``min_score``.

        Raises:
            ImageError: the capture is smaller than the template.

        """
        gray = _gray(image)
        if gray.shape[0] < self.template.h or gray.shape[1] < self.template.w:
            raise ImageError(f"capture is {gray.shape[1]}x{gray.shape[0]} px, smaller than the "
                             f"{self.template.w}x{self.template.h} alignment template")
        angle, centre = self._coarse(gray)
        _, angle, centre = self._fine(gray, angle, centre)
        score, angle, (cx, cy) = self._polish(gray, angle, centre)
        matrix = _rigid(self.center, angle, (cx, cy))
        return Pose(score >= self.min_score, score, cx - self.center[0], cy - self.center[1], angle, matrix)

    def _coarse_step(self, short_side: int) -> float:
        """Coarse angle step: the template's corners move about 1.5 coarse px per step."""
        radius = math.hypot(self.template.w, self.template.h) / 2 / max(1.0, short_side / _COARSE_SIDE)
        return float(np.clip(math.degrees(1.5 / radius), _FINE_STEP, 5.0))

    def _coarse(self, gray: np.ndarray) -> tuple[float, tuple[float, float]]:
        """Best angle and template centre (full-resolution px) over the whole downscaled capture."""
        small = _edges(_shrink(gray, self.coarse.scale))
        best = (-2.0, 0.0, (0.0, 0.0))
        for angle, templ in self.coarse.bank.items():
            if templ.shape[0] > small.shape[0] or templ.shape[1] > small.shape[1]:
                continue
            _, score, _, (x, y) = cv2.minMaxLoc(cv2.matchTemplate(small, templ, cv2.TM_CCOEFF_NORMED))
            if score > best[0]:
                scale = self.coarse.scale
                best = (score, angle, ((x + templ.shape[1] / 2) * scale, (y + templ.shape[0] / 2) * scale))
        return best[1], best[2]

    def _fine(self, gray: np.ndarray, angle: float, centre: tuple[float, float]) -> tuple[float, float,
                                                                                            tuple[float, float]]:
        """Refine angle and centre near the coarse hit on the fine level; returns ``(score, angle, centre)``.

        Small templates can make the coarse angle miss by more than a step; when the best fine angle
        lies on the edge of the searched range, the range moves that way (a few times at most).
        """
        low, high = min(self.fine.bank), max(self.fine.bank)
        for _ in range(_MAX_WALKS):
            angle = min(max(angle, low), high)  # the coarse bank reaches a coarse step past max_angle
            angles = [a for a in self.fine.bank if abs(a - angle) <= self.coarse.step / 2 + _FINE_STEP + 1e-9]
            score, best, found = self._search(gray, centre, math.ceil(self.coarse.scale) + 2, self.fine.scale,
                                              [self.fine.bank[a] for a in angles], angles)
            if angles[0] < best < angles[-1] or best in (low, high):
                break
            angle, centre = best, found
        return score, best, found

    def _polish(self, gray: np.ndarray, angle: float, centre: tuple[float, float]) -> tuple[float, float,
                                                                                              tuple[float, float]]:
        """Refine angle and centre at full resolution; returns ``(score, angle, centre)``."""
        angles = [angle - _FINE_STEP / 2, angle, angle + _FINE_STEP / 2] if self.max_angle > 0 else [angle]
        size = (self.template.w, self.template.h)
        scale = max(1.0, self.fine.scale / 2)
        templates = [_edges(_shrink(_rotated_patch(self.reference, self.center, a, size), scale)) for a in angles]
        return self._search(gray, centre, math.ceil(self.fine.scale) + 1, scale, templates, angles)

    def _search(self, gray: np.ndarray, centre: tuple[float, float], margin: int, scale: float,
                templates: list[np.ndarray], angles: list[float]) -> tuple[float, float, tuple[float, float]]:
        """Match evenly spaced rotated templates within ``margin`` px of ``centre``, to sub-step precision.

        Args:
            gray: ``(H, W)`` uint8 capture.
            centre: expected template centre, full-resolution px.
            margin: how far from ``centre`` to look, full-resolution px.
            scale: the level's downscale factor; ``templates`` are gradients at that scale.
            templates: the template rotated by each of ``angles`` (ascending, evenly spaced).
            angles: degrees.

        Returns:
            ``(score, angle, centre)`` of the best match.

        """
        w, h = self.template.w, self.template.h
        x0 = int(np.clip(round(centre[0] - w / 2) - margin, 0, gray.shape[1] - w))
        y0 = int(np.clip(round(centre[1] - h / 2) - margin, 0, gray.shape[0] - h))
        window = _edges(_shrink(gray[y0 : y0 + h + 2 * margin, x0 : x0 + w + 2 * margin], scale))
        maps = [cv2.matchTemplate(window, t, cv2.TM_CCOEFF_NORMED) for t in templates]
        peaks = [float(m.max()) for m in maps]
        best = int(np.argmax(peaks))
        _, _, _, (px, py) = cv2.minMaxLoc(maps[best])
        sub_x, sub_y = _peak_offset(list(maps[best][py, :]), px), _peak_offset(list(maps[best][:, px]), py)
        step = angles[1] - angles[0] if len(angles) > 1 else 0.0
        found = (x0 + (px + sub_x) * scale + w / 2, y0 + (py + sub_y) * scale + h / 2)
        return peaks[best], angles[best] + _peak_offset(peaks, best) * step, found


class _Level:
    """One pyramid level: the template's gradients at ``scale``, rotated every ``step`` degrees."""

    def __init__(self, gray: np.ndarray, centre: tuple[float, float], template: Rect, scale: float,
                 step: float, max_angle: float) -> None:
        self.scale, self.step = scale, step
        size = (template.w, template.h)
        self.bank = {a: _edges(_shrink(_rotated_patch(gray, centre, a, size), scale))
                     for a in (_angles(-max_angle - step, max_angle + step, step) if max_angle > 0 else [0.0])}


def _check_edges(gray: np.ndarray, template: Rect, scale: float) -> None:
    """Raise :class:`RecipeError` when the template has too few edges at the coarse level to be found."""
    patch = gray[template.y : template.y + template.h, template.x : template.x + template.w]
    share = float((_edges(_shrink(patch, scale)) >= _EDGE).mean())
    if share < _MIN_EDGE_SHARE:
        raise RecipeError(f"alignment template x {template.x}, y {template.y}, {template.w}x{template.h} is too flat "
                          f"to find: {share:.1%} of it shows edges, the aligner needs {_MIN_EDGE_SHARE:.0%}; choose a "
                          f"distinctive, rigid feature of the part with clear edges (holes, corners, print)")


def _angles(low: float, high: float, step: float) -> list[float]:
    """Angles from ``low`` to ``high`` in ``step``s, symmetric about their middle."""
    count = math.floor((high - low) / step + 1e-9)
    middle = (low + high) / 2
    return [middle + (i - count / 2) * step for i in range(count + 1)] if count else [middle]


def _gray(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return image
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ImageError(f"expected (H, W, 3) uint8 RGB, got {image.shape} {image.dtype}")
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)


def _shrink(gray: np.ndarray, scale: float) -> np.ndarray:
    if scale == 1.0:
        return gray
    # fx/fy rather than a size: the pixel mapping then scales by exactly 1/scale however sizes round
    return cv2.resize(gray, None, fx=1 / scale, fy=1 / scale, interpolation=cv2.INTER_AREA)


def _edges(gray: np.ndarray) -> np.ndarray:
    """Gradient magnitude, ``(H, W)`` float32: what the matcher compares, blind to lighting offsets."""
    smooth = cv2.GaussianBlur(gray, (3, 3), 0)
    gx = cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3)
    return cv2.magnitude(gx, gy)


def _rotated_patch(gray: np.ndarray, centre: tuple[float, float], angle: float, size: tuple[int, int]) -> np.ndarray:
    """The ``size = (w, h)`` patch around ``centre`` of ``gray`` rotated by ``angle`` degrees about it."""
    w, h = size
    matrix = _rigid(centre, angle, (w / 2, h / 2))
    return cv2.warpAffine(gray, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def _rigid(centre: tuple[float, float], angle: float, to: tuple[float, float]) -> np.ndarray:
    """``(2, 3)`` float64 map that turns ``angle`` degrees about ``centre`` and moves ``centre`` to ``to``."""
    matrix = np.asarray(cv2.getRotationMatrix2D(centre, angle, 1.0), dtype=np.float64)
    matrix[:, 2] += np.subtract(to, centre)
    return matrix


def _peak_offset(values: Sequence[float], index: int) -> float:
    """Sub-sample offset of a peak from a parabola through it and its neighbours, within ±0.5."""
    if index <= 0 or index >= len(values) - 1:
        return 0.0
    left, mid, right = float(values[index - 1]), float(values[index]), float(values[index + 1])
    curvature = left - 2 * mid + right
    return float(np.clip(0.5 * (left - right) / curvature, -0.5, 0.5)) if curvature < 0 else 0.0
