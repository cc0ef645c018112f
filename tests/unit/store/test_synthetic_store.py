"""Synthetic images are flagged in a table of their own, which a workspace made before it gains on opening."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine
from tests.conftest import png_bytes

from openinspect.store import SyntheticOrigin, Workspace, db


def _old_workspace(home: Path) -> None:
    """A workspace database as the release before synthetic images wrote it, holding one labelled image."""
    home.mkdir(parents=True)
    engine = create_engine(f"sqlite:///{home / 'openinspect.db'}")
    db.metadata.create_all(engine, tables=[t for t in db.metadata.sorted_tables if t.name != "synthetic"])
    engine.dispose()
    with sqlite3.connect(home / "openinspect.db") as conn:
        conn.execute("INSERT INTO images VALUES ('ab', 'images/ab/ab.png', 8, 8, 'old.png', '2026-01-01 00:00:00')")
        conn.execute("INSERT INTO labels VALUES ('r1', 't', 'ab', 'whole', 'good', '2026-01-01 00:00:00')")


def test_an_older_database_gains_the_synthetic_table_and_keeps_its_data(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _old_workspace(home)
    workspace = Workspace(home)
    with sqlite3.connect(home / "openinspect.db") as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "synthetic" in tables
    assert [(lb.image.original_name, lb.class_name) for lb in workspace.labels("r1", "t")] == [("old.png", "good")]
    assert workspace.synthetic("r1") == {}
    made = workspace.add_image(png_bytes(np.full((8, 8, 3), 90, np.uint8)), "synthetic.png")
    origin = SyntheticOrigin("t", ["whole"], "ab", "a dark stain", 3, {"kind": "stain"})
    workspace.record_synthetic("r1", made, origin)
    assert workspace.synthetic("r1") == {made.sha256: origin} and workspace.synthetic("r2") == {}
    workspace.record_synthetic("r1", made, SyntheticOrigin("t", ["whole"], "ab", "a dark stain", 4, {}))
    assert workspace.synthetic("r1")[made.sha256].seed == 4  # flagging it again replaces how it was made
