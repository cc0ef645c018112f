"""Starting, following and stopping training."""

from __future__ import annotations

from fastapi import APIRouter

from openinspect.server.deps import Engineer, Operator, TrainingDep
from openinspect.server.errors import ERROR_RESPONSES
from openinspect.server.schemas import TrainingCreate, TrainingPublic

router = APIRouter(prefix="/training", tags=["training"], responses=ERROR_RESPONSES)


@router.post("", status_code=202)
def start(body: TrainingCreate, training: TrainingDep, _role: Engineer) -> TrainingPublic:
    """Train a new model version of a type in the background (one job at a time; 503 while one runs).

    Progress is pushed on the WebSocket; the station uses the new version from its next trigger.
    """
    return TrainingPublic.of(training.start(body.recipe, body.type, body.mode, body.seed))


@router.get("")
def current(training: TrainingDep, _role: Operator) -> TrainingPublic:
    """The running training job, or the last one."""
    return TrainingPublic.of(training.current())


@router.delete("")
def stop(training: TrainingDep, _role: Engineer) -> TrainingPublic:
    """Stop the running job at its next progress step; no model version is published."""
    return TrainingPublic.of(training.stop())
