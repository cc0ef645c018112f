"""Build the station's FastAPI application: services, routes, the error format and start/stop."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict

from fastapi import APIRouter, FastAPI

from openinspect import __version__
from openinspect.authoring import (
    CaptureService,
    CorrectionService,
    CropPredictor,
    LabelService,
    ModelService,
    RecipeEvents,
    RecipeService,
    TemplateService,
)
from openinspect.authoring.synthetic import SyntheticService
from openinspect.errors import OpenInspectError
from openinspect.integrations.setup import SetupService
from openinspect.server.deps import ARCHIVE_SETTING, UPLOAD_SETTING, Services
from openinspect.server.docs import OPENAPI_URL, PAGES, install_docs
from openinspect.server.errors import install_error_handlers
from openinspect.server.gate import TokenGate
from openinspect.server.limits import BodyCap, BodyLimit
from openinspect.server.routes import (
    advice,
    audit,
    backtests,
    labels,
    models,
    recipes,
    results,
    session,
    setup,
    station,
    synthetic,
    templates,
    training,
)
from openinspect.server.security import load_tokens
from openinspect.server.web_ui import install_web_ui
from openinspect.server.ws import WebSocketHub
from openinspect.settings import Settings
from openinspect.station.service import Station
from openinspect.station.sinks import ResultSink
from openinspect.station.sources import CaptureSource
from openinspect.store import Workspace
from openinspect.store.audit import AuditLog
from openinspect.store.db import create_results_engine
from openinspect.store.results import ResultStore, Retention
from openinspect.store.setup import SetupStore
from openinspect.training.backtest import Pacing
from openinspect.training.backtest_jobs import BacktestService
from openinspect.training.jobs import TrainingJob, TrainingService, TrainingState

log = logging.getLogger(__name__)
API_PREFIX = "/api/v1"


def create_app(settings: Settings, *, source: CaptureSource | None = None,
               sinks: Sequence[ResultSink] = ()) -> FastAPI:
    """The station's HTTP application on ``settings.home``.

    Args:
        settings: the station's settings (tokens, results database, queue, retention, capture source).
        source: the capture source until the Station settings change it; by default the one the station's set-up
            names (:class:`~openinspect.integrations.setup.SetupService`: stored settings, the environment winning).
        sinks: outputs that receive every stored result besides the WebSocket feed and the outputs the set-up
            names (MQTT, webhooks); a Modbus TCP server starts with the app when the set-up gives it a port.

    ``app.state.services`` holds the running services; ``services.station`` is the
    :class:`~openinspect.station.sinks.StationControl` for integrations such as Modbus TCP.

    Raises:
        OpenInspectError: no tokens for a non-loopback address, an unknown ``settings.recipe``, or a camera
            that does not open.
    """
    services = _services(settings, source, sinks)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        services.setup.start()
        try:
            yield
        finally:
            services.setup.close()
            services.training.close()
            services.backtests.close()
            services.station.close()
            services.results.engine.dispose()
            services.station.workspace.engine.dispose()

    app = FastAPI(title="OpenInspect station", version=__version__, lifespan=lifespan, openapi_url=OPENAPI_URL,
                  docs_url=None, redoc_url=None,
                  description="Recipes, labels, training, triggers and results of one inspection station. Send "
                              "`Authorization: Bearer <token>`; errors are `{\"error\": {\"type\", \"message\"}}`.")
    app.state.services = services
    install_error_handlers(app)
    api = APIRouter(prefix=API_PREFIX)
    for module in (station, setup, session, recipes, templates, labels, synthetic, training, models, backtests, results,
                   audit):
        api.include_router(module.router)
    api.include_router(advice.router)
    app.include_router(api)
    install_web_ui(app)
    install_docs(app)
    app.add_middleware(BodyLimit, default=BodyCap(services.upload_limit, UPLOAD_SETTING),
                       routes={app.url_path_for("import_recipe"): BodyCap(settings.max_archive_bytes, ARCHIVE_SETTING)})
    app.add_middleware(TokenGate, tokens=services.tokens, prefix=API_PREFIX,  # outermost: before any body byte
                       exempt={("GET", app.url_path_for("health"))}, pages=PAGES)
    return app


def _services(settings: Settings, source: CaptureSource | None, sinks: Sequence[ResultSink]) -> Services:
    workspace = Workspace(settings.home)
    engine = create_results_engine(settings.database_url) if settings.database_url else workspace.engine
    store = ResultStore(engine, settings.home / "results",
                        Retention(settings.keep_pass_every, int(settings.archive_budget_mb * 2**20)))
    trail = AuditLog(engine)  # beside the results: one trail for the station and the CLI
    station_ = Station(workspace, store, queue_limit=settings.queue_limit, threads=settings.threads,
                       max_pixels=settings.max_pixels, audit=trail)
    hub = WebSocketHub()
    for sink in (hub, *sinks):
        station_.add_sink(sink)
    events = RecipeEvents()
    recipes = RecipeService(workspace, events, trail)
    setup = SetupService(station_, settings, SetupStore(workspace.engine, settings.home), trail, recipes.plc_numbers,
                         lambda state: hub.station(asdict(state)), source)
    events.subscribe(station_.reload)  # a changed recipe, template or model: the next trigger loads it anew

    def on_training(job: TrainingJob) -> None:
        hub.training(job)
        if job.state is TrainingState.DONE:
            events.changed(job.recipe)

    _activate(station_, settings.recipe)
    captures = CaptureService(workspace)
    labels = LabelService(workspace, captures, CropPredictor(workspace, settings.threads), audit=trail)
    return Services(settings, station_, setup, events, recipes,
                    TemplateService(workspace, events, trail), captures, labels,
                    SyntheticService(workspace, captures, labels.placer, trail),
                    CorrectionService(workspace, captures, trail),
                    TrainingService(workspace, on_training, audit=trail, results=store),
                    BacktestService(workspace, store, hub.backtest, trail, settings.max_pixels, _pacing(station_)),
                    ModelService(workspace, events, trail), store, trail, load_tokens(settings), hub)


def _pacing(station_: Station) -> Pacing:
    """A backtest waits while the station judges a trigger and rests as long as it judged (bench/README.md)."""
    return Pacing(rest=1.0, busy=lambda: station_.status().busy)


def _activate(station_: Station, wanted: str | None) -> None:
    """Select ``wanted``, or else the first stored recipe whose models load."""
    if wanted is not None:
        station_.select_recipe(wanted)
        return
    for name in station_.workspace.recipe_names():
        try:
            station_.select_recipe(name)
        except OpenInspectError as err:
            log.info("recipe %s not ready: %s", name, err)
            continue
        return

