"""Recipes as a person edits them: validate, save, delete, list with label counts and model state.

The CLI (``openinspect recipe add``) and the HTTP API call this one service, so both refuse the same
recipes: schema violations, a taken name, another recipe's ``plc_number``, an alignment the station
could not find the part with.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from sqlalchemy import Connection

from openinspect.authoring.events import RecipeEvents
from openinspect.authoring.readiness import Readiness, recipe_readiness
from openinspect.dataset import RoiCropper
from openinspect.errors import ConflictError, NotFoundError, RecipeError
from openinspect.imaging import Aligner, read_image
from openinspect.recipe import Alignment, AnomalyType, ClassifierType, Recipe, dump_recipe, parse_recipe
from openinspect.store import ModelVersion, Revision, Workspace, unified_diff
from openinspect.store.archive import ArchiveSummary, import_archive
from openinspect.store.audit import AuditAction, AuditLog
from openinspect.store.revisions import SYSTEM_ACTOR

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TypeState:
    """An inspection type with its labels and latest model."""

    name: str
    kind: str
    labels: dict[str, int]
    """Labelled crops per class (classifiers) or masked captures (segmenters, under ``masks``)."""
    model: ModelVersion | None
    synthetic: int = 0
    """Synthetic images (the Defect Creator's) of the type; training may leave them out, never validates on them."""


@dataclass(frozen=True)
class RecipeState:
    """A stored recipe with what the station knows about it."""

    recipe: Recipe
    types: list[TypeState]
    warnings: list[str]
    revision: int
    """The recipe's revision now: what a change must name as the one it edited."""
    readiness: Readiness
    """Whether every type's deployed model is fit for production, else what is missing."""

    @property
    def yaml(self) -> str:
        """The recipe as YAML, as ``openinspect recipe export`` prints it."""
        return dump_recipe(self.recipe)


class RecipeService:
    """Recipes on one workspace.

    Args:
        workspace: the station's workspace.
        events: told of every recipe saved or deleted.
        audit: where every save, revert, import and delete is recorded; by default the workspace database's trail.
    """

    def __init__(self, workspace: Workspace, events: RecipeEvents | None = None, audit: AuditLog | None = None) -> None:
        self.workspace = workspace
        self.events = events or RecipeEvents()
        self.audit = audit or AuditLog(workspace.engine)
        self._plc: tuple[list[tuple[str, int, int]], dict[int, str]] = ([], {})
        self._plc_lock = threading.Lock()
        self._saving = threading.Lock()

    def names(self) -> list[str]:
        """Stored recipe names, sorted."""
        return self.workspace.recipe_names()

    def plc_numbers(self) -> dict[int, str]:
        """The recipes a PLC can select, by their ``plc_number``, as stored now.

        Cheap enough for every PLC poll: the recipe files are read again only after one changed. A number
        two recipes carry selects neither (logged): a PLC must never get a recipe it did not mean.
        """
        stamp = []
        for name in self.workspace.recipe_names():
            with contextlib.suppress(FileNotFoundError):  # removed meanwhile
                stat = self.workspace.recipe_path(name).stat()
                stamp.append((name, stat.st_ino, stat.st_mtime_ns))
        with self._plc_lock:
            if stamp == self._plc[0]:
                return dict(self._plc[1])
        holders = self.workspace.plc_holders([name for name, _, _ in stamp])
        for number, names in holders.items():
            if len(names) > 1:
                log.warning("recipes %s all carry plc_number %d: a PLC can select none of them until each has its "
                            "own number", ", ".join(names), number)
        numbers = {number: names[0] for number, names in holders.items() if len(names) == 1}
        with self._plc_lock:
            self._plc = (stamp, numbers)
        return dict(numbers)

    def state(self, name: str) -> RecipeState:
        """A stored recipe with label counts and model versions.

        Raises:
            NotFoundError: unknown recipe.
        """
        head = self.workspace.recipe_head(name)
        recipe = head.parsed()
        warnings = recipe.downscale_warnings()
        if recipe.alignment is not None and self._reference(recipe) is None:
            warnings.append(f"alignment reference '{recipe.alignment.reference}' is not there yet: upload the template "
                            f"capture (the editor, or `openinspect recipe template`); until then the station cannot "
                            f"judge captures of '{recipe.name}'")
        return RecipeState(recipe, [self._type_state(recipe, spec.name) for spec in recipe.types], warnings,
                           head.number, recipe_readiness(self.workspace, recipe))

    def _reference(self, recipe: Recipe) -> Path | None:
        """The aligning recipe's reference capture, or ``None`` while it is not there."""
        try:
            return RoiCropper.reference_path(self.workspace, recipe)
        except NotFoundError:
            return None

    def _type_state(self, recipe: Recipe, type_name: str) -> TypeState:
        spec = recipe.inspection_type(type_name)
        if isinstance(spec, ClassifierType | AnomalyType):
            classes = [label.class_name for label in self.workspace.labels(recipe.name, spec.name)]
            counts = {c: classes.count(c) for c in spec.class_names()}
        else:
            counts = {"masks": len(self.workspace.masks(recipe.name, spec.name))}
        try:
            model: ModelVersion | None = self.workspace.latest_model(recipe.name, spec.name)
        except NotFoundError:
            model = None
        synthetic = sum(origin.type == spec.name for origin in self.workspace.synthetic(recipe.name).values())
        return TypeState(spec.name, spec.kind.value, counts, model, synthetic)

    def validate(self, text: str) -> Recipe:
        """Parse and validate recipe YAML or JSON (JSON is YAML).

        Raises:
            RecipeError: malformed, or the schema is violated; the message names each field.
        """
        return parse_recipe(text, "request body")

    def save(self, text: str, *, replace: bool, name: str | None = None, base_revision: int | None = None,
             actor: str = SYSTEM_ACTOR) -> RecipeState:
        """Validate and store recipe YAML or JSON (:meth:`add`); ``name``: the name the request addressed.

        Raises:
            RecipeError: invalid, or not named ``name``; and what :meth:`add` raises.
        """
        recipe = self.validate(text)
        if name is not None and recipe.name != name:
            raise RecipeError(f"the recipe in the body is named '{recipe.name}', the request addresses '{name}'")
        return self.add(recipe, replace=replace, base_revision=base_revision, actor=actor)

    def add(self, recipe: Recipe, *, replace: bool, base_revision: int | None = None, actor: str = SYSTEM_ACTOR,
            summary: str | None = None) -> RecipeState:
        """Store a validated recipe as its next revision; labels and models of a replaced recipe are kept.

        Args:
            recipe: the recipe.
            replace: replace a stored recipe of the same name (else that is an error).
            base_revision: the revision the change was made on; a newer one stored meanwhile refuses the save, so
                no one's change is overwritten unseen.
            actor: who saves it.
            summary: what changed; by default worked out from the stored recipe.

        Raises:
            ConflictError: the recipe exists and ``replace`` is false, or it is no longer at ``base_revision``.
            NotFoundError: ``replace`` and no recipe of that name exists.
            RecipeError: its ``plc_number`` is another recipe's, or its alignment cannot find the part
                (:func:`check_alignment` on the reference capture; one that is not there yet is a warning of the
                state, and the template upload checks the region then).
            ImageError: the alignment's reference capture does not decode.
        """
        return self._add(recipe, replace, base_revision, actor, summary, None)

    def _add(self, recipe: Recipe, replace: bool, base_revision: int | None, actor: str, summary: str | None,
             action: AuditAction | None) -> RecipeState:
        """:meth:`add`, recorded in the audit trail as ``action`` (default: create or save)."""
        exists = recipe.name in self.names()
        if replace and not exists:
            raise NotFoundError(f"no recipe named '{recipe.name}' to replace; create it first")
        if exists and not replace:
            raise ConflictError(f"a recipe named '{recipe.name}' exists already; replace it (PUT /api/v1/recipes/"
                                f"{recipe.name}, or `openinspect recipe add --replace`: its labels and models are "
                                f"kept) or choose another name")
        if recipe.alignment is not None and (reference := self._reference(recipe)) is not None:
            check_alignment(recipe.name, recipe.alignment, read_image(reference))
        with self._saving:
            if base_revision is not None:
                self._check_base(recipe.name, base_revision)
            before = self._head_number(recipe.name) if exists else None

            def record(conn: Connection, revision: Revision) -> None:  # in the revision's transaction
                self.audit.record(actor, action or (AuditAction.RECIPE_SAVE if exists else AuditAction.RECIPE_CREATE),
                                  f"recipe {recipe.name}", recipe=recipe.name, before=_revision(before),
                                  after=_revision(revision.number), detail=revision.summary, within=conn)

            self.workspace.save_recipe(recipe, actor=actor, summary=summary, recorded=record)
        self.events.changed(recipe.name)
        return self.state(recipe.name)

    def _head_number(self, name: str) -> int | None:
        """The recipe's revision now; ``None`` for a file that is not a valid recipe (a save replaces it)."""
        try:
            return self.workspace.recipe_head(name).number
        except RecipeError:
            return None

    def _check_base(self, name: str, base_revision: int) -> None:
        """Refuse a change made on another revision than the stored one.

        Raises:
            ConflictError: the recipe is at another revision; the message names it, who saved it and the fix.
        """
        head = self.workspace.recipe_head(name)
        if head.number != base_revision:
            raise ConflictError(f"recipe '{name}' is at revision {head.number} (saved by {head.actor} at "
                                f"{head.created_at:%Y-%m-%d %H:%M:%S} UTC: {head.summary}), and this change was made "
                                f"on revision {base_revision}; load revision {head.number}, make the change again "
                                f"and save it naming revision {head.number}")

    def revisions(self, name: str) -> list[Revision]:
        """Every revision of a recipe, oldest first.

        Raises:
            NotFoundError: no recipe of that name, stored now or before.
        """
        return self.workspace.recipe_revisions(name)

    def revision(self, name: str, number: int) -> Revision:
        """One revision of a recipe.

        Raises:
            NotFoundError: no such recipe or revision.
        """
        return self.workspace.recipe_revision(name, number)

    def diff(self, name: str, a: int, b: int) -> str:
        """The change from revision ``a`` to ``b`` of a recipe as a unified diff of the YAML.

        Raises:
            NotFoundError: no such recipe or revision.
        """
        return unified_diff(self.revision(name, a), self.revision(name, b))

    def revert(self, name: str, number: int, *, actor: str = SYSTEM_ACTOR) -> RecipeState:
        """Make revision ``number``'s content the recipe's next revision (a deleted recipe comes back).

        Raises:
            NotFoundError: no such recipe or revision.
            RecipeError: the revision does not validate against this version's schema, or :meth:`add` refuses it.
        """
        old = self.revision(name, number).parsed()
        return self._add(old, name in self.names(), None, actor, f"reverted to revision {number}",
                         AuditAction.RECIPE_REVERT)

    def import_archive(self, archive: Path | BinaryIO, name: str | None = None, *, max_bytes: int,
                       actor: str = SYSTEM_ACTOR) -> ArchiveSummary:
        """Add a recipe archive's recipe with its revisions, labels, masks and models (:func:`import_archive`).

        Raises:
            What :func:`~openinspect.store.archive.import_archive` raises.
        """
        summary = import_archive(self.workspace, archive, name, max_bytes=max_bytes, actor=actor)
        self.events.changed(summary.recipe)
        after = self.workspace.recipe_head(summary.recipe).number
        self.audit.record(actor, AuditAction.RECIPE_IMPORT, f"recipe {summary.recipe}", recipe=summary.recipe,
                          after=_revision(after), detail=str(summary))
        return summary

    def delete(self, name: str, *, actor: str = SYSTEM_ACTOR) -> None:
        """Remove a recipe file; its revisions, labels, images and model versions stay in the workspace.

        Raises:
            NotFoundError: unknown recipe.
        """
        before = self._head_number(name)
        shutil.rmtree(self.workspace.recipe_path(name).parent)
        self.events.changed(name)
        self.audit.record(actor, AuditAction.RECIPE_DELETE, f"recipe {name}", recipe=name, before=_revision(before),
                          detail="its revisions, labels and model versions stay in the workspace")

    def document(self, name: str) -> tuple[dict[str, Any], int]:
        """The recipe as JSON with the YAML's field names (``pass``, ``class``), as the editor edits it; its revision.

        Raises:
            NotFoundError: unknown recipe.
        """
        head = self.workspace.recipe_head(name)
        recipe = head.parsed()
        data = recipe.model_dump(mode="json", by_alias=True, exclude_none=True)
        return {"name": recipe.name, "profile": recipe.profile.value, **data}, head.number


def _revision(number: int | None) -> str | None:
    return None if number is None else f"revision {number}"


def check_alignment(recipe: str, alignment: Alignment, reference: np.ndarray) -> None:
    """The station's own check that an alignment can find the part: its aligner is built on the reference capture.

    ``openinspect recipe template``, every recipe the library saves (the API, so the editor) and a replaced
    template capture are checked here, so each refuses what the station could not align on.

    Args:
        recipe: the recipe's name, for the message.
        alignment: the alignment to check.
        reference: ``(H, W, 3)`` uint8 RGB reference capture.

    Raises:
        RecipeError: the template region does not lie inside the capture, is under 8x8 px or is too flat to find.
    """
    try:
        Aligner(reference, alignment.template.rect(), alignment.min_score, alignment.max_angle)
    except RecipeError as err:
        raise RecipeError(f"recipe '{recipe}': {err}") from None
