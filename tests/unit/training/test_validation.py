import numpy as np
import pytest

from openinspect.recipe import HOLD_OUT_MIN_PER_CLASS, MIN_VALIDATION_CROPS, TrainingMode
from openinspect.training import classification_metrics, plan_validation


def test_fast_with_few_images_uses_leave_one_out_covering_each_once():
    labels = np.array([0, 0, 0, 1, 1, 1, 1])
    plan = plan_validation(labels, ["good", "bad"], TrainingMode.FAST, 0)
    assert plan.method == "leave-one-out"
    held = sorted(int(v) for _, val in plan.folds for v in val)
    assert held == list(range(7))
    assert all(len(train) == 6 for train, _ in plan.folds)


def test_fast_with_more_images_uses_stratified_folds():
    labels = np.array([0] * 20 + [1] * 10)
    plan = plan_validation(labels, ["good", "bad"], TrainingMode.FAST, 3)
    assert plan.method == "k-fold" and len(plan.folds) == 5
    for train, val in plan.folds:
        assert set(train).isdisjoint(val)
        assert np.bincount(labels[val]).tolist() == [4, 2]


def test_accurate_with_too_few_images_says_it_cannot_validate():
    plan = plan_validation(np.array([0] * 4 + [1] * 9), ["good", "loose"], TrainingMode.ACCURATE, 0)
    assert plan.method == "none" and plan.folds == []
    assert "'good' has 4" in plan.reason and "openinspect eval" in plan.reason


def test_accurate_holds_out_a_fifth_per_class_once_that_fifth_counts():
    labels = np.array([0] * 60 + [1] * HOLD_OUT_MIN_PER_CLASS)
    plan = plan_validation(labels, ["good", "bad"], TrainingMode.ACCURATE, 1)
    (train, val), = plan.folds
    assert plan.method == "hold-out"
    assert np.bincount(labels[val]).tolist() == [12, MIN_VALIDATION_CROPS]  # enough for readiness to count it
    assert len(train) == 110 - 22 and set(train).isdisjoint(val)


def test_accurate_below_a_countable_fifth_learns_from_every_image_and_says_why():
    """20 per class would hold out 4 of each: a figure readiness does not count, for 20 % fewer training images."""
    plan = plan_validation(np.array([0] * 20 + [1] * 25), ["good", "loose"], TrainingMode.ACCURATE, 0)
    assert plan.method == "none" and plan.folds == []
    assert f"needs at least {HOLD_OUT_MIN_PER_CLASS} images per class" in plan.reason
    assert "'good' has 20" in plan.reason and "learnt from every image" in plan.reason


@pytest.mark.parametrize("mode", list(TrainingMode))
def test_single_image_class_cannot_validate(mode):
    plan = plan_validation(np.array([0, 0, 0, 1]), ["good", "bad"], mode, 0)
    assert plan.method == "none" and "'bad'" in plan.reason


def test_metrics_balanced_accuracy_and_precision_for_unpredicted_class():
    metrics = classification_metrics(np.array([0, 0, 0, 1]), np.array([0, 0, 0, 0]), ["good", "bad"])
    assert metrics["accuracy"] == 0.75
    assert metrics["balanced_accuracy"] == 0.5
    assert metrics["per_class"]["bad"] == {"precision": None, "recall": 0.0, "support": 1}
