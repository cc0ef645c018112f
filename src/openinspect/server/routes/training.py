"""Starting, following and stopping training; how the latest model of a type validated."""

from __future__ import annotations

from fastapi import APIRouter

from openinspect.server.deps import Engineer, Operator, TrainingDep
from openinspect.server.errors import ERROR_RESPONSES
from openinspect.server.schemas import TrainingCreate, TrainingPublic, ValidationPublic

router = APIRouter(tags=["training"], responses=ERROR_RESPONSES)


@router.post("/training", status_code=202)
def start(body: TrainingCreate, training: TrainingDep, caller: Engineer) -> TrainingPublic:
    """Train a new model version of a type in the background (one job at a time; 503 while one runs).

    Progress is pushed on the WebSocket. The new version is a candidate until deployed
    (PUT /recipes/{name}/types/{type}/models/deployed), or at once with ``"deploy": true``; a type's first version
    deploys itself. The station runs a deployed version from its next trigger. ``"synthetic": false`` leaves the
    recipe's synthetic images out of this run; with them, they are trained on and never validated on.
    ``"unlabelled": false`` keeps an Accurate classifier from learning from unlabelled captures.
    """
    return TrainingPublic.of(training.start(body.recipe, body.type, body.mode, body.seed, deploy=body.deploy,
                                            synthetic=body.synthetic, unlabelled=body.unlabelled,
                                            actor=caller.name))


@router.get("/training")
def current(training: TrainingDep, _role: Operator) -> TrainingPublic:
    """The running training job, or the last one."""
    return TrainingPublic.of(training.current())


@router.delete("/training")
def stop(training: TrainingDep, caller: Engineer) -> TrainingPublic:
    """Stop the running job at its next progress step; no model version is published."""
    return TrainingPublic.of(training.stop(actor=caller.name))


@router.get("/recipes/{name}/types/{type_name}/models/latest/validation")
def validation(name: str, type_name: str, training: TrainingDep, _role: Operator) -> ValidationPublic:
    """How the type's latest model was validated and what it said about each validation crop.

    For a classifier, ``tradeoffs`` give per fail class the good crops rejected and the defects missed at
    each threshold (the station's decision rule on the validation probabilities, other classes' thresholds
    as the recipe has them now); set one by PUT /recipes/{name} with the class's ``threshold``.
    404 before the type is trained.
    """
    return ValidationPublic.of(training.validation(name, type_name))
