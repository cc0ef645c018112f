"""The station's set-up (capture source, trigger, outputs) as kept in the workspace database: one JSON document.

The document's shape is :class:`openinspect.integrations.config.StationSetup`'s; this module only keeps it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select

from openinspect.store import db
from openinspect.store.space import storage_errors

_ROW = 1


class SetupStore:
    """Reads and replaces the stored set-up.

    Args:
        engine: the workspace database (its tables exist: :func:`~openinspect.store.db.create_db_engine`).
        home: the workspace folder, for the free space a storage error reports.
    """

    def __init__(self, engine: Engine, home: Path) -> None:
        self.engine = engine
        self.home = home

    def load(self) -> dict[str, Any] | None:
        """The stored document; ``None`` before the first save."""
        with self.engine.begin() as conn:
            document = conn.execute(select(db.station_setup.c.document)
                                    .where(db.station_setup.c.id == _ROW)).scalar_one_or_none()
        return document if isinstance(document, dict) else None

    def save(self, document: dict[str, Any], actor: str, also: Callable[[Connection], None] | None = None) -> None:
        """Replace the stored document; ``also`` runs in the same transaction (the change's audit record).

        Raises:
            StorageError: the workspace database cannot be written.
        """
        with storage_errors(self.home, "the workspace database"), self.engine.begin() as conn:
            conn.execute(delete(db.station_setup).where(db.station_setup.c.id == _ROW))
            conn.execute(insert(db.station_setup).values(id=_ROW, document=document, actor=actor,
                                                         updated_at=datetime.now(UTC)))
            if also is not None:
                also(conn)
