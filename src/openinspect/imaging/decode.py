"""Decode captures of any common kind into one array layout: ``(H, W, 3)`` uint8 RGB.

Cameras and files disagree on bit depth (8/16 bit), channels (gray, RGB, RGBA, CMYK) and
orientation (EXIF). Everything downstream sees one layout, so it is normalised here, once.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from openinspect.errors import ImageError
from openinspect.imaging.formats import SUPPORTED_TYPES, image_suffix

_FIX = "re-export it as 8/16-bit PNG or JPEG"


def decode_image(data: bytes, name: str = "<bytes>") -> np.ndarray:
    """Decode encoded image bytes into ``(H, W, 3)`` uint8 RGB.

    Handles gray, RGB, RGBA (composited on white), palette, CMYK and 16-bit images and applies
    EXIF orientation. 16-bit images are scaled by their full 16-bit range, so a 12-bit camera
    image stays dark rather than being stretched differently from capture to capture.

    Args:
        data: the encoded file content.
        name: what to call the image in error messages (usually its path).

    Returns:
        ``(H, W, 3)`` uint8 RGB array.

    Raises:
        ImageError: the bytes are not a complete image of a supported type (:data:`SUPPORTED_TYPES`).

    """
    if image_suffix(data) is None:  # the API, the CLI and folder imports take the same types
        raise ImageError(f"{name} is not an image the station takes ({SUPPORTED_TYPES}; this is empty or of another "
                         f"type) — {_FIX}")
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            return _to_rgb8(ImageOps.exif_transpose(img) or img)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise ImageError(f"cannot decode image {name}: {err}; the file is corrupt, truncated or not an "
                         f"image — {_FIX}") from err


def read_image(path: Path | str) -> np.ndarray:
    """Read and decode an image file into ``(H, W, 3)`` uint8 RGB (see :func:`decode_image`).

    Raises:
        ImageError: the file is missing, unreadable or not a decodable image.

    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ImageError(f"cannot read image {path}: {err.strerror}") from err
    return decode_image(data, str(path))


def _to_rgb8(img: Image.Image) -> np.ndarray:
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        arr = np.asarray(img, dtype=np.float64)
        top = 65535.0 if img.mode != "F" else max(float(arr.max()), 1e-6)
        gray = np.clip(arr / top * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return np.repeat(gray[:, :, None], 3, axis=2)
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(background, rgba).convert("RGB"))
    return np.asarray(img.convert("RGB"))
