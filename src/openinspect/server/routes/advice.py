"""The application assistant: which inspection type, which ROIs and how many images, from a described application."""

from __future__ import annotations

from fastapi import APIRouter

from openinspect.errors import OpenInspectError
from openinspect.server.deps import Operator
from openinspect.server.errors import ERROR_RESPONSES
from openinspect.server.schemas import AdviceCreate, AdvicePublic

router = APIRouter(tags=["authoring"], responses=ERROR_RESPONSES)


@router.post("/advice")
def advice(body: AdviceCreate, _role: Operator) -> AdvicePublic:
    """Advice for a described application (400 ``invalid_request``: empty, no inspection in it, or unusable sizes).

    It changes nothing, so any signed-in role may ask. The assistant is imported here, on the first request, so the
    station's start-up never loads it.
    """
    from openinspect.advice import Sizes, advise  # only when advice is asked for

    if (body.image_width is None) != (body.image_height is None):
        raise OpenInspectError("give both image_width and image_height, or neither")
    image = (body.image_width, body.image_height) if body.image_width and body.image_height else None
    sizes = Sizes(image=image, roi=tuple(body.roi) if body.roi is not None else None, defect_px=body.defect_size_px,
                  defect_mm=body.defect_size_mm, mm_per_px=body.mm_per_px)
    return AdvicePublic.model_validate(advise(body.description, sizes).to_json())
