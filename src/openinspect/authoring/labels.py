"""Labels per ROI as a person gives them: a class per classifier crop, a painted mask per segmenter capture.

Each sample of a type carries where its ROIs are cut on the capture (:mod:`openinspect.authoring.placements`:
moved and turned with the part on a recipe that aligns) and, when asked, the latest model's class per crop
(:mod:`openinspect.authoring.predictions`), so the labelling page shows what the model sees and says.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from openinspect.authoring.captures import CaptureService
from openinspect.authoring.placements import Placement, RoiPlacer
from openinspect.authoring.predictions import CropPredictor, Prediction
from openinspect.dataset import roi_crops
from openinspect.dataset.masks import decode_mask
from openinspect.errors import ImageError, NotFoundError, RecipeError
from openinspect.imaging import decode_image, upload_name
from openinspect.recipe import AnomalyType, ClassifierType, Recipe, Roi, SegmenterType
from openinspect.store import StoredImage, SyntheticOrigin, Workspace
from openinspect.store.audit import AuditAction, AuditLog
from openinspect.store.files import encode_png
from openinspect.store.revisions import SYSTEM_ACTOR


@dataclass(frozen=True)
class Sample:
    """One capture of a recipe with its labels for one inspection type."""

    image: StoredImage
    labels: dict[str, str] = field(default_factory=dict)
    """Class per ROI (classifier types)."""
    masked: bool = False
    """A mask is stored (segmenter types; anomaly types: a painted anomalous region, or none painted)."""
    predictions: dict[str, Prediction] | None = None
    """The latest model's class per ROI, when asked for (classifier types)."""
    placement: Placement = field(default_factory=lambda: Placement({}))
    """Where the type's ROIs are cut on the capture, as training and the station cut them."""
    synthetic: SyntheticOrigin | None = None
    """How the Defect Creator made it; ``None``: a real capture."""


@dataclass(frozen=True)
class LabelReport:
    """What one labelled upload did."""

    image: str
    """The capture's content hash in the image library."""
    added: bool
    """``False``: the capture was in the library already (its labels were replaced)."""
    labels: dict[str, str]
    """Class per ROI."""


class LabelService:
    """Labels and masks of the recipes on one workspace.

    Args:
        workspace: the station's workspace.
        captures: the recipes' captures (samples list them, uploads join them).
        predictor: classifies crops for :meth:`samples`; by default one on ``workspace``.
        placer: places the ROIs for :meth:`samples`; by default one on ``workspace``.
        audit: where every labelling request is recorded (one record, with a count); by default the workspace
            database's trail.
    """

    def __init__(self, workspace: Workspace, captures: CaptureService | None = None,
                 predictor: CropPredictor | None = None, placer: RoiPlacer | None = None,
                 audit: AuditLog | None = None) -> None:
        self.workspace = workspace
        self.audit = audit or AuditLog(workspace.engine)
        self.captures = captures or CaptureService(workspace)
        self.predictor = predictor or CropPredictor(workspace)
        self.placer = placer or RoiPlacer(workspace)

    def label(self, name: str, type_name: str, data: bytes, filename: str, labels: dict[str, str], *,
              actor: str = SYSTEM_ACTOR) -> LabelReport:
        """Add a capture to the recipe's captures and label ROIs of a classifier type in it.

        Args:
            name: recipe.
            type_name: classifier type.
            data: the encoded capture.
            filename: the uploaded file's name (kept as the capture's original name only).
            labels: class per ROI; the key ``*`` labels every ROI of the type.
            actor: who labels, for the audit trail.

        Raises:
            NotFoundError: unknown recipe.
            RecipeError: unknown type, ROI or class, or the type is a segmenter.
            ImageError: the capture does not decode or does not fit the type's ROIs.
        """
        recipe = self.workspace.recipe(name)
        spec = _classifier(recipe, type_name)
        rois = {roi.name: roi for roi in recipe.rois_of(spec.name)}
        chosen = dict.fromkeys(rois, labels["*"]) if "*" in labels else labels
        check_roi_labels(spec, rois, chosen)
        roi_crops(decode_image(data, filename), recipe, [rois[r] for r in chosen], filename)
        known = self.workspace.image_known(data)
        stored = self.workspace.add_image(data, upload_name(filename, data))
        self.captures.append(recipe.name, [stored])
        for roi, class_name in chosen.items():
            self.workspace.set_label(recipe.name, spec.name, stored, roi, class_name)
        self._record(actor, name, spec.name, f"{len(chosen)} label(s) on capture {stored.sha256[:12]} "
                                             f"({'new' if not known else 'in the library'})")
        return LabelReport(stored.sha256, not known, chosen)

    def _record(self, actor: str, name: str, type_name: str, detail: str) -> None:
        self.audit.record(actor, AuditAction.LABELS_SET, f"type {type_name}", recipe=name, detail=detail)

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
        recipe = self.workspace.recipe(name)
        spec = recipe.inspection_type(type_name)
        if predict and not isinstance(spec, ClassifierType):
            raise RecipeError(f"'{spec.name}' is a {spec.kind.value}: predictions are shown for classifier types only")
        labels: dict[str, dict[str, str]] = {}
        images: dict[str, StoredImage] = {}
        if isinstance(spec, ClassifierType | AnomalyType):
            for label in self.workspace.labels(name, type_name):
                images[label.image.sha256] = label.image
                labels.setdefault(label.image.sha256, {})[label.roi] = label.class_name
        masked = {image.sha256: image for image, _ in self.workspace.masks(name, type_name)} \
            if isinstance(spec, SegmenterType | AnomalyType) else {}
        images.update(masked)
        for sha in self.captures.ids(name):
            if sha not in images:
                stored = self.workspace.image(sha, missing_ok=True)
                if stored is not None:
                    images[sha] = stored
        order = {sha: index for index, sha in enumerate(self.captures.ids(name))}
        ordered = sorted(images.values(), key=lambda i: (order.get(i.sha256, -1), i.sha256))
        predicted = self.predictor.predict(recipe, spec, ordered) if predict and isinstance(spec, ClassifierType) \
            else None
        placed = self.placer.place(recipe, recipe.rois_of(spec.name), ordered)
        made = self.workspace.synthetic(name)
        return [Sample(i, labels.get(i.sha256, {}), i.sha256 in masked,
                       None if predicted is None else predicted.get(i.sha256, {}), placed[i.sha256],
                       made.get(i.sha256)) for i in ordered]

    def set_labels(self, name: str, type_name: str, sha256: str, labels: dict[str, str], *,
                   actor: str = SYSTEM_ACTOR) -> dict[str, str]:
        """Label ROIs of a classifier type on a library image (replacing their earlier classes); ``actor``: who.

        Returns:
            Every label of the image for the type after the change.

        Raises:
            RecipeError: unknown type, ROI or class, or the type is a segmenter.
            ImageError: the image does not fit the ROIs.
        """
        recipe = self.workspace.recipe(name)
        spec = _classifier(recipe, type_name)
        rois = {roi.name: roi for roi in recipe.rois_of(spec.name)}
        check_roi_labels(spec, rois, labels)
        image = self.captures.image(sha256)
        check_fit([rois[r] for r in labels], image)
        for roi_name, class_name in labels.items():
            self.workspace.set_label(name, spec.name, image, roi_name, class_name)
        self._record(actor, name, spec.name, f"{len(labels)} label(s) on capture {sha256[:12]}")
        return {label.roi: label.class_name for label in self.workspace.labels(name, spec.name)
                if label.image.sha256 == sha256}

    def mask_png(self, name: str, type_name: str, sha256: str) -> bytes:
        """A segmenter mask, or an anomaly type's painted region, as an RGB PNG in the pixel-class colours.

        Black is background (no pixel class).

        Raises:
            NotFoundError: unknown recipe or image, or the image has no mask for the type.
            RecipeError: unknown type, or a classifier.
        """
        spec = _painted(self.workspace.recipe(name), type_name)
        path = next((p for image, p in self.workspace.masks(name, type_name) if image.sha256 == sha256), None)
        if path is None:
            raise NotFoundError(f"image {sha256[:12]}… has no mask for type '{type_name}' yet")
        values = decode_image(path.read_bytes(), path.name)[:, :, 0]
        palette = [(0, 0, 0), *(c.rgb() for c in spec.pixel_classes)]
        lut = _palette_table(palette)
        return encode_png(lut[values])

    def set_mask(self, name: str, type_name: str, sha256: str, data: bytes, *, actor: str = SYSTEM_ACTOR) -> int:
        """Store a painted mask (pixel-class colours on black, or a class map) for a library image; ``actor``: who.

        For an anomaly type the mask is its painted anomalous region: every ROI crop with a painted pixel is
        anomalous (it validates, pixel by pixel; never trained on).

        Returns:
            How many pixels carry a pixel class (0: marked as good, no defect).

        Raises:
            ImageError: unreadable, wrong size or colours outside the palette.
            RecipeError: unknown type, or a classifier.
        """
        spec = _painted(self.workspace.recipe(name), type_name)
        image = self.captures.image(sha256)
        mask = decode_mask(data, "painted mask", spec, (image.width, image.height))
        self.workspace.set_mask(name, type_name, image, mask)
        painted = int((mask > 0).sum())
        self._record(actor, name, type_name, f"1 mask on capture {sha256[:12]} ({painted} px of pixel classes)")
        return painted


def _painted(recipe: Recipe, type_name: str) -> SegmenterType | AnomalyType:
    """A type whose captures may be painted: a segmenter, or an anomaly type (its anomalous region)."""
    spec = recipe.inspection_type(type_name)
    if not isinstance(spec, SegmenterType | AnomalyType):
        raise RecipeError(f"'{spec.name}' is a classifier: label its ROIs with a class, not a mask")
    return spec


def _classifier(recipe: Recipe, type_name: str) -> ClassifierType | AnomalyType:
    """A type labelled with a class per ROI crop: a classifier, or an anomaly type (``good`` / ``anomalous``)."""
    spec = recipe.inspection_type(type_name)
    if not isinstance(spec, ClassifierType | AnomalyType):
        raise RecipeError(f"'{spec.name}' is a segmenter: paint a mask of its captures instead of choosing a class "
                          f"(the Label page, or `openinspect label import {recipe.name} --type {spec.name} --images "
                          f"DIR --masks DIR`)")
    return spec


def check_roi_labels(spec: ClassifierType | AnomalyType, rois: dict[str, Roi], labels: dict[str, str]) -> None:
    """Check ``{ROI name: class name}`` labels against a classifier or anomaly type.

    Raises:
        RecipeError: no labels, a ROI that is not the type's, or a class the type does not have.
    """
    unknown = sorted(set(labels) - set(rois))
    if unknown or not labels:
        raise RecipeError(f"ROI(s) {', '.join(unknown) or '(none given)'} are not ROIs of type '{spec.name}'; "
                          f"its ROIs: {', '.join(rois)}")
    bad = sorted({c for c in labels.values() if c not in spec.class_names()})
    if bad:
        raise RecipeError(f"class(es) {', '.join(bad)} not in type '{spec.name}'; classes: "
                          f"{', '.join(spec.class_names())}")


def check_fit(rois: list[Roi], image: StoredImage) -> None:
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
