"""What a person needs to set up a recipe by hand (the web UI's editor and labelling pages).

- the recipe as a JSON document (the YAML's field names), so a client edits structure, not text;
- the recipe's *template*: the capture the ROIs are drawn on, kept as ``reference.<ext>`` in the
  recipe's folder (the name an :class:`~openinspect.recipe.schema.Alignment` reference uses);
- the recipe's *captures*: images added for labelling, listed in ``captures.json`` in the recipe's
  folder (the images themselves are in the content-addressed library);
- labels per ROI of an image already in the library, and segmenter masks as class-colour PNGs.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from openinspect.dataset.masks import decode_mask
from openinspect.errors import ImageError, NotFoundError, RecipeError
from openinspect.imaging import decode_image
from openinspect.recipe import ClassifierType, Recipe, SegmenterType
from openinspect.station.library import check_name, check_roi_labels
from openinspect.station.sources import image_suffix
from openinspect.store import StoredImage, Workspace
from openinspect.store.files import encode_png, write_atomic

TEMPLATE_STEM = "reference"
"""The template file's name in the recipe folder, without its suffix."""
CAPTURES_FILE = "captures.json"
"""The list of a recipe's captures (image hashes) in its folder."""


@dataclass(frozen=True)
class Sample:
    """One capture of a recipe with its labels for one inspection type."""

    image: StoredImage
    labels: dict[str, str] = field(default_factory=dict)
    """Class per ROI (classifier types)."""
    masked: bool = False
    """A mask is stored (segmenter types)."""


class Workbench:
    """Recipe documents, templates, captures, labels and masks on one workspace.

    Args:
        workspace: the station's workspace.
    """

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._lock = threading.Lock()

    def document(self, name: str) -> dict[str, Any]:
        """The recipe as JSON with the YAML's field names (``pass``, ``class``).

        Raises:
            NotFoundError: unknown recipe.
        """
        recipe = self._recipe(name)
        data = recipe.model_dump(mode="json", by_alias=True, exclude_none=True)
        return {"name": recipe.name, "profile": recipe.profile.value, **data}

    # -- template --------------------------------------------------------------------------------

    def template(self, name: str) -> Path:
        """The recipe's template capture.

        Raises:
            NotFoundError: unknown recipe, or no template was set.
        """
        self._recipe(name)
        found = sorted(self._folder(name).glob(f"{TEMPLATE_STEM}.*"))
        if not found:
            raise NotFoundError(f"recipe '{name}' has no template capture yet; upload one")
        return found[0]

    def set_template(self, name: str, data: bytes, filename: str) -> tuple[int, int]:
        """Store the capture the ROIs are drawn on, replacing the earlier one.

        Returns:
            The template's ``(width, height)``.

        Raises:
            NotFoundError: unknown recipe.
            ImageError: the bytes do not decode as an image.
        """
        self._recipe(name)
        pixels = decode_image(data, filename)
        suffix = image_suffix(data) or ".png"
        folder = self._folder(name)
        with self._lock:
            write_atomic(folder / f"{TEMPLATE_STEM}{suffix}", data)
            for old in folder.glob(f"{TEMPLATE_STEM}.*"):
                if old.suffix != suffix:
                    old.unlink(missing_ok=True)
        return pixels.shape[1], pixels.shape[0]

    # -- captures and labels ---------------------------------------------------------------------

    def add_captures(self, name: str, files: list[tuple[str, bytes]]) -> list[StoredImage]:
        """Add captures to the image library and to the recipe's captures, once each.

        Raises:
            NotFoundError: unknown recipe.
            ImageError: a file does not decode (the files before it were added).
        """
        self._recipe(name)
        stored = [self.workspace.add_image(data, Path(filename.replace("\\", "/")).name[:128] or "capture")
                  for filename, data in files]
        with self._lock:
            known = self._capture_ids(name)
            added = [s.sha256 for s in stored if s.sha256 not in known]
            if added:
                self._write_capture_ids(name, [*known, *dict.fromkeys(added)])
        return stored

    def samples(self, name: str, type_name: str) -> list[Sample]:
        """The recipe's captures and every image labelled for the type, oldest first, with their labels.

        Raises:
            NotFoundError: unknown recipe.
            RecipeError: unknown type.
        """
        recipe = self._recipe(name)
        spec = self._type(recipe, type_name)
        labels: dict[str, dict[str, str]] = {}
        images: dict[str, StoredImage] = {}
        if isinstance(spec, ClassifierType):
            for label in self.workspace.labels(name, type_name):
                images[label.image.sha256] = label.image
                labels.setdefault(label.image.sha256, {})[label.roi] = label.class_name
        masked = {image.sha256: image for image, _ in self.workspace.masks(name, type_name)} \
            if isinstance(spec, SegmenterType) else {}
        images.update(masked)
        for sha in self._capture_ids(name):
            if sha not in images:
                stored = self.workspace.image(sha, missing_ok=True)
                if stored is not None:
                    images[sha] = stored
        order = {sha: index for index, sha in enumerate(self._capture_ids(name))}
        ordered = sorted(images.values(), key=lambda i: (order.get(i.sha256, -1), i.sha256))
        return [Sample(i, labels.get(i.sha256, {}), i.sha256 in masked) for i in ordered]

    def image(self, sha256: str) -> StoredImage:
        """An image of the library.

        Raises:
            NotFoundError: no such image.
        """
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise NotFoundError(f"no image {sha256!r}: image ids are 64 hex digits")
        stored = self.workspace.image(sha256)
        assert stored is not None
        return stored

    def set_labels(self, name: str, type_name: str, sha256: str, labels: dict[str, str]) -> dict[str, str]:
        """Label ROIs of a classifier type on a library image (replacing their earlier classes).

        Returns:
            Every label of the image for the type after the change.

        Raises:
            RecipeError: unknown type, ROI or class, or the type is a segmenter.
            ImageError: the image does not fit the ROIs.
        """
        recipe = self._recipe(name)
        spec = self._type(recipe, type_name)
        if not isinstance(spec, ClassifierType):
            raise RecipeError(f"'{spec.name}' is a segmenter: paint a mask instead of choosing a class")
        rois = {roi.name: roi for roi in recipe.rois_of(spec.name)}
        check_roi_labels(spec, rois, labels)
        image = self.image(sha256)
        for roi_name in labels:
            rect = rois[roi_name].rect(image.width, image.height)
            if rect.x + rect.w > image.width or rect.y + rect.h > image.height:
                raise ImageError(f"ROI '{roi_name}' ({rect.x},{rect.y} {rect.w}x{rect.h}) does not fit image "
                                 f"{image.original_name} ({image.width}x{image.height} px)")
        for roi_name, class_name in labels.items():
            self.workspace.set_label(name, spec.name, image, roi_name, class_name)
        return {label.roi: label.class_name for label in self.workspace.labels(name, spec.name)
                if label.image.sha256 == sha256}

    # -- masks -----------------------------------------------------------------------------------

    def mask_png(self, name: str, type_name: str, sha256: str) -> bytes:
        """A segmenter mask as an RGB PNG in the pixel-class colours, black background.

        Raises:
            NotFoundError: unknown recipe or image, or the image has no mask for the type.
            RecipeError: unknown type, or not a segmenter.
        """
        spec = self._segmenter(self._recipe(name), type_name)
        path = next((p for image, p in self.workspace.masks(name, type_name) if image.sha256 == sha256), None)
        if path is None:
            raise NotFoundError(f"image {sha256[:12]}… has no mask for type '{type_name}' yet")
        values = decode_image(path.read_bytes(), path.name)[:, :, 0]
        palette = [(0, 0, 0), *(c.rgb() for c in spec.pixel_classes)]
        lut = _palette_table(palette)
        return encode_png(lut[values])

    def set_mask(self, name: str, type_name: str, sha256: str, data: bytes) -> int:
        """Store a painted mask (pixel-class colours on black, or a class map) for a library image.

        Returns:
            How many pixels carry a pixel class (0: marked as good, no defect).

        Raises:
            ImageError: unreadable, wrong size or colours outside the palette.
            RecipeError: unknown type, or not a segmenter.
        """
        spec = self._segmenter(self._recipe(name), type_name)
        image = self.image(sha256)
        mask = decode_mask(data, "painted mask", spec, (image.width, image.height))
        self.workspace.set_mask(name, type_name, image, mask)
        return int((mask > 0).sum())

    # -- helpers ---------------------------------------------------------------------------------

    def _recipe(self, name: str) -> Recipe:
        return self.workspace.recipe(check_name(name))

    def _folder(self, name: str) -> Path:
        return self.workspace.recipe_path(name).parent

    @staticmethod
    def _type(recipe: Recipe, type_name: str) -> ClassifierType | SegmenterType:
        try:
            return recipe.inspection_type(type_name)
        except KeyError:
            raise RecipeError(f"recipe '{recipe.name}' has no inspection type '{type_name}'; types: "
                              f"{', '.join(t.name for t in recipe.types)}") from None

    def _segmenter(self, recipe: Recipe, type_name: str) -> SegmenterType:
        spec = self._type(recipe, type_name)
        if not isinstance(spec, SegmenterType):
            raise RecipeError(f"'{spec.name}' is a classifier: label its ROIs with a class, not a mask")
        return spec

    def _capture_ids(self, name: str) -> list[str]:
        path = self._folder(name) / CAPTURES_FILE
        try:
            return list(json.loads(path.read_text(encoding="utf-8"))["images"])
        except FileNotFoundError:
            return []

    def _write_capture_ids(self, name: str, ids: list[str]) -> None:
        write_atomic(self._folder(name) / CAPTURES_FILE, json.dumps({"images": ids}, indent=1).encode("utf-8"))


def _palette_table(colours: list[tuple[int, int, int]]) -> np.ndarray:
    """A 256-entry RGB lookup table: value k -> the k-th colour (black beyond the palette)."""
    table = np.zeros((256, 3), np.uint8)
    table[: len(colours)] = colours
    return table
