"""Whether a recipe is ready for production: the one rule, used alike by the API, the web UI and the CLI.

A recipe is **ready for production** when, for every inspection type, the model the station runs (the
deployed version):

- is not a Fast classifier (Fast is for trying a set-up: frozen features, seconds to train, not for the line);
  Accurate classifiers, segmenters and anomaly models qualify;
- meets the recipe's ``min_validation`` (default :data:`~openinspect.recipe.DEFAULT_MIN_VALIDATION`) on its
  validation figure: balanced accuracy for classifiers, mean IoU over the pixel classes for segmenters, and for
  any other kind its balanced accuracy, else its mean IoU;
- was validated on enough crops: at least :data:`MIN_VALIDATION_CROPS` of every class (classifiers), or in all
  (other kinds), since a figure from a handful of crops can be 100 % by luck.

Otherwise the verdict lists exactly what is missing, per type.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from openinspect.errors import NotFoundError
from openinspect.recipe import HOLD_OUT_MIN_PER_CLASS, MIN_VALIDATION_CROPS, ModelKind, Recipe, TrainingMode
from openinspect.store import ModelMeta, Workspace

READY = "Ready for production"
FAST_NOTE = "for trying a set-up, not for production"
"""How every place that shows a Fast model labels it."""


@dataclass(frozen=True)
class Readiness:
    """A recipe's production readiness and, when it is not ready, what is missing (each item in words)."""

    missing: tuple[str, ...]

    @property
    def ready(self) -> bool:
        """Every type's deployed model qualifies."""
        return not self.missing

    @property
    def label(self) -> str:
        """``Ready for production``, or what is missing, ``; ``-separated."""
        return READY if self.ready else "; ".join(self.missing)


def recipe_readiness(workspace: Workspace, recipe: Recipe) -> Readiness:
    """Judge the deployed model of each of the recipe's types against :func:`model_shortfalls`."""
    missing: list[str] = []
    several = len(recipe.types) > 1
    for spec in recipe.types:
        try:
            model = workspace.deployed_model(recipe.name, spec.name)
        except NotFoundError:
            missing.append(f"{spec.name}: no model: train one" if several else "no model: train one")
            continue
        meta = replace(model.meta(), mode=model.mode)  # the version's mode: older meta.json files lack it
        found = model_shortfalls(meta, recipe.required_validation)
        missing += [f"{spec.name}: {item}" if several else item for item in found]
    return Readiness(tuple(missing))


def model_shortfalls(meta: ModelMeta, min_validation: float) -> list[str]:
    """What keeps one model from production, in words; empty when it qualifies.

    >>> fast = ModelMeta(["good", "bad"], mode="fast", metrics={"balanced_accuracy": 0.72, "per_class": {
    ...     "good": {"support": 6}, "bad": {"support": 12}}})
    >>> model_shortfalls(fast, 0.9)
    ['Fast model: train Accurate', 'validation 0.72 < 0.90', "only 6 validation crops of class 'good'"]
    """
    missing = []
    if meta.kind == ModelKind.CLASSIFIER.value and meta.mode == TrainingMode.FAST.value:
        missing.append("Fast model: train Accurate")
    figure = validation_figure(meta.kind, meta.metrics)
    if figure is None:
        accurate = meta.kind == ModelKind.CLASSIFIER.value and meta.mode == TrainingMode.ACCURATE.value
        needed = f"{HOLD_OUT_MIN_PER_CLASS} images" if accurate else f"{MIN_VALIDATION_CROPS} crops"
        missing.append(f"no validation figure: label at least {needed} per class and retrain")
        return missing
    if figure < min_validation:
        missing.append(f"validation {figure:.2f} < {min_validation:.2f}")
    missing += _too_few(meta)
    return missing


def validation_figure(kind: str, metrics: dict[str, Any]) -> float | None:
    """Balanced accuracy (classifiers), mean IoU over pixel classes (segmenters); others: whichever they have."""
    balanced = metrics.get("balanced_accuracy")
    ious = [c["iou"] for c in (metrics.get("per_class") or {}).values() if c.get("iou") is not None]
    mean_iou = sum(ious) / len(ious) if ious else None
    if kind == ModelKind.CLASSIFIER.value:
        return balanced
    if kind == ModelKind.SEGMENTER.value:
        return mean_iou
    return balanced if balanced is not None else mean_iou


def _too_few(meta: ModelMeta) -> list[str]:
    per_class = meta.metrics.get("per_class") or {}
    if meta.kind == ModelKind.CLASSIFIER.value and per_class:
        name, count = min(((n, int(c.get("support", 0))) for n, c in per_class.items()), key=lambda item: item[1])
        return [] if count >= MIN_VALIDATION_CROPS else [f"only {count} validation crops of class '{name}'"]
    count = int(meta.metrics.get("n", 0))
    return [] if count >= MIN_VALIDATION_CROPS else [f"only {count} validation crops"]
