"""Fixtures for the model tests: a few real magnetic-tile crops, resized as the product does."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from openinspect.imaging import read_image, resize_to

DATASET = Path(__file__).resolve().parents[4] / "shared" / "datasets" / "magnetic-tile"
SIZE = (128, 128)


@pytest.fixture(scope="session")
def tiles() -> tuple[np.ndarray, np.ndarray]:
    """Three good and three defective tiles, ``(6, 128, 128, 3)`` uint8 RGB, labels 0 = good, 1 = defect."""
    if not DATASET.is_dir():
        pytest.skip(f"magnetic-tile dataset not found at {DATASET}; parity tests need real images")
    good = sorted((DATASET / "MT_Free" / "Imgs").glob("*.jpg"))[:3]
    bad = [sorted((DATASET / name / "Imgs").glob("*.jpg"))[0] for name in ("MT_Blowhole", "MT_Crack", "MT_Break")]
    images = np.stack([resize_to(read_image(p), SIZE) for p in good + bad])
    return images, np.array([0, 0, 0, 1, 1, 1], dtype=np.int64)
