"""Atomic file writes: a reader sees the old file or the new one, never half of one.

A write that fails for lack of space or storage raises :class:`~openinspect.errors.StorageFullError` or
:class:`~openinspect.errors.StorageUnavailableError` (see :mod:`openinspect.store.space`).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from PIL import Image

from openinspect.store.space import storage_errors


def encode_png(pixels: np.ndarray) -> bytes:
    """Encode an ``(H, W)`` uint8 map or ``(H, W, 3)`` uint8 RGB image as PNG."""
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels)).save(buffer, format="PNG")
    return buffer.getvalue()


def write_png(path: Path, pixels: np.ndarray) -> None:
    """Write an ``(H, W)`` uint8 map or ``(H, W, 3)`` uint8 RGB image as PNG, atomically."""
    write_atomic(path, encode_png(pixels))


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    with atomic_writer(path) as handle:
        handle.write(data)


@contextlib.contextmanager
def atomic_writer(path: Path) -> Iterator[BinaryIO]:
    """A binary file to write that appears at ``path`` only if the block succeeds, for data too big to hold in memory.

    The block writes to a temporary file in the same folder, which is synced and renamed onto ``path``
    at the end; on any exception it is removed and ``path`` is untouched.
    """
    with storage_errors(path.parent, "the workspace"):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                yield handle
                handle.flush()
                os.fsync(handle.fileno())
            Path(tmp).replace(path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


@contextlib.contextmanager
def staged_directory(final: Path) -> Iterator[Path]:
    """Build a directory under a temporary name and rename it to ``final`` only if the block succeeds.

    Nothing half-written is left behind: on any exception the staging folder is removed.
    """
    with storage_errors(final.parent, "the workspace"):
        final.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{final.name}.", suffix=".tmp"))
        try:
            yield staging
            staging.replace(final)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write a JSON document atomically (numpy scalars and arrays become plain numbers and lists)."""
    write_atomic(path, json.dumps(data, indent=2, default=_plain).encode("utf-8"))


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
