"""Querying and exporting stored results, their archived captures, and adding a capture to the training set."""

from __future__ import annotations

import mimetypes
from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response, StreamingResponse

from openinspect.errors import NotFoundError
from openinspect.server.deps import CorrectionsDep, Engineer, Operator, ResultsDep, StationDep
from openinspect.server.errors import ERROR_RESPONSES, ApiError, ErrorPublic, ErrorType
from openinspect.server.schemas import InspectionPublic, ResultLabelsCreate, ResultPagePublic, TrainingAdditionPublic
from openinspect.store.records import Outcome
from openinspect.store.results import ResultFilter

router = APIRouter(prefix="/results", tags=["results"], responses=ERROR_RESPONSES)


def _filter(since: Annotated[datetime | None, Query(description="at or after (ISO 8601; no zone: UTC)")] = None,
            until: Annotated[datetime | None, Query(description="before (ISO 8601; no zone: UTC)")] = None,
            recipe: str | None = None,
            verdict: Annotated[Outcome | None, Query(description="pass, fail, error (not judged) or skipped")] = None,
            roi: Annotated[str | None, Query(description="records with a result for this ROI")] = None,
            class_name: Annotated[str | None, Query(alias="class", description="a ROI judged as this class")] = None,
            model_version: Annotated[int | None, Query(ge=1, description="judged by this model version of any "
                                                                         "inspection type")] = None,
            ) -> ResultFilter:
    return ResultFilter(since, until, recipe, verdict, roi, class_name, model_version)


Filter = Annotated[ResultFilter, Depends(_filter)]


@router.get("", response_model_exclude_none=True)
def query(results: ResultsDep, where: Filter, _role: Operator,
          limit: Annotated[int, Query(ge=1, le=1000)] = 50,
          offset: Annotated[int, Query(ge=0)] = 0) -> ResultPagePublic:
    """Stored records, newest first, filtered and paged."""
    page = results.query(where, limit, offset)
    return ResultPagePublic(total=page.total, limit=limit, offset=offset,
                            items=[InspectionPublic.model_validate(r.to_json()) for r in page.items])


@router.get(".csv", response_class=StreamingResponse, responses={200: {"content": {"text/csv": {}}}})
def export_csv(results: ResultsDep, where: Filter, _role: Operator) -> StreamingResponse:
    """The matching records as CSV, oldest first: id, time, recipe, image, outcome, cycle_ms, rois, error, models."""
    return StreamingResponse(results.export_csv(where), media_type="text/csv",
                             headers={"Content-Disposition": 'attachment; filename="results.csv"'})


@router.get("/{result_id}", response_model_exclude_none=True)
def one(result_id: str, results: ResultsDep, _role: Operator) -> InspectionPublic:
    """One stored record."""
    return InspectionPublic.model_validate(results.get(result_id).to_json())


@router.get("/{result_id}/image", response_class=Response, responses={200: {"content": {"image/*": {}}}})
def capture(result_id: str, station: StationDep, _role: Operator) -> Response:
    """The record's capture: archived, or one of the latest the station holds in memory (404 when neither)."""
    data, suffix = station.capture(result_id)
    return Response(data, media_type=mimetypes.guess_type(f"capture{suffix}")[0] or "application/octet-stream")


@router.post("/{result_id}/labels",
             responses={410: {"model": ErrorPublic, "description": "the record's capture is neither archived nor among "
                                                                   "the latest the station holds"}})
def add_to_training(result_id: str, body: ResultLabelsCreate, results: ResultsDep, station: StationDep,
                    corrections: CorrectionsDep, caller: Engineer) -> TrainingAdditionPublic:
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
    recipe = record.recipe
    name = f"{Path(record.body.get('image') or '').stem or 'result'}{suffix}"
    return TrainingAdditionPublic.of(recipe, corrections.add_to_training(recipe, data, name,
                                                                         [c.correction() for c in body.labels],
                                                                         actor=caller.name))
