"""Recipes (create, read, replace, delete, validate, revisions, archive export and import), labels, evaluation."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Header, Query, Request, Response, UploadFile
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from openinspect.authoring import RecipeState
from openinspect.errors import RecipeError
from openinspect.server.deps import (
    Engineer,
    LabelsDep,
    Operator,
    RecipesDep,
    ServicesDep,
    StationDep,
    archive_upload,
    read_image_upload,
)
from openinspect.server.errors import ERROR_RESPONSES, ErrorPublic
from openinspect.server.schemas import (
    EvaluationPublic,
    LabelPublic,
    ModelPublic,
    RecipeDiffPublic,
    RecipePublic,
    RecipeValidationPublic,
    RevertCreate,
    RevisionDetailPublic,
    RevisionPublic,
    TypeStatePublic,
)
from openinspect.store.archive import export_archive
from openinspect.training.evaluate import evaluate_uploads

router = APIRouter(prefix="/recipes", tags=["recipes"], responses=ERROR_RESPONSES)

_BODY = {"requestBody": {"required": True, "content": {
    "application/yaml": {"schema": {"type": "string"}, "example": "name: nut-check\ntypes: [...]\nrois: [...]"},
    "application/json": {"schema": {"type": "object"}}}}}
"""A recipe body is YAML or JSON (the README's recipe format); documented by hand as it is read raw."""


def _public(state: RecipeState) -> RecipePublic:
    types = [TypeStatePublic(name=t.name, kind=t.kind, labels=t.labels, model=ModelPublic.of(t.model),
                             synthetic=t.synthetic) for t in state.types]
    return RecipePublic(name=state.recipe.name, profile=state.recipe.profile.value, rois=len(state.recipe.rois),
                        types=types, warnings=state.warnings, yaml=state.yaml, revision=state.revision,
                        ready=state.readiness.ready, readiness=state.readiness.label)


async def _text(request: Request) -> str:
    try:
        return (await request.body()).decode("utf-8")
    except UnicodeDecodeError as err:
        raise RecipeError(f"the recipe body is not UTF-8 text: {err}") from err


@router.get("")
def list_recipes(recipes: RecipesDep, _role: Operator) -> list[RecipePublic]:
    """Every stored recipe with its types' labels and models."""
    return [_public(recipes.state(name)) for name in recipes.names()]


@router.post("", status_code=201, openapi_extra=_BODY, responses={
    409: {"model": ErrorPublic, "description": "a recipe of that name exists: replace it with PUT /recipes/{name}"}})
async def create(request: Request, recipes: RecipesDep, caller: Engineer) -> RecipePublic:
    """Validate and store a new recipe (YAML or JSON body); 422 names each invalid field, 409 a taken name."""
    return _public(await run_in_threadpool(recipes.save, await _text(request), replace=False, actor=caller.name))


@router.post("/validate", openapi_extra=_BODY)
async def validate(request: Request, recipes: RecipesDep, _role: Operator) -> RecipeValidationPublic:
    """Check a recipe body without storing it."""
    try:
        recipe = await run_in_threadpool(recipes.validate, await _text(request))
    except RecipeError as err:
        return RecipeValidationPublic(valid=False, errors=str(err).splitlines())
    return RecipeValidationPublic(valid=True, name=recipe.name, warnings=recipe.downscale_warnings())


@router.post("/import", status_code=201, responses={
    409: {"model": ErrorPublic, "description": "a recipe of that name exists: import it under ?name=NEW"}})
async def import_recipe(recipes: RecipesDep, services: ServicesDep, caller: Engineer,
                        archive: Annotated[UploadFile, File(description="a recipe archive (zip) from "
                                                                        "GET /recipes/{name}/archive")],
                        name: Annotated[str | None, Query(description="store the recipe under this name instead "
                                                                      "of the archive's")] = None) -> RecipePublic:
    """Add an archive's recipe with its labelled images, masks and model versions, all or nothing.

    422 ``invalid_archive`` names what is wrong with the archive; 409 ``conflict`` when the name is taken; 413 over
    ``OPENINSPECT_MAX_ARCHIVE_MB`` (archives carry model versions: this route is not bound by the upload limit).
    """
    limit = services.settings.max_archive_bytes
    summary = await run_in_threadpool(recipes.import_archive, archive_upload(archive, limit), name, max_bytes=limit,
                                      actor=caller.name)
    return _public(recipes.state(summary.recipe))


@router.get("/{name}")
def read(name: str, recipes: RecipesDep, _role: Operator) -> RecipePublic:
    """One recipe with its YAML, label counts and latest models."""
    return _public(recipes.state(name))


@router.put("/{name}", openapi_extra=_BODY, responses={
    409: {"model": ErrorPublic, "description": "the recipe is no longer at the `If-Match` revision: someone saved "
                                               "a newer one (the message names it and who saved it)"}})
async def replace(name: str, request: Request, recipes: RecipesDep, caller: Engineer,
                  if_match: Annotated[str | None, Header(description="the revision the change was made on (the "
                                                                     "`revision` the recipe was read with); a newer "
                                                                     "stored revision answers 409")] = None,
                  ) -> RecipePublic:
    """Replace a recipe as its next revision; its labels and models are kept.

    A model whose classes no longer fit must be retrained. Without ``If-Match`` the save replaces whatever revision
    is stored.
    """
    return _public(await run_in_threadpool(recipes.save, await _text(request), replace=True, name=name,
                                           base_revision=_revision(if_match), actor=caller.name))


def _revision(if_match: str | None) -> int | None:
    """The revision an ``If-Match`` header names: ``3``, or as an entity tag ``"3"``."""
    if if_match is None:
        return None
    value = if_match.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise RecipeError(f"If-Match must be the revision number the change was made on, e.g. If-Match: 3; "
                          f"got {if_match!r}")
    return int(value)


@router.get("/{name}/revisions")
def revisions(name: str, recipes: RecipesDep, _role: Operator) -> list[RevisionPublic]:
    """Every revision of the recipe, newest first (a deleted recipe keeps its history)."""
    return [RevisionPublic.of(r) for r in reversed(recipes.revisions(name))]


@router.get("/{name}/revisions/{revision}")
def revision(name: str, revision: int, recipes: RecipesDep, _role: Operator) -> RevisionDetailPublic:
    """One revision of the recipe with its YAML."""
    found = recipes.revision(name, revision)
    return RevisionDetailPublic(**RevisionPublic.of(found).model_dump(), yaml=found.yaml)


@router.get("/{name}/diff")
def diff(name: str, recipes: RecipesDep, _role: Operator, a: Annotated[int, Query(description="from revision")],
         b: Annotated[int, Query(description="to revision")]) -> RecipeDiffPublic:
    """The change from revision ``a`` to ``b`` as a unified diff of the recipe's YAML."""
    return RecipeDiffPublic(a=a, b=b, diff=recipes.diff(name, a, b))


@router.post("/{name}/revert")
def revert(name: str, body: RevertCreate, recipes: RecipesDep, caller: Engineer) -> RecipePublic:
    """Make a revision's content the recipe's next revision (a deleted recipe comes back)."""
    return _public(recipes.revert(name, body.revision, actor=caller.name))


@router.get("/{name}/archive", response_class=FileResponse, responses={
    200: {"content": {"application/zip": {}}, "description": "the recipe archive, `<name>.zip`"}})
def export_recipe(name: str, recipes: RecipesDep, _role: Engineer) -> FileResponse:
    """The recipe with every image labelled for it, its labels, masks and model versions as one zip."""
    folder = Path(tempfile.mkdtemp(prefix="openinspect-export-"))
    try:
        path = folder / f"{recipes.workspace.recipe(name).name}.zip"
        export_archive(recipes.workspace, name, path)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(path, media_type="application/zip", filename=path.name,
                        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True))


@router.delete("/{name}", status_code=204)
def delete(name: str, recipes: RecipesDep, caller: Engineer) -> Response:
    """Remove a recipe; its revisions, labelled images and model versions stay in the workspace."""
    recipes.delete(name, actor=caller.name)
    return Response(status_code=204)


@router.get("/{name}/document")
def document(name: str, recipes: RecipesDep, _role: Operator, response: Response) -> dict[str, Any]:
    """The recipe as a JSON document with the YAML's field names; PUT it to /recipes/{name} to change it.

    The ``ETag`` header is its revision: send it back as ``If-Match`` so a newer save is not overwritten.
    """
    doc, revision = recipes.document(name)
    response.headers["ETag"] = f'"{revision}"'
    return doc


@router.post("/{name}/labels", status_code=201)
async def label(name: str, labels: LabelsDep, services: ServicesDep, caller: Engineer,
                image: Annotated[UploadFile, File(description="a capture")],
                type: Annotated[str, Form(description="a classifier type of the recipe")],
                class_name: Annotated[str | None, Form(alias="class", description="labels every ROI of the type")
                                      ] = None,
                rois: Annotated[str | None, Form(description='JSON class per ROI: {"nut-left": "loose"}')] = None,
                ) -> LabelPublic:
    """Add a capture to the image library and label ROIs of a type in it (``class`` or ``rois``)."""
    data = await read_image_upload(image, services.upload_limit)
    report = await run_in_threadpool(labels.label, name, type, data, image.filename or "upload",
                                     _labels(class_name, rois), actor=caller.name)
    return LabelPublic(image=report.image, added=report.added, labels=report.labels)


def _labels(class_name: str | None, rois: str | None) -> dict[str, str]:
    if (class_name is None) == (rois is None):
        raise RecipeError("give either 'class' (labels every ROI of the type) or 'rois' (JSON class per ROI)")
    if class_name is not None:
        return {"*": class_name}
    try:
        labels = json.loads(rois or "")
    except json.JSONDecodeError as err:
        raise RecipeError(f"'rois' is not JSON: {err}") from err
    if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
        raise RecipeError('\'rois\' must map ROI names to class names: {"nut-left": "loose"}')
    return labels


@router.post("/{name}/eval")
async def evaluate(name: str, station: StationDep, services: ServicesDep, _role: Operator,
                   type: Annotated[str, Form(description="a classifier type of the recipe")],
                   images: Annotated[list[UploadFile], File(description="labelled captures")],
                   classes: Annotated[list[str], Form(description="the class of each image, in order")],
                   ) -> EvaluationPublic:
    """Evaluate the type's latest model on labelled captures it has not seen (``openinspect eval``)."""
    if len(images) != len(classes):
        raise RecipeError(f"{len(images)} image(s) but {len(classes)} class(es): give one class per image")
    captures = [(c, await read_image_upload(i, services.upload_limit)) for c, i in zip(classes, images, strict=True)]
    metrics = await run_in_threadpool(lambda: evaluate_uploads(station.inspector(name), type, captures))
    return EvaluationPublic.model_validate(metrics)
