"""The fail-class threshold trade-off: computed with the station's own decision, so the slider tells the truth."""

import numpy as np
import pytest

from openinspect.imaging import Rect
from openinspect.recipe import ClassifierType
from openinspect.station.runners import ClassifierRunner, Prepared
from openinspect.training.review import THRESHOLD_STEPS, threshold_tradeoff, with_threshold

SPEC = ClassifierType(name="nut", kind="classifier", classes=[
    {"name": "good", "pass": True}, {"name": "loose", "pass": False}, {"name": "missing", "pass": False,
                                                                       "threshold": 0.7}])


class _Fixed:
    """A model that answers given probabilities, as the station's ONNX session would."""

    def __init__(self, probabilities):
        self.probabilities = probabilities
        self.input_size = (8, 8)

    def predict(self, _batch):
        return self.probabilities


def _station_errors(spec, truth, probabilities):
    """Good crops rejected and defects missed, judged by the station's classifier runner."""
    runner = ClassifierRunner(spec, _Fixed(probabilities), version=None)
    count = len(truth)
    results = runner.judge(Prepared(np.zeros((count, 8, 8, 3), np.uint8), [(8, 8)] * count),
                           [f"roi{i}" for i in range(count)], [Rect(0, 0, 8, 8)] * count)
    good = [spec.classes[t].passes for t in truth]
    rejected = sum(g and not r.passes for g, r in zip(good, results, strict=True))
    missed = sum(not g and r.passes for g, r in zip(good, results, strict=True))
    return rejected, missed


def test_tradeoff_matches_the_station_judgement_at_every_threshold():
    rng = np.random.default_rng(4)
    probabilities = rng.dirichlet([1.0, 1.0, 1.0], size=60).astype(np.float32)
    truth = rng.integers(0, 3, size=60).tolist()
    sweep = threshold_tradeoff(SPEC, "loose", truth, probabilities)

    assert [p.threshold for p in sweep.points] == list(THRESHOLD_STEPS)
    assert (sweep.class_name, sweep.threshold, sweep.good + sweep.defects) == ("loose", None, 60)
    assert sweep.good == truth.count(0)
    for point in sweep.points:
        expected = _station_errors(with_threshold(SPEC, "loose", point.threshold), truth, probabilities)
        assert (point.good_rejected, point.defects_missed) == expected, point.threshold


def test_raising_a_threshold_rejects_fewer_good_parts_and_misses_more_defects():
    rng = np.random.default_rng(7)
    probabilities = rng.dirichlet([2.0, 1.0, 1.0], size=40)
    truth = rng.integers(0, 3, size=40).tolist()
    points = threshold_tradeoff(SPEC, "missing", truth, probabilities).points
    rejected = [p.good_rejected for p in points]
    missed = [p.defects_missed for p in points]
    assert rejected == sorted(rejected, reverse=True) and missed == sorted(missed)
    assert rejected[0] > rejected[-1] and missed[0] < missed[-1]


def test_the_sweep_keeps_the_other_fail_classes_thresholds():
    rule = with_threshold(SPEC, "loose", 0.9)
    assert [c.threshold for c in rule.classes] == [None, 0.9, 0.7]
    assert [c.threshold for c in SPEC.classes] == [None, None, 0.7]   # the recipe's type is untouched


def test_a_pass_class_has_no_threshold_to_sweep():
    with pytest.raises(ValueError, match="'good' is not a fail class of type 'nut'; its fail classes: loose, missing"):
        with_threshold(SPEC, "good", 0.5)
