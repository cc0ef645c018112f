"""Training progress as data: steps with epochs, fold labels, and a loss curve bounded however long the run."""

import pytest

from openinspect.models.progress import LOSS_POINTS, Fold, LossCurve, Step


def test_step_counts_epochs_over_the_training_crops() -> None:
    step = Step.of(12, 120, 16, 60, 0.53)
    assert (step.step, step.steps, step.epoch, step.epochs, step.loss) == (12, 120, 3.2, 32.0, 0.53)


def test_fold_says_which_model_trains() -> None:
    assert Fold(2, 5).label() == "fold 2 of 5"
    assert Fold(None, 5).label() == "final model"


@pytest.mark.parametrize("steps", [1, LOSS_POINTS - 1, LOSS_POINTS, LOSS_POINTS + 1, 480, 800, 10_000])
def test_loss_curve_keeps_the_whole_run_in_at_most_its_limit_of_points(steps: int) -> None:
    curve = LossCurve()
    for step in range(1, steps + 1):
        curve.add(step, 1.0 + step % 3)
        assert len(curve.points()) <= LOSS_POINTS
    points = curve.points()
    assert points[-1][0] == steps                                       # up to the latest step
    assert [s for s, _ in points] == sorted({s for s, _ in points})     # one point per bucket, in order
    assert len(points) > min(steps, LOSS_POINTS) // 2 - 1               # halving keeps at least half the limit


def test_loss_curve_points_are_means_over_equal_runs_of_steps() -> None:
    curve = LossCurve(limit=10)
    for step in range(1, 101):
        curve.add(step, float(step))
    done = curve.points()[:-1] if 100 % curve.stride else curve.points()
    assert curve.stride == 16
    assert all(loss == step - (curve.stride - 1) / 2 for step, loss in done)   # mean of the stride steps to `step`
    assert curve.points()[-1] == (100, 98.5)                                   # steps 97..100, still filling


def test_loss_curve_rejects_a_limit_below_two() -> None:
    with pytest.raises(ValueError, match="at least 2 points, got 1"):
        LossCurve(limit=1)
