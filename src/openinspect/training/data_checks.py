"""Checks on a training set for data that will not generalise: near-duplicate images, tiny classes, imbalance.

Training goes on after a warning (a first try on few images is legitimate); the warnings name the images or
classes and the fix, and travel with the model version (``meta.json``), the CLI output and the Training page.

Near-duplicates are found in two steps, both measured on the 1,344 magnetic-tile images:

1. A perceptual hash of each ROI crop: a 256-bit pHash (the signs of the 16x16 lowest-frequency DCT coefficients
   of a 64x64 grey image, against their median). 64 bits are too coarse for surface images: 1,322 pairs of
   different tiles lay within 4 of 64 bits. With 256 bits, re-encoding a tile as JPEG at quality 70 moves its hash
   by at most 12 bits (99 % of tiles: 10 or fewer), darkening it by 10 % by at most 8; of the 900,000 pairs of
   different files, 32 lie within :data:`NEAR_DUPLICATE_BITS` (10 bits, 4 % of the hash).
2. The hash sees shapes, not the part's own grain, and parts of one design in one fixture look alike by intent:
   two good nuts hash alike without being copies. So a pair is a near-duplicate only when also the fine texture
   (the grey image at 128x128 minus its blur at sigma 1.5) correlates at :data:`TEXTURE_MIN_CORRELATION` or more:
   re-saved or re-lit copies of a tile did at 0.86 or more (99 %: 0.91), 300 random pairs of different tiles at
   0.51 at most. Both steps together, on the tiles resized to 320x320 as Fast trains on them, find 13 pairs
   among the 900,000: each two files of near-equal size and near serial numbers, one tile photographed twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from openinspect.store import Workspace
from openinspect.training.validation import CropSource

NEAR_DUPLICATE_BITS = 10
"""Hashes at most this many bits apart (of 256) are near-duplicates; see the module docstring for why 10."""
TEXTURE_MIN_CORRELATION = 0.8
"""Fine-texture correlation from which a hash-close pair is the same picture; see the module docstring."""
MIN_PER_CLASS = 3
"""Fewer images than this in a class cannot show the model what varies within it."""
MAX_IMBALANCE = 4.0
"""Largest to smallest class count above which the small class is swamped (warned).

At 4:1 a model that always answers the large class is already right 80 % of the time, so the loss pushes little
towards the small one, and a 5-fold validation holds fewer than a fifth as many of the small class's crops: its
recall rests on a handful of them."""
_SHOWN = 5
"""Examples named per warning; the rest are counted."""


@dataclass(frozen=True)
class Crop:
    """One training crop, for the checks: where it came from and its class."""

    image: str
    """The capture's content hash (sha256)."""
    name: str
    """The capture's file name as imported, to name it in a warning."""
    roi: str
    class_name: str


def perceptual_hash(image: np.ndarray) -> np.ndarray:
    """A 256-bit perceptual hash: ``(256,)`` bool.

    Args:
        image: ``(H, W, 3)`` uint8 RGB or ``(H, W)`` uint8 grey, any size.

    >>> image = np.random.default_rng(0).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    >>> darker = perceptual_hash((image * 0.8).astype(np.uint8))
    >>> perceptual_hash(image).shape, int(np.sum(perceptual_hash(image) != darker)) <= NEAR_DUPLICATE_BITS
    ((256,), True)
    """
    grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    small = cv2.resize(grey.astype(np.float32), (64, 64), interpolation=cv2.INTER_AREA)
    low = cv2.dct(small)[:16, :16].ravel()
    return np.asarray(low > np.median(low[1:]))  # the mean (DC) term left out of the median: brightness does not count


def texture(image: np.ndarray) -> np.ndarray:
    """The fine texture of an image as a unit vector: ``(16384,)`` float32 (128x128 grey minus its blur).

    Args:
        image: ``(H, W, 3)`` uint8 RGB or ``(H, W)`` uint8 grey, any size.
    """
    grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    small = cv2.resize(grey.astype(np.float32), (128, 128), interpolation=cv2.INTER_AREA)
    fine = (small - cv2.GaussianBlur(small, (0, 0), 1.5)).ravel()
    fine -= fine.mean()
    return np.asarray(fine / max(float(np.linalg.norm(fine)), 1e-6), dtype=np.float32)


def near_duplicates(images: np.ndarray, groups: Sequence[str]) -> list[tuple[int, int, int]]:
    """Pairs ``(i, j, bits)``, ``i < j``, of near-duplicate images from different groups.

    Near: hashes at most :data:`NEAR_DUPLICATE_BITS` apart and fine texture correlated at
    :data:`TEXTURE_MIN_CORRELATION` or more.

    Args:
        images: ``(N, h, w, 3)`` uint8 RGB.
        groups: one key per image (its capture); images of one group are never paired.
    """
    if len(images) < 2:
        return []
    packed = np.packbits(np.array([perceptual_hash(image) for image in images]), axis=1)
    distance = np.unpackbits(packed[:, None, :] ^ packed[None, :, :], axis=2).sum(axis=2)
    keys = np.asarray(groups)
    close = (distance <= NEAR_DUPLICATE_BITS) & (keys[:, None] != keys[None, :])
    candidates = list(zip(*np.nonzero(np.triu(close, k=1)), strict=True))
    fine = {int(i): texture(images[int(i)]) for pair in candidates for i in pair}
    return [(int(i), int(j), int(distance[i, j])) for i, j in candidates
            if float(fine[int(i)] @ fine[int(j)]) >= TEXTURE_MIN_CORRELATION]


def data_warnings(workspace: Workspace, sources: Sequence[CropSource], images: np.ndarray,
                  targets: np.ndarray | None, class_names: Sequence[str]) -> list[str]:
    """:func:`training_warnings` of a training set as training gathers it.

    Args:
        workspace: where the captures' file names are looked up.
        sources: where each crop was cut from.
        images: ``(N, h, w, 3)`` uint8 RGB crops.
        targets: ``(N,)`` class indices of a classifier's crops; ``None`` for a segmenter (no class checks).
        class_names: the classifier's classes (ignored without ``targets``).
    """
    names = {sha: getattr(workspace.image(sha, missing_ok=True), "original_name", sha[:12])
             for sha in {s.image for s in sources}}
    labels = [class_names[int(t)] for t in targets] if targets is not None else [""] * len(sources)
    crops = [Crop(s.image, names[s.image], s.roi, label) for s, label in zip(sources, labels, strict=True)]
    return training_warnings(crops, images, class_names if targets is not None else None)


def training_warnings(crops: Sequence[Crop], images: np.ndarray, class_names: Sequence[str] | None) -> list[str]:
    """What in a training set will not generalise, one sentence per problem naming what and the fix.

    Args:
        crops: one entry per training crop, in the order of ``images``.
        images: ``(N, h, w, 3)`` uint8 RGB, the crops as the model sees them.
        class_names: the classifier's classes, for the class-size checks; ``None`` (segmenters): none of those.
    """
    warnings = _duplicate_warnings(crops, images)
    if class_names is not None:
        warnings += _class_warnings(crops, class_names)
    return warnings


def _duplicate_warnings(crops: Sequence[Crop], images: np.ndarray) -> list[str]:
    pairs = near_duplicates(images, [c.image for c in crops])
    by_captures: dict[tuple[str, str], tuple[int, int, int]] = {}
    for i, j, bits in pairs:  # one line per pair of captures, whatever number of ROIs they share
        by_captures.setdefault((crops[i].image, crops[j].image), (i, j, bits))
    if not by_captures:
        return []
    listed = [_pair(crops[i], crops[j], bits) for i, j, bits in by_captures.values()]
    conflicting = sum(crops[i].class_name != crops[j].class_name for i, j, _ in by_captures.values())
    conflict = (f"; {conflicting} of them carry different classes: check those labels" if conflicting else "")
    return [f"{len(listed)} pair(s) of near-duplicate training images (perceptual hash within "
            f"{NEAR_DUPLICATE_BITS} of 256 bits): {_some(listed)}{conflict}. A copy teaches the model nothing new and "
            f"makes validation optimistic when one lands in a validation fold; remove one of each pair and label "
            f"other parts instead (other batches, days, positions)"]


def _pair(a: Crop, b: Crop, bits: int) -> str:
    classes = a.class_name if a.class_name == b.class_name else f"{a.class_name} / {b.class_name}"
    return f"{a.name} ~ {b.name} ({classes}, {bits} bits)"


def _class_warnings(crops: Sequence[Crop], class_names: Sequence[str]) -> list[str]:
    counts = {name: sum(c.class_name == name for c in crops) for name in class_names}
    warnings = [f"class '{name}' has {n} labelled crop(s): fewer than {MIN_PER_CLASS} cannot show what varies "
                f"within it and it cannot be validated fairly; label at least {MIN_PER_CLASS}, better 20 or more"
                for name, n in counts.items() if 0 < n < MIN_PER_CLASS]
    present = {name: n for name, n in counts.items() if n}
    if len(present) > 1:
        largest, smallest = max(present, key=present.__getitem__), min(present, key=present.__getitem__)
        if present[largest] > MAX_IMBALANCE * present[smallest]:
            warnings.append(
                f"classes are imbalanced: '{largest}' has {present[largest]} labelled crops, '{smallest}' "
                f"{present[smallest]} "
                f"({present[largest] / present[smallest]:.1f}:1, over {MAX_IMBALANCE:g}:1); the model will lean "
                f"towards '{largest}' and validation says little about '{smallest}'. Label more '{smallest}' parts")
    return warnings


def _some(items: list[str]) -> str:
    shown = ", ".join(items[:_SHOWN])
    return shown if len(items) <= _SHOWN else f"{shown} and {len(items) - _SHOWN} more"
