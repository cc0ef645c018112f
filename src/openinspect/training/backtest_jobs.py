"""Backtests as a station job: one at a time, in a background thread at a lower OS priority, with progress.

The job's thread lowers its own scheduling priority (Linux schedules threads alone, so the station's trigger
worker keeps its priority), its models run on one ONNX Runtime thread each, and it gives way between captures as
its :class:`~openinspect.training.backtest.Pacing` says (the server's waits while the station judges a trigger):
a backtest of thousands of captures runs beside a live station with little delay to its triggers.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum

from openinspect.errors import NotFoundError, OpenInspectError, StationBusyError
from openinspect.imaging import MAX_PIXELS
from openinspect.store import Workspace
from openinspect.store.audit import AuditAction, AuditLog
from openinspect.store.results import ResultStore
from openinspect.store.revisions import SYSTEM_ACTOR
from openinspect.training.backtest import Backtest, BacktestReport, Contenders, Judges, Pacing, run_backtest

log = logging.getLogger(__name__)

NICENESS = 10
"""How much lower than the station the backtest thread is scheduled (``nice`` steps)."""


class BacktestState(StrEnum):
    """Where a backtest job is."""

    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class BacktestJob:
    """A snapshot of a backtest job."""

    recipe: str
    type: str
    candidate: int
    deployed: int
    since: str | None
    """ISO time, or ``None``: every archived capture."""
    limit: int | None
    state: BacktestState
    progress: float = 0.0
    """Fraction done, 0 to 1."""
    message: str = ""
    started: float = 0.0
    """Unix time."""
    finished: float | None = None
    report: BacktestReport | None = None
    """Once done."""
    error: str | None = None


class _CancelledError(Exception):
    """Raised inside the backtest by the progress callback once the service closes."""


class BacktestService:
    """Runs backtests one at a time and keeps the latest job of each type.

    Args:
        workspace: recipes, labels and model versions.
        results: the archived captures.
        on_change: called with every snapshot of the job (progress, end); from the backtest thread.
        audit: where every start is recorded; by default the workspace database's trail.
        max_pixels: the largest capture decoded, as the station's ``Settings.max_pixels``.
        pacing: how the job gives way to the station between captures; by default it only yields.
    """

    def __init__(self, workspace: Workspace, results: ResultStore, on_change: Callable[[BacktestJob], None],
                 audit: AuditLog | None = None, max_pixels: int = MAX_PIXELS, pacing: Pacing | None = None,
                 judges: Callable[[Contenders], Judges] | None = None) -> None:
        self.workspace = workspace
        self.judges = judges  # where a job's captures are judged, given its contenders (`backtest --ray`); else here
        self.results = results
        self.audit = audit or AuditLog(workspace.engine)
        self.max_pixels = max_pixels
        self.pacing = pacing or Pacing()
        self._on_change = on_change
        self._jobs: dict[tuple[str, str], BacktestJob] = {}
        self._running: tuple[str, str] | None = None
        self._closing = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self, request: Backtest, *, actor: str = SYSTEM_ACTOR) -> BacktestJob:
        """Start backtesting a candidate in the background; ``actor``: who, for the audit trail.

        Raises:
            StationBusyError: a backtest is running.
            NotFoundError: unknown recipe or candidate version.
            RecipeError: unknown type.
            ModelNotFoundError: no deployed version, or the candidate does not fit the recipe.
        """
        contenders = Contenders.load(self.workspace, request, self.max_pixels)
        deployed = contenders.deployed.models[request.type].version
        with self._lock:
            if self._running is not None:
                raise StationBusyError(f"a backtest of {'/'.join(self._running)} is running; wait for it "
                                       f"(GET /api/v1/recipes/{{name}}/types/{{type}}/backtests/latest)")
            key = (request.recipe, request.type)
            self._running = key
            self._jobs[key] = job = BacktestJob(
                request.recipe, request.type, request.candidate, deployed,
                request.since.isoformat() if request.since else None, request.limit, BacktestState.RUNNING,
                message="starting", started=time.time())
            self._thread = threading.Thread(target=self._run, args=(key, contenders, request),
                                            name="openinspect-backtest", daemon=True)
            self._thread.start()
        self.audit.record(actor, AuditAction.BACKTEST_START, f"type {request.type}", recipe=request.recipe,
                          before=f"v{deployed}", after=f"v{request.candidate}",
                          detail=f"since: {job.since or 'any time'}, limit: {request.limit or 'none'}")
        return job

    def latest(self, recipe: str, type_name: str) -> BacktestJob:
        """The running or last backtest of a type.

        Raises:
            NotFoundError: the type was not backtested since the station started.
        """
        job = self._jobs.get((recipe, type_name))
        if job is None:
            raise NotFoundError(f"no backtest of {recipe}/{type_name} since the station started; start one with "
                                f"POST /api/v1/recipes/{recipe}/types/{type_name}/backtests")
        return job

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the running job's thread to end."""
        if self._thread is not None:
            self._thread.join(timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Stop a running job at its next capture and wait up to ``timeout`` s for it."""
        self._closing.set()
        self.wait(timeout)

    def _run(self, key: tuple[str, str], contenders: Contenders, request: Backtest) -> None:
        _lower_priority()
        changes: dict[str, object]
        try:
            report = run_backtest(contenders, self.workspace, self.results, request,
                                  lambda done, message: self._update(key, progress=round(done, 3), message=message),
                                  self.pacing, self.judges(contenders) if self.judges else None)
        except _CancelledError:
            changes = {"state": BacktestState.CANCELLED, "message": "stopped: the station closed"}
        except Exception as err:  # a bug must end the job visibly, not kill a silent thread
            if not isinstance(err, OpenInspectError):
                log.exception("backtest %s/%s failed", *key)
            changes = {"state": BacktestState.FAILED, "message": "failed", "error": str(err)}
        else:
            changes = {"state": BacktestState.DONE, "progress": 1.0, "report": report,
                       "message": f"{len(report.pass_to_fail) + len(report.fail_to_pass)} verdict(s) would change"}
        self._update(key, finished=time.time(), **changes)
        with self._lock:
            self._running = None

    def _update(self, key: tuple[str, str], **changes: object) -> None:
        if self._closing.is_set() and "finished" not in changes:
            raise _CancelledError
        job = replace(self._jobs[key], **changes)  # type: ignore[arg-type]  # keyword fields of BacktestJob
        self._jobs[key] = job
        self._on_change(job)


def _lower_priority() -> None:
    """Schedule the calling thread below the station's (Linux: per thread); where not allowed, leave it."""
    with contextlib.suppress(OSError, AttributeError):  # AttributeError: no setpriority (Windows)
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICENESS)
