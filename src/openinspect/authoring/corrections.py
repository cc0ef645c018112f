"""What a judged capture teaches: add it to the recipe's training captures with its corrected labels.

A capture the station judged wrongly (archived, or one of the latest it holds in memory) joins the recipe's
captures once by content; classifier ROIs get their correct class, a segmenter ROI either marks its type's mask
all background (no defect) or leaves the capture to paint on the Label page.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from openinspect.authoring.captures import CaptureService
from openinspect.authoring.labels import check_fit, check_roi_labels
from openinspect.errors import RecipeError
from openinspect.imaging import upload_name
from openinspect.recipe import AnomalyType, ClassifierType, Recipe, Roi, SegmenterType
from openinspect.store import StoredImage, Workspace
from openinspect.store.audit import AuditAction, AuditLog
from openinspect.store.revisions import SYSTEM_ACTOR


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


class CorrectionService:
    """Corrections of judged captures on one workspace.

    Each addition is recorded in ``audit`` (default: the workspace database's trail).
    """

    def __init__(self, workspace: Workspace, captures: CaptureService | None = None,
                 audit: AuditLog | None = None) -> None:
        self.workspace = workspace
        self.audit = audit or AuditLog(workspace.engine)
        self.captures = captures or CaptureService(workspace)

    def add_to_training(self, name: str, data: bytes, filename: str, corrections: list[Correction], *,
                        actor: str = SYSTEM_ACTOR) -> TrainingAddition:
        """Add a judged capture to the recipe's captures (once by content) and label the ROIs it names.

        Classifier ROIs get their class; a segmenter ROI either marks its type's mask all background (the
        mask covers the whole capture, so every ROI of that type) or leaves the capture to paint.
        Everything is checked before anything is labelled.

        Raises:
            NotFoundError: unknown recipe.
            RecipeError: no corrections, or one names a ROI, type or class the recipe does not have now.
            ImageError: the capture does not decode or the ROIs do not fit it.
        """
        recipe = self.workspace.recipe(name)
        plan = _plan(recipe, corrections)
        known = self.workspace.image_known(data)
        image = self.workspace.add_image(data, upload_name(filename, data))
        check_fit(plan.rois, image)
        self.captures.append(name, [image])
        for type_name, labels in plan.labels.items():
            for roi_name, class_name in labels.items():
                self.workspace.set_label(name, type_name, image, roi_name, class_name)
        for type_name in plan.good:
            self.workspace.set_mask(name, type_name, image, np.zeros((image.height, image.width), np.uint8))
        labelled = sum(len(labels) for labels in plan.labels.values()) + len(plan.good)
        self.audit.record(actor, AuditAction.LABELS_SET, "corrected capture", recipe=name,
                          detail=f"{labelled} label(s) or mask(s) on capture {image.sha256[:12]} from a judged result")
        return TrainingAddition(image, not known, {r: c for labels in plan.labels.values() for r, c in labels.items()},
                                plan.good, plan.paint)


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
        if isinstance(spec, ClassifierType | AnomalyType):
            _plan_class(spec, roi, item, plan)
        else:
            _plan_mask(spec, roi, item, plan)
    plan.paint = [t for t in plan.paint if t not in plan.good]
    return plan


def _plan_class(spec: ClassifierType | AnomalyType, roi: Roi, item: Correction, plan: _Plan) -> None:
    if item.class_name is None or item.background:
        raise RecipeError(f"ROI '{roi.name}' is judged by {spec.kind.value} '{spec.name}': give its correct class "
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
