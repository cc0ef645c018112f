"""Setting up a recipe by hand: its JSON document, template capture, captures, labels and masks.

What the web UI's recipe editor and labelling pages need beyond the core API; plain public routes
under ``/api/v1`` with the same tokens, roles and error format as every other route.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from openinspect.dataset import RoiPlace
from openinspect.server.deps import (
    UPLOAD_SETTING,
    Engineer,
    Operator,
    ServicesDep,
    StationDep,
    read_image_upload,
    too_large,
)
from openinspect.server.errors import ERROR_RESPONSES, ErrorPublic
from openinspect.station.predictions import CropPredictor, Prediction
from openinspect.station.workbench import Sample, TemplateInfo, Workbench
from openinspect.store import StoredImage

router = APIRouter(tags=["workbench"], responses=ERROR_RESPONSES)


async def _workbench(request: Request, services: ServicesDep) -> Workbench:
    """One workbench per app (it serialises writes of the captures list and keeps the prediction cache)."""
    workbench: Workbench | None = getattr(request.app.state, "workbench", None)
    if workbench is None:
        workspace = services.library.workspace
        workbench = Workbench(workspace, CropPredictor(workspace, services.settings.threads))
        request.app.state.workbench = workbench
    return workbench


WorkbenchDep = Annotated[Workbench, Depends(_workbench)]


class ImagePublic(BaseModel):
    """An image of the library."""

    image: str = Field(description="content hash (sha256); GET /api/v1/images/{image} gives the file")
    name: str = Field(description="the file's original name")
    width: int
    height: int

    @classmethod
    def of(cls, stored: StoredImage) -> ImagePublic:
        """From a stored image."""
        return cls(image=stored.sha256, name=stored.original_name, width=stored.width, height=stored.height)


class PredictionPublic(BaseModel):
    """The latest model's class for one ROI crop."""

    model_config = ConfigDict(populate_by_name=True)

    class_name: str = Field(alias="class")
    confidence: float = Field(description="the class's probability, 0 to 1")

    @classmethod
    def of(cls, prediction: Prediction) -> PredictionPublic:
        """From a prediction."""
        return cls.model_validate({"class": prediction.class_name, "confidence": round(prediction.confidence, 4)})


class RoiPlacePublic(BaseModel):
    """Where a ROI's crop is cut from a capture, as training and the station cut it.

    The crop is the ``w`` x ``h`` rectangle at ``x``, ``y``, turned by ``angle`` about its centre and shown upright.
    """

    x: int
    y: int
    w: int
    h: int
    angle: float = Field(description="degrees the crop is turned, counter-clockwise as the capture is displayed: the "
                                     "part's rotation where the recipe aligns, else 0")

    @classmethod
    def of(cls, place: RoiPlace) -> RoiPlacePublic:
        """From a placement."""
        rect = place.rect
        return cls(x=rect.x, y=rect.y, w=rect.w, h=rect.h, angle=round(place.angle, 3))


class SamplePublic(ImagePublic):
    """A capture of a recipe with its labels for one inspection type."""

    labels: dict[str, str] = Field(description="class per ROI (classifier types)")
    masked: bool = Field(description="a mask is stored (segmenter types)")
    predictions: dict[str, PredictionPublic] | None = Field(
        default=None, description="with predict=true: the latest model's class per ROI (empty for a capture the "
                                  "ROIs do not fit or where alignment does not find the part)")
    rois: dict[str, RoiPlacePublic] = Field(
        description="where each ROI of the type is cut on this capture: as drawn, or moved and turned with the part "
                    "where the recipe aligns; empty where the part is not found")
    alignment: dict[str, Any] | None = Field(
        default=None, description="recipes that align: where the part was found (found, score, dx, dy, angle); "
                                  "found false: the part is not there, and training skips the capture")

    @classmethod
    def of_sample(cls, sample: Sample) -> SamplePublic:
        """From a sample."""
        predictions = None if sample.predictions is None else \
            {roi: PredictionPublic.of(p) for roi, p in sample.predictions.items()}
        pose = sample.placement.pose
        return cls(**ImagePublic.of(sample.image).model_dump(), labels=sample.labels, masked=sample.masked,
                   predictions=predictions,
                   rois={name: RoiPlacePublic.of(place) for name, place in sample.placement.rois.items()},
                   alignment=None if pose is None else pose.to_json())


class TemplatePublic(BaseModel):
    """The recipe's template capture."""

    reference: str = Field(description="its file name in the recipe's folder: the `alignment.reference` of a "
                                       "recipe that aligns on it")
    width: int
    height: int

    @classmethod
    def of(cls, info: TemplateInfo) -> TemplatePublic:
        """From the workbench's template info."""
        return cls(reference=info.reference, width=info.width, height=info.height)


class LabelsUpdate(BaseModel):
    """Classes for ROIs of one image."""

    labels: dict[str, str] = Field(description='class per ROI: {"nut-left": "loose"}')


class LabelsPublic(BaseModel):
    """Every label of one image for one type."""

    image: str
    labels: dict[str, str]


class MaskPublic(BaseModel):
    """What a stored mask holds."""

    image: str
    labelled_px: int = Field(description="pixels with a pixel class; 0: marked good (no defect)")


@router.get("/recipes/{name}/document")
def document(name: str, workbench: WorkbenchDep, _role: Operator) -> dict[str, Any]:
    """The recipe as a JSON document with the YAML's field names; PUT it to /recipes/{name} to change it."""
    return workbench.document(name)


@router.get("/recipes/{name}/template", response_class=FileResponse)
def template(name: str, workbench: WorkbenchDep, _role: Operator) -> FileResponse:
    """The capture the recipe's ROIs are drawn on (404 until one is uploaded)."""
    return FileResponse(workbench.template(name), headers={"Cache-Control": "no-cache"})


@router.get("/recipes/{name}/template/info")
def template_info(name: str, workbench: WorkbenchDep, _role: Operator) -> TemplatePublic:
    """The template capture's file name (what an alignment on it names as ``reference``) and size."""
    return TemplatePublic.of(workbench.template_info(name))


@router.put("/recipes/{name}/template")
async def set_template(name: str, workbench: WorkbenchDep, services: ServicesDep, station: StationDep,
                       _role: Engineer, image: Annotated[UploadFile, File(description="a capture of the part")],
                       ) -> TemplatePublic:
    """Upload the capture the ROIs are drawn on (kept as ``reference.<ext>`` in the recipe's folder).

    A recipe that aligns on its template keeps its alignment region, now on the new capture: 422 ``invalid_recipe``
    when the region does not lie inside it or is too flat to find there (nothing is changed then).
    """
    data = await read_image_upload(image, services.upload_limit)
    info = workbench.set_template(name, data, image.filename or "template")
    station.reload(name)  # the template may be the recipe's alignment reference
    return TemplatePublic.of(info)


@router.post("/recipes/{name}/captures", status_code=201)
async def add_captures(name: str, workbench: WorkbenchDep, services: ServicesDep, _role: Engineer,
                       images: Annotated[list[UploadFile], File(description="captures to label")],
                       ) -> list[ImagePublic]:
    """Add captures to the recipe for labelling (stored once by content)."""
    files = [(i.filename or "capture", await read_image_upload(i, services.upload_limit)) for i in images]
    return [ImagePublic.of(s) for s in workbench.add_captures(name, files)]


@router.get("/recipes/{name}/types/{type_name}/samples", response_model_exclude_none=True,
            responses={409: {"model": ErrorPublic, "description": "predict=true and the type has no model trained "
                                                                   "for its classes"}})
def samples(name: str, type_name: str, workbench: WorkbenchDep, _role: Operator,
            predict: Annotated[bool, Query(description="add the latest model's class per ROI (classifier types; "
                                                       "cached per model version and image)")] = False,
            ) -> list[SamplePublic]:
    """The recipe's captures and every image labelled for the type, oldest first, with their labels.

    Each carries where the type's ROIs are cut on it (``rois``): on a recipe that aligns, moved and turned with
    the part as training and the station cut them (poses are cached per image and alignment).
    """
    return [SamplePublic.of_sample(s) for s in workbench.samples(name, type_name, predict=predict)]


@router.put("/recipes/{name}/types/{type_name}/samples/{image}/labels")
def set_labels(name: str, type_name: str, image: str, body: LabelsUpdate, workbench: WorkbenchDep,
               _role: Engineer) -> LabelsPublic:
    """Label ROIs of a classifier type on a library image; other ROIs keep their labels."""
    return LabelsPublic(image=image, labels=workbench.set_labels(name, type_name, image, body.labels))


@router.get("/recipes/{name}/types/{type_name}/samples/{image}/mask", response_class=Response,
            responses={200: {"content": {"image/png": {}}}})
def mask(name: str, type_name: str, image: str, workbench: WorkbenchDep, _role: Operator) -> Response:
    """The image's mask as an RGB PNG in the pixel-class colours on black (404 before one is painted)."""
    return Response(workbench.mask_png(name, type_name, image), media_type="image/png",
                    headers={"Cache-Control": "no-store"})


@router.put("/recipes/{name}/types/{type_name}/samples/{image}/mask",
            openapi_extra={"requestBody": {"required": True, "content": {"image/png": {}}}})
async def set_mask(name: str, type_name: str, image: str, request: Request, workbench: WorkbenchDep,
                   services: ServicesDep, _role: Engineer) -> MaskPublic:
    """Store a painted mask: a PNG of the image's size, pixel-class colours on black (all black: no defect)."""
    data = await request.body()
    if len(data) > services.upload_limit:
        raise too_large("mask", services.upload_limit, UPLOAD_SETTING)
    return MaskPublic(image=image, labelled_px=workbench.set_mask(name, type_name, image, data))


@router.get("/images/{image}", response_class=FileResponse)
def library_image(image: str, workbench: WorkbenchDep, _role: Operator) -> FileResponse:
    """An image of the library by its content hash (immutable: cached for a year)."""
    stored = workbench.image(image)
    return FileResponse(stored.path, headers={"Cache-Control": "private, max-age=31536000, immutable"})
