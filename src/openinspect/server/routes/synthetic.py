"""The Defect Creator: read a defect description, preview synthetic images, add them to a type's data set."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from openinspect.authoring.synthetic import SyntheticService, SynthRequest
from openinspect.server.deps import Engineer, SyntheticDep
from openinspect.server.errors import ERROR_RESPONSES
from openinspect.server.schemas import (
    ImagePublic,
    SynthAccept,
    SynthAddedPublic,
    SynthCreate,
    SynthParse,
    SynthPreviewPublic,
    SynthSpecPublic,
)

router = APIRouter(tags=["defect creator"], responses=ERROR_RESPONSES)


@router.post("/recipes/{name}/synthetic/parse")
def parse(name: str, body: SynthParse, synthetic: SyntheticDep, _role: Engineer) -> SynthSpecPublic:
    """The specification understood from a description, and every word it ignored.

    Sizes in mm use the recipe's calibration; 400 naming the problem when it cannot be made (no defect kind, count
    or size out of range).
    """
    return SynthSpecPublic.of(synthetic.parse(name, body.description))


@router.get("/recipes/{name}/types/{type_name}/synthetic/hosts")
def hosts(name: str, type_name: str, synthetic: SyntheticDep, _role: Engineer,
          rois: Annotated[list[str] | None, Query(description="the ROIs the defects go in; default: all the "
                                                                 "type's")] = None) -> list[ImagePublic]:
    """The captures a batch is painted on by default.

    Those labelled with a pass class on every chosen ROI of the type (segmenter types: a mask without defects);
    never synthetic images.
    """
    return [ImagePublic.of(image) for image in synthetic.default_hosts(name, type_name, tuple(rois or ()))]


@router.post("/recipes/{name}/types/{type_name}/synthetic/preview")
def preview(name: str, type_name: str, body: SynthCreate, synthetic: SyntheticDep,
            _role: Engineer) -> SynthPreviewPublic:
    """Make a batch and return it as images with their defects outlined; nothing is stored.

    The same request always makes the same images (image i with seed + i): accept it with POST .../synthetic.
    """
    return SynthPreviewPublic.of(synthetic.make(_request(name, type_name, body, synthetic)))


@router.post("/recipes/{name}/types/{type_name}/synthetic", status_code=201)
def accept(name: str, type_name: str, body: SynthAccept, synthetic: SyntheticDep,
           caller: Engineer) -> SynthAddedPublic:
    """Make the batch of the same request again and add all of it, or the images ``pick`` names, to the data set.

    All or nothing: every image is made before any is stored; each is labelled (classifier: the fail class;
    segmenter: the defect's pixels as the pixel class; anomaly type: anomalous), flagged synthetic with its
    description and seed (never validation data), and the batch is audited.
    """
    report = synthetic.add(_request(name, type_name, body, synthetic), pick=body.pick, actor=caller.name)
    return SynthAddedPublic.of(report)


def _request(name: str, type_name: str, body: SynthCreate, synthetic: SyntheticService) -> SynthRequest:
    return SynthRequest(name, type_name, body.description, tuple(body.rois),
                        tuple(synthetic.host(sha) for sha in body.hosts), body.count, body.seed, body.class_name,
                        body.match)
