"""Decode captures of any common kind into one array layout: ``(H, W, 3)`` uint8 RGB.

Cameras and files disagree on bit depth (8/16 bit), channels (gray, RGB, RGBA, CMYK) and
orientation (EXIF). Everything downstream sees one layout, so it is normalised here, once.

A few hundred bytes of PNG can declare a 50000 x 50000 image (a decompression bomb), so the size
in the header is checked against a pixel budget before any pixel is decoded, and the conversion
works in row bands: peak memory stays within a few times the decoded ``(H, W, 3)`` array.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from openinspect.errors import ImageError
from openinspect.imaging.formats import SUPPORTED_TYPES, image_suffix

MAX_PIXELS = 80_000_000
"""Default pixel budget of one capture: above the largest area-scan industrial cameras in common use (65 and
71 MP), below Pillow's own bomb warning (89 MP). ``Settings.max_pixels`` (``OPENINSPECT_MAX_PIXELS``) sets it."""
_FIX = "re-export it as 8/16-bit PNG or JPEG"
_BAND_PIXELS = 1 << 18
"""Pixels converted at a time: a band's copies and temporaries stay a few MB whatever the capture's size."""


def decode_image(data: bytes, name: str = "<bytes>", max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Decode encoded image bytes into ``(H, W, 3)`` uint8 RGB.

    Handles gray, RGB, RGBA (composited on white), palette, CMYK and 16-bit images and applies
    EXIF orientation. 16-bit images are scaled by their full 16-bit range, so a 12-bit camera
    image stays dark rather than being stretched differently from capture to capture.

    Args:
        data: the encoded file content.
        name: what to call the image in error messages (the name it was given, never a server path).
        max_pixels: the largest width x height decoded; checked from the header before decoding.

    Returns:
        ``(H, W, 3)`` uint8 RGB array.

    Raises:
        ImageError: the bytes are not a complete image of a supported type (:data:`SUPPORTED_TYPES`), or it has
            more than ``max_pixels`` pixels.

    """
    if image_suffix(data) is None:  # the API, the CLI and folder imports take the same types
        raise ImageError(f"{name} is not an image the station takes ({SUPPORTED_TYPES}; this is empty or of another "
                         f"type) — {_FIX}")
    try:
        with Image.open(io.BytesIO(data)) as img:
            _check_size(img.size, name, max_pixels)
            plain = _plain_png(img, data)
            if plain is not None:
                return plain
            img.load()
            ImageOps.exif_transpose(img, in_place=True)
            return _to_rgb8(img)
    except ImageError:
        raise
    except UnidentifiedImageError as err:
        raise ImageError(f"cannot decode image {name}: not a recognised image format; the file is not an image "
                         f"or its start is damaged — {_FIX}") from err
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise ImageError(f"image {name} declares more pixels than a capture may have ({err}); the limit is "
                         f"{max_pixels:,} (OPENINSPECT_MAX_PIXELS; Pillow refuses over 179 MP whatever it is)") from err
    except Exception as err:  # a decoder meets hostile bytes in many ways (struct.error, EOFError, MemoryError...)
        raise ImageError(f"cannot decode image {name}: {err or type(err).__name__}; the file is corrupt, truncated "
                         f"or not an image — {_FIX}") from err


def read_image(path: Path | str, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Read and decode an image file into ``(H, W, 3)`` uint8 RGB (see :func:`decode_image`).

    Errors name the file by its name only: the folders may be the station's workspace, which clients of
    the HTTP API are not shown.

    Raises:
        ImageError: the file is missing, unreadable or not a decodable image.

    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ImageError(f"cannot read image {path.name}: {err.strerror}") from err
    return decode_image(data, path.name, max_pixels)


def _check_size(size: tuple[int, int], name: str, max_pixels: int) -> None:
    width, height = size
    if width * height > max_pixels:
        raise ImageError(f"image {name} declares {width} x {height} px ({width * height:,} pixels), over the "
                         f"{max_pixels:,} a capture may have; send a smaller image, or raise OPENINSPECT_MAX_PIXELS "
                         f"if the camera really takes images this large")


def _plain_png(img: Image.Image, data: bytes) -> np.ndarray | None:
    """The usual capture, an 8-bit RGB or gray PNG without transparency or EXIF, decoded by OpenCV.

    OpenCV takes 0.6x Pillow's time for the same pixels (bench/README.md, Station); ``None`` for anything else,
    or when OpenCV cannot decode it, and Pillow decodes it (and names the problem).
    """
    plain = (img.format == "PNG" and img.mode in ("RGB", "L") and data[24:25] == b"\x08"  # IHDR bit depth
             and "transparency" not in img.info and b"eXIf" not in data)
    if not plain:
        return None
    decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if decoded is None or decoded.shape[:2] != (img.height, img.width):
        return None
    return cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB, dst=decoded)


def _to_rgb8(img: Image.Image) -> np.ndarray:
    """Convert band by band into one preallocated array: no full-size copy besides Pillow's own pixels."""
    convert = _band_converter(img)
    out = np.empty((img.height, img.width, 3), np.uint8)
    rows = max(1, _BAND_PIXELS // max(img.width, 1))
    for top in range(0, img.height, rows):
        out[top : top + rows] = convert(img.crop((0, top, img.width, min(top + rows, img.height))))
    return out


def _band_converter(img: Image.Image) -> Callable[[Image.Image], np.ndarray]:
    """How one band of ``img`` becomes ``(h, W, 3)`` (or ``(h, W, 1)`` gray) uint8."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        top = 65535.0 if img.mode != "F" else max(float(np.asarray(img.getextrema()).max()), 1e-6)
        return lambda band: np.clip(np.asarray(band, np.float64) / top * 255.0 + 0.5, 0, 255)[:, :, None]
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        return lambda band: _on_white(np.asarray(band.convert("RGBA")))
    return lambda band: np.asarray(band.convert("RGB"))


def _on_white(rgba: np.ndarray) -> np.ndarray:
    """Composite ``(h, w, 4)`` uint8 RGBA on opaque white, rounding to nearest."""
    values = rgba.astype(np.uint16)
    alpha = values[:, :, 3:]
    return (values[:, :, :3] * alpha + 255 * (255 - alpha) + 127) // 255
