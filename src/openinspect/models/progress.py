"""Training progress as data: what a training loop reports per step, which of a run's models trains, the loss curve.

A progress callback gets the fraction done and a short stage in words (``"extracting features"``,
``"fine-tuning"``), and keyword fields where there are some: the optimiser :class:`Step` from the loops that
have one (Fast fits no loss: it reports stages only) and, from the training service, the :class:`Fold` whose
model is training. :class:`LossCurve` keeps a whole run's losses in a bounded number of points, so a live view
can redraw it on every step. Torch-free: the station imports it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

LOSS_POINTS = 200
"""Most points a :class:`LossCurve` holds, however long the run."""


@dataclass(frozen=True)
class Step:
    """Where a training loop is after one optimiser step."""

    step: int
    """Steps done, from 1."""
    steps: int
    """Steps planned; an estimate while a time budget may end training first."""
    epoch: float
    """Passes over the training crops so far: ``step * batch / crops``."""
    epochs: float
    """Passes planned: ``steps * batch / crops``."""
    loss: float
    """The step's training loss."""

    @classmethod
    def of(cls, step: int, steps: int, batch: int, crops: int, loss: float) -> Step:
        """Count epochs from the batch size and the number of training crops.

        >>> Step.of(12, 120, 16, 60, 0.5).epoch
        3.2
        """
        return cls(step, steps, step * batch / crops, steps * batch / crops, loss)


@dataclass(frozen=True)
class Fold:
    """Which of a run's models is training: one validation fold's, or the final one that is published."""

    index: int | None
    """The validation fold, from 1; ``None``: the final model."""
    folds: int
    """Validation folds the run trains a model for besides the final one (0: the run trains one model)."""

    def label(self) -> str:
        """``"fold 2 of 5"`` or ``"final model"``."""
        return "final model" if self.index is None else f"fold {self.index} of {self.folds}"


class Progress(Protocol):
    """A training progress callback: fraction done in ``[0, 1]``, a short stage, and the step and fold if known."""

    def __call__(self, fraction: float, status: str, /, *, step: Step | None = None, fold: Fold | None = None) -> None:
        """Take one report."""


def no_progress(fraction: float, status: str, *, step: Step | None = None, fold: Fold | None = None) -> None:
    """A :class:`Progress` that ignores every report."""


class Stages:
    """A run's stages, each weighted by its expected cost, so the run's fraction done tracks its time spent.

    A stage's own reports (fraction of that stage) map onto the run's fraction between ``start`` and ``end``;
    with weights in proportion to each stage's time, ``elapsed * (1 - p) / p`` estimates the time left. A stage
    may name the :class:`Fold` whose model it trains, which then goes with each of its reports.

    >>> seen = []
    >>> stages = Stages(lambda f, s, **kw: seen.append((round(f, 3), s)), [1.0, 3.0])
    >>> stages.stage(0)(1.0, "features"); stages.stage(1)(0.5, "fold")
    >>> seen
    [(0.25, 'features'), (0.625, 'fold')]
    """

    def __init__(self, report: Progress, weights: Sequence[float], start: float = 0.0, end: float = 1.0) -> None:
        if not weights or min(weights) < 0 or sum(weights) <= 0:
            raise ValueError(f"stage weights must be non-negative with a positive sum, got {list(weights)}")
        total = sum(weights)
        self._report = report
        self._bounds = [start + (end - start) * sum(weights[:i]) / total for i in range(len(weights) + 1)]

    def stage(self, index: int, which: Fold | None = None) -> Progress:
        """The progress callback of stage ``index`` (training the model ``which``): its fraction becomes the run's."""
        low, high = self._bounds[index], self._bounds[index + 1]

        def forward(fraction: float, status: str, /, *, step: Step | None = None, fold: Fold | None = None) -> None:
            self._report(low + (high - low) * min(max(fraction, 0.0), 1.0), status, step=step, fold=fold or which)

        return forward

    def done(self, index: int) -> float:
        """The run's fraction when stage ``index`` ends."""
        return self._bounds[index + 1]


class LossCurve:
    """A run's training losses in at most ``limit`` points, each the mean over an equal run of steps.

    Steps are averaged in buckets; when the points reach ``limit``, neighbours merge and buckets double, so a
    run of any length keeps its whole shape (and a live view gets at most ``limit`` points per update).

    >>> curve = LossCurve(limit=4)
    >>> for step in range(1, 10):
    ...     curve.add(step, float(step))
    >>> curve.points(), curve.stride
    (((4, 2.5), (8, 6.5), (9, 9.0)), 4)
    """

    def __init__(self, limit: int = LOSS_POINTS) -> None:
        if limit < 2:
            raise ValueError(f"a loss curve needs a limit of at least 2 points, got {limit}")
        self.limit = limit
        self.stride = 1
        """Steps per point."""
        self._done: list[tuple[int, float]] = []
        self._sum = 0.0
        self._count = 0
        self._last = 0

    def add(self, step: int, loss: float) -> None:
        """Record the loss of optimiser step ``step`` (steps come in increasing order)."""
        self._sum, self._count, self._last = self._sum + loss, self._count + 1, step
        if self._count < self.stride:
            return
        self._done.append((step, self._sum / self._count))
        self._sum, self._count = 0.0, 0
        if len(self._done) >= self.limit:
            self._halve()

    def points(self, digits: int = 4) -> tuple[tuple[int, float], ...]:
        """``(last step, mean loss)`` per bucket, the bucket still filling last; losses rounded to ``digits``."""
        pending = [(self._last, self._sum / self._count)] if self._count else []
        return tuple((step, round(loss, digits)) for step, loss in [*self._done, *pending])

    def _halve(self) -> None:
        done, self._done = self._done, []
        for first, second in zip(done[::2], done[1::2], strict=False):
            self._done.append((second[0], (first[1] + second[1]) / 2))
        self.stride *= 2
        if len(done) % 2:  # an odd point left over becomes half of the next, larger bucket
            self._last, loss = done[-1]
            self._sum, self._count = loss * self.stride / 2, self.stride // 2
