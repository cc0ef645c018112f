"""Drawing primitives shared by the demo scenes: shaded prisms, soft shadows and the camera's finish.

The scenes are drawn in a simple oblique view: a point ``(x, y, z)`` on a part (``y`` towards the
camera, ``z`` up) lands on the image at ``(u, v) = (cx + x, cy + TILT * y - z)``.
"""

from __future__ import annotations

from functools import cache

import cv2
import numpy as np

TILT = 0.5
LIGHT = np.array([-0.5, -0.4, 0.77]) / np.linalg.norm([-0.5, -0.4, 0.77])
AMBIENT = 0.45
NOISE_PAD = 64


def ring(radius: float, sides: int, angle_deg: float = 0.0) -> np.ndarray:
    """Vertices of a regular polygon, counter-clockwise in the part plane.

    Returns:
        ``(sides, 2)`` float array of ``(x, y)`` offsets from the centre.
    """
    angles = np.deg2rad(angle_deg) + np.arange(sides) * 2 * np.pi / sides
    return np.stack([radius * np.cos(angles), radius * np.sin(angles)], axis=1)


def project(centre: tuple[float, float], outline: np.ndarray, z: float) -> np.ndarray:
    """Image points ``(u, v)`` of an outline in the plane at height ``z``."""
    return np.stack([centre[0] + outline[:, 0], centre[1] + TILT * outline[:, 1] - z], axis=1)


def fill(image: np.ndarray, points: np.ndarray, colour: np.ndarray | tuple[float, ...]) -> None:
    """Fill a polygon with anti-aliased edges at sub-pixel precision.

    Args:
        image: ``(H, W, C)`` uint8 canvas, or ``(H, W)`` uint8 mask; drawn in place.
        points: ``(N, 2)`` image points.
        colour: one value per channel, 0-255.
    """
    pts = np.round(points * 16).astype(np.int32)
    cv2.fillPoly(image, [pts], tuple(float(c) for c in np.atleast_1d(colour)), cv2.LINE_AA, shift=4)


def shade(albedo: np.ndarray, normal: np.ndarray) -> np.ndarray:
    """Lambert shading of a surface colour under the scene's light, with ambient."""
    return np.clip(albedo * (AMBIENT + (1 - AMBIENT) * max(0.0, float(normal @ LIGHT))), 0, 255)


def prism(
    image: np.ndarray, centre: tuple[float, float], outline: np.ndarray, z0: float, z1: float, albedo: np.ndarray
) -> None:
    """Draw a vertical prism (a hex nut, a washer, a bolt as a many-sided prism) standing on ``z0``.

    Only the side faces turned towards the camera are drawn, then the top face.

    Args:
        image: ``(H, W, 3)`` uint8 RGB canvas, drawn in place.
        centre: image point of the axis at ``z = 0``.
        outline: ``(N, 2)`` counter-clockwise cross-section from :func:`ring`.
        z0: bottom height in px.
        z1: top height in px.
        albedo: RGB surface colour, 0-255.
    """
    following = np.roll(outline, -1, axis=0)
    normals = np.stack([following[:, 1] - outline[:, 1], outline[:, 0] - following[:, 0]], axis=1)
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    brightness = AMBIENT + (1 - AMBIENT) * np.clip(normals @ LIGHT[:2], 0, None)
    base = project(centre, outline, z0)
    rise = np.array([0.0, z1 - z0])
    ahead = np.roll(base, -1, axis=0)
    for i in np.flatnonzero(normals[:, 1] > 0):
        quad = np.array([base[i], ahead[i], ahead[i] - rise, base[i] - rise])
        fill(image, quad, np.clip(albedo * brightness[i], 0, 255))
    fill(image, project(centre, outline, z1), shade(albedo, np.array([0.0, 0.0, 1.0])))


def cast_shadow(
    image: np.ndarray,
    centre: tuple[float, float],
    outline: np.ndarray,
    z0: float,
    z1: float,
    ground: float,
    strength: float = 0.55,
) -> None:
    """Darken the ground under a prism with its soft shadow, thrown away from the light.

    Args:
        image: ``(H, W, 3)`` uint8 RGB canvas, darkened in place.
        centre: image point of the axis at ``z = 0``.
        outline: ``(N, 2)`` cross-section of the prism.
        z0: bottom height of the prism in px.
        z1: top height of the prism in px.
        ground: height of the surface that receives the shadow in px.
        strength: darkening at the shadow's core, 0-1.
    """
    drop = -LIGHT[:2] / LIGHT[2]
    footprint = np.concatenate([outline + drop * (z - ground) for z in (z0, z1)])
    hull = cv2.convexHull(project(centre, footprint, ground).astype(np.float32))[:, 0, :]
    sigma = 3 + 0.08 * (z1 - ground)
    margin = int(3 * sigma) + 2
    x0, y0 = np.maximum(np.floor(hull.min(axis=0)).astype(int) - margin, 0)
    x1, y1 = np.ceil(hull.max(axis=0)).astype(int) + margin
    window = image[y0:y1, x0:x1]
    mask = np.zeros(window.shape[:2], np.uint8)
    fill(mask, hull - [x0, y0], (255,))
    soft = cv2.GaussianBlur(mask, (0, 0), sigma)
    window[:] = (window * (1 - strength / 255.0 * soft[..., None].astype(np.float32))).astype(np.uint8)


def grain(shape: tuple[int, int], seed: int, streak: int, amount: float) -> np.ndarray:
    """A fixed multiplicative surface texture, e.g. brushed metal (long horizontal streaks).

    Returns:
        ``(H, W, 1)`` float32 factors around 1.0.
    """
    noise = np.random.default_rng(seed).standard_normal(shape, dtype=np.float32)
    streaked = cv2.blur(noise, (streak, 1))
    return (1 + amount * streaked / streaked.std())[..., None]


def finish(rng: np.random.Generator, image: np.ndarray) -> np.ndarray:
    """What the camera adds: part position jitter, lighting drift, lens blur, sensor noise and JPEG.

    Args:
        rng: the capture's random generator.
        image: ``(H, W, 3)`` uint8 RGB, the ideal rendering.

    Returns:
        ``(H, W, 3)`` uint8 RGB, the capture as the station would receive it.
    """
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), rng.uniform(-1.5, 1.5), 1.0)
    matrix[:, 2] = matrix[:, 2] + rng.uniform(-4, 4, size=2)
    moved = cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    ramp_x = np.linspace(-1, 1, w, dtype=np.float32)[None, :] * np.float32(rng.uniform(-0.12, 0.12))
    ramp_y = np.linspace(-1, 1, h, dtype=np.float32)[:, None] * np.float32(rng.uniform(-0.08, 0.08))
    moved = cv2.GaussianBlur(moved, (0, 0), rng.uniform(0.5, 1.1))
    tint = rng.uniform(0.8, 1.15) * rng.uniform(0.97, 1.03, size=3)
    table = np.clip(np.arange(256)[:, None] * tint, 0, 255).astype(np.uint8)[:, None, :]
    lit = cv2.LUT(moved, table).astype(np.float32)
    lit *= (1 + ramp_x + ramp_y)[..., None]
    dy, dx = rng.integers(0, NOISE_PAD, size=2)
    lit += _noise_bank(h, w)[dy : dy + h, dx : dx + w] * np.float32(rng.uniform(1.5, 4.0) * rng.choice([-1, 1]))
    bgr = cv2.cvtColor(np.clip(lit, 0, 255, out=lit).astype(np.uint8), cv2.COLOR_RGB2BGR)
    _, jpeg = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(70, 93))])
    decoded = cv2.imdecode(jpeg, cv2.IMREAD_COLOR)
    if decoded is None:
        raise RuntimeError("OpenCV could not decode the JPEG it just encoded")
    return cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB)


@cache
def _noise_bank(h: int, w: int) -> np.ndarray:
    """Unit Gaussian sensor noise, a little larger than a capture; each capture reads a shifted window.

    Drawing fresh noise per capture costs more than all the drawing; a random window of a fixed field
    is just as unlike its neighbours to a model.
    """
    return np.random.default_rng(0).standard_normal((h + NOISE_PAD, w + NOISE_PAD, 3), dtype=np.float32)
