"""Triggers, the active recipe, station status and the live WebSocket feed."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, File, Query, Request, UploadFile, WebSocket
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from openinspect.imaging import upload_name
from openinspect.server.deps import Engineer, Operator, ServicesDep, StationDep, read_image_upload
from openinspect.server.errors import ERROR_RESPONSES, ApiError
from openinspect.server.schemas import (
    ActiveRecipePublic,
    ActiveRecipeUpdate,
    HealthPublic,
    InspectionPublic,
    ShiftPublic,
    StatusPublic,
)
from openinspect.server.uploads import sent_body, sole_file
from openinspect.station.sources import Capture, TriggerSource

router = APIRouter(responses=ERROR_RESPONSES)


@router.get("/health", tags=["station"])
def health() -> HealthPublic:
    """Answers without a token: for load balancers and start-up scripts."""
    return HealthPublic(status="ok")


@router.post("/trigger", tags=["station"], response_model=InspectionPublic, response_class=JSONResponse)
async def trigger(request: Request, station: StationDep, services: ServicesDep, _role: Operator,
                  image: Annotated[UploadFile | None, File(description="the capture; no body: take one from the "
                                                                        "capture source")] = None,
                  recipe: Annotated[str | None, Query(description="default: the active recipe")] = None,
                  ) -> JSONResponse:
    """Judge one capture and return its stored record (503 ``busy`` when the trigger queue is full).

    A body must be exactly one multipart file ``image``; anything else is refused (422) and stored as an error
    record, never replaced by a frame of the capture source. The record is built by the station in exactly the
    documented shape, so it is sent as it is: validating it once more would cost every trigger time on the line.
    """
    capture = None  # ``image`` documents the field; the whole form is checked, as extra parts would be ignored
    if sent_body(request.headers):
        try:
            upload = sole_file(await request.form(), "image", "the capture")
        except ApiError as err:
            refused = await run_in_threadpool(station.refuse, err.message, recipe)
            raise ApiError(err.status, err.type, f"{err.message}; trigger {refused.id} was stored as an error"
                           ) from err
        data = await read_image_upload(upload, services.upload_limit)
        capture = Capture(upload_name(upload.filename or "", data), data=data)
    done = station.submit(capture, recipe, TriggerSource.UPLOAD if capture else TriggerSource.SOURCE)
    return JSONResponse((await asyncio.wrap_future(done)).to_json())


@router.get("/status", tags=["station"])
def status(services: ServicesDep, _role: Operator) -> StatusPublic:
    """Ready/busy, counters and pass rate since start, cycle-time and latency statistics, and what sets the speed."""
    station = services.station
    return StatusPublic.of(station.stats(), services.results.archived_bytes, services.setup.timer_state(),
                           station.speed())


@router.get("/shift", tags=["station"])
def shift(station: StationDep, _role: Operator) -> ShiftPublic:
    """The shift counters: triggers, outcomes and pass rate since the last reset, the same for every client."""
    return ShiftPublic.of(station.shift.current())


@router.post("/shift/reset", tags=["station"])
def reset_shift(station: StationDep, caller: Operator) -> ShiftPublic:
    """Start a new shift from zero (any role: operators run the shifts); the reset goes to the audit trail."""
    return ShiftPublic.of(station.shift.reset(caller.name))


@router.get("/active-recipe", tags=["station"])
def active_recipe(station: StationDep, _role: Operator) -> ActiveRecipePublic:
    """The recipe triggers use when they name none."""
    return ActiveRecipePublic(name=station.active_recipe)


@router.put("/active-recipe", tags=["station"])
def select_recipe(body: ActiveRecipeUpdate, station: StationDep, caller: Engineer) -> ActiveRecipePublic:
    """Make a recipe active; its models are loaded now (409 ``model_not_found`` when a type is untrained)."""
    station.select_recipe(body.name, actor=caller.name)
    return ActiveRecipePublic(name=station.active_recipe)


@router.websocket("/ws")
async def live(socket: WebSocket, services: ServicesDep, token: str | None = None) -> None:
    """Every stored result (``{"event": "result", "data": ...}``) and training update (``"training"``).

    Authenticate with ``Authorization: Bearer`` or, from a browser, ``?token=``.
    """
    try:
        services.tokens.owner(socket.headers.get("authorization"), token)
    except ApiError as err:  # unauthorized: close with the reason a browser can show
        await socket.close(code=1008, reason=err.message[:120])
        return
    await socket.accept()
    await services.hub.serve(socket)
