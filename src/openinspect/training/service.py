"""Train an inspection type from its labels: gather crops, validate, train, export, publish a version.

Torch is imported here only when training actually starts, so importing this module stays cheap.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from openinspect.dataset import model_batch, roi_crops
from openinspect.errors import DatasetError, RecipeError
from openinspect.imaging import model_input_size, read_image
from openinspect.recipe import InspectionType, Recipe, TrainingMode
from openinspect.store import Label, ModelVersion, Workspace, write_json
from openinspect.training.metrics import classification_metrics
from openinspect.training.validation import ValidationPlan, plan_validation

Progress = Callable[[float, str], None]
DEFAULT_CLASSIFIER_SIDE = 320
"""Default longest input side of a classifier: detail for small defects at a CPU-friendly cost."""


@dataclass(frozen=True)
class TrainingSet:
    """The crops of one inspection type, resized to the model input, with their class indices."""

    images: np.ndarray
    """``(N, h, w, 3)`` uint8 RGB."""
    labels: np.ndarray
    """``(N,)`` int64 class indices."""
    input_size: tuple[int, int]


def inspection_type(recipe: Recipe, type_name: str) -> InspectionType:
    """Look up a type, with an error that lists the recipe's types."""
    try:
        return recipe.inspection_type(type_name)
    except KeyError:
        known = ", ".join(t.name for t in recipe.types)
        raise RecipeError(f"recipe '{recipe.name}' has no inspection type '{type_name}'; types: {known}") from None


def input_size_for(recipe: Recipe, spec: InspectionType, labels: list[Label]) -> tuple[int, int]:
    """The model input ``(h, w)``: the type's ROI aspect (median over labelled crops), longest side capped."""
    sizes = [roi.rect(label.image.width, label.image.height) for label in labels
             for roi in recipe.rois_of(spec.name) if roi.name == label.roi]
    width = float(np.median([r.w for r in sizes]))
    height = float(np.median([r.h for r in sizes]))
    longest = spec.input_size or min(DEFAULT_CLASSIFIER_SIDE, max(int(width), int(height)))
    return model_input_size(round(width), round(height), longest)


def training_set(workspace: Workspace, recipe: Recipe, spec: InspectionType) -> TrainingSet:
    """Gather every labelled crop of a type, checked for trainability.

    Raises:
        DatasetError: no labels, a class without images, or fewer than two classes.

    """
    names = spec.class_names()
    rois = {roi.name: roi for roi in recipe.rois_of(spec.name)}
    labels = [lb for lb in workspace.labels(recipe.name, spec.name) if lb.roi in rois and lb.class_name in names]
    counts = {name: sum(lb.class_name == name for lb in labels) for name in names}
    empty = [name for name, n in counts.items() if n == 0]
    if empty:
        raise DatasetError(
            f"cannot train '{spec.name}' of recipe '{recipe.name}': class(es) {', '.join(empty)} have no labelled "
            f"images (counts: {_counts(counts)}); label at least 3 per class, e.g. with "
            f"`openinspect label import {recipe.name} --type {spec.name} --folders DIR`")
    size = input_size_for(recipe, spec, labels)
    crops: list[np.ndarray] = []
    targets: list[int] = []
    for group in _by_image(labels).values():
        capture = read_image(group[0].image.path)
        wanted = [rois[lb.roi] for lb in group]
        crops += list(model_batch(roi_crops(capture, recipe, wanted, group[0].image.original_name), size))
        targets += [names.index(lb.class_name) for lb in group]
    return TrainingSet(np.stack(crops), np.array(targets, dtype=np.int64), size)


def train_type(workspace: Workspace, recipe: Recipe, type_name: str, *, mode: TrainingMode | None = None,
               seed: int = 0, progress: Progress | None = None) -> ModelVersion:
    """Train, validate, export and publish a new model version of one inspection type.

    Raises:
        RecipeError: unknown type.
        DatasetError: the labels cannot train a model (see :func:`training_set`).

    """
    from openinspect.models.classifier import train_classifier  # torch: training only

    spec = inspection_type(recipe, type_name)
    mode = mode or spec.mode
    data = training_set(workspace, recipe, spec)
    plan = plan_validation(data.labels, spec.class_names(), mode, seed)
    report = progress or (lambda _f, _m: None)
    steps = len(plan.folds) + (plan.method != "hold-out")
    started = time.perf_counter()

    def fit(indices: np.ndarray, step: int) -> Any:
        return train_classifier(
            data.images[indices], data.labels[indices], len(spec.classes), mode.value, seed=seed,
            hflip=spec.augment.hflip, vflip=spec.augment.vflip, rotate90=spec.augment.rotate90,
            progress=lambda f, m: report((step + f) / steps, m))

    model, metrics = _validate(plan, fit, data, spec)
    if model is None:
        model = fit(np.arange(len(data.labels)), steps - 1)
    report(1.0, "exporting")
    with workspace.new_model_version(recipe.name, spec.name, mode.value) as folder:
        model.export_onnx(folder / "model.onnx")
        write_json(folder / "meta.json", {
            "format": 1, "kind": spec.kind.value, "recipe": recipe.name, "type": spec.name, "mode": mode.value,
            "classes": spec.class_names(), "input_size": list(data.input_size), "seed": seed,
            "trained_at": datetime.now(UTC).isoformat(), "train_seconds": round(time.perf_counter() - started, 2),
            "images_per_class": dict(zip(spec.class_names(), np.bincount(
                data.labels, minlength=len(spec.classes)).tolist(), strict=True)),
            "validation": {"method": plan.method, "reason": plan.reason}, "metrics": metrics})
    return workspace.latest_model(recipe.name, spec.name)


def _validate(plan: ValidationPlan, fit: Callable[[np.ndarray, int], Any], data: TrainingSet,
              spec: InspectionType) -> tuple[Any, dict[str, Any]]:
    """Run the plan; returns the hold-out model (shipped as is) or ``None``, and the metrics."""
    if plan.method == "none":
        return None, {}
    truth, predicted = [], []
    model = None
    for step, (train_idx, val_idx) in enumerate(plan.folds):
        model = fit(train_idx, step)
        probs = model.predict_proba(data.images[val_idx])
        truth += data.labels[val_idx].tolist()
        predicted += [spec.decide(row) for row in probs]
    metrics = classification_metrics(np.array(truth), np.array(predicted), spec.class_names())
    return (model if plan.method == "hold-out" else None), metrics


def _by_image(labels: list[Label]) -> dict[str, list[Label]]:
    groups: dict[str, list[Label]] = {}
    for label in labels:
        groups.setdefault(label.image.sha256, []).append(label)
    return groups


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {n}" for name, n in counts.items())
