"""The bracket scene: a zinc-plated bracket on a conveyor, two bolts with washers, hex nuts and torque marks.

A seated nut sits flush on its washer with its torque mark lined up with the washer's. A loose nut
has backed off: it stands raised on the bolt with a band of thread showing under it, throws a longer
shadow, has turned (the torque mark no longer lines up) and may sit a little off centre.
"""

from __future__ import annotations

from functools import cache

import cv2
import numpy as np

from openinspect.demo._render import cast_shadow, finish, grain, prism, project, ring

WIDTH, HEIGHT = 800, 400
NUT_CENTRES = {"nut-left": (220.0, 205.0), "nut-right": (580.0, 205.0)}
WASHER_RADIUS, WASHER_TOP = 58.0, 5.0
NUT_RADIUS, NUT_HEIGHT = 44.0, 26.0
BOLT_RADIUS, BOLT_TOP = 18.0, 45.0
MARK_ANGLE = 70.0  # degrees; the torque stripe points towards the camera so both halves show
PAINT = np.array([235.0, 120.0, 25.0])


@cache
def base() -> np.ndarray:
    """The empty scene: modular conveyor belt, bracket plate with its back flange, slots and part number.

    Returns:
        ``(400, 800, 3)`` uint8 RGB; callers copy it.
    """
    image = np.full((HEIGHT, WIDTH, 3), (44, 46, 50), np.uint8)
    image[:, ::48] = (30, 31, 34)
    image[:] = np.clip(image * grain((HEIGHT, WIDTH), 7, 5, 0.06), 0, 255).astype(np.uint8)
    shadow = np.zeros((HEIGHT, WIDTH), np.uint8)
    shadow[40:372, 36:786] = 255
    image[:] = (image * (1 - 0.6 * cv2.GaussianBlur(shadow, (0, 0), 8)[..., None] / 255.0)).astype(np.uint8)
    image[26:72, 28:772] = (178, 181, 184)
    image[72:342, 28:772] = (150, 153, 157)
    image[342:356, 28:772] = (92, 94, 97)
    image[70:74, 28:772] = (200, 203, 206)
    image[:] = np.clip(image * grain((HEIGHT, WIDTH), 11, 61, 0.035), 0, 255).astype(np.uint8)
    for x, y in ((70, 110), (730, 110), (70, 300), (730, 300)):
        cv2.ellipse(image, (x, y), (16, 8), 0, 0, 360, (38, 39, 42), -1, cv2.LINE_AA)
    for x in (150, 400, 650):
        cv2.circle(image, (x, 48), 9, (40, 41, 44), -1, cv2.LINE_AA)
    cv2.putText(image, "BRK-2207 C", (345, 325), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (112, 114, 118), 1, cv2.LINE_AA)
    return image


def render(rng: np.random.Generator, labels: dict[str, str]) -> np.ndarray:
    """Draw one bracket capture.

    Args:
        rng: the capture's random generator.
        labels: ROI name -> ``good`` or ``loose`` for both nuts.

    Returns:
        ``(400, 800, 3)`` uint8 RGB.
    """
    image = base().copy()
    for roi, centre in NUT_CENTRES.items():
        _fastener(image, rng, centre, loose=labels[roi] == "loose")
    return finish(rng, image)


def _fastener(image: np.ndarray, rng: np.random.Generator, centre: tuple[float, float], loose: bool) -> None:
    washer = ring(WASHER_RADIUS, 36)
    cast_shadow(image, centre, washer, 0, WASHER_TOP, 0, 0.35)
    prism(image, centre, washer, 0, WASHER_TOP, np.array([172.0, 174.0, 178.0]))
    _stripe(image, centre, MARK_ANGLE, NUT_RADIUS - 2, WASHER_RADIUS - 3, WASHER_TOP)
    lift = rng.uniform(22, 38) if loose else rng.uniform(0, 1)
    turn = rng.choice([-1, 1]) * rng.uniform(18, 45) if loose else rng.uniform(-3, 3)
    shift = rng.uniform(-5, 5, size=2) if loose else rng.uniform(-1, 1, size=2)
    nut_centre = (centre[0] + shift[0], centre[1] + 0.5 * shift[1])
    bottom = WASHER_TOP + lift
    nut = ring(NUT_RADIUS, 6, rng.uniform(0, 60))
    cast_shadow(image, nut_centre, nut, bottom, bottom + NUT_HEIGHT, WASHER_TOP, 0.5 + 0.01 * lift)
    if lift > 2:
        _thread(image, centre, WASHER_TOP, bottom)
    zinc = np.array([196.0, 192.0, 172.0]) * rng.uniform(0.92, 1.05)
    prism(image, nut_centre, nut, bottom, bottom + NUT_HEIGHT, zinc)
    _nut_top(image, nut_centre, bottom + NUT_HEIGHT, zinc)
    _stripe(image, nut_centre, MARK_ANGLE + turn, BOLT_RADIUS + 4, NUT_RADIUS * 0.84, bottom + NUT_HEIGHT)


def _nut_top(image: np.ndarray, centre: tuple[float, float], top: float, zinc: np.ndarray) -> None:
    """Bearing-face chamfer circle, then either the bolt end standing proud or the bore it sank into."""
    prism(image, centre, ring(NUT_RADIUS * 0.86, 28), top - 1, top, zinc * 1.04)
    if top + 1 < BOLT_TOP:
        _thread(image, centre, top, BOLT_TOP)
        prism(image, centre, ring(BOLT_RADIUS, 20), BOLT_TOP - 1, BOLT_TOP, np.array([150.0, 152.0, 156.0]))
    else:
        prism(image, centre, ring(BOLT_RADIUS, 20), top - 1, top, np.array([40.0, 40.0, 42.0]))


def _thread(image: np.ndarray, centre: tuple[float, float], z0: float, z1: float) -> None:
    """A bolt's threaded shank between two heights: a steel cylinder with helical crests and roots."""
    prism(image, centre, ring(BOLT_RADIUS, 20), z0, z1, np.array([160.0, 162.0, 166.0]))
    front = ring(BOLT_RADIUS, 20)[1:10]
    for z in np.arange(z0 + 2.5, z1 - 1, 3.5):
        helix = project(centre, front, z) - np.linspace(0, 1.7, len(front))[:, None] * [0, 1]
        cv2.polylines(image, [np.round(helix * 16).astype(np.int32)], False, (58, 58, 62), 1, cv2.LINE_AA, 4)
        cv2.polylines(
            image, [np.round((helix - [0, 1.6]) * 16).astype(np.int32)], False, (205, 207, 210), 1, cv2.LINE_AA, 4
        )


def _stripe(image: np.ndarray, centre: tuple[float, float], angle_deg: float, r0: float, r1: float, z: float) -> None:
    """A torque-seal paint stripe running radially on a flat face at height ``z``."""
    direction = np.array([np.cos(np.deg2rad(angle_deg)), np.sin(np.deg2rad(angle_deg))])
    ends = project(centre, np.array([direction * r0, direction * r1]), z)
    start, stop = (tuple(int(c) for c in np.round(p * 16)) for p in ends)
    cv2.line(image, start, stop, PAINT.tolist(), 6, cv2.LINE_AA, 4)
