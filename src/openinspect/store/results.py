"""The station's results store: one record per trigger, archived captures with retention.

Records go to any SQLAlchemy database (the workspace's SQLite file by default, or PostgreSQL) through
dialect-neutral Core statements. Captures go to ``<archive>/<YYYY-MM-DD>/<id><suffix>``, written
atomically *before* their record, so a crash leaves at worst an unreferenced file, never a record
pointing at half an image.

Retention keeps every failing and unjudged capture, every ``keep_pass_every``-th passing one, and
holds the archive under a disk budget by removing the oldest passing captures first (failing ones
only when no passing capture is left, with a warning). Records are never removed.
"""

from __future__ import annotations

import csv
import io
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, case, exists, func, insert, select, update

from openinspect.errors import NotFoundError
from openinspect.store import db
from openinspect.store.files import write_atomic
from openinspect.store.records import Outcome, ResultRecord
from openinspect.store.space import storage_errors

log = logging.getLogger(__name__)

EncodedCapture = Callable[[], tuple[bytes, str]]
"""Returns a capture's encoded bytes and file suffix (``.png``...); called only when the capture is archived."""


@dataclass(frozen=True)
class Retention:
    """Which captures the archive keeps, and how much disk it may use."""

    keep_pass_every: int = 10
    """Keep every N-th passing capture (0: none)."""
    budget_bytes: int = 2 << 30
    """Most bytes of archived captures; the oldest passing ones go first."""


@dataclass(frozen=True)
class ResultFilter:
    """Which records a query returns; ``None`` fields do not filter."""

    since: datetime | None = None
    """Records at or after this time."""
    until: datetime | None = None
    """Records before this time."""
    recipe: str | None = None
    outcome: Outcome | None = None
    roi: str | None = None
    """Records with a result for this ROI."""
    class_name: str | None = None
    """Records with a ROI judged as this class (with ``roi``: that ROI)."""
    model_version: int | None = None
    """Records judged by this version of any inspection type's model."""
    archived: bool = False
    """Only records whose capture is archived (kept by retention)."""


@dataclass(frozen=True)
class ResultPage:
    """One page of records, newest first, and how many records match in all."""

    total: int
    items: list[ResultRecord]


CSV_COLUMNS = ("id", "time", "recipe", "image", "outcome", "cycle_ms", "rois", "error", "recipe_revision", "models")


class ResultStore:
    """Records and archived captures of one station.

    Args:
        engine: the database; the results tables are created if missing.
        archive: folder of archived captures.
        retention: what to keep and the disk budget.
    """

    def __init__(self, engine: Engine, archive: Path, retention: Retention) -> None:
        db.results_metadata.create_all(engine)
        self.engine = engine
        self.archive = archive
        self.retention = retention
        self._lock = threading.Lock()
        self._passes_seen = 0
        with engine.begin() as conn:
            total = select(func.coalesce(func.sum(db.results.c.archive_bytes), 0))
            self._archived = int(conn.execute(total).scalar_one())

    @property
    def archived_bytes(self) -> int:
        """Bytes of captures in the archive now."""
        return self._archived

    def add(self, record: ResultRecord, capture: EncodedCapture | None = None) -> None:
        """Store one result record and, when retention keeps it, its capture.

        Args:
            record: the result.
            capture: gives the encoded capture when it is to be archived.

        Raises:
            StorageFullError: the disk of the archive or database is full; nothing was stored.
            StorageUnavailableError: the archive or database cannot be written; nothing was stored.
        """
        outcome = record.outcome
        with self._lock:
            path, size = self._archive(record, outcome, capture)
            try:
                self._insert(record, outcome, path, size)
            except BaseException:
                if path is not None:  # no record points at it: give its space back
                    (self.archive / path).unlink(missing_ok=True)
                raise
            self._archived += size
            if self._archived > self.retention.budget_bytes:
                self._evict()

    def _insert(self, record: ResultRecord, outcome: Outcome, path: str | None, size: int) -> None:
        with storage_errors(self.archive, "the results database"):
            row = {"id": record.id, "time": _utc(record.time), "recipe": record.recipe,
                   "image": record.body.get("image", ""), "outcome": outcome.value, "cycle_ms": record.cycle_ms,
                   "archive_path": path, "archive_bytes": size, "record": record.to_json()}
            rois = [{"result_id": record.id, "roi": r["roi"], "type": r["type"], "class_name": r.get("class"),
                     "passes": r["pass"]} for r in record.body.get("rois", [])]
            models = [{"result_id": record.id, "type": name, "version": ref["version"], "sha256": ref["sha256"]}
                      for name, ref in record.body.get("models", {}).items()]
            with self.engine.begin() as conn:
                conn.execute(insert(db.results).values(row))
                for table, rows in ((db.result_rois, rois), (db.result_models, models)):
                    if rows:
                        conn.execute(insert(table), rows)

    def _archive(self, record: ResultRecord, outcome: Outcome,
                 capture: EncodedCapture | None) -> tuple[str | None, int]:
        if capture is None or outcome is Outcome.SKIPPED:
            return None, 0
        if outcome is Outcome.PASS:
            every = self.retention.keep_pass_every
            self._passes_seen += 1
            if not every or (self._passes_seen - 1) % every:
                return None, 0
        data, suffix = capture()
        relative = f"{record.time.date().isoformat()}/{record.id}{suffix}"
        write_atomic(self.archive / relative, data)
        return relative, len(data)

    def _evict(self) -> None:
        """Remove archived captures, oldest passing first, until the archive fits its budget."""
        passing_first = case((db.results.c.outcome == Outcome.PASS.value, 0), else_=1)
        query = (select(db.results.c.id, db.results.c.archive_path, db.results.c.archive_bytes, db.results.c.outcome)
                 .where(db.results.c.archive_path.is_not(None))
                 .order_by(passing_first, db.results.c.time).limit(64))
        while self._archived > self.retention.budget_bytes:
            with self.engine.begin() as conn:
                rows = conn.execute(query).all()
                if not rows:
                    return
                for row in rows:
                    if self._archived <= self.retention.budget_bytes:
                        break
                    if row.outcome != Outcome.PASS:
                        log.warning("archive over its budget with no passing capture left: removing the "
                                    "%s capture of result %s", row.outcome, row.id)
                    (self.archive / row.archive_path).unlink(missing_ok=True)
                    conn.execute(update(db.results).where(db.results.c.id == row.id)
                                 .values(archive_path=None, archive_bytes=0))
                    self._archived -= row.archive_bytes

    def get(self, result_id: str) -> ResultRecord:
        """One record by id.

        Raises:
            NotFoundError: no such record.
        """
        with self.engine.begin() as conn:
            record = conn.execute(select(db.results.c.record).where(db.results.c.id == result_id)).scalar()
        if record is None:
            raise NotFoundError(f"no result with id '{result_id}'")
        return ResultRecord.from_json(record)

    def capture_path(self, result_id: str) -> Path:
        """The archived capture of a record.

        Raises:
            NotFoundError: no such record, or its capture was not kept (retention) or has been evicted.
        """
        with self.engine.begin() as conn:
            row = conn.execute(select(db.results.c.archive_path).where(db.results.c.id == result_id)).first()
        if row is None:
            raise NotFoundError(f"no result with id '{result_id}'")
        if row.archive_path is None:
            raise NotFoundError(f"the capture of result '{result_id}' is not archived (retention keeps every "
                                f"failing capture, a sample of passing ones, within a disk budget)")
        return self.archive / row.archive_path

    def archived(self, where: ResultFilter, limit: int | None = None) -> list[tuple[str, Path]]:
        """The id and archived capture of each record matching ``where`` that has one, newest first, in one query.

        ``limit``: at most this many (``None``: all).
        """
        condition = _condition(where) & db.results.c.archive_path.is_not(None)
        query = (select(db.results.c.id, db.results.c.archive_path).where(condition)
                 .order_by(db.results.c.time.desc(), db.results.c.id).limit(limit))
        with self.engine.begin() as conn:
            return [(row.id, self.archive / row.archive_path) for row in conn.execute(query)]

    def query(self, where: ResultFilter, limit: int = 50, offset: int = 0) -> ResultPage:
        """Records matching ``where``, newest first, ``limit`` from ``offset``."""
        condition = _condition(where)
        with self.engine.begin() as conn:
            total = int(conn.execute(select(func.count()).select_from(db.results).where(condition)).scalar_one())
            records = conn.execute(select(db.results.c.record).where(condition)
                                   .order_by(db.results.c.time.desc(), db.results.c.id)
                                   .limit(limit).offset(offset)).scalars().all()
        return ResultPage(total, [ResultRecord.from_json(r) for r in records])

    def counts(self, since: datetime) -> dict[Outcome, int]:
        """How many records of each outcome were stored at or after ``since``."""
        query = (select(db.results.c.outcome, func.count()).where(db.results.c.time >= _utc(since))
                 .group_by(db.results.c.outcome))
        counted = dict.fromkeys(Outcome, 0)
        with self.engine.begin() as conn:
            for outcome, n in conn.execute(query):
                counted[Outcome(outcome)] = int(n)
        return counted

    def export_csv(self, where: ResultFilter, batch: int = 500) -> Iterator[str]:
        """CSV lines of the records matching ``where``, oldest first, with a header line.

        ``rois`` holds ``roi=class|pass|fail`` pairs separated by ``;``, ``models`` ``type=vN`` pairs (the model
        version that judged each inspection type).
        """
        yield _csv_line(CSV_COLUMNS)
        offset = 0
        while True:
            with self.engine.begin() as conn:
                rows = conn.execute(select(db.results).where(_condition(where))
                                    .order_by(db.results.c.time, db.results.c.id)
                                    .limit(batch).offset(offset)).mappings().all()
            for row in rows:
                yield _csv_line(_csv_row(row))
            if len(rows) < batch:
                return
            offset += batch


def _condition(where: ResultFilter) -> ColumnElement[bool]:
    table, rois = db.results, db.result_rois
    parts: list[ColumnElement[bool]] = []
    if where.since is not None:
        parts.append(table.c.time >= _utc(where.since))
    if where.until is not None:
        parts.append(table.c.time < _utc(where.until))
    if where.recipe is not None:
        parts.append(table.c.recipe == where.recipe)
    if where.outcome is not None:
        parts.append(table.c.outcome == where.outcome.value)
    if where.roi is not None or where.class_name is not None:
        inner = [rois.c.result_id == table.c.id]
        if where.roi is not None:
            inner.append(rois.c.roi == where.roi)
        if where.class_name is not None:
            inner.append(rois.c.class_name == where.class_name)
        parts.append(exists().where(*inner))
    if where.model_version is not None:
        models = db.result_models
        parts.append(exists().where(models.c.result_id == table.c.id, models.c.version == where.model_version))
    if where.archived:
        parts.append(table.c.archive_path.is_not(None))
    return and_(True, *parts)


def _csv_row(row: Any) -> tuple[Any, ...]:
    record = row["record"]
    rois = ";".join(f"{r['roi']}={r.get('class') or ('pass' if r['pass'] else 'fail')}" for r in record.get("rois", []))
    models = ";".join(f"{name}=v{ref['version']}" for name, ref in record.get("models", {}).items())
    return (row["id"], record["time"], row["recipe"] or "", row["image"], row["outcome"],
            "" if row["cycle_ms"] is None else row["cycle_ms"], rois, record.get("error") or record.get("skipped", ""),
            record.get("recipe_revision") or "", models)


def _csv_line(values: tuple[Any, ...]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(values)
    return buffer.getvalue()


def _utc(moment: datetime) -> datetime:
    """As naive UTC: how SQLite stores and compares times (PostgreSQL takes it as UTC too)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None)
