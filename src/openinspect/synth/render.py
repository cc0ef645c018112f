"""Draw a :class:`DefectSpec` into a host image: realistic defects and the exact mask of what changed.

Each kind is a small function that draws soft fields (0..1 per pixel) in the region's coordinates and
applies them through :class:`Surface`, which keeps the host's texture, shading, noise and sharpness. The mask
is measured, not drawn: it is exactly the pixels whose value changed by more than ``MASK_TOLERANCE``, and
every other pixel is put back to the host's value, so nothing outside the mask changes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from openinspect.errors import SynthError
from openinspect.synth.spec import COLOURS, DefectSpec, Kind
from openinspect.synth.surface import Surface, blur

MASK_TOLERANCE = 4
"""A pixel belongs to the mask when some channel changed by more than this many grey levels."""
MIN_REGION_PX = 16
TRIES = 5
"""Draws of a description before a host region that shows none of them is refused."""
MIN_DEFECT_PX = 8.0
"""Size words never make a defect narrower than this (px), so a small ROI still shows one."""
"""The smallest region side (px) defects are drawn into."""

_SIZES = {"tiny": (0.015, 0.03), "small": (0.04, 0.08), "medium": (0.09, 0.16), "large": (0.18, 0.3)}
"""Defect diameter as a share of the region's shorter side."""
_LENGTHS = {"short": (0.1, 0.2), "medium": (0.22, 0.38), "long": (0.45, 0.7)}
"""Length of line-like defects as a share of the region's shorter side."""
_SIZE_TO_LENGTH = {"tiny": "short", "small": "short", "medium": "medium", "large": "long"}
_THICKNESS = {"thin": (1.0, 1.6), "medium": (2.0, 3.0), "thick": (4.0, 6.0)}
"""Line width in px on a region of up to 700 px; wider on larger regions."""
_CONTRAST = {"subtle": (0.12, 0.2), "normal": (0.3, 0.5), "obvious": (0.6, 0.8)}
_LINE_KINDS = frozenset((Kind.SCRATCH, Kind.CRACK))


@dataclass(frozen=True)
class Synthesized:
    """One synthetic image: the host with defects, and the mask of exactly the pixels that changed noticeably."""

    image: np.ndarray
    """Same shape and dtype as the host: ``(H, W)`` or ``(H, W, 3)`` uint8."""
    mask: np.ndarray
    """``(H, W)`` bool: True where some channel differs from the host by more than ``MASK_TOLERANCE``."""
    seed: int
    spec: DefectSpec


@dataclass(frozen=True)
class _Plan:
    """The random choices shared by every defect of one image."""

    rng: np.random.Generator
    spec: DefectSpec
    short: float
    """The region's shorter side (px)."""
    light: tuple[float, float]
    """Unit vector towards the light, for relief (dents, holes, chips)."""

    def contrast(self, factor: float = 1.0) -> float:
        lo, hi = _CONTRAST[self.spec.subtlety]
        drawn = self.rng.uniform(lo, hi)
        if self.spec.contrast is not None:  # matched: the same spread around the example's contrast
            drawn *= self.spec.contrast / ((lo + hi) / 2)
        return float(min(drawn * factor, 0.95))

    def aspect(self, lo: float, hi: float) -> float:
        """A blob's stretch: drawn from ``lo..hi``, or the matched example's."""
        drawn = float(self.rng.uniform(lo, hi))
        return drawn if self.spec.aspect is None else self.spec.aspect

    def diameter(self) -> float:
        if self.spec.size_px is not None:
            return float(self.spec.size_px * self.rng.uniform(0.9, 1.1))
        lo, hi = _SIZES[self.spec.size]
        return min(max(float(self.rng.uniform(lo, hi) * self.short), MIN_DEFECT_PX), 0.8 * self.short)

    def length(self) -> float:
        if self.spec.length_px is not None:
            return float(self.spec.length_px * self.rng.uniform(0.9, 1.1))
        if self.spec.size_px is not None:
            return float(self.spec.size_px * self.rng.uniform(0.9, 1.1))
        word = self.spec.length
        if "length" in self.spec.defaulted and "size" not in self.spec.defaulted:
            word = _SIZE_TO_LENGTH[self.spec.size]
        lo, hi = _LENGTHS[word]
        return float(self.rng.uniform(lo, hi) * self.short)

    def width(self) -> float:
        if self.spec.thickness_px is not None:
            return float(self.spec.thickness_px)
        lo, hi = _THICKNESS[self.spec.thickness]
        return float(self.rng.uniform(lo, hi) * max(1.0, self.short / 700.0))

    def angle(self) -> float:
        base = {"horizontal": 0.0, "vertical": math.pi / 2,
                "diagonal": math.pi / 4 * (1 if self.rng.random() < 0.5 else 3)}.get(self.spec.orientation)
        if base is None:
            return float(self.rng.uniform(0, math.pi))
        return float(base + self.rng.normal(0, 0.06))

    def centre(self, size: tuple[int, int], extent: float) -> tuple[float, float]:
        """A point for a defect of ``extent`` px in the described location, keeping the defect inside."""
        h, w = size
        loc = self.spec.location
        margin_x, margin_y = min(extent / 2 + 2, w / 2 - 1), min(extent / 2 + 2, h / 2 - 1)
        band_x, band_y = max(0.15 * w, 1.0), max(0.15 * h, 1.0)
        if loc in ("edge", "corner"):
            sides = ["top", "bottom", "left", "right"]
            loc = str(self.rng.choice(sides)) if loc == "edge" else \
                f"{self.rng.choice(sides[:2])}-{self.rng.choice(sides[2:])}"
        x_span: tuple[float, float] = (margin_x, w - margin_x)
        y_span: tuple[float, float] = (margin_y, h - margin_y)
        if loc == "centre":
            x_span, y_span = (0.4 * w, 0.6 * w), (0.4 * h, 0.6 * h)
        parts = loc.split("-")
        if "top" in parts:
            y_span = (margin_y, margin_y + band_y)
        if "bottom" in parts:
            y_span = (h - margin_y - band_y, h - margin_y)
        if "left" in parts:
            x_span = (margin_x, margin_x + band_x)
        if "right" in parts:
            x_span = (w - margin_x - band_x, w - margin_x)
        return float(self.rng.uniform(*x_span)), float(self.rng.uniform(*y_span))


def render(host: np.ndarray, spec: DefectSpec, *, seed: int,
           region: tuple[int, int, int, int] | None = None) -> Synthesized:
    """Draw the described defects into a copy of ``host``.

    Args:
        host: ``(H, W)`` grayscale or ``(H, W, 3)`` RGB, uint8, any size.
        spec: what to draw (from :func:`parse_description`).
        seed: the same seed (with the same host and spec) gives the same image and mask.
        region: ``(x0, y0, x1, y1)`` box the defects stay inside (a ROI); None for the whole image.

    Raises:
        SynthError: the host is not uint8 gray/RGB, the region is outside it or too small, the described size
            does not fit the region, or no draw changes a pixel noticeably there (a black or flat region).
    """
    if host.dtype != np.uint8 or host.ndim not in (2, 3) or (host.ndim == 3 and host.shape[2] != 3):
        raise SynthError(f"a host image must be (H, W) or (H, W, 3) uint8, got {host.shape} {host.dtype}: "
                         "decode it with openinspect.imaging first")
    x0, y0, x1, y1 = region if region is not None else (0, 0, host.shape[1], host.shape[0])
    if not (0 <= x0 < x1 <= host.shape[1] and 0 <= y0 < y1 <= host.shape[0]):
        raise SynthError(f"region {(x0, y0, x1, y1)} is not inside the {host.shape[1]}x{host.shape[0]} host: "
                         "give (x0, y0, x1, y1) within the image")
    if min(x1 - x0, y1 - y0) < MIN_REGION_PX:
        raise SynthError(f"the host region is {x1 - x0}x{y1 - y0} px, smaller than any defect: use a region (ROI) "
                         f"of at least {MIN_REGION_PX}x{MIN_REGION_PX} px")
    crop = host[y0:y1, x0:x1]
    _check_fits(spec, crop.shape[1], crop.shape[0])
    rng = np.random.default_rng(seed)
    for _ in range(TRIES):  # a defect drawn into a black shadow or a burnt-out highlight may change nothing
        image, mask = _draw(host, crop, (x0, y0), spec, rng)
        if mask.any():
            return Synthesized(image=image, mask=mask, seed=seed, spec=spec)
    raise SynthError(f"nothing visible: {TRIES} draws of '{spec.text}' into the {x1 - x0}x{y1 - y0} px host region "
                     f"changed no pixel by more than {MASK_TOLERANCE} grey levels (too dark, too bright or too small "
                     "a defect): describe it larger or obvious, or use another host or ROI")


def _draw(host: np.ndarray, crop: np.ndarray, origin: tuple[int, int], spec: DefectSpec,
          rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One draw: the host with the defects in ``crop`` (at ``origin``), and the mask of what changed."""
    x0, y0 = origin
    surface = Surface.of(crop, rng)
    angle = rng.uniform(0.6, 1.0) * math.pi  # light from above, left or right, as on most stations
    plan = _Plan(rng=rng, spec=spec, short=float(min(crop.shape[:2])), light=(math.cos(angle), -math.sin(angle)))
    _KINDS[spec.kind](surface, plan)
    image = host.copy()
    full = np.zeros(host.shape[:2], dtype=bool)
    if surface.touched is not None:  # only the box the effects touched can differ from the host
        ty0, ty1, tx0, tx1 = surface.touched
        before = crop[ty0:ty1, tx0:tx1]
        drawn = np.clip(np.rint(surface.image[ty0:ty1, tx0:tx1]), 0, 255).astype(np.uint8).reshape(before.shape)
        changed = cv2.absdiff(drawn, before)
        if changed.ndim == 3:
            changed = np.maximum(np.maximum(changed[:, :, 0], changed[:, :, 1]), changed[:, :, 2])
        mask = changed > MASK_TOLERANCE
        np.copyto(drawn, before, where=~mask if drawn.ndim == 2 else ~mask[:, :, None])
        image[y0 + ty0:y0 + ty1, x0 + tx0:x0 + tx1] = drawn
        full[y0 + ty0:y0 + ty1, x0 + tx0:x0 + tx1] = mask
    return image, full


def _check_fits(spec: DefectSpec, width: int, height: int) -> None:
    for name, px in (("size", spec.size_px), ("length", spec.length_px), ("thickness", spec.thickness_px)):
        if px is not None and px * 0.9 > min(width, height) * (1.0 if name == "length" else 0.8):
            raise SynthError(f"the described {name} ({px:.0f} px) does not fit the host region of {width}x{height} px: "
                             "describe a smaller defect or use a larger host or ROI")


def _canvas(surface: Surface) -> np.ndarray:
    return np.zeros(surface.shape, dtype=np.uint8)


def _pt(x: float, y: float) -> tuple[int, int]:
    """A point in OpenCV's 4-bit fixed point (``shift=4``), for sub-pixel drawing."""
    return round(x * 16), round(y * 16)


def _stroke(canvas: np.ndarray, points: np.ndarray, widths: np.ndarray, values: np.ndarray) -> None:
    """Draw a polyline segment by segment, each with its own width (px) and strength (0..1)."""
    for k in range(len(points) - 1):
        value = round(255 * float(np.clip(values[k], 0, 1)))
        cv2.line(canvas, _pt(*points[k]), _pt(*points[k + 1]), value, max(1, round(float(widths[k]))),
                 cv2.LINE_AA, shift=4)


def _field(canvas: np.ndarray) -> np.ndarray:
    """A drawn 8-bit canvas as a 0..1 float field, converting only around what was drawn (speed)."""
    field = np.zeros(canvas.shape, dtype=np.float32)
    x, y, w, h = cv2.boundingRect(canvas)
    field[y:y + h, x:x + w] = canvas[y:y + h, x:x + w] * np.float32(1 / 255)
    return field


def _blob(surface: Surface, plan: _Plan, centre: tuple[float, float], radius: float, roughness: float = 0.25,
          aspect: float = 1.0) -> np.ndarray:
    """A filled irregular outline (radius varying with angle), anti-aliased, as a 0..1 field."""
    rng = plan.rng
    theta = np.linspace(0, 2 * math.pi, 64, endpoint=False)
    r = np.ones_like(theta)
    for harmonic in range(2, 7):
        r += roughness / harmonic * rng.normal() * np.cos(harmonic * theta + rng.uniform(0, 2 * math.pi))
    r = np.clip(r, 0.4, 1.8) * radius
    turn = rng.uniform(0, math.pi)
    x, y = r * np.cos(theta) * aspect, r * np.sin(theta) / aspect
    xs = centre[0] + x * math.cos(turn) - y * math.sin(turn)
    ys = centre[1] + x * math.sin(turn) + y * math.cos(turn)
    canvas = _canvas(surface)
    cv2.fillPoly(canvas, [np.stack([np.rint(xs * 16), np.rint(ys * 16)], axis=1).astype(np.int32)], 255,
                 cv2.LINE_AA, shift=4)
    return _field(canvas)


def _mottle(plan: _Plan, shape: tuple[int, int], cell: float, depth: float) -> np.ndarray:
    """Smooth random variation ``1 - depth .. 1`` with features about ``cell`` px across."""
    h, w = shape
    small = plan.rng.random((max(2, int(h / cell) + 2), max(2, int(w / cell) + 2))).astype(np.float32)
    return 1.0 - depth * cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC).clip(0, 1)


def _path(plan: _Plan, start: tuple[float, float], heading: float, length: float, wiggle: float,
          kinks: int = 0) -> np.ndarray:
    """A random walk of ~3 px steps: ``wiggle`` radians of turn per step, plus ``kinks`` sharp turns."""
    steps = max(4, int(length / 3))
    turns = plan.rng.normal(0, wiggle, steps)
    for at in plan.rng.integers(1, steps, kinks):
        turns[at] += plan.rng.choice([-1, 1]) * plan.rng.uniform(0.35, 0.9)
    headings = heading + np.cumsum(turns)
    step = length / steps
    xs = start[0] + np.concatenate([[0], np.cumsum(step * np.cos(headings))])
    ys = start[1] + np.concatenate([[0], np.cumsum(step * np.sin(headings))])
    return np.stack([xs, ys], axis=1)


def _scratch(surface: Surface, plan: _Plan) -> None:
    rng, spec = plan.rng, plan.spec
    canvas = _canvas(surface)
    for _ in range(int(rng.integers(spec.count[0], spec.count[1] + 1))):
        length, angle = plan.length(), plan.angle()
        cx, cy = plan.centre(surface.shape, length)
        t = np.linspace(-0.5, 0.5, max(8, int(length / 4)))
        bow = rng.uniform(0.08, 0.2) * length * (1 if rng.random() < 0.5 else -1) if spec.shape == "curved" else 0.0
        along, across = t * length, bow * (1 - 4 * t ** 2)
        points = np.stack([cx + along * math.cos(angle) - across * math.sin(angle),
                           cy + along * math.sin(angle) + across * math.cos(angle)], axis=1)
        taper = np.clip((0.5 - np.abs(t)) * 8, 0.25, 1.0)
        values = taper * (0.7 + 0.3 * np.sin(t * rng.uniform(6, 20) + rng.uniform(0, 6))) * rng.uniform(0.8, 1.0)
        _stroke(canvas, points, plan.width() * np.clip(taper * 1.4, 0.5, 1.0), values)
    surface.tone(surface.soften(_field(canvas)) * plan.contrast(), spec.tone)


def _crack(surface: Surface, plan: _Plan) -> None:
    rng, spec = plan.rng, plan.spec
    canvas = _canvas(surface)
    wiggle = {"straight": 0.03, "curved": 0.06, "kinked": 0.1, "branching": 0.1}.get(spec.shape, 0.1)
    for _ in range(int(rng.integers(spec.count[0], spec.count[1] + 1))):
        length, angle = plan.length(), plan.angle()
        cx, cy = plan.centre(surface.shape, length)
        start = (cx - length / 2 * math.cos(angle), cy - length / 2 * math.sin(angle))
        kinks = int(rng.integers(1, 4)) if spec.shape in ("kinked", "branching") else 0
        main = _path(plan, start, angle, length, wiggle, kinks)
        width = plan.width()
        branches = [(main, width)]
        if spec.shape == "branching":
            for _ in range(int(rng.integers(1, 4))):
                at = main[int(rng.integers(len(main) // 4, len(main) - 1))]
                turn = angle + rng.choice([-1, 1]) * rng.uniform(0.4, 1.1)
                branches.append((_path(plan, (at[0], at[1]), turn, length * rng.uniform(0.2, 0.45), wiggle, 1),
                                 max(1.0, width * 0.7)))
        for points, w in branches:
            t = np.linspace(0, 1, len(points))
            _stroke(canvas, points, np.maximum(w * (1 - 0.6 * t), 1.0), 1 - 0.5 * t ** 2)
    surface.tone(surface.soften(_field(canvas)) * plan.contrast(1.5), spec.tone)


def _dent(surface: Surface, plan: _Plan) -> None:
    rng, spec = plan.rng, plan.spec
    h, w = surface.shape
    relief = np.zeros(surface.shape, dtype=np.float32)
    for _ in range(int(rng.integers(spec.count[0], spec.count[1] + 1))):
        diameter = plan.diameter()
        aspect = 1.0 if spec.shape == "round" and spec.orientation == "any" else rng.uniform(1.3, 2.2)
        cx, cy = plan.centre(surface.shape, diameter * aspect)
        angle = plan.angle()
        radius = diameter / 2
        reach = int(radius * aspect * 2.2) + 3
        xa, xb = max(0, int(cx) - reach), min(w, int(cx) + reach)
        ya, yb = max(0, int(cy) - reach), min(h, int(cy) + reach)
        yy, xx = np.mgrid[ya:yb, xa:xb].astype(np.float32)
        u = ((xx - cx) * math.cos(angle) + (yy - cy) * math.sin(angle)) / (radius * aspect)
        v = (-(xx - cx) * math.sin(angle) + (yy - cy) * math.cos(angle)) / radius
        depth = np.exp(-(u * u + v * v) * 1.5)  # a smooth hollow; its slope facing the light brightens
        gy, gx = np.gradient(depth)
        slope = (gx * plan.light[0] + gy * plan.light[1]) * radius
        relief[ya:yb, xa:xb] += slope * plan.contrast(0.7) - 0.15 * depth * plan.contrast()
    surface.shade(surface.soften(relief))


def _stain(surface: Surface, plan: _Plan) -> None:
    rng, spec = plan.rng, plan.spec
    amount = np.zeros(surface.shape, dtype=np.float32)
    for _ in range(int(rng.integers(spec.count[0], spec.count[1] + 1))):
        diameter = plan.diameter()
        centre = plan.centre(surface.shape, diameter)
        blob = _blob(surface, plan, centre, diameter / 2, 0.35, plan.aspect(1.0, 1.6))
        field = blur(blob, diameter * 0.08 + 0.5)
        amount = np.maximum(amount, field * plan.contrast(0.8))
    amount *= _mottle(plan, surface.shape, max(plan.short / 20, 4.0), 0.4)
    surface.tone(surface.soften(amount), spec.tone)


def _spill(surface: Surface, plan: _Plan) -> None:
    rng, spec = plan.rng, plan.spec
    body = np.zeros(surface.shape, dtype=np.float32)
    for _ in range(int(rng.integers(spec.count[0], spec.count[1] + 1))):
        diameter = plan.diameter()
        centre = plan.centre(surface.shape, diameter * 1.3)
        body = np.maximum(body, _blob(surface, plan, centre, diameter / 2, 0.45, plan.aspect(1.0, 1.8)))
    body = surface.soften(body, 1.5) * _mottle(plan, surface.shape, max(plan.short / 30, 4.0), 0.3)
    rim = np.clip(body * (1 - body) * 4, 0, 1)  # the meniscus: darker where the film thins out at its edge
    surface.tone(body * plan.contrast(0.45), spec.tone)
    surface.darken(rim * plan.contrast(0.6))


def _splatter(surface: Surface, plan: _Plan) -> None:
    rng, spec = plan.rng, plan.spec
    paint = np.zeros(surface.shape, dtype=np.float32)
    for _ in range(int(rng.integers(spec.count[0], spec.count[1] + 1))):
        diameter = plan.diameter()
        cx, cy = plan.centre(surface.shape, diameter * 2.5)
        paint = np.maximum(paint, _blob(surface, plan, (cx, cy), diameter / 2, 0.5))
        heading = rng.uniform(0, 2 * math.pi)
        canvas = _canvas(surface)
        for _ in range(int(rng.integers(4, 14))):
            turn, reach = heading + rng.normal(0, 0.6), diameter * rng.uniform(0.6, 1.4)
            radius = max(1.0, diameter * rng.uniform(0.03, 0.12))
            cv2.circle(canvas, _pt(cx + reach * math.cos(turn), cy + reach * math.sin(turn)), round(radius * 16),
                       255, -1, cv2.LINE_AA, shift=4)
        paint = np.maximum(paint, _field(canvas))
    rgb = spec.tone.rgb or (COLOURS["black"] if spec.tone.name == "dark" else COLOURS["white"])
    surface.cover(surface.soften(paint) * min(0.97, plan.contrast(1.9)), rgb, grain=0.7)


def _hole(surface: Surface, plan: _Plan, depression: float) -> None:
    """A round cavity: its floor dark, the wall facing the light bright, the rim opposite in shadow."""
    rng, spec = plan.rng, plan.spec
    floor = np.zeros(surface.shape, dtype=np.float32)
    rim = np.zeros(surface.shape, dtype=np.float32)
    for _ in range(int(rng.integers(spec.count[0], spec.count[1] + 1))):
        diameter = plan.diameter()
        centre = plan.centre(surface.shape, diameter * 1.4)
        radius = diameter / 2
        aspect = rng.uniform(1.0, 1.25) if spec.shape == "round" else rng.uniform(1.1, 1.8)
        hole = _blob(surface, plan, centre, radius, 0.08 if spec.shape == "round" else 0.3, aspect)
        floor = np.maximum(floor, blur(hole, radius * depression + 0.3))
        shifted = (centre[0] + plan.light[0] * radius * 0.25, centre[1] + plan.light[1] * radius * 0.25)
        lit = _blob(surface, plan, shifted, radius * 1.08, 0.05, aspect)
        rim = np.maximum(rim, np.clip(lit - hole, 0, 1))
    surface.tone(surface.soften(floor) * plan.contrast(1.7), spec.tone)
    surface.lighten(surface.soften(rim) * plan.contrast(0.7))


def _chip(surface: Surface, plan: _Plan) -> None:
    rng, spec = plan.rng, plan.spec
    h, w = surface.shape
    gone = np.zeros(surface.shape, dtype=np.float32)
    for _ in range(int(rng.integers(spec.count[0], spec.count[1] + 1))):
        diameter = plan.diameter() * 1.5
        cx, cy = plan.centre(surface.shape, diameter)
        # snap to the nearest edge named by the location (or the nearest one): a chip breaks an edge off
        gaps = {"left": cx, "right": w - cx, "top": cy, "bottom": h - cy}
        named = [side for side in gaps if side in spec.location.split("-")]
        side = min(named or list(gaps), key=gaps.__getitem__)
        cx, cy = {"left": (0.0, cy), "right": (float(w), cy), "top": (cx, 0.0), "bottom": (cx, float(h))}[side]
        gone = np.maximum(gone, _blob(surface, plan, (cx, cy), diameter / 2, 0.6, plan.aspect(1.0, 1.8)))
    gone = surface.soften(gone)
    edge = np.clip(gone * (1 - gone) * 4, 0, 1)  # the fracture face catches light along the break
    rgb = spec.tone.rgb or ((235, 235, 235) if spec.tone.name == "light" else (12, 12, 12))
    surface.lighten(edge * plan.contrast(0.6))
    surface.cover(gone * min(0.97, plan.contrast(2.0)), rgb, grain=0.6)


def _burn(surface: Surface, plan: _Plan) -> None:
    rng, spec = plan.rng, plan.spec
    amount = np.zeros(surface.shape, dtype=np.float32)
    for _ in range(int(rng.integers(spec.count[0], spec.count[1] + 1))):
        diameter = plan.diameter() * 1.4
        centre = plan.centre(surface.shape, diameter * 2.0)  # its soft fringe stays inside the region too
        blob = _blob(surface, plan, centre, diameter / 2, 0.4, plan.aspect(1.0, 1.5))
        field = blur(blob, diameter * 0.18 + 0.5)
        amount = np.maximum(amount, field * (0.6 + 0.4 * field))  # darkest at the heart of the burn
    amount *= _mottle(plan, surface.shape, max(plan.short / 25, 4.0), 0.35) * plan.contrast(1.3)
    if spec.tone.rgb is not None:  # heat tints by darkening: the host seen through a brown (or named) filter
        surface.absorb(np.clip(amount * 1.4, 0, 1), spec.tone.rgb)
    else:
        surface.tone(amount, spec.tone)


def _dust(surface: Surface, plan: _Plan) -> None:
    rng, spec = plan.rng, plan.spec
    canvas = _canvas(surface)
    for _ in range(int(rng.integers(spec.count[0], spec.count[1] + 1))):
        value = round(255 * rng.uniform(0.5, 1.0))
        if spec.fibres or rng.random() < 0.12:
            length = plan.length() * 0.5 if spec.length_px is None else plan.length()
            start = plan.centre(surface.shape, length)
            points = _path(plan, start, rng.uniform(0, 2 * math.pi), length, 0.15)
            _stroke(canvas, points, np.full(len(points), 1.0), np.full(len(points), value / 255))
        else:
            diameter = plan.diameter() if spec.size_px is not None else max(1.2, plan.diameter() * 0.5)
            x, y = plan.centre(surface.shape, diameter)
            cv2.ellipse(canvas, _pt(x, y), _pt(diameter / 2, diameter / 2 * rng.uniform(0.6, 1.0)),
                        rng.uniform(0, 180), 0, 360, value, -1, cv2.LINE_AA, shift=4)
    surface.tone(surface.soften(_field(canvas)) * plan.contrast(1.4), spec.tone)


def _missing(surface: Surface, plan: _Plan) -> None:
    """Paint a part out from its surroundings: the region filled in from its border, then a slight recess."""
    rng, spec = plan.rng, plan.spec
    hole = np.zeros(surface.shape, dtype=np.float32)
    for _ in range(int(rng.integers(spec.count[0], spec.count[1] + 1))):
        diameter = plan.diameter() * 1.5
        candidates = [plan.centre(surface.shape, diameter) for _ in range(8 if spec.location == "anywhere" else 1)]
        centre = max(candidates, key=lambda c: _structure(surface.lum, c, diameter))  # a part, not bare surface
        hole = np.maximum(hole, _blob(surface, plan, centre, diameter / 2, 0.15, plan.aspect(1.0, 1.6)))
    gone = (hole > 0.05).astype(np.uint8) * 255
    x, y, w, h = cv2.boundingRect(gone)
    rows, cols = slice(max(0, y - 12), y + h + 12), slice(max(0, x - 12), x + w + 12)  # inpaint reads 5 px around
    filled = surface.image.copy()
    source = np.clip(surface.image[rows, cols], 0, 255).astype(np.uint8)
    patch = cv2.inpaint(source, gone[rows, cols], 5, cv2.INPAINT_TELEA)
    filled[rows, cols] = patch.astype(np.float32).reshape(source.shape)
    hole = surface.soften(hole)
    surface.replace(hole, filled)
    ring = np.clip(hole * (1 - hole) * 4, 0, 1)
    surface.darken(ring * plan.contrast(0.5))


def _structure(lum: np.ndarray, centre: tuple[float, float], size: float) -> float:
    r = max(2, int(size / 2))
    x, y = int(centre[0]), int(centre[1])
    patch = lum[max(0, y - r): y + r, max(0, x - r): x + r]
    return float(patch.std()) if patch.size else 0.0


_KINDS: dict[Kind, Callable[[Surface, _Plan], None]] = {
    Kind.SCRATCH: _scratch, Kind.CRACK: _crack, Kind.DENT: _dent, Kind.STAIN: _stain, Kind.SPILL: _spill,
    Kind.SPLATTER: _splatter, Kind.HOLE: lambda s, p: _hole(s, p, 0.15),
    Kind.BLOWHOLE: lambda s, p: _hole(s, p, 0.35), Kind.CHIP: _chip, Kind.BURN: _burn, Kind.DUST: _dust,
    Kind.MISSING: _missing,
}
