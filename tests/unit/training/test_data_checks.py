"""Training-set checks on real magnetic-tile images: near-duplicates (a re-saved, re-lit copy), tiny classes, imbalance."""

import io

import numpy as np
import pytest
from PIL import Image
from tests.conftest import DATASET

from openinspect.imaging import read_image, resize_to
from openinspect.training.data_checks import (
    MAX_IMBALANCE,
    MIN_PER_CLASS,
    NEAR_DUPLICATE_BITS,
    Crop,
    near_duplicates,
    perceptual_hash,
    training_warnings,
)

SIZE = (160, 160)


def copy_of(image: np.ndarray, quality: int = 85, brightness: float = 0.93) -> np.ndarray:
    """The image saved again as JPEG and a little darker: what a re-exported or re-lit copy looks like."""
    buffer = io.BytesIO()
    Image.fromarray(np.clip(image * brightness, 0, 255).astype(np.uint8)).save(buffer, "JPEG", quality=quality)
    return np.asarray(Image.open(buffer).convert("RGB"))


@pytest.fixture(scope="module")
def tiles() -> np.ndarray:
    """Eight different real tiles (good and defective), ``(8, 160, 160, 3)`` uint8 RGB, as the model sees them."""
    if not DATASET.is_dir():
        pytest.skip(f"magnetic-tile dataset not found at {DATASET}")
    paths = sorted((DATASET / "MT_Free" / "Imgs").glob("*.jpg"))[::100][:5]
    paths += [sorted((DATASET / name / "Imgs").glob("*.jpg"))[3] for name in ("MT_Blowhole", "MT_Crack", "MT_Uneven")]
    return np.stack([resize_to(read_image(p), SIZE) for p in paths])


def _crops(classes: list[str]) -> list[Crop]:
    return [Crop(f"sha{i}", f"tile-{i}.jpg", "tile", name) for i, name in enumerate(classes)]


def test_a_resaved_darker_copy_of_a_tile_is_found_and_different_tiles_are_not(tiles):
    copy = copy_of(tiles[2])
    assert int(np.sum(perceptual_hash(tiles[2]) != perceptual_hash(copy))) <= NEAR_DUPLICATE_BITS
    images = np.concatenate([tiles, copy[None]])
    pairs = near_duplicates(images, [str(i) for i in range(len(images))])
    assert [(i, j) for i, j, _ in pairs] == [(2, 8)]


def test_a_copy_inside_one_capture_is_not_a_duplicate(tiles):
    """Two ROIs of one capture may well look alike: only different captures are compared."""
    images = np.stack([tiles[0], copy_of(tiles[0])])
    assert near_duplicates(images, ["same", "same"]) == []
    assert len(near_duplicates(images, ["a", "b"])) == 1


def test_warning_names_both_files_and_the_fix(tiles):
    images = np.concatenate([tiles[:4], copy_of(tiles[1])[None], tiles[5:8]])
    crops = _crops(["good"] * 5 + ["defect"] * 3)
    (warning,) = training_warnings(crops, images, ["good", "defect"])
    assert "1 pair(s) of near-duplicate training images" in warning
    assert "tile-1.jpg ~ tile-4.jpg (good" in warning
    assert "remove one of each pair" in warning and "different classes" not in warning


def test_a_copy_labelled_with_another_class_asks_to_check_the_labels(tiles):
    images = np.concatenate([tiles[:3], copy_of(tiles[0])[None], tiles[5:7]])
    (warning,) = training_warnings(_crops(["good"] * 3 + ["defect"] * 3), images, ["good", "defect"])
    assert "tile-0.jpg ~ tile-3.jpg (good / defect" in warning
    assert "1 of them carry different classes: check those labels" in warning


def test_a_class_under_three_crops_is_named(tiles):
    small = training_warnings(_crops(["good"] * 4 + ["defect"] * 2), tiles[:6], ["good", "defect"])
    assert small == [f"class 'defect' has 2 labelled crop(s): fewer than {MIN_PER_CLASS} cannot show what varies "
                     f"within it and it cannot be validated fairly; label at least 3, better 20 or more"]
    assert training_warnings(_crops(["good"] * 5 + ["defect"] * 3), tiles, ["good", "defect"]) == []


def test_imbalance_over_four_to_one_is_warned_and_four_to_one_is_not(tiles):
    """Counts are what matter here: the 16 crops repeat the 8 tiles (the duplicate warning is not looked at)."""
    images = tiles[[i % 8 for i in range(16)]]
    warnings = training_warnings(_crops(["good"] * 13 + ["defect"] * 3), images, ["good", "defect"])
    imbalance = [w for w in warnings if w.startswith("classes are imbalanced")]
    assert imbalance == [f"classes are imbalanced: 'good' has 13 labelled crops, 'defect' 3 (4.3:1, over "
                         f"{MAX_IMBALANCE:g}:1); the model will lean towards 'good' and validation says little about "
                         f"'defect'. Label more 'defect' parts"]
    four_to_one = training_warnings(_crops(["good"] * 12 + ["defect"] * 3), images[:15], ["good", "defect"])
    assert not [w for w in four_to_one if w.startswith("classes are imbalanced")]
