"""Querying and exporting stored results, and their archived captures."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import FileResponse, StreamingResponse

from openinspect.server.deps import Operator, ResultsDep
from openinspect.server.errors import ERROR_RESPONSES
from openinspect.server.schemas import InspectionPublic, ResultPagePublic
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


@router.get("/{result_id}/image", response_class=FileResponse)
def capture(result_id: str, results: ResultsDep, _role: Operator) -> FileResponse:
    """The record's archived capture (404 when retention did not keep it)."""
    return FileResponse(results.capture_path(result_id))
