"""The HTTP API's one error format, ``{"error": {"type": ..., "message": ...}}``, and its mapping.

:func:`install_error_handlers` is called by :func:`openinspect.server.create_app` only: nothing is
registered at import. Every :class:`OpenInspectError` maps to a 4xx, 503 or 507 by its class; request
validation, unknown routes and unexpected failures use the same body.
"""

from __future__ import annotations

import logging
from enum import StrEnum

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from openinspect.errors import (
    ArchiveError,
    ConflictError,
    DatasetError,
    ImageError,
    ModelNotFoundError,
    NotFoundError,
    OpenInspectError,
    RecipeError,
    SettingsError,
    StationBusyError,
    StorageFullError,
    StorageUnavailableError,
)

log = logging.getLogger(__name__)


class ErrorType(StrEnum):
    """What kind of error a response reports; stable strings a client can switch on."""

    NOT_FOUND = "not_found"
    MODEL_NOT_FOUND = "model_not_found"
    INVALID_RECIPE = "invalid_recipe"
    INVALID_IMAGE = "invalid_image"
    INVALID_DATASET = "invalid_dataset"
    INVALID_ARCHIVE = "invalid_archive"
    INVALID_SETTINGS = "invalid_settings"
    CONFLICT = "conflict"
    INVALID_REQUEST = "invalid_request"
    BUSY = "busy"
    STORAGE_FULL = "storage_full"
    STORAGE_UNAVAILABLE = "storage_unavailable"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    TOO_LARGE = "too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    HTTP = "http_error"
    INTERNAL = "internal"


class ErrorDetail(BaseModel):
    """What went wrong, for a person (``message``) and a program (``type``)."""

    type: ErrorType
    message: str


class ErrorPublic(BaseModel):
    """Every error response's body."""

    error: ErrorDetail


class ApiError(Exception):
    """An error of the HTTP layer itself (authentication, upload checks)."""

    def __init__(self, status: int, type_: ErrorType, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.type = type_
        self.message = message


_DOMAIN: tuple[tuple[type[OpenInspectError], int, ErrorType], ...] = (
    (ModelNotFoundError, 409, ErrorType.MODEL_NOT_FOUND),  # before NotFoundError: it is one
    (NotFoundError, 404, ErrorType.NOT_FOUND),
    (RecipeError, 422, ErrorType.INVALID_RECIPE),
    (ImageError, 422, ErrorType.INVALID_IMAGE),
    (DatasetError, 422, ErrorType.INVALID_DATASET),
    (ArchiveError, 422, ErrorType.INVALID_ARCHIVE),
    (SettingsError, 422, ErrorType.INVALID_SETTINGS),
    (ConflictError, 409, ErrorType.CONFLICT),
    (StationBusyError, 503, ErrorType.BUSY),
    (StorageFullError, 507, ErrorType.STORAGE_FULL),
    (StorageUnavailableError, 503, ErrorType.STORAGE_UNAVAILABLE),
    (OpenInspectError, 400, ErrorType.INVALID_REQUEST),
)
_HTTP_TYPES = {401: ErrorType.UNAUTHORIZED, 403: ErrorType.FORBIDDEN, 404: ErrorType.NOT_FOUND,
               413: ErrorType.TOO_LARGE, 415: ErrorType.UNSUPPORTED_MEDIA_TYPE}

ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorPublic, "description": text}
    for code, text in ((401, "no or unknown bearer token"), (403, "the token's role may not do this"),
                       (404, "not found"), (422, "invalid request, recipe, image or data set"),
                       (503, "busy (trigger queue full, training running) or storage unavailable"),
                       (507, "storage full: the station's disk has no space left"))
}
"""The error responses every route may give, for the OpenAPI document."""


def error_response(status: int, type_: ErrorType, message: str) -> JSONResponse:
    """A response in the API's error format."""
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    body = ErrorPublic(error=ErrorDetail(type=type_, message=message))
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


def domain_status(err: OpenInspectError) -> tuple[int, ErrorType]:
    """The HTTP status and error type of a domain error, by its class."""
    return next((status, kind) for cls, status, kind in _DOMAIN if isinstance(err, cls))


def install_error_handlers(app: FastAPI) -> None:
    """Map every error the API can meet to the one format."""

    async def domain(_request: Request, err: Exception) -> JSONResponse:
        assert isinstance(err, OpenInspectError)
        return error_response(*domain_status(err), str(err))

    async def api(_request: Request, err: Exception) -> JSONResponse:
        assert isinstance(err, ApiError)
        return error_response(err.status, err.type, err.message)

    async def validation(_request: Request, err: Exception) -> JSONResponse:
        assert isinstance(err, RequestValidationError)
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())
        return error_response(422, ErrorType.INVALID_REQUEST, problems)

    async def http(_request: Request, err: Exception) -> JSONResponse:
        assert isinstance(err, HTTPException)
        return error_response(err.status_code, _HTTP_TYPES.get(err.status_code, ErrorType.HTTP), str(err.detail))

    async def internal(_request: Request, err: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=err)
        return error_response(500, ErrorType.INTERNAL, f"internal error ({type(err).__name__}); see the station log")

    app.add_exception_handler(OpenInspectError, domain)
    app.add_exception_handler(ApiError, api)
    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(HTTPException, http)
    app.add_exception_handler(Exception, internal)
