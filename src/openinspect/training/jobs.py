"""Training as a station job: one at a time, in a background thread, with progress and cooperative cancel.

:func:`openinspect.training.train_type` reports progress through a callback; the job's callback
checks a cancel flag and raises there, so a stop takes effect at the next progress step (Fast: a
few per second; Accurate: every optimiser step) and leaves no model version behind (versions are published
only after a complete export). Each snapshot carries, for the model training now (a validation fold's or the
final one), its optimiser step, epoch, latest loss and loss curve, the curve bounded to
:data:`~openinspect.models.progress.LOSS_POINTS` points so live updates stay small.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum

from openinspect.errors import NotFoundError, OpenInspectError, StationBusyError
from openinspect.models.progress import Fold, LossCurve, Step
from openinspect.recipe import TrainingMode
from openinspect.store import ModelMeta, ModelVersion, Workspace
from openinspect.store.audit import AuditAction, AuditLog
from openinspect.store.results import ResultStore
from openinspect.store.revisions import SYSTEM_ACTOR
from openinspect.training.review import ValidationReview, validation_review
from openinspect.training.service import train_type

log = logging.getLogger(__name__)


class TrainingState(StrEnum):
    """Where a training job is."""

    RUNNING = "running"
    STOPPING = "stopping"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class TrainingJob:
    """A snapshot of a training job."""

    recipe: str
    type: str
    mode: TrainingMode | None
    """``None``: the type's own mode."""
    state: TrainingState
    progress: float = 0.0
    """Fraction done, 0 to 1."""
    message: str = ""
    """The stage, in words."""
    stage: str = ""
    """What a person reads: the model training now (when the run trains several) and its stage
    (``fold 2 of 5 · memory bank 1 of 2``); never says ``done`` before the job is."""
    remaining_s: float | None = None
    """Estimated seconds left at ``updated``, from the time spent and the fraction done (the run's stages are
    weighted by their cost, so the fraction tracks time); ``None`` while too little is done to tell, or at the end."""
    updated: float = 0.0
    """Unix time of this snapshot."""
    fold: int | None = None
    """The validation fold whose model is training, from 1; ``None``: the final model."""
    folds: int = 0
    """Validation folds the run trains a model for before the final one; 0: it trains one model."""
    step: int | None = None
    """Optimiser steps done by the model training now; ``None`` before its first, and always for Fast."""
    steps: int | None = None
    """Its planned steps."""
    epoch: float | None = None
    """Its passes over the training crops so far (``step * batch / crops``, 2 decimals)."""
    epochs: float | None = None
    """Its planned passes."""
    loss: float | None = None
    """Its latest training loss."""
    loss_curve: tuple[tuple[int, float], ...] = ()
    """Its ``(step, mean loss)`` points so far, at most :data:`~openinspect.models.progress.LOSS_POINTS`."""
    started: float = 0.0
    """Unix time."""
    finished: float | None = None
    version: int | None = None
    """The model version it published, once done."""
    error: str | None = None
    deploy: bool = False
    """Deploy the version it publishes (a type's first version deploys itself anyway)."""
    deployed: bool = False
    """The published version is the one the station runs now."""
    warnings: tuple[str, ...] = ()
    """What in the training set will not generalise, once done (the version's ``meta.json`` keeps them too)."""
    synthetic: bool = True
    """Train on the recipe's synthetic images too (never validated on)."""
    unlabelled: bool = True
    """An Accurate classifier learns from unlabelled captures too."""
    unlabelled_images: int | None = None
    """Once done: the unlabelled captures the model learnt from; ``None``: none were asked for."""


class _CancelledError(Exception):
    """Raised inside the training loop by the progress callback once a stop was asked."""


class TrainingService:
    """Runs :func:`train_type` jobs one at a time.

    Args:
        workspace: where labels are read and model versions published.
        on_change: called with every snapshot of the job (progress, end); from the training thread.
        train: trains and publishes a type as :func:`openinspect.training.train_type` does (the default).
        audit: where every start and stop is recorded; by default the workspace database's trail.
        results: the station's results, whose archived captures Accurate learns from (unlabelled); ``None``: none.
        clock: the Unix time now (tests replay a recorded run with their own).
    """

    def __init__(self, workspace: Workspace, on_change: Callable[[TrainingJob], None],
                 train: Callable[..., ModelVersion] | None = None, audit: AuditLog | None = None,
                 clock: Callable[[], float] = time.time, results: ResultStore | None = None) -> None:
        self.workspace = workspace
        self.results = results
        self._clock = clock
        self.audit = audit or AuditLog(workspace.engine)
        self._on_change = on_change
        self._train = train
        self._job: TrainingJob | None = None
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._fold = Fold(None, 0)
        self._curve = LossCurve()

    def current(self) -> TrainingJob:
        """The running job, or the last one.

        Raises:
            NotFoundError: nothing was trained since the station started.
        """
        if self._job is None:
            raise NotFoundError("no training job since the station started; start one with POST /api/v1/training")
        return self._job

    def start(self, recipe: str, type_name: str, mode: TrainingMode | None = None, seed: int = 0, *,
              deploy: bool = False, synthetic: bool = True, unlabelled: bool = True,
              actor: str = SYSTEM_ACTOR) -> TrainingJob:
        """Start training a type in the background.

        With ``deploy`` the version it publishes is deployed at once; without ``synthetic`` the recipe's synthetic
        images are left out, without ``unlabelled`` an Accurate classifier does not learn from unlabelled captures;
        ``actor``: who, for the audit trail.

        Raises:
            StationBusyError: a job is running (one at a time: training uses every core).
            NotFoundError: unknown recipe.
            RecipeError: unknown type.
        """
        self.workspace.recipe(recipe).inspection_type(type_name)
        with self._lock:
            if self._job is not None and self._job.state in (TrainingState.RUNNING, TrainingState.STOPPING):
                raise StationBusyError(f"training {self._job.recipe}/{self._job.type} is running; wait for it or "
                                       f"stop it (DELETE /api/v1/training)")
            self._cancel.clear()
            self._fold, self._curve = Fold(None, 0), LossCurve()
            now = self._clock()
            self._job = TrainingJob(recipe, type_name, mode, TrainingState.RUNNING, started=now, updated=now,
                                    message="starting", stage="starting", deploy=deploy, synthetic=synthetic,
                                    unlabelled=unlabelled)
            self._thread = threading.Thread(target=self._run, args=(self._job, seed, actor), name="openinspect-train",
                                            daemon=True)
            self._thread.start()
        self._record(actor, AuditAction.TRAINING_START, self._job)
        return self._job

    def _record(self, actor: str, action: AuditAction, job: TrainingJob) -> None:
        record_training(self.audit, self.workspace, actor, action, job.recipe, job.type, job.mode)

    def validation(self, recipe: str, type_name: str) -> ValidationReview:
        """The latest model of a type: its validation, its validation crops and its fail classes' threshold trade-offs.

        The trade-offs use the recipe as it is now (other fail classes keep their thresholds).

        Raises:
            NotFoundError: unknown recipe.
            RecipeError: unknown type.
            ModelNotFoundError: the type has no trained model.
        """
        return validation_review(self.workspace, self.workspace.recipe(recipe), type_name)

    def stop(self, *, actor: str = SYSTEM_ACTOR) -> TrainingJob:
        """Ask the running job to stop at its next progress step; ``actor``: who, for the audit trail.

        Raises:
            NotFoundError: no job is running.
        """
        with self._lock:
            if self._job is None or self._job.state is not TrainingState.RUNNING:
                raise NotFoundError("no training job is running")
            self._cancel.set()
            self._update(state=TrainingState.STOPPING, message="stopping at the next step")
            job = self._job
        self._record(actor, AuditAction.TRAINING_STOP, job)
        return job

    def close(self, timeout: float = 60.0) -> None:
        """Stop a running job and wait up to ``timeout`` s for it to reach its next progress step."""
        with contextlib.suppress(NotFoundError):
            self.stop()
        if self._thread is not None:
            self._thread.join(timeout)

    def wait(self, timeout: float | None = None) -> TrainingJob:
        """Wait for the current job's thread to end and return its last snapshot."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.current()

    def _run(self, job: TrainingJob, seed: int, actor: str) -> None:
        train = self._train or train_type
        try:
            recipe = self.workspace.recipe(job.recipe)
            model = train(self.workspace, recipe, job.type, mode=job.mode, seed=seed, progress=self._progress,
                          deploy=job.deploy, synthetic=job.synthetic, unlabelled=job.unlabelled,
                          archive=self.results)
        except _CancelledError:
            self._end(state=TrainingState.CANCELLED, message="stopped; no model version was published")
        except OpenInspectError as err:
            self._end(state=TrainingState.FAILED, message="failed", error=str(err))
        except Exception as err:  # a bug in training must end the job visibly, not kill a silent thread
            log.exception("training %s/%s failed", job.recipe, job.type)
            self._end(state=TrainingState.FAILED, message="failed", error=f"{type(err).__name__}: {err}")
        else:
            deployed = record_deployed(self.audit, self.workspace, actor, model)
            meta = _meta(model)
            unlabelled = None if meta is None or meta.unlabelled_images is None else len(meta.unlabelled_images)
            learnt = "" if unlabelled is None else f"; learnt from {unlabelled} unlabelled capture(s)"
            self._end(state=TrainingState.DONE, progress=1.0, version=model.version, deployed=deployed,
                      warnings=tuple(meta.warnings) if meta is not None else (), unlabelled_images=unlabelled,
                      message=f"model v{model.version} published{' and deployed' if deployed else ' as a candidate'}"
                              f"{learnt}")

    def _progress(self, fraction: float, message: str, *, step: Step | None = None, fold: Fold | None = None) -> None:
        if self._cancel.is_set():
            raise _CancelledError
        with self._lock:
            assert self._job is not None
            done = max(self._job.progress, round(min(max(fraction, 0.0), 1.0), 3))  # never goes back
            now = self._clock()
            changes: dict[str, object] = {"progress": done, "message": message, "updated": now,
                                          "remaining_s": remaining_seconds(now - self._job.started, done),
                                          "stage": stage_text(fold or self._fold, message)}
            if fold is not None and fold != self._fold:  # the next model: its own steps and curve
                self._fold, self._curve = fold, LossCurve()
                changes.update(fold=fold.index, folds=fold.folds, step=None, steps=None, epoch=None, epochs=None,
                               loss=None, loss_curve=())
            if step is not None:
                self._curve.add(step.step, step.loss)
                changes.update(step=step.step, steps=step.steps, epoch=round(step.epoch, 2),
                               epochs=round(step.epochs, 2), loss=round(step.loss, 4),
                               loss_curve=self._curve.points())
            self._update(**changes)

    def _end(self, **changes: object) -> None:
        with self._lock:
            now = self._clock()
            self._update(finished=now, updated=now, remaining_s=None, stage=str(changes.get("message", "")), **changes)

    def _update(self, **changes: object) -> None:
        assert self._job is not None
        self._job = replace(self._job, **changes)  # type: ignore[arg-type]  # keyword fields of TrainingJob
        self._on_change(self._job)


ESTIMATE_FROM = 0.05
"""Fraction done before a time-left estimate is given: below it, start-up noise dominates."""


def remaining_seconds(elapsed: float, fraction: float) -> float | None:
    """Seconds left if the rest goes at the pace so far: ``elapsed * (1 - fraction) / fraction``.

    >>> remaining_seconds(10.0, 0.25)
    30.0
    >>> remaining_seconds(1.0, 0.01) is None
    True
    """
    if fraction < ESTIMATE_FROM or fraction >= 1.0:
        return None
    return round(elapsed * (1 - fraction) / fraction, 1)


def stage_text(fold: Fold, message: str) -> str:
    """The stage as a person reads it: which model trains (when the run trains several), then what it does.

    >>> stage_text(Fold(2, 5), "memory bank 1 of 2"), stage_text(Fold(None, 0), "fine-tuning")
    ('fold 2 of 5 · memory bank 1 of 2', 'fine-tuning')
    """
    return f"{fold.label()} · {message}" if fold.folds else message


def _meta(model: ModelVersion) -> ModelMeta | None:
    """The version's ``meta.json``; ``None`` when it cannot be read (a model not trained here)."""
    try:
        return model.meta()
    except (OSError, ValueError):
        return None


def record_training(audit: AuditLog, workspace: Workspace, actor: str, action: AuditAction, recipe: str,
                    type_name: str, mode: TrainingMode | None) -> None:
    """Record a training start or stop of a type, with its newest version as ``before`` and the mode as detail."""
    try:
        latest: str | None = f"v{workspace.latest_model(recipe, type_name).version}"
    except NotFoundError:
        latest = None
    audit.record(actor, action, f"type {type_name}", recipe=recipe, before=latest,
                 detail=f"mode: {mode.value if mode else 'as the recipe says'}")


def record_deployed(audit: AuditLog, workspace: Workspace, actor: str, model: ModelVersion) -> bool:
    """Record the deploy of a version training just published, if it is in force now; whether it is.

    It is when the training was asked to deploy it, or when it is its type's first version. The record is written
    after the publishing transaction: a crash between the two leaves the deployment without its record.
    """
    history = workspace.deployments(model.recipe, model.type)
    if not history or history[0].version != model.version:
        return False
    previous = history[0].previous
    audit.record(actor, AuditAction.MODEL_DEPLOY, f"type {model.type}", recipe=model.recipe,
                 before=None if previous is None else f"v{previous}", after=f"v{model.version}",
                 detail="deployed by its training" + (" (the type's first version)" if previous is None else ""))
    return True
