"""The host surface a defect must follow: its level, noise, sharpness and shading, and how effects blend into it.

Every effect changes the host rather than pasting over it: darkening and lightening scale the host's own
pixels (its texture and noise survive), colours keep the host's shading, and where an effect replaces the
surface (paint, a hole's floor, a painted-out part) grain matched to the host's noise level is added back.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import cv2
import numpy as np

from openinspect.synth.spec import Tone


@dataclass(eq=False)
class Surface:
    """A region of the host being changed, as float32 ``(H, W, C)`` (C = 1 or 3) in 0..255, plus its statistics."""

    image: np.ndarray
    lum: np.ndarray
    """``(H, W)`` float32 luminance of the untouched host."""
    level: float
    """The median luminance: what "this surface's brightness" means."""
    noise: float
    """The standard deviation of the host's pixel noise, in grey levels."""
    blur: float
    """The Gaussian sigma (px) that makes a sharp edge as soft as the host's own edges."""
    grain_rng: np.random.Generator
    """Draws the grain when an effect first needs it."""
    touched: tuple[int, int, int, int] | None = None
    """``(y0, y1, x0, x1)`` around every pixel an effect changed so far (None: none)."""

    @classmethod
    def of(cls, crop: np.ndarray, rng: np.random.Generator) -> Surface:
        """Measure a host crop: ``(H, W)`` or ``(H, W, 3)`` uint8."""
        image = crop.astype(np.float32)
        if image.ndim == 2:
            image = image[:, :, None]
        lum = image.mean(axis=2) if image.shape[2] == 1 else image @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
        lum = np.ascontiguousarray(lum, dtype=np.float32)
        blur = _sharpness(lum)
        noise = _noise(lum)
        grain_rng = np.random.default_rng(int(rng.integers(2 ** 63)))
        return cls(image=image, lum=lum, level=float(np.median(lum[::4, ::4])), noise=noise, blur=blur,
                   grain_rng=grain_rng)

    @functools.cached_property
    def grain(self) -> np.ndarray:
        """``(H, W)`` float32 noise with the host's level and sharpness, added where a surface is replaced."""
        white = self.grain_rng.standard_normal(self.lum.shape, dtype=np.float32)
        grain = cv2.GaussianBlur(white, (0, 0), max(self.blur * 0.6, 0.3))
        return (grain * (self.noise / max(float(grain[::4, ::4].std()), 1e-6))).astype(np.float32)

    def _box(self, field: np.ndarray) -> tuple[slice, slice]:
        """The box of a field's non-zero pixels, remembered as touched."""
        rows, cols = _box(field)
        if rows.stop > rows.start and cols.stop > cols.start:
            y0, y1, x0, x1 = self.touched or (rows.start, rows.stop, cols.start, cols.stop)
            self.touched = (min(y0, rows.start), max(y1, rows.stop), min(x0, cols.start), max(x1, cols.stop))
        return rows, cols

    @property
    def shape(self) -> tuple[int, int]:
        """``(height, width)`` of the region."""
        return self.lum.shape[0], self.lum.shape[1]

    def soften(self, field: np.ndarray, extra: float = 0.0) -> np.ndarray:
        """A drawn field blurred to the host's sharpness (plus ``extra`` px of sigma for soft-edged defects)."""
        return blur(field, float(np.hypot(self.blur, extra)))

    def darken(self, amount: np.ndarray) -> None:
        """Scale the host down by ``amount`` (0..1 per pixel): its texture and noise stay, only dimmer."""
        box = self._box(amount)
        self.image[box] *= (1.0 - np.clip(amount[box], 0.0, 1.0))[:, :, None]

    def lighten(self, amount: np.ndarray) -> None:
        """Move the host towards white by ``amount`` (0..1 per pixel), keeping its texture."""
        box = self._box(amount)
        self.image[box] += (255.0 - self.image[box]) * np.clip(amount[box], 0.0, 1.0)[:, :, None]

    def shade(self, relief: np.ndarray) -> None:
        """Multiply by ``1 + relief``: a surface tilted towards (+) or away from (-) the light."""
        box = self._box(relief)
        self.image[box] *= np.clip(1.0 + relief[box], 0.0, 3.0)[:, :, None]

    def cover(self, amount: np.ndarray, rgb: tuple[int, int, int], grain: float = 1.0) -> None:
        """Lay a colour over the host with opacity ``amount``, lit by the host's shading, with the host's grain."""
        box = self._box(amount)
        colour = np.array(rgb, dtype=np.float32)
        if self.image.shape[2] == 1:
            colour = np.array([0.299, 0.587, 0.114], dtype=np.float32) @ colour
        light = np.clip(self.lum[box] / max(self.level, 1.0), 0.6, 1.4)
        target = light[:, :, None] * np.reshape(colour, (1, 1, -1)) + (grain * self.grain[box])[:, :, None]
        self.image[box] += (target - self.image[box]) * np.clip(amount[box], 0.0, 1.0)[:, :, None]

    def absorb(self, amount: np.ndarray, rgb: tuple[int, int, int]) -> None:
        """Filter the host through a colour (a burn, a discolouration): darker, tinted, its texture kept."""
        box = self._box(amount)
        colour = np.array(rgb, dtype=np.float32) / 255.0
        if self.image.shape[2] == 1:
            colour = np.array([0.299, 0.587, 0.114], dtype=np.float32) @ colour
        self.image[box] *= 1.0 - np.clip(amount[box], 0.0, 1.0)[:, :, None] * np.reshape(1.0 - colour, (1, 1, -1))

    def replace(self, amount: np.ndarray, other: np.ndarray) -> None:
        """Blend ``other`` (same shape as the image) in with opacity ``amount``, adding the host's grain."""
        box = self._box(amount)
        alpha = np.clip(amount[box], 0.0, 1.0)[:, :, None]
        self.image[box] += (other[box] + self.grain[box][:, :, None] - self.image[box]) * alpha

    def tone(self, amount: np.ndarray, tone: Tone) -> None:
        """Apply a described tone: ``dark`` dims, ``light`` brightens, a colour tints (``amount`` 0..1)."""
        if tone.rgb is not None:
            self.cover(amount, tone.rgb, grain=0.5)
        elif tone.name == "light":
            self.lighten(amount)
        else:
            self.darken(amount)


def blur(field: np.ndarray, sigma: float) -> np.ndarray:
    """A Gaussian blur of a field that is zero but for a few defects: only their neighbourhood is computed."""
    if sigma < 0.3:
        return field
    rows, cols = _box(field)
    pad = math.ceil(3 * sigma) + 1
    h, w = field.shape
    box = (slice(max(0, rows.start - pad), min(h, rows.stop + pad)),
           slice(max(0, cols.start - pad), min(w, cols.stop + pad)))
    out = np.zeros_like(field)
    out[box] = cv2.GaussianBlur(field[box], (0, 0), sigma, borderType=cv2.BORDER_REPLICATE)
    return out


def _box(field: np.ndarray) -> tuple[slice, slice]:
    """The bounding box of a field's non-zero pixels: effects touch only that much of the image (speed)."""
    x, y, w, h = cv2.boundingRect((np.abs(field) > 1e-4).view(np.uint8))
    return slice(y, y + h), slice(x, x + w)


def _noise(lum: np.ndarray) -> float:
    """Pixel noise (grey levels): the robust spread of what a 3x3 median removes, corrected to a Gaussian's sigma."""
    sample = lum[: 256, : 256] if min(lum.shape) > 256 else lum
    residual = sample - cv2.medianBlur(sample, 3)
    return float(np.clip(1.4826 * np.median(np.abs(residual)) * 1.6, 0.3, 25.0))


def _sharpness(lum: np.ndarray) -> float:
    """The host's blur as a Gaussian sigma, from how much gradient energy one more blur of sigma 1 removes.

    For a surface that is (blurred) fine texture, gradient energy falls as ``sigma**-4``, so the kept share
    ``r`` of energy after an extra blur of 1 gives ``sigma**2 = sqrt(r) / (1 - sqrt(r))``.
    """
    sample = lum[: 256, : 256] if min(lum.shape) > 256 else lum
    gy, gx = np.gradient(sample)
    blurred = cv2.GaussianBlur(sample, (0, 0), 1.0)
    by, bx = np.gradient(blurred)
    kept = float((bx ** 2 + by ** 2).mean() / max(float((gx ** 2 + gy ** 2).mean()), 1e-6))
    root = np.sqrt(np.clip(kept, 0.0, 0.95))
    return float(np.clip(np.sqrt(root / (1.0 - root)), 0.4, 3.0))
