"""Captures to label, and their labels: classes per ROI crop, masks per segmenter capture."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import FileResponse, Response

from openinspect.server.deps import (
    UPLOAD_SETTING,
    CapturesDep,
    Engineer,
    LabelsDep,
    Operator,
    ServicesDep,
    read_image_upload,
    too_large,
)
from openinspect.server.errors import ERROR_RESPONSES, ErrorPublic
from openinspect.server.schemas import ImagePublic, LabelsPublic, LabelsUpdate, MaskPublic, SamplePublic

router = APIRouter(tags=["authoring"], responses=ERROR_RESPONSES)


@router.post("/recipes/{name}/captures", status_code=201)
async def add_captures(name: str, captures: CapturesDep, services: ServicesDep, _role: Engineer,
                       images: Annotated[list[UploadFile], File(description="captures to label")],
                       ) -> list[ImagePublic]:
    """Add captures to the recipe for labelling (stored once by content)."""
    files = [(i.filename or "capture", await read_image_upload(i, services.upload_limit)) for i in images]
    return [ImagePublic.of(s) for s in captures.add(name, files)]


@router.get("/recipes/{name}/types/{type_name}/samples", response_model_exclude_none=True,
            responses={409: {"model": ErrorPublic, "description": "predict=true and the type has no model trained "
                                                                   "for its classes"}})
def samples(name: str, type_name: str, labels: LabelsDep, _role: Operator,
            predict: Annotated[bool, Query(description="add the latest model's class per ROI (classifier types; "
                                                       "cached per model version and image)")] = False,
            ) -> list[SamplePublic]:
    """The recipe's captures and every image labelled for the type, oldest first, with their labels.

    Each carries where the type's ROIs are cut on it (``rois``): on a recipe that aligns, moved and turned with
    the part as training and the station cut them (poses are cached per image and alignment).
    """
    return [SamplePublic.of_sample(s) for s in labels.samples(name, type_name, predict=predict)]


@router.put("/recipes/{name}/types/{type_name}/samples/{image}/labels")
def set_labels(name: str, type_name: str, image: str, body: LabelsUpdate, labels: LabelsDep,
               caller: Engineer) -> LabelsPublic:
    """Label ROIs of a classifier type on a library image; other ROIs keep their labels."""
    return LabelsPublic(image=image, labels=labels.set_labels(name, type_name, image, body.labels, actor=caller.name))


@router.get("/recipes/{name}/types/{type_name}/samples/{image}/mask", response_class=Response,
            responses={200: {"content": {"image/png": {}}}})
def mask(name: str, type_name: str, image: str, labels: LabelsDep, _role: Operator) -> Response:
    """The image's mask as an RGB PNG in the pixel-class colours on black (404 before one is painted)."""
    return Response(labels.mask_png(name, type_name, image), media_type="image/png",
                    headers={"Cache-Control": "no-store"})


@router.put("/recipes/{name}/types/{type_name}/samples/{image}/mask",
            openapi_extra={"requestBody": {"required": True, "content": {"image/png": {}}}})
async def set_mask(name: str, type_name: str, image: str, request: Request, labels: LabelsDep,
                   services: ServicesDep, caller: Engineer) -> MaskPublic:
    """Store a painted mask: a PNG of the image's size, pixel-class colours on black (all black: no defect)."""
    data = await request.body()
    if len(data) > services.upload_limit:
        raise too_large("mask", services.upload_limit, UPLOAD_SETTING)
    return MaskPublic(image=image, labelled_px=labels.set_mask(name, type_name, image, data, actor=caller.name))


@router.get("/images/{image}", response_class=FileResponse)
def library_image(image: str, captures: CapturesDep, _role: Operator) -> FileResponse:
    """An image of the library by its content hash (immutable: cached for a year)."""
    stored = captures.image(image)
    return FileResponse(stored.path, headers={"Cache-Control": "private, max-age=31536000, immutable"})
