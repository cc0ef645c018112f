"""How a training run validates itself, given how few images a class may have."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from openinspect.recipe import TrainingMode

LEAVE_ONE_OUT_MAX = 12
"""Up to this many images, Fast mode validates leave-one-out; above, with stratified folds."""
HOLD_OUT_MIN_PER_CLASS = 5
"""Accurate mode holds out 20 % per class only when every class has at least this many images."""


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
    above that; Accurate training is slow, so it holds out 20 % per class when every class has
    enough images and otherwise says it cannot validate rather than report a meaningless 100 %.

    >>> plan_validation(np.array([0, 0, 0, 1, 1, 1]), ["good", "bad"], TrainingMode.FAST, 0).method
    'leave-one-out'
    >>> plan_validation(np.array([0, 0, 0, 1, 1, 1]), ["good", "bad"], TrainingMode.ACCURATE, 0).reason[:40]
    'Accurate validation holds out 20 % per c'
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
            f"{HOLD_OUT_MIN_PER_CLASS} images per class ('{class_names[int(counts.argmin())]}' has {smallest}); "
            f"the model was trained on all images: check it with `openinspect eval` on other captures")
    folds = _stratified_folds(labels, 5, rng)
    return ValidationPlan("hold-out", folds[:1])


def _stratified_folds(labels: np.ndarray, k: int, rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
    assignment = np.empty(len(labels), dtype=np.int64)
    for cls in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == cls))
        assignment[members] = np.arange(len(members)) % k
    everyone = np.arange(len(labels))
    return [(everyone[assignment != f], everyone[assignment == f]) for f in range(k)]
