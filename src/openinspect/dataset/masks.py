"""Pixel masks for segmenter types: decode the formats people have, import image + mask folders.

A mask is stored as a ``(H, W)`` uint8 class map of the capture's size: 0 = background, k = the
k-th pixel class. On import it may be that already (grey or palette PNG), an RGB image whose colours
are the pixel class colours, or a binary 0/255 mask for a type's first pixel class (soft edges
are thresholded at 128).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from openinspect.dataset.crops import roi_crops
from openinspect.errors import DatasetError, ImageError, OpenInspectError
from openinspect.imaging import decode_image
from openinspect.imaging.formats import IMAGE_SUFFIXES
from openinspect.recipe import AnomalyType, Recipe, SegmenterType
from openinspect.store import Workspace

SOFT_EDGE_SHARE = 0.01
"""A 0/255 mask may have this share of in-between values away from its edges; they are cut at 128."""
SOFT_EDGE_PX = 2
"""In-between values within this distance of a 255 pixel are anti-aliased edges, however many."""


def decode_mask(data: bytes, name: str, spec: SegmenterType | AnomalyType, size: tuple[int, int]) -> np.ndarray:
    """Decode a mask file into a class map.

    Args:
        data: the encoded mask (PNG or any format PIL reads; lossless formats only make sense).
        name: what to call it in errors.
        spec: the segmenter type, for its pixel classes and colours.
        size: the ``(width, height)`` of the capture the mask belongs to.

    Returns:
        ``(H, W)`` uint8 class map.

    Raises:
        ImageError: unreadable mask, wrong size, values with no pixel class, colours not in the palette.
    """
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            pixels = np.asarray(img)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise ImageError(f"cannot decode mask {name}: {err}") from err
    if (pixels.shape[1], pixels.shape[0]) != size:
        raise ImageError(f"mask {name} is {pixels.shape[1]}x{pixels.shape[0]} px but its image is "
                         f"{size[0]}x{size[1]} px; masks must have the size of their image")
    if pixels.ndim == 3 and not _is_grey(pixels):
        return _from_colours(pixels[:, :, :3], name, spec)
    return _from_values(pixels if pixels.ndim == 2 else pixels[:, :, 0], name, spec)


def _is_grey(pixels: np.ndarray) -> bool:
    return bool((pixels[:, :, 0] == pixels[:, :, 1]).all() and (pixels[:, :, 1] == pixels[:, :, 2]).all())


def _from_values(values: np.ndarray, name: str, spec: SegmenterType | AnomalyType) -> np.ndarray:
    present = set(np.unique(values).tolist())
    count = len(spec.pixel_classes)
    if _is_binary(values, present, count):
        return (values >= 128).astype(np.uint8)  # binary mask: the first pixel class
    unknown = sorted(v for v in present if not 0 <= v <= count)
    if unknown:
        legend = ", ".join(f"{k} = {c.name}" for k, c in enumerate(spec.pixel_classes, start=1))
        raise ImageError(f"mask {name} has values {unknown[:8]} with no pixel class; expected 0 = background, "
                         f"{legend} (or a binary 0/255 mask for '{spec.pixel_classes[0].name}')")
    return values.astype(np.uint8)


def _is_binary(values: np.ndarray, present: set[int], count: int) -> bool:
    """A 0/255 mask, allowing the soft edges that anti-aliasing, resampling or JPEG leave behind.

    In-between values next to the 255 region (within ``SOFT_EDGE_PX``) are edges, however long the
    outline; elsewhere at most ``SOFT_EDGE_SHARE`` of the pixels may have one.
    """
    if 255 not in present or count >= 255 or present <= set(range(count + 1)):
        return False
    side = 2 * SOFT_EDGE_PX + 1
    near_edge = cv2.dilate((values == 255).astype(np.uint8), np.ones((side, side), np.uint8)) > 0
    stray = np.count_nonzero((values != 0) & (values != 255) & ~near_edge)
    return bool(stray <= SOFT_EDGE_SHARE * values.size)


def _from_colours(rgb: np.ndarray, name: str, spec: SegmenterType | AnomalyType) -> np.ndarray:
    out = np.zeros(rgb.shape[:2], np.uint8)
    matched = (rgb == 0).all(axis=2)
    for value, pixel_class in enumerate(spec.pixel_classes, start=1):
        hit = (rgb == np.array(pixel_class.rgb(), np.uint8)).all(axis=2)
        out[hit] = value
        matched |= hit
    if not matched.all():
        colours = np.unique(rgb[~matched].reshape(-1, 3), axis=0)[:5]
        found = ", ".join("#{:02x}{:02x}{:02x}".format(*c) for c in colours.tolist())
        palette = ", ".join(f"{c.name} {c.color}" for c in spec.pixel_classes)
        raise ImageError(f"mask {name} has colours not in the palette ({found}); black is background, "
                         f"pixel classes: {palette}")
    return out


@dataclass(frozen=True)
class MaskImportReport:
    """What a mask import did."""

    added: int
    already_present: int
    with_defects: int
    """Captures whose mask has at least one labelled pixel."""


def import_masks(workspace: Workspace, recipe: Recipe, spec: SegmenterType | AnomalyType, images: Path,
                 masks: Path, *, missing_is_background: bool = False) -> MaskImportReport:
    """Import every capture in ``images`` with the same-stem PNG mask from ``masks``.

    Everything is decoded and checked first, so a bad file leaves the workspace as it was.

    Raises:
        DatasetError: no captures, missing masks (unless ``missing_is_background``), bad files (all listed).
    """
    pairs = mask_pairs(images, masks)
    if not pairs:
        raise DatasetError(f"no captures found in {images} (looked for {', '.join(sorted(IMAGE_SUFFIXES))})")
    checked: list[tuple[Path, bytes, np.ndarray]] = []
    problems: list[str] = []
    for image_path, mask_path in pairs:
        try:
            checked.append(_check_pair(recipe, spec, image_path, mask_path, missing_is_background))
        except OpenInspectError as err:
            problems.append(str(err))
    if problems:
        raise DatasetError(f"nothing imported: {len(problems)} capture(s) cannot be used:\n  - "
                           + "\n  - ".join(problems) + "\nFix or remove them and import again")
    known = 0
    for path, data, mask in checked:
        known += workspace.image_known(data)
        stored = workspace.add_image(data, path.name)
        workspace.set_mask(recipe.name, spec.name, stored, mask)
    return MaskImportReport(len(checked) - known, known, sum(bool(m.any()) for _, _, m in checked))


def mask_pairs(images: Path, masks: Path) -> list[tuple[Path, Path]]:
    """Each capture in ``images`` with the path its mask would have (``masks/<stem>.png``; may not exist).

    Images and masks may share one folder: PNGs that are another capture's mask are not captures.
    """
    if not images.is_dir() or not masks.is_dir():
        raise DatasetError(f"{images if not images.is_dir() else masks} is not a folder")
    candidates = sorted(p for p in images.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    mask_of = {p: masks / f"{p.stem}.png" for p in candidates}
    mask_files = {m for p, m in mask_of.items() if m != p}
    return [(p, mask_of[p]) for p in candidates if p not in mask_files]


def _check_pair(recipe: Recipe, spec: SegmenterType | AnomalyType, image_path: Path, mask_path: Path,
                missing_is_background: bool) -> tuple[Path, bytes, np.ndarray]:
    data = image_path.read_bytes()
    image = decode_image(data, str(image_path))
    roi_crops(image, recipe, recipe.rois_of(spec.name), str(image_path))
    size = (image.shape[1], image.shape[0])
    if mask_path.is_file():
        return image_path, data, decode_mask(mask_path.read_bytes(), str(mask_path), spec, size)
    if missing_is_background:
        return image_path, data, np.zeros(image.shape[:2], np.uint8)
    raise DatasetError(f"{image_path} has no mask {mask_path}; add one, or pass --missing-mask-is-background "
                       f"if captures without a mask have no defect")
