"""Recipe revisions: every saved state of a recipe, numbered 1, 2, 3... per recipe name and never changed.

The rows live in the workspace database (``recipe_revisions``); :class:`~openinspect.store.Workspace` writes a
revision's row before the recipe file, and records a file that matches no revision (edited by hand, or a save
interrupted between the two) as a new revision when it next reads the recipe's head. So the latest revision is
always what the file holds.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, RowMapping, func, insert, select

from openinspect.recipe import Recipe, parse_recipe
from openinspect.store import db

SYSTEM_ACTOR = "openinspect"
"""The actor of saves the program makes on its own (the demo's recipes)."""
FILE_ACTOR = "file"
"""The actor of a recipe file found changed on disk, not saved through OpenInspect."""


@dataclass(frozen=True)
class Revision:
    """One immutable saved state of a recipe."""

    recipe: str
    number: int
    yaml: str
    """The recipe file's text."""
    created_at: datetime
    actor: str
    """Who saved it: a token's name, ``cli:<user>``, ``openinspect`` or ``file``."""
    summary: str
    """What changed from the revision before, in a line."""

    def parsed(self) -> Recipe:
        """The recipe of this revision.

        Raises:
            RecipeError: it does not validate against this version's schema.
        """
        return parse_recipe(self.yaml, f"recipe '{self.recipe}' revision {self.number}")


def latest(conn: Connection, recipe: str) -> Revision | None:
    """The newest revision of ``recipe``, if it has any."""
    row = conn.execute(select(db.recipe_revisions).where(db.recipe_revisions.c.recipe == recipe)
                       .order_by(db.recipe_revisions.c.revision.desc()).limit(1)).mappings().first()
    return None if row is None else _revision(row)


def history(conn: Connection, recipe: str) -> list[Revision]:
    """Every revision of ``recipe``, oldest first."""
    rows = conn.execute(select(db.recipe_revisions).where(db.recipe_revisions.c.recipe == recipe)
                        .order_by(db.recipe_revisions.c.revision)).mappings().all()
    return [_revision(row) for row in rows]


def append(conn: Connection, recipe: str, text: str, actor: str, summary: str,
           created_at: datetime | None = None) -> Revision:
    """Add the next revision of ``recipe``.

    The number is taken in the insert itself, so two processes saving the same recipe at once (each with its own
    workspace) get consecutive numbers instead of one failing on the other's.
    """
    table = db.recipe_revisions
    following = select(func.coalesce(func.max(table.c.revision), 0) + 1).where(table.c.recipe == recipe)
    created = created_at or datetime.now(UTC)
    number = conn.execute(insert(table).values(recipe=recipe, revision=following.scalar_subquery(), yaml=text,
                                               actor=actor, created_at=created, summary=summary)
                          .returning(table.c.revision)).scalar_one()
    return Revision(recipe, number, text, created, actor, summary)


def unified_diff(a: Revision, b: Revision) -> str:
    """The change from revision ``a`` to ``b`` as a unified diff of their YAML (empty when they are the same)."""
    lines = difflib.unified_diff(a.yaml.splitlines(keepends=True), b.yaml.splitlines(keepends=True),
                                 f"{a.recipe} revision {a.number}", f"{b.recipe} revision {b.number}")
    return "".join(line if line.endswith("\n") else f"{line}\n" for line in lines)


def _revision(row: RowMapping) -> Revision:
    created = row["created_at"]
    created = created if created.tzinfo is not None else created.replace(tzinfo=UTC)  # SQLite drops the zone
    return Revision(row["recipe"], row["revision"], row["yaml"], created, row["actor"], row["summary"])
