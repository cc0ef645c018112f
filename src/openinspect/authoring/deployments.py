"""Which model version of a type the station runs: list the versions, deploy one, roll back.

Training publishes candidates; an engineer deploys one here (the CLI and the HTTP API alike). A version trained
for other classes than the recipe lists is refused with the reason, and nothing changes. Each deploy or rollback
is one database transaction with its audit record (when the trail is in the workspace database, the default), then
the recipe-changed event makes the station load the version before its next trigger.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Connection

from openinspect.authoring.events import RecipeEvents
from openinspect.errors import ConflictError
from openinspect.recipe import InspectionType, Recipe
from openinspect.station.pipeline import misfit
from openinspect.store import Deployment, ModelVersion, Workspace
from openinspect.store.audit import AuditAction, AuditLog
from openinspect.store.revisions import SYSTEM_ACTOR


class ModelState(StrEnum):
    """Where a model version stands."""

    DEPLOYED = "deployed"
    """The station runs it."""
    CANDIDATE = "candidate"
    """Never deployed."""
    RETIRED = "retired"
    """Deployed once, not now."""


@dataclass(frozen=True)
class ModelEntry:
    """A model version of a type with its state and, when it cannot be deployed, why."""

    model: ModelVersion
    state: ModelState
    problem: str | None
    """Why it cannot judge the recipe as it is now (trained for other classes); ``None``: it can."""


class ModelService:
    """Lists, deploys and rolls back the model versions of a recipe's inspection types.

    Args:
        workspace: recipes, model versions and the deployments.
        events: told after every deploy and rollback, so the station reloads the recipe.
        audit: where every deploy and rollback is recorded; by default the workspace database's trail.
    """

    def __init__(self, workspace: Workspace, events: RecipeEvents, audit: AuditLog | None = None) -> None:
        self.workspace = workspace
        self.events = events
        self.audit = audit or AuditLog(workspace.engine)

    def versions(self, recipe: str, type_name: str) -> list[ModelEntry]:
        """Every version of a type, newest first.

        Raises:
            NotFoundError: unknown recipe.
            RecipeError: unknown type.
        """
        loaded, spec = self._type(recipe, type_name)
        deployed = self.workspace.deployed_version(recipe, type_name)
        ever = {d.version for d in self.workspace.deployments(recipe, type_name)}
        models = [m for m in self.workspace.model_versions(recipe, type_name) if m.onnx_path.is_file()]
        return [ModelEntry(m, _state(m.version, deployed, ever), misfit(loaded, spec, m)) for m in reversed(models)]

    def deploy(self, recipe: str, type_name: str, version: int, *, actor: str = SYSTEM_ACTOR) -> Deployment:
        """Make ``version`` the one the station runs from its next trigger; ``actor``: who, for the audit trail.

        Deploying the version in force changes nothing and records nothing.

        Raises:
            NotFoundError: unknown recipe or version.
            RecipeError: unknown type.
            ConflictError: the version was trained for other classes than the recipe lists; nothing changed.
        """
        loaded, spec = self._type(recipe, type_name)
        self._check(loaded, spec, self.workspace.model_version(recipe, type_name, version), "deploy")
        with self.workspace.transaction() as conn:
            before = self.workspace.deployed_version(recipe, type_name)
            deployment = self.workspace.deploy_model(recipe, type_name, version)
            if before != deployment.version:
                self._record(conn, actor, AuditAction.MODEL_DEPLOY, deployment, before)
        self.events.changed(recipe)
        return deployment

    def rollback(self, recipe: str, type_name: str, *, actor: str = SYSTEM_ACTOR) -> Deployment:
        """Deploy again the version in force before the current deployment; again goes one further back.

        ``actor``: who, for the audit trail.

        Raises:
            NotFoundError: unknown recipe, or that version's files are gone.
            RecipeError: unknown type.
            ConflictError: no earlier deployment, or its version no longer fits the recipe; nothing changed.
        """
        loaded, spec = self._type(recipe, type_name)
        with self.workspace.transaction() as conn:
            self._check(loaded, spec, self.workspace.rollback_target(recipe, type_name), "roll back")
            before = self.workspace.deployed_version(recipe, type_name)
            deployment = self.workspace.roll_back_model(recipe, type_name)
            self._record(conn, actor, AuditAction.MODEL_ROLLBACK, deployment, before)
        self.events.changed(recipe)
        return deployment

    def _record(self, conn: Connection, actor: str, action: AuditAction, done: Deployment, before: int | None) -> None:
        """Record a deploy or rollback in the audit trail, in the deployment's own transaction (``conn``)."""
        self.audit.record(actor, action, f"type {done.type}", recipe=done.recipe,
                          before=None if before is None else f"v{before}", after=f"v{done.version}", within=conn)

    def _type(self, recipe: str, type_name: str) -> tuple[Recipe, InspectionType]:
        loaded = self.workspace.recipe(recipe)
        return loaded, loaded.inspection_type(type_name)

    @staticmethod
    def _check(recipe: Recipe, spec: InspectionType, model: ModelVersion, action: str) -> None:
        problem = misfit(recipe, spec, model)
        if problem is not None:
            raise ConflictError(f"cannot {action} to v{model.version}: {problem}")


def _state(version: int, deployed: int | None, ever: set[int]) -> ModelState:
    if version == deployed:
        return ModelState.DEPLOYED
    return ModelState.RETIRED if version in ever else ModelState.CANDIDATE
