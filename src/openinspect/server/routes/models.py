"""A type's model versions: which one the station runs, deploying a candidate, rolling back."""

from __future__ import annotations

from fastapi import APIRouter

from openinspect.server.deps import Engineer, ModelsDep, Operator
from openinspect.server.errors import ERROR_RESPONSES, ErrorPublic
from openinspect.server.schemas import DeploymentPublic, DeploymentUpdate, ModelListPublic

router = APIRouter(prefix="/recipes/{name}/types/{type_name}/models", tags=["models"],
                   responses={**ERROR_RESPONSES, 409: {"model": ErrorPublic, "description": "the version does not fit "
                                                       "the recipe, or there is nothing to roll back to"}})


@router.get("")
def versions(name: str, type_name: str, models: ModelsDep, _role: Operator) -> ModelListPublic:
    """The type's model versions, newest first: mode, created time, validation figures, deployed or candidate."""
    return ModelListPublic.of(name, type_name, models.versions(name, type_name))


@router.put("/deployed")
def deploy(name: str, type_name: str, body: DeploymentUpdate, models: ModelsDep, caller: Engineer) -> DeploymentPublic:
    """Deploy a version: the station runs it from its next trigger.

    409 when it was trained for other classes than the recipe lists (nothing changes), 404 for an unknown version.
    """
    return DeploymentPublic.of(models.deploy(name, type_name, body.version, actor=caller.name))


@router.post("/deployed/rollback")
def rollback(name: str, type_name: str, models: ModelsDep, caller: Engineer) -> DeploymentPublic:
    """Deploy again the version in force before the current deployment; again goes one further back (409: none)."""
    return DeploymentPublic.of(models.rollback(name, type_name, actor=caller.name))
