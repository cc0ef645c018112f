"""A recipe's template: the capture its ROIs are drawn on (and an aligning recipe's reference)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import FileResponse

from openinspect.server.deps import Engineer, Operator, ServicesDep, TemplatesDep, read_image_upload
from openinspect.server.errors import ERROR_RESPONSES
from openinspect.server.schemas import TemplatePublic

router = APIRouter(tags=["authoring"], responses=ERROR_RESPONSES)


@router.get("/recipes/{name}/template", response_class=FileResponse)
def template(name: str, templates: TemplatesDep, _role: Operator) -> FileResponse:
    """The capture the recipe's ROIs are drawn on (404 until one is uploaded)."""
    return FileResponse(templates.template(name), headers={"Cache-Control": "no-cache"})


@router.get("/recipes/{name}/template/info")
def template_info(name: str, templates: TemplatesDep, _role: Operator) -> TemplatePublic:
    """The template capture's file name (what an alignment on it names as ``reference``) and size."""
    return TemplatePublic.of(templates.info(name))


@router.put("/recipes/{name}/template")
async def set_template(name: str, templates: TemplatesDep, services: ServicesDep,
                       caller: Engineer, image: Annotated[UploadFile, File(description="a capture of the part")],
                       ) -> TemplatePublic:
    """Upload the capture the ROIs are drawn on (kept as ``reference.<ext>`` in the recipe's folder).

    A recipe that aligns on its template keeps its alignment region, now on the new capture: 422 ``invalid_recipe``
    when the region does not lie inside it or is too flat to find there (nothing is changed then).
    """
    data = await read_image_upload(image, services.upload_limit)
    info = templates.set_template(name, data, image.filename or "template", actor=caller.name)
    return TemplatePublic.of(info)
