"""The recipe schema: what a quality engineer writes in YAML, validated with messages they can act on."""

from __future__ import annotations

import operator
import re
from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from openinspect.errors import RecipeError
from openinspect.imaging import MAX_MODEL_SIDE, Rect, cap_size, model_input_size

NAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"
"""What every name in a recipe (the recipe's own, its types', ROIs' and classes') must match, whole."""
NAME_HELP = "use 1-64 letters, digits, '-', '_' or '.', starting with a letter or digit"


class Profile(StrEnum):
    """How many inspection types a recipe may run on one capture."""

    SINGLE_MODEL = "single-model"
    MULTI_MODEL = "multi-model"


class ModelKind(StrEnum):
    """What an inspection type's model outputs: a class per crop, a pixel class per pixel, or an anomaly map."""

    CLASSIFIER = "classifier"
    SEGMENTER = "segmenter"
    ANOMALY = "anomaly"


class Measure(StrEnum):
    """What a segmenter or anomaly rule measures per pixel class, in the ROI's original pixels."""

    AREA = "area"
    COUNT = "count"
    MAX_BLOB_AREA = "max_blob_area"
    MAX_LENGTH = "max_length"


class TrainingMode(StrEnum):
    """Classifier training modes: ``fast`` trains in seconds, ``accurate`` is for production."""

    FAST = "fast"
    ACCURATE = "accurate"


def valid_name(value: str) -> bool:
    r"""Whether ``value`` may name a recipe, type, ROI or class: the whole string matches :data:`NAME_PATTERN`.

    >>> valid_name("nut-check"), valid_name("nl\n"), valid_name("..")
    (True, False, False)
    """
    return re.fullmatch(NAME_PATTERN, value) is not None and value not in (".", "..")


def _check_name(value: str) -> str:
    if not valid_name(value):
        raise ValueError(f"name {value!r} is not allowed; {NAME_HELP}")
    return value


Name = Annotated[str, AfterValidator(_check_name)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ClassSpec(_Strict):
    """One classifier outcome and what it means for the part."""

    name: Name
    passes: bool = Field(alias="pass")
    threshold: float | None = Field(default=None, gt=0.0, le=1.0)
    """A fail class with a threshold wins only when its probability reaches it."""


class Augment(_Strict):
    """Geometric augmentations that keep the class of this part (the user knows its symmetry)."""

    hflip: bool = False
    vflip: bool = False
    rotate90: bool = False


class _TypeBase(_Strict):
    name: Name
    input_size: int | None = Field(default=None, ge=32, le=MAX_MODEL_SIDE)
    """Longest side of the model input in px; by default the ROI's own size, capped."""
    augment: Augment = Field(default_factory=Augment)


class ClassifierType(_TypeBase):
    """A classifier inspection type: each ROI crop gets one class with a pass/fail meaning."""

    kind: Literal[ModelKind.CLASSIFIER]
    mode: TrainingMode = TrainingMode.ACCURATE
    classes: list[ClassSpec] = Field(min_length=2)

    @model_validator(mode="after")
    def _classes_are_distinct_and_decidable(self) -> Self:
        _require_unique([c.name for c in self.classes], f"type '{self.name}' class")
        if not any(c.passes for c in self.classes):
            raise ValueError(f"type '{self.name}' has no class with pass: true; mark the good class(es)")
        for spec in self.classes:
            if spec.threshold is not None and spec.passes:
                raise ValueError(f"class '{spec.name}': threshold applies to fail classes only; remove it")
        return self

    def class_names(self) -> list[str]:
        """The class names in model output order."""
        return [c.name for c in self.classes]

    def decide(self, probs: Sequence[float]) -> int:
        """The winning class index for one crop's probabilities, honouring fail-class thresholds.

        Classes are tried from most to least probable; a fail class with a threshold wins only when
        its probability reaches the threshold, otherwise the next class is tried. A pass class always
        qualifies, so there is always a winner.

        >>> spec = ClassifierType(name="nut", kind="classifier", classes=[
        ...     {"name": "good", "pass": True}, {"name": "loose", "pass": False, "threshold": 0.6}])
        >>> spec.decide([0.45, 0.55]), spec.decide([0.3, 0.7])
        (0, 1)
        """
        for index in sorted(range(len(probs)), key=lambda i: -probs[i]):
            threshold = self.classes[index].threshold
            if threshold is None or probs[index] >= threshold:
                return index
        raise AssertionError("unreachable: a pass class has no threshold")


class PixelClass(_Strict):
    """A segmenter label with its display colour; background is implicit."""

    name: Name
    color: str = Field(pattern=r"^#[0-9A-Fa-f]{6}$")

    def rgb(self) -> tuple[int, int, int]:
        """The colour as an ``(r, g, b)`` triple of 0..255."""
        return int(self.color[1:3], 16), int(self.color[3:5], 16), int(self.color[5:7], 16)


class Rule(_Strict):
    """A pass condition on one measurement of one pixel class, e.g. ``glue area < 100``."""

    class_name: str = Field(alias="class")
    measure: Measure
    op: Literal["<", "<=", ">", ">=", "==", "!="]
    value: float

    def __str__(self) -> str:
        value = int(self.value) if self.value == int(self.value) else self.value
        return f"{self.class_name} {self.measure.value} {self.op} {value}"

    def holds(self, measured: float) -> bool:
        """Whether ``measured`` satisfies the rule.

        >>> Rule.model_validate({"class": "glue", "measure": "area", "op": "<", "value": 100}).holds(99)
        True
        """
        return bool(_OPERATORS[self.op](measured, self.value))


_OPERATORS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
              "==": operator.eq, "!=": operator.ne}


class SegmenterType(_TypeBase):
    """A segmenter inspection type: every pixel of the crop gets a pixel class; rules decide pass/fail."""

    kind: Literal[ModelKind.SEGMENTER]
    mode: Literal[TrainingMode.ACCURATE] = TrainingMode.ACCURATE
    pixel_classes: list[PixelClass] = Field(min_length=1)
    min_blob_px: int = Field(default=20, ge=1)
    """Blobs smaller than this many pixels are noise: not counted, not measured."""
    rules: list[Rule] = Field(default_factory=list)
    """All must hold for the ROI to pass; with none, any blob of any pixel class fails the ROI."""
    tiling: bool = False
    """Cover ROIs larger than 512 px with overlapping full-resolution tiles instead of downscaling."""

    @model_validator(mode="after")
    def _rules_name_pixel_classes(self) -> Self:
        names = self.class_names()
        _require_unique(names, f"type '{self.name}' pixel class")
        _require_unique([c.color.lower() for c in self.pixel_classes], f"type '{self.name}' pixel class colour")
        for rule in self.rules:
            if rule.class_name not in names:
                raise ValueError(f"rule '{rule}' names pixel class '{rule.class_name}', which type "
                                 f"'{self.name}' does not have; pixel classes: {', '.join(names)}")
        return self

    def class_names(self) -> list[str]:
        """The pixel class names; pixel value k in a mask means the k-th (1-based), 0 is background."""
        return [c.name for c in self.pixel_classes]


GOOD = "good"
"""An anomaly type's pass class: what its model learns."""
ANOMALOUS = "anomalous"
"""An anomaly type's fail class, and the name of its one pixel class (the anomalous region) in rules and blobs."""


ANOMALOUS_COLOR = "#ff3b30"
"""The colour of a painted anomalous region (the Label page paints in it; ``web/js/capture-view.js`` has the same)."""


class AnomalyType(_TypeBase):
    """An anomaly inspection type: learns good crops only; a score per ROI and the anomalous region, then rules.

    Its classes are implicit: ``good`` (pass), the only class it trains on, and ``anomalous`` (fail), which
    validates only; a painted region (a mask, as a segmenter's with the one pixel class ``anomalous``) makes its
    crops anomalous and validates the heat map pixel by pixel. Rules measure the anomalous region as segmenter rules
    measure a pixel class (``class: anomalous``).
    """

    kind: Literal[ModelKind.ANOMALY]
    mode: Literal[TrainingMode.ACCURATE] = TrainingMode.ACCURATE
    false_reject_rate: float = Field(default=0.01, gt=0.0, lt=0.5)
    """The threshold is set so that at most this share of good crops is rejected."""
    min_blob_px: int = Field(default=20, ge=1)
    """Anomalous regions smaller than this many pixels are ignored."""
    rules: list[Rule] = Field(default_factory=list)
    """All must hold for the ROI to pass; with none, any anomalous region of ``min_blob_px`` fails the ROI."""
    tiling: bool = False
    """Cover ROIs larger than 512 px with overlapping full-resolution tiles instead of downscaling."""

    @model_validator(mode="after")
    def _rules_name_the_region(self) -> Self:
        for rule in self.rules:
            if rule.class_name != ANOMALOUS:
                raise ValueError(f"rule '{rule}' of anomaly type '{self.name}' names '{rule.class_name}'; anomaly "
                                 f"rules measure the anomalous region: write class: {ANOMALOUS}")
        if self.augment != Augment():
            raise ValueError(f"anomaly type '{self.name}' learns good crops as they are: remove augment")
        return self

    def class_names(self) -> list[str]:
        """``["good", "anomalous"]``: the implicit classes, pass first."""
        return [GOOD, ANOMALOUS]

    def region_names(self) -> list[str]:
        """``["anomalous"]``: the one pixel class of the region mask (value 1)."""
        return [ANOMALOUS]

    @property
    def pixel_classes(self) -> list[PixelClass]:
        """The one pixel class of a painted region (value 1): ``anomalous``, in :data:`ANOMALOUS_COLOR`."""
        return [PixelClass(name=ANOMALOUS, color=ANOMALOUS_COLOR)]


def region_model_input(spec: SegmenterType | AnomalyType, width: int, height: int) -> tuple[int, int]:
    """The model input ``(h, w)`` of a segmenter or anomaly type for ROIs of ``width`` x ``height`` px.

    The ROI's own size up to 512 px a side (or the type's ``input_size``), sides multiples of 32; with
    ``tiling``, the full-resolution tiles of at most 512 px that cover it.

    >>> spec = AnomalyType(name="a", kind="anomaly", tiling=True)
    >>> region_model_input(spec, 1000, 300), region_model_input(spec.model_copy(update={"tiling": False}), 1000, 300)
    ((288, 512), (160, 512))
    """
    if spec.tiling:
        return min(height, MAX_MODEL_SIDE) // 32 * 32 or 32, min(width, MAX_MODEL_SIDE) // 32 * 32 or 32
    return model_input_size(width, height, spec.input_size or min(MAX_MODEL_SIDE, max(width, height)))


InspectionType = Annotated[ClassifierType | SegmenterType | AnomalyType, Field(discriminator="kind")]


class Calibration(_Strict):
    """Pixel size on the part, so measurements are also reported in mm and mm²."""

    mm_per_px: float = Field(gt=0)


class Roi(_Strict):
    """A rectangle on the capture, judged by one inspection type; no rectangle means the whole capture."""

    name: Name
    type: Name
    x: int | None = Field(default=None, ge=0)
    y: int | None = Field(default=None, ge=0)
    w: int | None = Field(default=None, ge=1)
    h: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _rectangle_complete_or_absent(self) -> Self:
        given = [v is not None for v in (self.x, self.y, self.w, self.h)]
        if any(given) and not all(given):
            raise ValueError(f"ROI '{self.name}': give all of x, y, w, h, or none for the whole capture")
        return self

    def rect(self, width: int, height: int) -> Rect:
        """The ROI's rectangle on a ``width`` x ``height`` capture."""
        if self.x is None or self.y is None or self.w is None or self.h is None:
            return Rect(0, 0, width, height)
        return Rect(self.x, self.y, self.w, self.h)


class Template(_Strict):
    """The rectangle of the reference capture that the aligner looks for: a distinctive, rigid feature."""

    x: int = Field(ge=0)
    y: int = Field(ge=0)
    w: int = Field(ge=8)
    h: int = Field(ge=8)

    def rect(self) -> Rect:
        """The template as a rectangle on the reference capture."""
        return Rect(self.x, self.y, self.w, self.h)


class Alignment(_Strict):
    """Find the part in each capture first, so the ROIs move and turn with it.

    ROI rectangles are given on the reference capture; a capture where the template scores below
    ``min_score`` fails with reason ``alignment`` and no model runs.
    """

    template: Template
    reference: str = Field(pattern=r"^([0-9a-f]{64}|[A-Za-z0-9][A-Za-z0-9_.-]{0,127})$")
    """The reference capture: a file in the recipe's folder (``reference.png``) or a workspace image's sha256."""
    min_score: float = Field(default=0.5, gt=0.0, le=1.0)
    """The lowest match score (normalised cross-correlation of gradients, 0..1) that counts as found."""
    max_angle: float = Field(default=15.0, ge=0.0, le=180.0)
    """The largest rotation searched, in degrees either way; smaller is faster."""


DEFAULT_MIN_VALIDATION = 0.9
"""The validation figure a deployed model needs for production when a recipe sets no ``min_validation``."""
MIN_VALIDATION_CROPS = 10
"""Validation crops a figure needs before it counts: per class for classifiers, in all for other kinds (a figure
from a handful of crops can be 100 % by luck)."""
HOLD_OUT_MIN_PER_CLASS = 5 * MIN_VALIDATION_CROPS
"""Accurate mode holds out 20 % per class only when every class has at least this many images: below, the fifth
held out would be too few crops for its figure to count, and the model shipped would have learnt from 20 % fewer
images (the README quickstart at 20 per class: 0.756 with 32 of its 40 tiles, 0.796 with all 40; bench/README.md)."""


class Recipe(_Strict):
    """Everything needed to judge a capture."""

    name: Name
    profile: Profile = Profile.SINGLE_MODEL
    types: list[InspectionType] = Field(min_length=1)
    rois: list[Roi] = Field(min_length=1)
    calibration: Calibration | None = None
    alignment: Alignment | None = None
    plc_number: int | None = Field(default=None, ge=1, le=65534)
    """The number a PLC selects this recipe by (Modbus holding register 0); unique among a station's recipes."""
    min_validation: float | None = Field(default=None, gt=0.0, le=1.0)
    """The validation figure (balanced accuracy, or IoU for segmenters) every type's deployed model must reach for
    the recipe to count as ready for production; unset: :data:`DEFAULT_MIN_VALIDATION`."""

    @model_validator(mode="after")
    def _references_resolve(self) -> Self:
        _require_unique([t.name for t in self.types], "inspection type")
        _require_unique([r.name for r in self.rois], "ROI")
        known = {t.name for t in self.types}
        for roi in self.rois:
            if roi.type not in known:
                raise ValueError(f"ROI '{roi.name}' uses type '{roi.type}', which is not defined; "
                                 f"defined types: {', '.join(sorted(known))}")
        if self.profile is Profile.SINGLE_MODEL and len(self.types) > 1:
            raise ValueError(f"profile single-model runs one inspection type, this recipe has {len(self.types)} "
                             f"({', '.join(t.name for t in self.types)}); use profile: multi-model or split it")
        return self

    @property
    def required_validation(self) -> float:
        """``min_validation``, or :data:`DEFAULT_MIN_VALIDATION` when the recipe leaves it unset."""
        return DEFAULT_MIN_VALIDATION if self.min_validation is None else self.min_validation

    def inspection_type(self, name: str) -> InspectionType:
        """The inspection type called ``name``.

        Raises:
            RecipeError: no such type; the message lists the recipe's types.

        """
        for spec in self.types:
            if spec.name == name:
                return spec
        raise RecipeError(f"recipe '{self.name}' has no inspection type '{name}'; types: "
                          f"{', '.join(t.name for t in self.types)}")

    def rois_of(self, type_name: str) -> list[Roi]:
        """The ROIs stamped from one inspection type, in recipe order."""
        return [roi for roi in self.rois if roi.type == type_name]

    def downscale_warnings(self) -> list[str]:
        """One message per ROI larger than the model cap, saying how much detail the downscale loses."""
        warnings = []
        for roi in self.rois:
            if roi.w is None or roi.h is None or max(roi.w, roi.h) <= MAX_MODEL_SIDE:
                continue
            factor = max(roi.w, roi.h) / MAX_MODEL_SIDE
            capped_w, capped_h = cap_size(roi.w, roi.h)
            warnings.append(
                f"ROI '{roi.name}' is {roi.w}x{roi.h} px; the model sees it at {capped_w}x{capped_h} "
                f"({factor:.1f}x less detail per side): defects smaller than about {factor:.0f} px may vanish. "
                f"Use smaller ROIs around the critical features to keep full resolution."
            )
        return warnings


def _require_unique(names: list[str], what: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValueError(f"duplicate {what} name '{name}'; each {what} needs its own name")
        seen.add(name)
