"""Shared fixtures: each test gets its own workspace and SQLite file."""

from __future__ import annotations

import contextlib
import io
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from openinspect.cli import main
from openinspect.store import Workspace

DATASET = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "magnetic-tile"


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "home")


def run_cli(home: Path, *args: object) -> tuple[int, str, str]:
    """Run ``openinspect --home HOME ARGS...`` in this process; returns its exit code, stdout and stderr.

    It captures the output itself rather than through ``capsys``, so session fixtures can run it too.
    """
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--home", str(home), *map(str, args)])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def cli() -> Callable[..., tuple[int, str, str]]:
    """``cli(home, *args)``: :func:`run_cli` for a test."""
    return run_cli


def png_bytes(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares ``width`` x ``height`` gray pixels: a decompression bomb's head."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")


def write_png(path: Path, pixels: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png_bytes(pixels))
    return path


def part_capture(defect: bool, seed: int, size: tuple[int, int] = (96, 128)) -> np.ndarray:
    """A textured grey part; a defect is a dark scratch. ``(H, W, 3)`` uint8 RGB."""
    rng = np.random.default_rng(seed)
    height, width = size
    base = rng.normal(150, 12, (height, width)).clip(0, 255)
    if defect:
        row = rng.integers(20, height - 20)
        base[row - 3 : row + 3, 15 : width - 15] = 40
    return np.repeat(base.astype(np.uint8)[:, :, None], 3, axis=2)


class PlaceholderModel:
    """Stands in for a trained network when publishing: exporting writes a placeholder (a real export takes half a
    minute)."""

    backbone = "lite0"

    def export_onnx(self, path: Path) -> None:
        """Write a placeholder where the ONNX file goes."""
        path.write_bytes(b"placeholder")
