"""Querying and exporting stored results, their archived captures, and adding a capture to the training set."""

from __future__ import annotations

import mimetypes
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from openinspect.errors import NotFoundError
from openinspect.server.deps import Engineer, Operator, ResultsDep, StationDep
from openinspect.server.errors import ERROR_RESPONSES, ApiError, ErrorPublic, ErrorType
from openinspect.server.routes_workbench import WorkbenchDep
from openinspect.server.schemas import InspectionPublic, ResultPagePublic
from openinspect.station.workbench import Correction, TrainingAddition
from openinspect.store.results import Outcome, ResultFilter

router = APIRouter(prefix="/results", tags=["results"], responses=ERROR_RESPONSES)


def _filter(since: Annotated[datetime | None, Query(description="at or after (ISO 8601; no zone: UTC)")] = None,
            until: Annotated[datetime | None, Query(description="before (ISO 8601; no zone: UTC)")] = None,
            recipe: str | None = None,
            verdict: Annotated[Outcome | None, Query(description="pass, fail, error (not judged) or skipped")] = None,
            roi: Annotated[str | None, Query(description="records with a result for this ROI")] = None,
            class_name: Annotated[str | None, Query(alias="class", description="a ROI judged as this class")] = None,
            ) -> ResultFilter:
    return ResultFilter(since, until, recipe, verdict, roi, class_name)


Filter = Annotated[ResultFilter, Depends(_filter)]


class CorrectionCreate(BaseModel):
    """What to learn from one ROI of a result."""

    model_config = ConfigDict(populate_by_name=True)

    roi: str
    type: str = Field(description="the ROI's inspection type, as the result names it")
    class_name: str | None = Field(default=None, alias="class", description="classifier ROIs: the correct class")
    mask: Literal["background"] | None = Field(
        default=None, description='segmenter ROIs: "background" stores an all-background mask of the capture (no '
                                  "defect, for every ROI of the type); leave it out to add the capture for painting "
                                  "on the Label page")

    def correction(self) -> Correction:
        """As the workbench takes it."""
        return Correction(self.roi, self.type, self.class_name, self.mask == "background")


class ResultLabelsCreate(BaseModel):
    """Corrected labels for ROIs of a result."""

    labels: list[CorrectionCreate] = Field(description='e.g. [{"roi": "nut-left", "type": "nut", "class": "loose"}]')


class TrainingAdditionPublic(BaseModel):
    """What adding a result's capture to the training set did."""

    recipe: str
    image: str = Field(description="the capture's content hash in the image library (GET /api/v1/images/{image})")
    added: bool = Field(description="false: the capture was in the library already; nothing was copied")
    labels: dict[str, str] = Field(description="class per classifier ROI, as set now")
    marked_good: list[str] = Field(description="segmenter types given an all-background mask")
    to_paint: list[str] = Field(description="segmenter types whose mask is left to paint on the Label page")

    @classmethod
    def of(cls, recipe: str, addition: TrainingAddition) -> TrainingAdditionPublic:
        """From the workbench's report."""
        return cls(recipe=recipe, image=addition.image.sha256, added=addition.added, labels=addition.labels,
                   marked_good=addition.marked_good, to_paint=addition.to_paint)


@router.get("", response_model_exclude_none=True)
def query(results: ResultsDep, where: Filter, _role: Operator,
          limit: Annotated[int, Query(ge=1, le=1000)] = 50,
          offset: Annotated[int, Query(ge=0)] = 0) -> ResultPagePublic:
    """Stored records, newest first, filtered and paged."""
    page = results.query(where, limit, offset)
    return ResultPagePublic(total=page.total, limit=limit, offset=offset,
                            items=[InspectionPublic.model_validate(r) for r in page.items])


@router.get(".csv", response_class=StreamingResponse, responses={200: {"content": {"text/csv": {}}}})
def export_csv(results: ResultsDep, where: Filter, _role: Operator) -> StreamingResponse:
    """The matching records as CSV, oldest first: id, time, recipe, image, outcome, cycle_ms, rois, error."""
    return StreamingResponse(results.export_csv(where), media_type="text/csv",
                             headers={"Content-Disposition": 'attachment; filename="results.csv"'})


@router.get("/{result_id}", response_model_exclude_none=True)
def one(result_id: str, results: ResultsDep, _role: Operator) -> InspectionPublic:
    """One stored record."""
    return InspectionPublic.model_validate(results.get(result_id))


@router.get("/{result_id}/image", response_class=Response, responses={200: {"content": {"image/*": {}}}})
def capture(result_id: str, station: StationDep, _role: Operator) -> Response:
    """The record's capture: archived, or one of the latest the station holds in memory (404 when neither)."""
    data, suffix = station.capture(result_id)
    return Response(data, media_type=mimetypes.guess_type(f"capture{suffix}")[0] or "application/octet-stream")


@router.post("/{result_id}/labels",
             responses={410: {"model": ErrorPublic, "description": "the record's capture is neither archived nor among "
                                                                   "the latest the station holds"}})
def add_to_training(result_id: str, body: ResultLabelsCreate, results: ResultsDep, station: StationDep,
                    workbench: WorkbenchDep, _role: Engineer) -> TrainingAdditionPublic:
    """Add the record's capture to its recipe's captures (once by content) with corrected labels.

    The capture is found as ``GET /results/{id}/image`` finds it: archived, or one of the latest the station holds
    in memory. Classifier ROIs get the given class; a segmenter ROI gets an all-background mask
    (``"mask": "background"``) or is left to paint on the Label page. 410 when the capture is in neither.
    """
    record = results.get(result_id)
    try:
        data, suffix = station.capture(result_id)
    except NotFoundError:
        raise ApiError(410, ErrorType.NOT_FOUND,
                       f"the capture of result '{result_id}' was not archived (retention keeps every failing capture "
                       f"and a sample of passing ones, within a disk budget) and is no longer among the latest the "
                       f"station holds, so it cannot be added to the training set; add a capture of the part on the "
                       f"Label page instead") from None
    recipe = record.get("recipe") or ""
    name = f"{Path(record.get('image') or '').stem or 'result'}{suffix}"
    return TrainingAdditionPublic.of(recipe, workbench.add_to_training(recipe, data, name,
                                                                       [c.correction() for c in body.labels]))
