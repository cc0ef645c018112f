"""Recipes (create, read, replace, delete, validate), labelled uploads and evaluation."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, Response, UploadFile

from openinspect.errors import RecipeError
from openinspect.server.deps import Engineer, LibraryDep, Operator, ServicesDep, StationDep, read_image_upload
from openinspect.server.errors import ERROR_RESPONSES
from openinspect.server.schemas import (
    EvaluationPublic,
    LabelPublic,
    ModelPublic,
    RecipePublic,
    RecipeValidationPublic,
    TypeStatePublic,
)
from openinspect.station.library import RecipeState

router = APIRouter(prefix="/recipes", tags=["recipes"], responses=ERROR_RESPONSES)

_BODY = {"requestBody": {"required": True, "content": {
    "application/yaml": {"schema": {"type": "string"}, "example": "name: nut-check\ntypes: [...]\nrois: [...]"},
    "application/json": {"schema": {"type": "object"}}}}}
"""A recipe body is YAML or JSON (the README's recipe format); documented by hand as it is read raw."""


def _public(state: RecipeState) -> RecipePublic:
    types = [TypeStatePublic(name=t.name, kind=t.kind, labels=t.labels, model=ModelPublic.of(t.model))
             for t in state.types]
    return RecipePublic(name=state.recipe.name, profile=state.recipe.profile.value, rois=len(state.recipe.rois),
                        types=types, warnings=state.warnings, yaml=state.yaml)


async def _text(request: Request) -> str:
    try:
        return (await request.body()).decode("utf-8")
    except UnicodeDecodeError as err:
        raise RecipeError(f"the recipe body is not UTF-8 text: {err}") from err


@router.get("")
def list_recipes(library: LibraryDep, _role: Operator) -> list[RecipePublic]:
    """Every stored recipe with its types' labels and models."""
    return [_public(library.state(name)) for name in library.names()]


@router.post("", status_code=201, openapi_extra=_BODY)
async def create(request: Request, library: LibraryDep, _role: Engineer) -> RecipePublic:
    """Validate and store a new recipe (YAML or JSON body); 422 names each invalid field."""
    return _public(library.save(await _text(request), replace=False))


@router.post("/validate", openapi_extra=_BODY)
async def validate(request: Request, library: LibraryDep, _role: Operator) -> RecipeValidationPublic:
    """Check a recipe body without storing it."""
    try:
        recipe = library.validate(await _text(request))
    except RecipeError as err:
        return RecipeValidationPublic(valid=False, errors=str(err).splitlines())
    return RecipeValidationPublic(valid=True, name=recipe.name, warnings=recipe.downscale_warnings())


@router.get("/{name}")
def read(name: str, library: LibraryDep, _role: Operator) -> RecipePublic:
    """One recipe with its YAML, label counts and latest models."""
    return _public(library.state(name))


@router.put("/{name}", openapi_extra=_BODY)
async def replace(name: str, request: Request, library: LibraryDep, station: StationDep,
                  _role: Engineer) -> RecipePublic:
    """Replace a recipe; its labels and models are kept (a model whose classes no longer fit must be retrained)."""
    state = library.save(await _text(request), replace=True, name=name)
    station.reload(name)
    return _public(state)


@router.delete("/{name}", status_code=204)
def delete(name: str, library: LibraryDep, station: StationDep, _role: Engineer) -> Response:
    """Remove a recipe; its labelled images and model versions stay in the workspace."""
    library.delete(name)
    station.reload(name)
    return Response(status_code=204)


@router.post("/{name}/labels", status_code=201)
async def label(name: str, library: LibraryDep, services: ServicesDep, _role: Engineer,
                image: Annotated[UploadFile, File(description="a capture")],
                type: Annotated[str, Form(description="a classifier type of the recipe")],
                class_name: Annotated[str | None, Form(alias="class", description="labels every ROI of the type")
                                      ] = None,
                rois: Annotated[str | None, Form(description='JSON class per ROI: {"nut-left": "loose"}')] = None,
                ) -> LabelPublic:
    """Add a capture to the image library and label ROIs of a type in it (``class`` or ``rois``)."""
    data = await read_image_upload(image, services.upload_limit)
    report = library.label(name, type, data, image.filename or "upload", _labels(class_name, rois))
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
async def evaluate(name: str, library: LibraryDep, services: ServicesDep, _role: Operator,
                   type: Annotated[str, Form(description="a classifier type of the recipe")],
                   images: Annotated[list[UploadFile], File(description="labelled captures")],
                   classes: Annotated[list[str], Form(description="the class of each image, in order")],
                   ) -> EvaluationPublic:
    """Evaluate the type's latest model on labelled captures it has not seen (``openinspect eval``)."""
    if len(images) != len(classes):
        raise RecipeError(f"{len(images)} image(s) but {len(classes)} class(es): give one class per image")
    captures = [(c, await read_image_upload(i, services.upload_limit)) for c, i in zip(classes, images, strict=True)]
    return EvaluationPublic.model_validate(library.evaluate(name, type, captures))
