"""The station as a running service: a trigger queue, one inspection worker, storage and result fan-out.

Stages are explicit threads: the caller (HTTP request, timer, Modbus) *submits* a trigger; one
*worker* takes the capture, judges it with the recipe's cached :class:`Inspector`, stores the
record (and, per retention, the capture) and answers the caller; one *dispatcher* hands every stored
record to the sinks (WebSocket, MQTT, webhooks) so that a slow output never holds up an inspection.

The latest captures stay in memory (:class:`RecentCaptures`), so a live view can show the picture
of every recent result, archived or not.

A trigger arriving while ``queue_limit`` triggers already wait behind the running one is not
inspected: it is stored as a ``skipped: busy`` record, published like any result, and the caller gets
:class:`StationBusyError`. A trigger refused for what it sent (:meth:`Station.refuse`: an upload in the wrong
field) is stored as an error record. So every accepted trigger ends as a stored record, never silently lost.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections import OrderedDict, deque
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from openinspect.errors import NotFoundError, OpenInspectError, StationBusyError, StorageError
from openinspect.imaging import MAX_PIXELS
from openinspect.station.pipeline import Inspector
from openinspect.station.shift import ShiftCounter
from openinspect.station.sinks import ResultSink, StationStatus
from openinspect.station.sources import Capture, CaptureSource, TriggerSource
from openinspect.station.speed import SpeedReport, speed_report
from openinspect.store import Workspace
from openinspect.store.audit import AuditAction, AuditLog
from openinspect.store.records import Outcome, ResultRecord
from openinspect.store.results import ResultStore

log = logging.getLogger(__name__)

SKIPPED_BUSY = "busy"
"""The ``skipped`` value of a trigger the station had no room for."""
_WINDOW = 1000
"""Cycle times kept for the statistics."""
RECENT_CAPTURES = 16
"""Captures of the latest results the station keeps in memory."""
RECENT_BYTES = 128 * 2**20
"""Memory those captures may take (camera frames are held as pixels); the newest is kept whatever its size."""


@dataclass(frozen=True)
class Timings:
    """Statistics of recent durations in ms (the last 1000)."""

    count: int = 0
    last: float | None = None
    mean: float | None = None
    p50: float | None = None
    p95: float | None = None
    max: float | None = None

    @classmethod
    def of(cls, values: deque[float]) -> Timings:
        """Summarise a window of durations."""
        if not values:
            return cls()
        data = np.fromiter(values, dtype=np.float64)
        p50, p95 = np.percentile(data, [50, 95])
        return cls(len(data), round(values[-1], 2), round(float(data.mean()), 2), round(float(p50), 2),
                   round(float(p95), 2), round(float(data.max()), 2))


@dataclass(frozen=True)
class StationStats:
    """Counters and timings since the station started."""

    status: StationStatus
    counts: dict[Outcome, int]
    pass_rate: float | None
    """Passing share of judged captures; ``None`` before the first."""
    waiting: int
    """Triggers waiting behind the running inspection."""
    cycle_ms: Timings
    """The pipeline's time per capture (decode to verdict)."""
    latency_ms: Timings
    """Trigger to stored record, queueing and storage included."""


class RecentCaptures:
    """The captures of the latest results, by result id, in memory: at most ``count``, within ``max_bytes``.

    Camera frames are held as pixels and encoded only when asked for, so an inspection never waits for
    an encoder; the oldest capture goes first, and the newest is always kept.
    """

    def __init__(self, count: int = RECENT_CAPTURES, max_bytes: int = RECENT_BYTES) -> None:
        self.count = count
        self.max_bytes = max_bytes
        self._captures: OrderedDict[str, Capture] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def add(self, result_id: str, capture: Capture) -> None:
        """Keep a result's capture, letting the oldest go when over the limits."""
        with self._lock:
            self._captures[result_id] = capture
            self._bytes += _held_bytes(capture)
            while len(self._captures) > self.count or (self._bytes > self.max_bytes and len(self._captures) > 1):
                _, old = self._captures.popitem(last=False)
                self._bytes -= _held_bytes(old)

    def encoded(self, result_id: str) -> tuple[bytes, str] | None:
        """A kept capture as encoded bytes and file suffix (camera frames as PNG); ``None`` when not kept."""
        with self._lock:
            capture = self._captures.get(result_id)
        return None if capture is None else capture.encoded()


def _held_bytes(capture: Capture) -> int:
    """Memory a capture takes: its encoded bytes, or a camera frame's pixels."""
    if capture.data is not None:
        return len(capture.data)
    return capture.pixels.nbytes if capture.pixels is not None else 0


@dataclass
class _Job:
    id: str
    at: datetime
    recipe: str
    capture: Capture | None
    source: TriggerSource
    submitted: float = field(default_factory=time.perf_counter)
    done: Future[ResultRecord] = field(default_factory=Future)


class Station:
    """One inspection station: implements :class:`~openinspect.station.sinks.StationControl`.

    Args:
        workspace: recipes and models.
        store: where every trigger's record goes.
        source: the capture source for triggers without an image; ``None``: such triggers are stored as errors.
        queue_limit: triggers that may wait behind the running inspection before triggers are answered busy.
        threads: CPU threads per model session (``None``: ONNX Runtime's default).
        max_pixels: the largest capture decoded (``Settings.max_pixels``); a larger one is stored as an error.
        audit: where active-recipe changes are recorded; by default the trail beside ``store``'s results.
    """

    def __init__(self, workspace: Workspace, store: ResultStore, *, source: CaptureSource | None = None,
                 queue_limit: int = 8, threads: int | None = None, max_pixels: int = MAX_PIXELS,
                 audit: AuditLog | None = None) -> None:
        self.workspace = workspace
        self.store = store
        self.audit = audit or AuditLog(store.engine)
        self.source = source
        self.queue_limit = queue_limit
        self.threads = threads
        self.max_pixels = max_pixels
        self.recent = RecentCaptures()
        """The captures of the latest results, archived or not."""
        self.shift = ShiftCounter(store, self.audit, started=datetime.now(UTC))
        """The shift's counters, shared by every client."""
        self._sinks: list[ResultSink] = []
        self._inspectors: dict[str, Inspector] = {}
        self._active: str | None = None
        self._lock = threading.Lock()
        self._in_flight = 0
        self._counts = dict.fromkeys(Outcome, 0)
        self._last_verdict: Outcome | None = None
        self._cycle: deque[float] = deque(maxlen=_WINDOW)
        self._latency: deque[float] = deque(maxlen=_WINDOW)
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._outbox: queue.SimpleQueue[ResultRecord | None] = queue.SimpleQueue()
        self._worker = threading.Thread(target=self._work, name="openinspect-inspect", daemon=True)
        self._dispatcher = threading.Thread(target=self._dispatch, name="openinspect-dispatch", daemon=True)
        self._worker.start()
        self._dispatcher.start()

    # -- configuration ---------------------------------------------------------------------------

    def add_sink(self, sink: ResultSink) -> None:
        """Publish every stored record to ``sink`` from now on."""
        self.replace_sink(None, sink)

    def replace_sink(self, old: ResultSink | None, new: ResultSink | None) -> None:
        """Publish to ``new`` instead of ``old`` from the next record on (either may be ``None``: add or remove).

        Each record goes to the sinks of one moment: a record being handed out now still reaches ``old``, so
        whoever closes ``old`` after this call has it in ``old``'s queue. The caller closes ``old``.
        """
        with self._lock:
            sinks = [sink for sink in self._sinks if sink is not old]
            self._sinks = [*sinks, new] if new is not None else sinks

    def replace_source(self, source: CaptureSource | None) -> CaptureSource | None:
        """Take the next image-less trigger's capture from ``source``; returns the previous source (to close)."""
        with self._lock:
            old, self.source = self.source, source
        return old

    @property
    def active_recipe(self) -> str | None:
        """The recipe triggers use when they name none."""
        return self._active

    def select_recipe(self, name: str, *, actor: str | None = None) -> None:
        """Make ``name`` the active recipe, loading its models now.

        Args:
            name: the recipe.
            actor: who changes it: the change goes to the audit trail (``None``: the station's own choice at start).

        Raises:
            NotFoundError: unknown recipe.
            ModelNotFoundError: a type of the recipe has no trained model that fits it.
        """
        inspector = self.inspector(name)
        before, self._active = self._active, name
        if actor is not None and before != name:
            self.audit.record(actor, AuditAction.ACTIVE_RECIPE, "active recipe", recipe=name, before=before, after=name,
                              detail=f"judges with revision {inspector.revision}")

    def inspector(self, name: str) -> Inspector:
        """The cached inspector of a recipe, loaded on first use (see :meth:`Inspector.load`)."""
        with self._lock:
            cached = self._inspectors.get(name)
        if cached is not None:
            return cached
        loaded = Inspector.load(self.workspace, name, self.threads, self.max_pixels)
        with self._lock:
            return self._inspectors.setdefault(name, loaded)

    def reload(self, name: str) -> None:
        """Forget a recipe's cached models: its recipe or a model changed; the next trigger loads them anew."""
        with self._lock:
            self._inspectors.pop(name, None)

    # -- triggers --------------------------------------------------------------------------------

    def submit(self, capture: Capture | None = None, recipe: str | None = None,
               source: TriggerSource = TriggerSource.SOURCE) -> Future[ResultRecord]:
        """Queue a trigger; the future gives its stored record.

        Args:
            capture: the image to judge; ``None`` takes one from the capture source.
            recipe: judge with this recipe instead of the active one.
            source: what triggered, for the log and the record.

        Raises:
            NotFoundError: no such recipe, or no recipe given and none active.
            ModelNotFoundError: the recipe has a type without a trained model.
            StationBusyError: the queue is full; the trigger was stored as a ``skipped: busy`` record.
        """
        job = self._job(capture, recipe, source)
        with self._lock:
            busy = self._in_flight > self.queue_limit
            self._in_flight += not busy
        if busy:
            record = self._record(job, {"image": capture.name if capture else "", "skipped": SKIPPED_BUSY})
            self._finish(job, record, None)
            raise StationBusyError(f"station busy: {self.queue_limit} trigger(s) already wait behind the running "
                                   f"inspection; trigger {job.id} was stored as skipped")
        self._jobs.put(job)
        return job.done

    def refuse(self, reason: str, recipe: str | None = None,
               source: TriggerSource = TriggerSource.UPLOAD) -> ResultRecord:
        """Store a trigger refused for what it sent (no capture judged) as an error record, published like any.

        Args:
            reason: what was wrong with the trigger, the record's ``error``.
            recipe: the recipe the trigger named; ``None``: the active one.
            source: what triggered.

        Raises:
            NotFoundError: no such recipe, or no recipe given and none active (nothing is stored).
            ModelNotFoundError: the recipe has a type without a trained model (nothing is stored).
        """
        job = self._job(None, recipe, source)
        record = self._record(job, {"image": "", "error": reason})
        self._finish(job, record, None)
        return record

    def _job(self, capture: Capture | None, recipe: str | None, source: TriggerSource) -> _Job:
        name = recipe or self._active
        if name is None:
            raise NotFoundError("no active recipe: select one (PUT /api/v1/active-recipe) or name one in the trigger")
        self.inspector(name)
        return _Job(str(uuid.uuid4()), datetime.now(UTC), name, capture, source)

    def trigger(self, recipe: str | None = None) -> dict[str, Any]:
        """Judge a capture from the capture source and return its stored record (blocks until then)."""
        return self.submit(None, recipe).result().to_json()

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            record = None
            try:
                capture, record = self._inspect(job)
                self._finish(job, record, capture)
            except StorageError as err:  # refused, said clearly: the next trigger tries the storage again
                job.done.set_exception(_stored_nowhere(job.id, record, err))
            except Exception as err:  # storing failed otherwise: the caller must hear it
                log.exception("trigger %s could not be stored", job.id)
                job.done.set_exception(err)
            finally:
                with self._lock:
                    self._in_flight -= 1

    def _inspect(self, job: _Job) -> tuple[Capture | None, ResultRecord]:
        capture = job.capture
        try:
            if capture is None:
                capture = self._take_capture()
            inspector = self.inspector(job.recipe)
            if capture.pixels is not None:
                result = inspector.inspect_image(capture.pixels, capture.name)
            else:
                result = inspector.inspect_bytes(capture.data or b"", capture.name)
            body = result.to_json()
        except OpenInspectError as err:
            body = {"image": capture.name if capture else "", "error": str(err)}
        return capture, self._record(job, body)

    def _take_capture(self) -> Capture:
        if self.source is None:
            raise NotFoundError("no capture source: send an image with the trigger, or set one on the Station "
                                "settings page (a folder, a camera index or a stream URL)")
        return self.source.capture()

    @staticmethod
    def _record(job: _Job, body: dict[str, Any]) -> ResultRecord:
        return ResultRecord(job.id, job.at, job.recipe, job.source.value, body)

    def _finish(self, job: _Job, record: ResultRecord, capture: Capture | None) -> None:
        """Store, count, publish and answer one trigger."""
        self.store.add(record, capture.encoded if capture is not None else None)
        if capture is not None:  # before publishing: a live view fetches the picture when it hears of the result
            self.recent.add(job.id, capture)
        outcome = record.outcome
        with self._lock:
            self._counts[outcome] += 1
            if outcome.judged:
                self._last_verdict = outcome
                self._cycle.append(record.cycle_ms or 0.0)
            if outcome is not Outcome.SKIPPED:
                self._latency.append((time.perf_counter() - job.submitted) * 1000)
        self._outbox.put(record)
        job.done.set_result(record)

    def _dispatch(self) -> None:
        while (record := self._outbox.get()) is not None:
            message = record.to_json()
            for sink in self._sinks:  # replaced whole, never changed in place: a snapshot as it stands
                try:
                    sink.publish(message)
                except Exception:  # one broken output must not silence the others
                    log.exception("output %r failed to take result %s", sink, record.id)

    def capture(self, result_id: str) -> tuple[bytes, str]:
        """A result's capture as encoded bytes and file suffix: archived, or one of the latest held in memory.

        Raises:
            NotFoundError: no such record, or its capture was neither archived nor is among the latest.
        """
        try:
            path = self.store.capture_path(result_id)
            return path.read_bytes(), path.suffix
        except (NotFoundError, FileNotFoundError) as err:  # not archived, or evicted a moment ago
            recent = self.recent.encoded(result_id)
            if recent is not None:
                return recent
            if isinstance(err, NotFoundError):
                raise
            raise NotFoundError(f"the capture of result '{result_id}' has just left the archive (disk budget)") from err

    # -- state -----------------------------------------------------------------------------------

    def status(self) -> StationStatus:
        """Ready, busy, the active recipe, the result count and the last verdict."""
        with self._lock:
            ready = self._active is not None and self._active in self._inspectors
            return StationStatus(ready=ready, busy=self._in_flight > 0, recipe=self._active,
                                 results=sum(self._counts.values()), last_verdict=self._last_verdict)

    def stats(self) -> StationStats:
        """Counters, pass rate and cycle-time statistics since start."""
        status = self.status()
        with self._lock:
            counts = dict(self._counts)
            judged = counts[Outcome.PASS] + counts[Outcome.FAIL]
            return StationStats(status, counts, counts[Outcome.PASS] / judged if judged else None,
                                max(self._in_flight - 1, 0), Timings.of(self._cycle), Timings.of(self._latency))

    def speed(self) -> SpeedReport:
        """The processor, ONNX Runtime's thread settings and every loaded model's precision and recent model time."""
        with self._lock:
            inspectors = list(self._inspectors.values())
        return speed_report(self.threads, inspectors)

    def close(self, timeout: float = 10.0) -> None:
        """Finish the queued triggers, hand their records to the sinks and close the sinks, within ``timeout`` s.

        Sinks close side by side, each sending what it holds while time is left; whatever a peer has not taken by
        then is counted and logged as not delivered by the sink. Shutdown never waits on a peer beyond the bound.
        """
        deadline = time.monotonic() + timeout
        self._jobs.put(None)
        self._worker.join(_left(deadline))
        self._outbox.put(None)
        self._dispatcher.join(_left(deadline))
        if self._worker.is_alive() or self._dispatcher.is_alive():
            log.error("station closed after %g s with triggers still being judged or published", timeout)
        closers = [threading.Thread(target=_close_sink, args=(sink,), name="openinspect-close", daemon=True)
                   for sink in self._sinks]
        for closer in closers:
            closer.start()
        for closer in closers:
            closer.join(_left(deadline))
        if self.source is not None:
            self.source.close()


def _stored_nowhere(result_id: str, record: ResultRecord | None, err: StorageError) -> StorageError:
    """The error a trigger's caller gets when its record could not be stored: it is kept nowhere, sent nowhere."""
    judged = f"was judged {record.outcome.value} but " if record is not None else ""
    return type(err)(f"trigger {result_id} {judged}is stored nowhere and was not sent to the outputs: {err}",
                     err.free_bytes)


def _left(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())


def _close_sink(sink: ResultSink) -> None:
    try:
        sink.close()
    except Exception:  # closing one output must not keep the others open
        log.exception("output %r failed to close", sink)
