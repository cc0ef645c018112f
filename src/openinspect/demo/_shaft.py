"""The shaft scene: a pillow-block bearing housing seen from the side, a stepped shaft pressed into it.

The shaft comes in from the left; its shoulder collar stops against the housing's front face when
the shaft is fully seated. A partially seated shaft leaves a gap between collar and face where the
narrower journal and the backdrop show through; a shaft that is out is either pulled far back (its
chamfered tip may show) or missing altogether.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from openinspect.demo._render import finish, grain

WIDTH, HEIGHT = 640, 480
FACE_X, AXIS_Y = 330, 262
JOURNAL_R, COLLAR_R, COLLAR_W, INSERTED = 38, 58, 46, 160
STEEL = np.array([188.0, 191.0, 196.0])


@cache
def base() -> np.ndarray:
    """The backdrop and work surface, without housing or shaft.

    Returns:
        ``(480, 640, 3)`` uint8 RGB; callers copy it.
    """
    fade = np.linspace(1.15, 0.8, HEIGHT, dtype=np.float32)[:, None, None]
    image = np.broadcast_to(np.array([66, 74, 84], np.float32) * fade, (HEIGHT, WIDTH, 3)).copy()
    image[408:] = (52, 50, 48)
    image[406:410] = (96, 94, 90)
    return np.clip(image * grain((HEIGHT, WIDTH), 5, 3, 0.05), 0, 255).astype(np.uint8)


@cache
def housing() -> tuple[np.ndarray, np.ndarray]:
    """The painted cast housing with its machined front flange, cap bolts and grease nipple.

    Returns:
        ``(480, 640, 3)`` uint8 RGB layer and its ``(480, 640)`` bool coverage mask.
    """
    layer = np.zeros((HEIGHT, WIDTH, 3), np.float32)
    mask = np.zeros((HEIGHT, WIDTH), bool)
    parts = [
        ((FACE_X + 14, 132, 606, 392), (84, 98, 116)),
        ((FACE_X, 112, FACE_X + 16, 410), (128, 138, 150)),
        ((FACE_X + 14, 378, 626, 408), (70, 82, 98)),
        ((400, 116, 430, 132), (120, 120, 118)),
        ((530, 116, 560, 132), (120, 120, 118)),
        ((470, 110, 480, 132), (170, 150, 60)),
    ]
    for (x0, y0, x1, y1), colour in parts:
        layer[y0:y1, x0:x1] = colour
        mask[y0:y1, x0:x1] = True
    layer[112:410, FACE_X : FACE_X + 2] = (176, 184, 192)
    layer[132:392, 600:606] *= 0.7
    layer[AXIS_Y - 1 : AXIS_Y + 2, FACE_X + 16 : 606] = (46, 54, 66)  # the cap/base split line at the axis
    layer *= np.linspace(1.12, 0.82, HEIGHT, dtype=np.float32)[:, None, None]
    layer *= grain((HEIGHT, WIDTH), 9, 1, 0.07)
    return np.clip(layer, 0, 255).astype(np.uint8), mask


def render(rng: np.random.Generator, label: str) -> np.ndarray:
    """Draw one shaft capture.

    Args:
        rng: the capture's random generator.
        label: ``seated``, ``partial`` or ``out``.

    Returns:
        ``(480, 640, 3)`` uint8 RGB.
    """
    image = base().copy()
    if label != "out" or rng.random() < 0.6:
        # partial: 14-36 px, a few mm proud of the face as a short press leaves it; less reads as seated
        gap = {"seated": rng.uniform(0, 1.5), "partial": rng.uniform(14, 36)}.get(label, rng.uniform(95, 170))
        _shaft(image, round(FACE_X - gap))
    layer, mask = housing()
    np.copyto(image, layer, where=mask[..., None])
    return finish(rng, image)


def _cylinder_profile(radius: int) -> np.ndarray:
    """Colours down a horizontal steel cylinder: lit from above-front, with a specular streak.

    Returns:
        ``(2 * radius, 1, 3)`` float32 RGB.
    """
    t = (np.arange(2 * radius) + 0.5) / radius - 1
    normal_z = np.sqrt(1 - t**2)
    light = 0.35 + 0.65 * np.clip(-0.45 * t + 0.89 * normal_z, 0, 1)
    streak = 70 * np.exp(-(((t + 0.45) / 0.08) ** 2))
    return (STEEL * light[:, None] + streak[:, None])[:, None, :].astype(np.float32)


def _shaft(image: np.ndarray, collar_right: int) -> None:
    """Journal from the left edge to the tip, shoulder collar, keyway and the gap's contact shadow."""
    tip = collar_right + INSERTED
    journal = _cylinder_profile(JOURNAL_R)
    image[AXIS_Y - JOURNAL_R : AXIS_Y + JOURNAL_R, :tip] = np.clip(journal, 0, 255).astype(np.uint8)
    for step in range(6):
        image[AXIS_Y - JOURNAL_R + step : AXIS_Y + JOURNAL_R - step, tip + step] = (120, 122, 126)
    image[AXIS_Y - 8 : AXIS_Y + 6, 60:170] = (52, 54, 58)
    collar_left = collar_right - COLLAR_W
    collar = np.clip(_cylinder_profile(COLLAR_R) * 0.86, 0, 255).astype(np.uint8)
    image[AXIS_Y - COLLAR_R : AXIS_Y + COLLAR_R, collar_left:collar_right] = collar
    image[AXIS_Y - COLLAR_R : AXIS_Y + COLLAR_R, [collar_left, collar_right - 1]] = (96, 98, 102)
    gap = FACE_X - collar_right
    if gap > 0:
        fade = np.linspace(1.0, 0.55, gap, dtype=np.float32)[None, :, None]
        span = image[AXIS_Y - JOURNAL_R : AXIS_Y + JOURNAL_R, collar_right:FACE_X]
        span[:] = (span * fade).astype(np.uint8)
