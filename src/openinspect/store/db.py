"""The workspace database schema (SQLAlchemy Core) and engine set-up: SQLite in WAL mode by default."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Index,
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

recipe_revisions = Table(
    "recipe_revisions",
    metadata,
    Column("recipe", String, primary_key=True),
    Column("revision", Integer, primary_key=True, doc="1, 2, 3... per recipe name"),
    Column("yaml", String, nullable=False, doc="the recipe file's text at this revision"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("actor", String, nullable=False, doc="who saved it: a token's name, cli:<user>, or openinspect"),
    Column("summary", String, nullable=False, doc="what changed, in a line"),
)


deployments = Table(
    "deployments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True, doc="the newest row of a type is in force"),
    Column("recipe", String, nullable=False),
    Column("type", String, nullable=False),
    Column("version", Integer, nullable=False, doc="the model version the station runs"),
    Column("previous", Integer, nullable=True, doc="the version a rollback goes back to; null: none"),
    Column("back_to", Integer, nullable=True, doc="the row a rollback restores (its version is `previous`)"),
    Column("action", String(8), nullable=False, doc="deploy | rollback"),
    Column("deployed_at", DateTime(timezone=True), nullable=False),
    Index("ix_deployments_recipe_type", "recipe", "type", "id"),
)

station_setup = Table(
    "station_setup",
    metadata,
    Column("id", Integer, primary_key=True, doc="one row, id 1: the station's set-up in force"),
    Column("document", JSON, nullable=False, doc="capture source, trigger and outputs (integrations/config.py)"),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("actor", String, nullable=False, doc="who saved it last"),
)


synthetic = Table(
    "synthetic",
    metadata,
    Column("sha256", String(64), primary_key=True, doc="the synthetic image in the library"),
    Column("recipe", String, primary_key=True),
    Column("type", String, nullable=False, doc="the inspection type it was made and labelled for"),
    Column("rois", JSON, nullable=False, doc="the ROI names its defects were placed in"),
    Column("host", String(64), nullable=False, doc="the library capture it was made from"),
    Column("description", String, nullable=False, doc="the defect as the user described it"),
    Column("seed", Integer, nullable=False, doc="the seed that makes the same image again"),
    Column("spec", JSON, nullable=False, doc="the parsed defect specification"),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
"""Images made by the Defect Creator: flagged so training never validates on them and the pages show them apart.

A table added after the first release: :func:`create_db_engine` creates it on an existing database (``create_all``
adds missing tables and leaves existing ones), so an older workspace opens unchanged, with no synthetic images.
"""


results_metadata = MetaData()
"""The station's results: kept apart from the workspace tables so they can live on another server."""

results = Table(
    "results",
    results_metadata,
    Column("id", String(36), primary_key=True, doc="uuid4"),
    Column("time", DateTime(), nullable=False, index=True, doc="naive UTC: compares the same on every dialect"),
    Column("recipe", String, nullable=True, index=True),
    Column("image", String, nullable=False, doc="the capture's name: upload file name or source name"),
    Column("outcome", String(8), nullable=False, index=True, doc="pass | fail | error | skipped"),
    Column("cycle_ms", Float, nullable=True),
    Column("archive_path", String, nullable=True, doc="archived capture, relative to the archive folder"),
    Column("archive_bytes", Integer, nullable=False, default=0),
    Column("record", JSON, nullable=False, doc="the full result object, as the API returns it"),
)

result_rois = Table(
    "result_rois",
    results_metadata,
    Column("result_id", String(36), ForeignKey("results.id", ondelete="CASCADE"), primary_key=True),
    Column("roi", String, primary_key=True),
    Column("type", String, nullable=False),
    Column("class_name", String, nullable=True, doc="classifier ROIs only"),
    Column("passes", Boolean, nullable=False),
    Index("ix_result_rois_roi_class", "roi", "class_name"),
)

audit = Table(
    "audit",
    results_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True, doc="in the order the changes were made"),
    Column("time", DateTime(), nullable=False, index=True, doc="naive UTC"),
    Column("actor", String, nullable=False, index=True),
    Column("action", String, nullable=False),
    Column("recipe", String, nullable=True, index=True),
    Column("object", String, nullable=False, doc="what was changed, in words"),
    Column("before", String, nullable=True),
    Column("after", String, nullable=True),
    Column("detail", String, nullable=False),
)


result_models = Table(
    "result_models",
    results_metadata,
    Column("result_id", String(36), ForeignKey("results.id", ondelete="CASCADE"), primary_key=True),
    Column("type", String, primary_key=True),
    Column("version", Integer, nullable=False, index=True, doc="the model version that judged the type's ROIs"),
    Column("sha256", String(64), nullable=False, doc="of its model.onnx"),
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


def create_results_engine(url: str) -> Engine:
    """Create an engine for a results store on any SQLAlchemy URL (SQLite or PostgreSQL) and its tables."""
    engine = create_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    results_metadata.create_all(engine)
    return engine
