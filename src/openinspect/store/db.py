"""The workspace database schema (SQLAlchemy Core) and engine set-up: SQLite in WAL mode by default."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
)

metadata = MetaData()

images = Table(
    "images",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("path", String, nullable=False, doc="relative to the workspace"),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("original_name", String, nullable=False),
    Column("added_at", DateTime(timezone=True), nullable=False),
)

labels = Table(
    "labels",
    metadata,
    Column("recipe", String, primary_key=True),
    Column("type", String, primary_key=True),
    Column("image", String(64), primary_key=True),
    Column("roi", String, primary_key=True),
    Column("class_name", String, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

masks = Table(
    "masks",
    metadata,
    Column("recipe", String, primary_key=True),
    Column("type", String, primary_key=True),
    Column("image", String(64), primary_key=True),
    Column("path", String, nullable=False, doc="class-map PNG, relative to the workspace"),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

model_versions = Table(
    "model_versions",
    metadata,
    Column("recipe", String, primary_key=True),
    Column("type", String, primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("mode", String, nullable=False),
    Column("path", String, nullable=False, doc="relative to the workspace"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("metrics", JSON, nullable=False),
)


def create_db_engine(url: str) -> Engine:
    """Create the engine and the tables; SQLite gets WAL journaling and a busy timeout."""
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    metadata.create_all(engine)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
