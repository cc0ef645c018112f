"""A model version's validation as the Training page shows it: method, wrong crops, threshold trade-offs.

For each fail class of a classifier, the trade-off says what its threshold trades: good parts
rejected against defects missed. It is computed with the type's own decision rule
(:meth:`ClassifierType.decide`, the rule the station applies) on the validation probabilities, so
what the slider promises is what the station does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from openinspect.recipe import AnomalyType, ClassifierType, Recipe
from openinspect.store import Workspace
from openinspect.training.validation import ValidationCrop, read_validation_crops

THRESHOLD_STEPS: tuple[float | None, ...] = (None, *(k / 100 for k in range(1, 101)))
"""The thresholds a trade-off is computed at: none, then 0.01 to 1.00 in steps of 0.01."""


@dataclass(frozen=True)
class TradeoffPoint:
    """What the validation crops would give with one threshold on one fail class."""

    threshold: float | None
    """``None``: no threshold (the most probable class wins)."""
    good_rejected: int
    """Crops of a pass class judged as a fail class."""
    defects_missed: int
    """Crops of a fail class judged as a pass class."""


@dataclass(frozen=True)
class ThresholdTradeoff:
    """One fail class's threshold, swept over :data:`THRESHOLD_STEPS`; other classes keep the recipe's thresholds."""

    class_name: str
    threshold: float | None
    """The recipe's threshold for the class now."""
    good: int
    """Validation crops of pass classes."""
    defects: int
    """Validation crops of fail classes."""
    points: list[TradeoffPoint]


@dataclass(frozen=True)
class ValidationReview:
    """A type's latest model version: how it was validated and what it said about each validation crop."""

    recipe: str
    type: str
    kind: str
    version: int
    mode: str
    method: str | None
    """``leave-one-out``, ``k-fold``, ``hold-out`` or ``none``; ``None``: not recorded (a model not trained here)."""
    reason: str
    """Why it was not validated (``method`` is ``none``)."""
    classes: list[str]
    """The model's classes (or pixel classes) as trained."""
    crops: list[ValidationCrop] | None
    """``None``: the version was trained before validation crops were recorded."""
    labels: dict[tuple[str, str], str]
    """The class each validation crop carries now, by ``(image, roi)`` (classifier and anomaly types; relabelled crops
    differ)."""
    tradeoffs: list[ThresholdTradeoff]
    problem: str | None
    """Why there is no threshold trade-off for a classifier that has validation crops."""
    warnings: list[str]
    """What in the training set will not generalise (:mod:`openinspect.training.data_checks`)."""
    synthetic_images: int = 0
    """Synthetic images the model trained on; none of them is a validation crop."""
    unlabelled_images: int | None = None
    """Unlabelled captures the model learnt from (none of them a validation crop); ``None``: it was not asked to."""
    pseudo_labelled: int = 0
    """Crops of them it trained on, with the class its Fast teacher was confident of."""


def with_threshold(spec: ClassifierType, class_name: str, threshold: float | None) -> ClassifierType:
    """The type with one fail class's threshold changed (``None``: removed); the recipe is not touched.

    Raises:
        ValueError: the class is not a fail class of the type.
    """
    if class_name not in [c.name for c in spec.classes if not c.passes]:
        fail = ", ".join(c.name for c in spec.classes if not c.passes) or "none"
        raise ValueError(f"'{class_name}' is not a fail class of type '{spec.name}'; its fail classes: {fail}")
    classes = [c.model_copy(update={"threshold": threshold}) if c.name == class_name else c for c in spec.classes]
    return spec.model_copy(update={"classes": classes})


def threshold_tradeoff(spec: ClassifierType, class_name: str, truth: Sequence[int],
                       probabilities: np.ndarray) -> ThresholdTradeoff:
    """Sweep one fail class's threshold over validation crops and count the two kinds of error at each step.

    Args:
        spec: the classifier type as the recipe has it now.
        class_name: a fail class of the type.
        truth: the true class index of each crop.
        probabilities: ``(N, C)`` class probabilities of the crops, in the type's class order.

    >>> spec = ClassifierType(name="nut", kind="classifier", classes=[
    ...     {"name": "good", "pass": True}, {"name": "loose", "pass": False}])
    >>> sweep = threshold_tradeoff(spec, "loose", [0, 0, 1, 1], np.array([[.9, .1], [.4, .6], [.3, .7], [.2, .8]]))
    >>> [(p.threshold, p.good_rejected, p.defects_missed) for p in sweep.points if p.threshold in (None, .65, .75)]
    [(None, 1, 0), (0.65, 0, 0), (0.75, 0, 1)]
    """
    passes = np.array([c.passes for c in spec.classes])
    good = passes[np.asarray(truth, dtype=np.int64)]
    points = []
    for threshold in THRESHOLD_STEPS:
        rule = with_threshold(spec, class_name, threshold)
        accepted = passes[[rule.decide(row) for row in probabilities]] if len(good) else np.zeros(0, bool)
        points.append(TradeoffPoint(threshold, int(np.sum(good & ~accepted)), int(np.sum(~good & accepted))))
    current = next(c.threshold for c in spec.classes if c.name == class_name)
    return ThresholdTradeoff(class_name, current, int(good.sum()), int((~good).sum()), points)


def validation_review(workspace: Workspace, recipe: Recipe, type_name: str) -> ValidationReview:
    """The latest model version of a type with its validation crops and, for classifiers, the threshold trade-offs.

    Raises:
        RecipeError: unknown type.
        ModelNotFoundError: the type has no trained model.
    """
    spec = recipe.inspection_type(type_name)
    version = workspace.latest_model(recipe.name, spec.name)
    meta = version.meta()
    validation = meta.validation
    crops = read_validation_crops(version.path)
    classes = list(meta.classes)
    labels: dict[tuple[str, str], str] = {}
    tradeoffs: list[ThresholdTradeoff] = []
    problem = None
    if isinstance(spec, ClassifierType | AnomalyType) and crops:
        labels = {(lb.image.sha256, lb.roi): lb.class_name for lb in workspace.labels(recipe.name, spec.name)}
    if isinstance(spec, ClassifierType) and crops:
        problem = _tradeoff_problem(spec, classes, version.version)
        if problem is None:
            truth = [classes.index(c.true_class or "") for c in crops]
            probabilities = np.array([[(c.probabilities or {})[name] for name in classes] for c in crops])
            tradeoffs = [threshold_tradeoff(spec, c.name, truth, probabilities) for c in spec.classes if not c.passes]
    elif isinstance(spec, ClassifierType) and crops is None:
        problem = (f"model v{version.version} was trained before validation crops were recorded; train again to "
                   f"see the crops it gets wrong and the threshold trade-off")
    return ValidationReview(recipe.name, spec.name, spec.kind.value, version.version, version.mode,
                            validation.get("method"), validation.get("reason", ""), classes, crops, labels,
                            tradeoffs, problem, list(meta.warnings), meta.synthetic_images,
                            None if meta.unlabelled_images is None else len(meta.unlabelled_images),
                            meta.pseudo_labelled)


def _tradeoff_problem(spec: ClassifierType, classes: list[str], version: int) -> str | None:
    if classes != spec.class_names():
        return (f"the type's classes changed since model v{version} was trained ({', '.join(classes)} -> "
                f"{', '.join(spec.class_names())}); train again to see the threshold trade-off")
    if all(c.passes for c in spec.classes):
        return f"type '{spec.name}' has no fail class, so there is no threshold to set"
    return None
