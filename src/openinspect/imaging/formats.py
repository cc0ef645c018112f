"""The capture file types the station takes: one list for the API, the CLI, folder imports and capture folders."""

from __future__ import annotations

from pathlib import PurePosixPath

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"})
"""File suffixes of the supported types, as folders of captures are searched for them."""
SUPPORTED_TYPES = "PNG, JPEG, BMP, TIFF or WebP"
"""The supported types in words, for messages."""

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", ".png"),
    (b"\xff\xd8\xff", ".jpg"),
    (b"BM", ".bmp"),
    (b"II*\x00", ".tif"),
    (b"MM\x00*", ".tif"),
)


def image_suffix(data: bytes) -> str | None:
    r"""The file suffix of an encoded image judged by its first bytes, ``None`` when it is no supported type.

    >>> image_suffix(b"\x89PNG\r\n\x1a\n...")
    '.png'
    >>> image_suffix(b"GIF89a...") is None
    True
    """
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ".webp"
    return next((suffix for magic, suffix in _SIGNATURES if data.startswith(magic)), None)


def upload_name(filename: str, data: bytes) -> str:
    r"""An uploaded file's name without folders, kept as the capture's original name (a label only).

    >>> upload_name("C:\\line\\..\\part-7.png", b"")
    'part-7.png'
    >>> upload_name("..", b"\x89PNG\r\n\x1a\n")
    'upload.png'
    """
    base = PurePosixPath(filename.replace("\\", "/")).name[:128]
    return base if base and base not in (".", "..") else f"upload{image_suffix(data) or '.img'}"
