"""What routes receive through ``Annotated`` dependencies: the station's services and the caller (name and role)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, BinaryIO

from fastapi import Depends, Request
from starlette.datastructures import UploadFile  # the base of FastAPI's: parameters and parsed forms alike
from starlette.requests import HTTPConnection

from openinspect.authoring import (
    CaptureService,
    CorrectionService,
    LabelService,
    ModelService,
    RecipeEvents,
    RecipeService,
    TemplateService,
)
from openinspect.authoring.synthetic import SyntheticService
from openinspect.imaging import SUPPORTED_TYPES, image_suffix
from openinspect.integrations.setup import SetupService
from openinspect.server.errors import ApiError, ErrorType
from openinspect.server.security import TokenSet
from openinspect.server.ws import WebSocketHub
from openinspect.settings import Role, Settings, TokenOwner
from openinspect.station.service import Station
from openinspect.store.audit import AuditLog
from openinspect.store.results import ResultStore
from openinspect.training.backtest_jobs import BacktestService
from openinspect.training.jobs import TrainingService


@dataclass(frozen=True)
class Services:
    """Everything a station's routes work with; built once by :func:`openinspect.server.create_app`."""

    settings: Settings
    station: Station
    setup: SetupService
    """The station's capture source, timer and outputs (the Station settings page)."""
    events: RecipeEvents
    """Every authoring service tells it of recipe changes; the station listens and reloads."""
    recipes: RecipeService
    templates: TemplateService
    captures: CaptureService
    labels: LabelService
    synthetic: SyntheticService
    """The Defect Creator: synthetic images made, previewed and added to the data set."""
    corrections: CorrectionService
    training: TrainingService
    backtests: BacktestService
    models: ModelService
    results: ResultStore
    audit: AuditLog
    """Every change's record, beside the results."""
    tokens: TokenSet
    hub: WebSocketHub

    @property
    def upload_limit(self) -> int:
        """Largest accepted upload in bytes (``OPENINSPECT_MAX_UPLOAD_MB``); recipe archives have their own."""
        return int(self.settings.max_upload_mb * 2**20)


# Dependencies are coroutines although they do not await: FastAPI runs plain functions in its thread pool,
# a thread hop per dependency per request that the trigger path cannot afford.
async def _services(connection: HTTPConnection) -> Services:
    services: Services = connection.app.state.services  # HTTP requests and WebSockets alike
    return services


ServicesDep = Annotated[Services, Depends(_services)]


def _part(name: str) -> Callable[[Services], Awaitable[Any]]:
    """A dependency that gives one of the station's services by its field name in :class:`Services`."""

    async def part(services: ServicesDep) -> Any:
        return getattr(services, name)

    return part


async def _operator(request: Request, services: ServicesDep) -> TokenOwner:
    return services.tokens.owner(request.headers.get("authorization"))


async def _engineer(caller: Annotated[TokenOwner, Depends(_operator)]) -> TokenOwner:
    TokenSet.check(caller.role, Role.ENGINEER)
    return caller


StationDep = Annotated[Station, Depends(_part("station"))]
SetupDep = Annotated[SetupService, Depends(_part("setup"))]
RecipesDep = Annotated[RecipeService, Depends(_part("recipes"))]
TemplatesDep = Annotated[TemplateService, Depends(_part("templates"))]
CapturesDep = Annotated[CaptureService, Depends(_part("captures"))]
LabelsDep = Annotated[LabelService, Depends(_part("labels"))]
SyntheticDep = Annotated[SyntheticService, Depends(_part("synthetic"))]
CorrectionsDep = Annotated[CorrectionService, Depends(_part("corrections"))]
TrainingDep = Annotated[TrainingService, Depends(_part("training"))]
ModelsDep = Annotated[ModelService, Depends(_part("models"))]
BacktestsDep = Annotated[BacktestService, Depends(_part("backtests"))]
ResultsDep = Annotated[ResultStore, Depends(_part("results"))]
AuditDep = Annotated[AuditLog, Depends(_part("audit"))]
Operator = Annotated[TokenOwner, Depends(_operator)]
"""The caller has a token of any role (operator: trigger and view); its name is the actor of what it changes."""
Engineer = Annotated[TokenOwner, Depends(_engineer)]
"""The caller's token has the engineer role."""


UPLOAD_SETTING = "OPENINSPECT_MAX_UPLOAD_MB"
"""The setting that raises the size limit of uploads and every other request body."""
ARCHIVE_SETTING = "OPENINSPECT_MAX_ARCHIVE_MB"
"""The setting that raises the size limit of recipe archives."""


def too_large(what: str, limit: int, setting: str) -> ApiError:
    """The 413 answer for a body over its limit, naming the setting that raises the limit."""
    return ApiError(413, ErrorType.TOO_LARGE, f"{what} is over the {limit / 2**20:g} MiB limit; send a smaller one, "
                                              f"or raise {setting} on the station")


async def read_upload(upload: UploadFile, limit: int) -> bytes:
    """An uploaded file's bytes, checked for size.

    Raises:
        ApiError: 413 over the limit.
    """
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise too_large(f"upload '{upload.filename}'", limit, UPLOAD_SETTING)
    return data


def archive_upload(upload: UploadFile, limit: int) -> BinaryIO:
    """An uploaded recipe archive as the file the server spooled it to (never read into memory), checked for size.

    Raises:
        ApiError: 413 over the limit (``OPENINSPECT_MAX_ARCHIVE_MB``).
    """
    if upload.size is not None and upload.size > limit:
        raise too_large(f"recipe archive '{upload.filename}'", limit, ARCHIVE_SETTING)
    return upload.file


async def read_image_upload(upload: UploadFile, limit: int) -> bytes:
    """An uploaded capture's bytes, checked for size and for being an image type the station decodes.

    Raises:
        ApiError: 413 over the limit, 415 not a PNG, JPEG, BMP, TIFF or WebP file.
    """
    data = await read_upload(upload, limit)
    if image_suffix(data) is None:
        raise ApiError(415, ErrorType.UNSUPPORTED_MEDIA_TYPE, f"'{upload.filename}' is not a {SUPPORTED_TYPES} image")
    return data
