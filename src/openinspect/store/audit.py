"""The audit trail: who changed which recipe, labels, training or station setting, when, before and after.

Records go to the results database (``audit`` table beside ``results``: the workspace's SQLite file, or
``OPENINSPECT_DATABASE_URL``) and are only ever appended; nothing here or in the API edits or deletes one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, Connection, Engine, RowMapping, and_, func, insert, select

from openinspect.store import db


class AuditAction(StrEnum):
    """What an audit record says was done."""

    RECIPE_CREATE = "recipe.create"
    RECIPE_SAVE = "recipe.save"
    """A changed recipe; its ``detail`` says what changed (``threshold only: ...`` for a threshold change)."""
    RECIPE_REVERT = "recipe.revert"
    RECIPE_DELETE = "recipe.delete"
    RECIPE_IMPORT = "recipe.import"
    TEMPLATE_SET = "recipe.template"
    """A new template capture (and alignment region)."""
    LABELS_SET = "labels.set"
    """Labels or masks added or changed; ``detail`` counts them."""
    SYNTHETIC_ADD = "synthetic.add"
    """Synthetic images from the Defect Creator added to a type's data set; ``detail``: how many, label, seeds."""
    TRAINING_START = "training.start"
    TRAINING_STOP = "training.stop"
    MODEL_DEPLOY = "model.deploy"
    """A model version deployed (by hand, or by a training run); ``before``/``after``: the versions in force."""
    MODEL_ROLLBACK = "model.rollback"
    """The version in force before the current deployment deployed again; ``before``/``after`` as for a deploy."""
    BACKTEST_START = "backtest.start"
    """A candidate model version re-judging archived captures; ``before``/``after``: deployed and candidate."""
    ACTIVE_RECIPE = "station.active_recipe"
    STATION_SETTINGS = "station.settings"
    """The station's capture source, trigger or outputs changed; ``detail`` lists the fields (never a password)."""
    TIMER_START = "station.timer_start"
    """Timed triggering started from the Live page or the API."""
    TIMER_STOP = "station.timer_stop"
    SHIFT_RESET = "station.shift_reset"
    """The shift counters started again from zero; ``before``: the totals of the shift that ended."""


@dataclass(frozen=True)
class AuditRecord:
    """One change, as the audit trail keeps it."""

    id: int
    time: datetime
    actor: str
    """A token's name, ``cli:<user>``, or ``openinspect`` for the program's own changes."""
    action: AuditAction
    recipe: str | None
    """The recipe the change concerns, if one."""
    object: str
    """What was changed, in words: ``recipe plate``, ``type surface``..."""
    before: str | None
    """The state before (``revision 3``, a recipe name), if there was one."""
    after: str | None
    detail: str


@dataclass(frozen=True)
class AuditFilter:
    """Which records a query returns; ``None`` fields do not filter."""

    since: datetime | None = None
    actor: str | None = None
    recipe: str | None = None


@dataclass(frozen=True)
class AuditPage:
    """One page of records, newest first, and how many match in all."""

    total: int
    items: list[AuditRecord]


class AuditLog:
    """The append-only audit trail on one database.

    Args:
        engine: the results database; the ``audit`` table is created if missing.
    """

    def __init__(self, engine: Engine) -> None:
        db.results_metadata.create_all(engine, tables=[db.audit])
        self.engine = engine

    def record(self, actor: str, action: AuditAction, target: str, *, recipe: str | None = None,
               before: str | None = None, after: str | None = None, detail: str = "",
               within: Connection | None = None) -> None:
        """Append one record, timed now; ``target`` is its ``object``: what was changed, in words.

        ``within``: the open transaction of the change; on this trail's database the record is written in it, so
        the change and its record are committed together or not at all. On another database (a separate results
        database) the record is committed at once, before the change's own commit.
        """
        row = {"time": datetime.now(UTC).replace(tzinfo=None), "actor": actor, "action": action.value,
               "recipe": recipe, "object": target, "before": before, "after": after, "detail": detail}
        if within is not None and within.engine is self.engine:
            within.execute(insert(db.audit).values(row))
            return
        with self.engine.begin() as conn:
            conn.execute(insert(db.audit).values(row))

    def query(self, where: AuditFilter, limit: int = 100, offset: int = 0) -> AuditPage:
        """Records matching ``where``, newest first, ``limit`` from ``offset``."""
        condition = _condition(where)
        with self.engine.begin() as conn:
            total = int(conn.execute(select(func.count()).select_from(db.audit).where(condition)).scalar_one())
            rows = conn.execute(select(db.audit).where(condition).order_by(db.audit.c.id.desc())
                                .limit(limit).offset(offset)).mappings().all()
        return AuditPage(total, [_record(row) for row in rows])

    def latest(self, action: AuditAction) -> AuditRecord | None:
        """The newest record of one action, or ``None`` when there is none."""
        with self.engine.begin() as conn:
            row = conn.execute(select(db.audit).where(db.audit.c.action == action.value)
                               .order_by(db.audit.c.id.desc()).limit(1)).mappings().first()
        return None if row is None else _record(row)


def _condition(where: AuditFilter) -> ColumnElement[bool]:
    parts: list[ColumnElement[bool]] = []
    if where.since is not None:
        since = where.since.astimezone(UTC) if where.since.tzinfo is not None else where.since
        parts.append(db.audit.c.time >= since.replace(tzinfo=None))
    if where.actor is not None:
        parts.append(db.audit.c.actor == where.actor)
    if where.recipe is not None:
        parts.append(db.audit.c.recipe == where.recipe)
    return and_(True, *parts)


def _record(row: RowMapping) -> AuditRecord:
    return AuditRecord(row["id"], row["time"].replace(tzinfo=UTC), row["actor"], AuditAction(row["action"]),
                       row["recipe"], row["object"], row["before"], row["after"], row["detail"])
