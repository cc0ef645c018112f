"""What a person needs to set up a recipe by hand (the web UI's editor and labelling pages).

- the recipe as a JSON document (the YAML's field names), so a client edits structure, not text;
- the recipe's *template*: the capture the ROIs are drawn on, kept as ``reference.<ext>`` in the
  recipe's folder (the name an :class:`~openinspect.recipe.schema.Alignment` reference uses; an alignment
  on the template keeps its region when the template is replaced, checked on the new capture);
- the recipe's *captures*: images added for labelling, listed in ``captures.json`` in the recipe's
  folder (the images themselves are in the content-addressed library);
- labels per ROI of an image already in the library, and segmenter masks as class-colour PNGs;
- the latest model's class per crop beside the labels (:mod:`openinspect.station.predictions`), and where
  each crop is cut (moved and turned with the part on a recipe that aligns: :mod:`openinspect.station.placements`);
- a judged capture added back to the training images with corrected labels (archived, or one the station
  still holds in memory).
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
from openinspect.recipe import Alignment, ClassifierType, Recipe, Roi, SegmenterType
from openinspect.station.library import check_alignment, check_name, check_roi_labels
from openinspect.station.placements import Placement, RoiPlacer
from openinspect.station.predictions import CropPredictor, Prediction
from openinspect.station.sources import image_suffix
from openinspect.store import StoredImage, Workspace
from openinspect.store.files import encode_png, write_atomic

TEMPLATE_STEM = "reference"
"""The template file's name in the recipe folder, without its suffix."""
CAPTURES_FILE = "captures.json"
"""The list of a recipe's captures (image hashes) in its folder."""


@dataclass(frozen=True)
class TemplateInfo:
    """A recipe's template capture."""

    reference: str
    """Its file name in the recipe's folder: what an alignment on it names as ``reference``."""
    width: int
    height: int


@dataclass(frozen=True)
class Sample:
    """One capture of a recipe with its labels for one inspection type."""

    image: StoredImage
    labels: dict[str, str] = field(default_factory=dict)
    """Class per ROI (classifier types)."""
    masked: bool = False
    """A mask is stored (segmenter types)."""
    predictions: dict[str, Prediction] | None = None
    """The latest model's class per ROI, when asked for (classifier types)."""
    placement: Placement = field(default_factory=lambda: Placement({}))
    """Where the type's ROIs are cut on the capture, as training and the station cut them."""


@dataclass(frozen=True)
class Correction:
    """What to learn from one ROI of a judged capture."""

    roi: str
    type: str
    """The ROI's inspection type, as the result named it (checked against the recipe now)."""
    class_name: str | None = None
    """Classifier ROIs: the correct class."""
    background: bool = False
    """Segmenter ROIs: store an all-background mask (no defect); otherwise the capture is added to paint it."""


@dataclass(frozen=True)
class TrainingAddition:
    """What adding a capture to a recipe's training images did."""

    image: StoredImage
    added: bool
    """``False``: the capture was in the library already (nothing was copied)."""
    labels: dict[str, str]
    """Class per classifier ROI, as set now."""
    marked_good: list[str]
    """Segmenter types that got an all-background mask."""
    to_paint: list[str]
    """Segmenter types whose mask is left to paint on the Label page."""


@dataclass
class _Plan:
    """Checked corrections, by inspection type."""

    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    good: list[str] = field(default_factory=list)
    paint: list[str] = field(default_factory=list)
    rois: list[Roi] = field(default_factory=list)


class Workbench:
    """Recipe documents, templates, captures, labels and masks on one workspace.

    Args:
        workspace: the station's workspace.
        predictor: classifies crops for :meth:`samples`; by default one on ``workspace``.
        placer: places the ROIs for :meth:`samples`; by default one on ``workspace``.
    """

    def __init__(self, workspace: Workspace, predictor: CropPredictor | None = None,
                 placer: RoiPlacer | None = None) -> None:
        self.workspace = workspace
        self.predictor = predictor or CropPredictor(workspace)
        self.placer = placer or RoiPlacer(workspace)
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

    def template_info(self, name: str) -> TemplateInfo:
        """The recipe's template capture: its file name and size.

        Raises:
            NotFoundError: unknown recipe, or no template was set.
            ImageError: the file does not decode.
        """
        path = self.template(name)
        pixels = decode_image(path.read_bytes(), path.name)
        return TemplateInfo(path.name, pixels.shape[1], pixels.shape[0])

    def set_template(self, name: str, data: bytes, filename: str, alignment: Alignment | None = None) -> TemplateInfo:
        """Store the capture the ROIs are drawn on, replacing the earlier one.

        A recipe that aligns on its template keeps its alignment region, which then refers to the new capture:
        the region is checked on the new capture first (:func:`check_alignment`), and the alignment's
        ``reference`` follows the file's name (``reference.jpg`` after a JPEG).

        Args:
            name: recipe.
            data: the encoded capture.
            filename: what to call the capture in errors.
            alignment: align on this region of the new capture instead (``openinspect recipe template``); its
                ``reference`` is set to the template's file.

        Returns:
            The template's file name and size.

        Raises:
            NotFoundError: unknown recipe.
            ImageError: the bytes do not decode as an image.
            RecipeError: the alignment region does not lie inside the new capture or is too flat to find on it.
        """
        recipe = self._recipe(name)
        pixels = decode_image(data, filename)
        path = self._folder(name) / f"{TEMPLATE_STEM}{image_suffix(data) or '.png'}"
        if alignment is None and recipe.alignment and recipe.alignment.reference.startswith(f"{TEMPLATE_STEM}."):
            alignment = recipe.alignment
        if alignment is not None:
            check_alignment(recipe.name, alignment, pixels)
        with self._lock:
            write_atomic(path, data)
            for old in path.parent.glob(f"{TEMPLATE_STEM}.*"):
                if old != path:
                    old.unlink(missing_ok=True)
            stored = None if alignment is None else alignment.model_copy(update={"reference": path.name})
            if stored is not None and stored != recipe.alignment:
                self.workspace.save_recipe(recipe.model_copy(update={"alignment": stored}))
        return TemplateInfo(path.name, pixels.shape[1], pixels.shape[0])

    # -- captures and labels ---------------------------------------------------------------------

    def add_captures(self, name: str, files: list[tuple[str, bytes]]) -> list[StoredImage]:
        """Add captures to the image library and to the recipe's captures, once each.

        Raises:
            NotFoundError: unknown recipe.
            ImageError: a file does not decode (the files before it were added).
        """
        self._recipe(name)
        stored = [self.workspace.add_image(data, _capture_name(filename)) for filename, data in files]
        self._list_captures(name, stored)
        return stored

    def samples(self, name: str, type_name: str, *, predict: bool = False) -> list[Sample]:
        """The recipe's captures and every image labelled for the type, oldest first, with their labels.

        Each sample carries where the type's ROIs are cut on it (:class:`RoiPlacer`; aligned when the recipe aligns).

        Args:
            name: recipe.
            type_name: inspection type.
            predict: add the latest model's class per ROI (classifier types).

        Raises:
            NotFoundError: unknown recipe.
            RecipeError: unknown type, or ``predict`` for a segmenter type.
            ModelNotFoundError: ``predict`` and the type has no model trained for its classes.
        """
        recipe = self._recipe(name)
        spec = self._type(recipe, type_name)
        if predict and not isinstance(spec, ClassifierType):
            raise RecipeError(f"'{spec.name}' is a segmenter: predictions are shown for classifier types only")
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
        predicted = self.predictor.predict(recipe, spec, ordered) if predict and isinstance(spec, ClassifierType) \
            else None
        placed = self.placer.place(recipe, recipe.rois_of(spec.name), ordered)
        return [Sample(i, labels.get(i.sha256, {}), i.sha256 in masked,
                       None if predicted is None else predicted.get(i.sha256, {}), placed[i.sha256]) for i in ordered]

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
        _check_fit([rois[r] for r in labels], image)
        for roi_name, class_name in labels.items():
            self.workspace.set_label(name, spec.name, image, roi_name, class_name)
        return {label.roi: label.class_name for label in self.workspace.labels(name, spec.name)
                if label.image.sha256 == sha256}

    def add_to_training(self, name: str, data: bytes, filename: str,
                        corrections: list[Correction]) -> TrainingAddition:
        """Add a judged capture to the recipe's captures (once by content) and label the ROIs it names.

        Classifier ROIs get their class; a segmenter ROI either marks its type's mask all background (the
        mask covers the whole capture, so every ROI of that type) or leaves the capture to paint.
        Everything is checked before anything is labelled.

        Raises:
            NotFoundError: unknown recipe.
            RecipeError: no corrections, or one names a ROI, type or class the recipe does not have now.
            ImageError: the capture does not decode or the ROIs do not fit it.
        """
        recipe = self._recipe(name)
        plan = _plan(recipe, corrections)
        known = self.workspace.image_known(data)
        image = self.workspace.add_image(data, _capture_name(filename))
        _check_fit(plan.rois, image)
        self._list_captures(name, [image])
        for type_name, labels in plan.labels.items():
            for roi_name, class_name in labels.items():
                self.workspace.set_label(name, type_name, image, roi_name, class_name)
        for type_name in plan.good:
            self.workspace.set_mask(name, type_name, image, np.zeros((image.height, image.width), np.uint8))
        return TrainingAddition(image, not known, {r: c for labels in plan.labels.values() for r, c in labels.items()},
                                plan.good, plan.paint)

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

    def _list_captures(self, name: str, images: list[StoredImage]) -> None:
        """Append library images to the recipe's captures, each once."""
        with self._lock:
            known = self._capture_ids(name)
            added = [i.sha256 for i in images if i.sha256 not in known]
            if added:
                self._write_capture_ids(name, [*known, *dict.fromkeys(added)])

    def _capture_ids(self, name: str) -> list[str]:
        path = self._folder(name) / CAPTURES_FILE
        try:
            return list(json.loads(path.read_text(encoding="utf-8"))["images"])
        except FileNotFoundError:
            return []

    def _write_capture_ids(self, name: str, ids: list[str]) -> None:
        write_atomic(self._folder(name) / CAPTURES_FILE, json.dumps({"images": ids}, indent=1).encode("utf-8"))


def _plan(recipe: Recipe, corrections: list[Correction]) -> _Plan:
    """Check corrections against the recipe as it is now, grouped by type.

    Raises:
        RecipeError: none given, a ROI twice, or a ROI, type, class or mask choice the recipe does not allow.
    """
    if not corrections:
        raise RecipeError("nothing to add: name at least one ROI with its correct class (or, for a segmenter, "
                          "the background mask)")
    rois = {roi.name: roi for roi in recipe.rois}
    plan = _Plan()
    for item in corrections:
        roi = rois.get(item.roi)
        if roi is None:
            raise RecipeError(f"recipe '{recipe.name}' has no ROI '{item.roi}' now; its ROIs: {', '.join(rois)}")
        if roi.type != item.type:
            raise RecipeError(f"ROI '{roi.name}' of recipe '{recipe.name}' is judged by type '{roi.type}' now, not "
                              f"'{item.type}'; reopen the result and try again")
        if roi.name in {r.name for r in plan.rois}:
            raise RecipeError(f"ROI '{roi.name}' is named twice; give each ROI once")
        plan.rois.append(roi)
        spec = recipe.inspection_type(roi.type)
        if isinstance(spec, ClassifierType):
            _plan_class(spec, roi, item, plan)
        else:
            _plan_mask(spec, roi, item, plan)
    plan.paint = [t for t in plan.paint if t not in plan.good]
    return plan


def _plan_class(spec: ClassifierType, roi: Roi, item: Correction, plan: _Plan) -> None:
    if item.class_name is None or item.background:
        raise RecipeError(f"ROI '{roi.name}' is judged by classifier '{spec.name}': give its correct class "
                          f"({', '.join(spec.class_names())}); a background mask is for segmenter ROIs")
    check_roi_labels(spec, {roi.name: roi}, {roi.name: item.class_name})
    plan.labels.setdefault(spec.name, {})[roi.name] = item.class_name


def _plan_mask(spec: SegmenterType, roi: Roi, item: Correction, plan: _Plan) -> None:
    if item.class_name is not None:
        raise RecipeError(f"ROI '{roi.name}' is judged by segmenter '{spec.name}', which has no classes: mark "
                          f"it as background (no defect), or add the capture and paint its mask")
    chosen = plan.good if item.background else plan.paint
    if spec.name not in chosen:
        chosen.append(spec.name)


def _capture_name(filename: str) -> str:
    """A capture's file name without folders (a label only: the library names files by content)."""
    return Path(filename.replace("\\", "/")).name[:128] or "capture"


def _check_fit(rois: list[Roi], image: StoredImage) -> None:
    """Raise :class:`ImageError` naming the first ROI that does not lie inside the image."""
    for roi in rois:
        rect = roi.rect(image.width, image.height)
        if not rect.fits(image.width, image.height):
            raise ImageError(f"ROI '{roi.name}' ({rect.x},{rect.y} {rect.w}x{rect.h}) does not fit image "
                             f"{image.original_name} ({image.width}x{image.height} px)")


def _palette_table(colours: list[tuple[int, int, int]]) -> np.ndarray:
    """A 256-entry RGB lookup table: value k -> the k-th colour (black beyond the palette)."""
    table = np.zeros((256, 3), np.uint8)
    table[: len(colours)] = colours
    return table
