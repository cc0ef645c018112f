"""How a training run validates itself, given how few images a class may have, and what it records per crop."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from openinspect.imaging import Rect
from openinspect.recipe import HOLD_OUT_MIN_PER_CLASS, MIN_VALIDATION_CROPS, ClassifierType, SegmenterType, TrainingMode
from openinspect.station.measure import find_blobs  # the station's own blob rule
from openinspect.store import write_json

LEAVE_ONE_OUT_MAX = 12
"""Up to this many images, Fast mode validates leave-one-out; above, with stratified folds."""


@dataclass(frozen=True)
class ValidationPlan:
    """Train/validation index splits, or the reason there are none."""

    method: str
    """``leave-one-out``, ``k-fold``, ``hold-out`` or ``none``."""
    folds: list[tuple[np.ndarray, np.ndarray]]
    """(train indices, validation indices) pairs; empty when ``method`` is ``none``."""
    reason: str = ""
    """Why there is no validation, in words for the user."""


def plan_validation(labels: np.ndarray, class_names: list[str], mode: TrainingMode, seed: int) -> ValidationPlan:
    """Choose a validation scheme that gives an honest figure for this many images.

    Fast training is cheap, so it validates leave-one-out on tiny sets and with stratified folds
    above that; Accurate training is slow (one model, no folds), so it holds out 20 % per class only when
    that fifth holds :data:`MIN_VALIDATION_CROPS` crops of every class, and otherwise trains the model on
    every image and says it cannot validate rather than report a meaningless 100 % or ship a model that learnt
    from fewer images for a figure that would not count.

    >>> plan_validation(np.array([0, 0, 0, 1, 1, 1]), ["good", "bad"], TrainingMode.FAST, 0).method
    'leave-one-out'
    >>> plan_validation(np.array([0, 0, 0, 1, 1, 1]), ["good", "bad"], TrainingMode.ACCURATE, 0).reason[:40]
    'Accurate validation holds out 20 % per c'
    >>> plan_validation(np.array([0] * 50 + [1] * 60), ["good", "bad"], TrainingMode.ACCURATE, 0).method
    'hold-out'
    """
    counts = np.bincount(labels, minlength=len(class_names))
    smallest = int(counts.min())
    rng = np.random.default_rng(seed)
    if mode is TrainingMode.FAST:
        if smallest < 2:
            return ValidationPlan("none", [], f"class '{class_names[int(counts.argmin())]}' has only "
                                  f"{smallest} image; label at least 2 per class to validate")
        if len(labels) <= LEAVE_ONE_OUT_MAX:
            everyone = np.arange(len(labels))
            return ValidationPlan("leave-one-out", [(np.delete(everyone, i), np.array([i])) for i in everyone])
        return ValidationPlan("k-fold", _stratified_folds(labels, min(5, smallest), rng))
    if smallest < HOLD_OUT_MIN_PER_CLASS:
        return ValidationPlan(
            "none", [], f"Accurate validation holds out 20 % per class and needs at least "
            f"{HOLD_OUT_MIN_PER_CLASS} images per class, so that {MIN_VALIDATION_CROPS} of each are held out "
            f"('{class_names[int(counts.argmin())]}' has {smallest}); the model learnt from every image: check it "
            f"with `openinspect eval` on other labelled captures, or label up to {HOLD_OUT_MIN_PER_CLASS} per class")
    folds = _stratified_folds(labels, 5, rng)
    return ValidationPlan("hold-out", folds[:1])


def with_synthetic(plan: ValidationPlan, real: np.ndarray, synthetic: np.ndarray) -> ValidationPlan:
    """A plan made over the real items only, mapped back to all items, with every synthetic item trained on.

    Synthetic images (the Defect Creator's) never count as validation data: each goes to the training side of
    every fold, so a validation figure is measured on real captures only.

    Args:
        plan: the plan over the real items (indices into ``real``).
        real: ``(R,)`` indices of the real items among all items.
        synthetic: ``(S,)`` indices of the synthetic items.

    >>> plan = ValidationPlan("leave-one-out", [(np.array([1]), np.array([0])), (np.array([0]), np.array([1]))])
    >>> mapped = with_synthetic(plan, np.array([0, 2]), np.array([1]))
    >>> [(t.tolist(), v.tolist()) for t, v in mapped.folds]
    [([2, 1], [0]), ([0, 1], [2])]
    """
    folds = [(np.concatenate([real[train], synthetic]), real[validation]) for train, validation in plan.folds]
    return ValidationPlan(plan.method, folds, plan.reason)


def hold_out_fifth(synthetic: np.ndarray, seed: int) -> np.ndarray:
    """A segmenter's validation crops: a random fifth of the real crops (none with fewer than 5), never a synthetic one.

    Args:
        synthetic: ``(N,)`` bool, the crops cut from synthetic images.
        seed: the draw's seed.

    Returns:
        Indices of the held-out crops.

    >>> held = hold_out_fifth(np.array([False] * 10 + [True] * 40), 0)  # 10 real crops first, then synthetic
    >>> len(held), bool((held < 10).all())
    (2, True)
    >>> len(hold_out_fifth(np.array([False] * 4 + [True] * 40), 0))
    0
    """
    real = np.flatnonzero(~synthetic)
    if len(real) < 5:
        return np.array([], dtype=np.int64)
    return real[np.random.default_rng(seed).permutation(len(real))[: len(real) // 5]]


def synthetic_note(count: int) -> str:
    """The validation summary's words about synthetic images trained on (empty when none)."""
    return f"{count} synthetic image(s) trained on, never validated on" if count else ""


def _stratified_folds(labels: np.ndarray, k: int, rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
    assignment = np.empty(len(labels), dtype=np.int64)
    for cls in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == cls))
        assignment[members] = np.arange(len(members)) % k
    everyone = np.arange(len(labels))
    return [(everyone[assignment != f], everyone[assignment == f]) for f in range(k)]


VALIDATION_FILE = "validation.json"
"""Beside ``model.onnx`` and ``meta.json`` in a model version folder: what the model said about each validation crop."""


@dataclass(frozen=True)
class CropSource:
    """Where a training crop was cut from: a library image and one ROI of it."""

    image: str
    """The capture's content hash (sha256)."""
    roi: str
    rect: Rect
    """Where the ROI lay on the capture (moved with the part when the recipe aligns)."""


@dataclass(frozen=True)
class ValidationCrop:
    """What a model, trained without it, said about one validation crop.

    Classifiers fill ``true_class``, ``predicted_class`` (by the type's decision rule, thresholds
    as at training) and ``probabilities``; segmenters ``defect``, ``detected`` and ``iou``; anomaly types
    ``true_class``, ``predicted_class`` (score against the threshold) and ``score``.
    """

    source: CropSource
    true_class: str | None = None
    predicted_class: str | None = None
    probabilities: dict[str, float] | None = None
    """Class name -> probability, in the model's class order."""
    defect: bool | None = None
    """The true mask has pixels of some pixel class."""
    detected: bool | None = None
    """The predicted mask has a blob of at least the type's ``min_blob_px``."""
    iou: float | None = None
    """Defect pixels predicted with the right pixel class over defect pixels in either mask; ``None``: both clean."""
    score: float | None = None
    """Anomaly types: the crop's anomaly score (good crops: scored leave-one-out), against the model's threshold."""

    @property
    def correct(self) -> bool:
        """The class was right (classifiers), or a defect was found exactly when there was one (segmenters)."""
        if self.true_class is not None:
            return self.true_class == self.predicted_class
        return self.defect == self.detected

    def to_json(self) -> dict[str, Any]:
        """One entry of ``validation.json``: the source, then the classifier's or the segmenter's outcome."""
        rect = self.source.rect
        entry: dict[str, Any] = {"image": self.source.image, "roi": self.source.roi,
                                 "rect": [rect.x, rect.y, rect.w, rect.h]}
        if self.score is not None:
            return entry | {"true_class": self.true_class, "predicted_class": self.predicted_class,
                            "score": round(self.score, 5)}
        if self.true_class is not None:
            return entry | {"true_class": self.true_class, "predicted_class": self.predicted_class,
                            "probabilities": self.probabilities}
        return entry | {"defect": self.defect, "detected": self.detected, "iou": self.iou}

    @classmethod
    def from_json(cls, entry: dict[str, Any]) -> ValidationCrop:
        """Read an entry :meth:`to_json` wrote."""
        source = CropSource(entry["image"], entry["roi"], Rect(*entry["rect"]))
        return cls(source, entry.get("true_class"), entry.get("predicted_class"), entry.get("probabilities"),
                   entry.get("defect"), entry.get("detected"), entry.get("iou"), entry.get("score"))


def classified_crop(source: CropSource, spec: ClassifierType, truth: int, probabilities: np.ndarray) -> ValidationCrop:
    """A classifier's validation outcome for one crop, decided as the station decides.

    Args:
        source: where the crop came from.
        spec: the classifier type (its decision rule and class names).
        truth: the crop's labelled class index.
        probabilities: ``(C,)`` float class probabilities, in the type's class order.
    """
    names = spec.class_names()
    values = [float(p) for p in probabilities]
    return ValidationCrop(source, names[truth], names[spec.decide(values)], dict(zip(names, values, strict=True)))


def segmented_crop(source: CropSource, spec: SegmenterType, truth: np.ndarray, predicted: np.ndarray) -> ValidationCrop:
    """A segmenter's validation outcome for one crop.

    Args:
        source: where the crop came from.
        spec: the segmenter type (pixel classes, noise floor).
        truth: ``(H, W)`` uint8 true class map (0 = background).
        predicted: ``(H, W)`` uint8 predicted class map.

    >>> spec = SegmenterType(name="s", kind="segmenter", pixel_classes=[{"name": "glue", "color": "#ffd400"}],
    ...                      min_blob_px=2)
    >>> t = np.zeros((4, 4), np.uint8); t[0, :] = 1
    >>> p = np.zeros((4, 4), np.uint8); p[0, :2] = 1
    >>> crop = segmented_crop(CropSource("sha", "a", Rect(0, 0, 4, 4)), spec, t, p)
    >>> crop.defect, crop.detected, crop.iou, crop.correct
    (True, True, 0.5, True)
    """
    union = int(np.count_nonzero((truth > 0) | (predicted > 0)))
    hits = int(np.count_nonzero((truth > 0) & (truth == predicted)))
    detected = bool(find_blobs(predicted, spec.class_names(), spec.min_blob_px))
    return ValidationCrop(source, defect=bool(truth.any()), detected=detected, iou=hits / union if union else None)


def write_validation_crops(folder: Path, crops: list[ValidationCrop]) -> None:
    """Write ``validation.json`` into a (staged) model version folder, atomically."""
    write_json(folder / VALIDATION_FILE, {"format": 1, "crops": [c.to_json() for c in crops]})


def read_validation_crops(folder: Path) -> list[ValidationCrop] | None:
    """The validation crops of a model version folder; ``None`` for a version trained before they were recorded."""
    path = folder / VALIDATION_FILE
    if not path.is_file():
        return None
    return [ValidationCrop.from_json(entry) for entry in json.loads(path.read_text(encoding="utf-8"))["crops"]]
