"""The workspace on disk: recipes, content-addressed images, model versions and the database.

Layout (see DESIGN.md)::

    <home>/recipes/<recipe>/recipe.yaml
    <home>/images/<sha[:2]>/<sha>.<ext>
    <home>/models/<recipe>/<type>/v<N>/{model.onnx, meta.json}
    <home>/openinspect.db
"""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, Select, func, insert, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from openinspect.errors import ConflictError, ModelNotFoundError, NotFoundError, OpenInspectError, RecipeError
from openinspect.imaging import decode_image
from openinspect.recipe import NAME_HELP, Recipe, describe_change, dump_recipe, parse_recipe, valid_name
from openinspect.store import db, revisions
from openinspect.store.files import encode_png, staged_directory, write_atomic
from openinspect.store.meta import ModelMeta
from openinspect.store.revisions import FILE_ACTOR, SYSTEM_ACTOR, Revision
from openinspect.store.space import storage_errors

CAPTURES_FILE = "captures.json"
"""The list of a recipe's captures (image hashes) in its folder."""


@dataclass(frozen=True)
class StoredImage:
    """An image in the library."""

    sha256: str
    path: Path
    width: int
    height: int
    original_name: str
    added_at: datetime | None = field(default=None, compare=False)
    """When it entered the library (``None`` until it is recorded); not part of what makes two images the same."""


@dataclass(frozen=True)
class Label:
    """The class of one ROI crop of one image, for one inspection type."""

    image: StoredImage
    roi: str
    class_name: str


@dataclass(frozen=True)
class SyntheticOrigin:
    """How the Defect Creator made a synthetic image of a recipe."""

    type: str
    """The inspection type it was made and labelled for."""
    rois: list[str]
    """The ROIs its defects lie in."""
    host: str
    """The content hash of the capture it was made from."""
    description: str
    seed: int
    spec: dict[str, Any]
    """The parsed defect specification (the engine's ``DefectSpec.to_dict()``)."""


@dataclass(frozen=True)
class ModelVersion:
    """A trained, exported model of one inspection type."""

    recipe: str
    type: str
    version: int
    mode: str
    path: Path
    created_at: datetime
    metrics: dict[str, Any]

    @property
    def onnx_path(self) -> Path:
        """The ONNX file the runtime loads."""
        return self.path / "model.onnx"

    @property
    def int8_path(self) -> Path:
        """The int8 copy training kept when it scored within tolerance of fp32 (``meta().precision == "int8"``)."""
        return self.path / "model.int8.onnx"

    def meta(self) -> ModelMeta:
        """The model's ``meta.json``: classes, input size, mode, validation, metrics."""
        return ModelMeta.read(self.path)


@dataclass(frozen=True)
class Deployment:
    """A type's deployed model version: the one the station runs, from ``deployed_at`` on."""

    recipe: str
    type: str
    version: int
    previous: int | None
    """The version a rollback goes back to; ``None``: none."""
    action: str
    """``deploy`` or ``rollback``."""
    deployed_at: datetime


class Workspace:
    """One station's files and database; every write is atomic."""

    def __init__(self, home: Path, engine: Engine | None = None) -> None:
        self.home = home
        with storage_errors(home, "the workspace"):
            home.mkdir(parents=True, exist_ok=True)
            self.engine = engine or db.create_db_engine(f"sqlite:///{home / 'openinspect.db'}")
        self._open = threading.local()
        self._revising = threading.RLock()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """Make the block's database writes (on this thread) one transaction: all are committed at its end, or none.

        It yields the transaction's connection, for writes of the same database outside the workspace (the audit
        trail's record of the change).

        Files written in the block are not rolled back; what the workspace writes before its rows
        (content-addressed images and masks, model folders) is not referenced without them.
        """
        with self._tx() as conn:
            yield conn

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        """The open transaction of this thread, or a new one committed at the end of the block."""
        conn: Connection | None = getattr(self._open, "conn", None)
        if conn is not None:
            yield conn
            return
        with self.engine.begin() as conn:
            self._open.conn = conn
            try:
                yield conn
            finally:
                self._open.conn = None

    # -- recipes ---------------------------------------------------------------------------------

    def capture_ids(self, name: str) -> list[str]:
        """The content hashes of recipe ``name``'s captures (images added for labelling), oldest first."""
        try:
            return list(json.loads((self.recipe_path(name).parent / CAPTURES_FILE).read_text(encoding="utf-8"))
                        ["images"])
        except FileNotFoundError:
            return []

    def recipe_path(self, name: str) -> Path:
        """Where recipe ``name`` is stored (it may not exist).

        Raises:
            NotFoundError: ``name`` cannot be a recipe's (:func:`~openinspect.recipe.valid_name`), so no such recipe
                exists; a request's string never becomes a path without this check.
        """
        if not valid_name(name):
            raise NotFoundError(f"no recipe named {name!r}: recipe names {NAME_HELP}")
        return self.home / "recipes" / name / "recipe.yaml"

    def save_recipe(self, recipe: Recipe, *, actor: str = SYSTEM_ACTOR, summary: str | None = None,
                    recorded: Callable[[Connection, Revision], None] | None = None) -> Revision:
        """Store a validated recipe as its next revision, replacing an earlier one of the same name.

        The revision's row is written before the file, so a crash between the two leaves a file that
        :meth:`recipe_head` records again. Saving what the file holds already makes no revision.

        Args:
            recipe: the recipe.
            actor: who saves it (a token's name, ``cli:<user>``).
            summary: what changed; by default worked out from the stored recipe (:func:`describe_change`).
            recorded: called with the open transaction and the new revision before it is committed (not when
                nothing changed): what it writes there (the audit record) is committed with the revision.

        Returns:
            The recipe's revision now.

        Raises:
            RecipeError: its ``plc_number`` is another stored recipe's (:meth:`check_plc_number`).
        """
        self.check_plc_number(recipe)
        path = self.recipe_path(recipe.name)
        text = dump_recipe(recipe)
        with self._revising:
            try:
                head = self.recipe_head(recipe.name) if path.is_file() else None
            except RecipeError:  # an invalid file is replaced, never kept as a revision
                head = None
            if head is not None and head.yaml == text:
                return head
            with self._tx() as conn:
                revision = revisions.append(conn, recipe.name, text, actor, summary or _change(head, path, recipe))
                if recorded is not None:
                    recorded(conn, revision)
            write_atomic(path, text.encode("utf-8"))
        return revision

    def recipe_head(self, name: str) -> Revision:
        """The revision the recipe file holds now; a file that matches no latest revision is recorded as one first.

        Raises:
            NotFoundError: no such recipe.
            RecipeError: the file is not a valid recipe (nothing is recorded).
        """
        path, text = self._recipe_text(name)
        with self._revising, self._tx() as conn:
            latest = revisions.latest(conn, name)
            if latest is not None and latest.yaml == text:
                return latest
            found = parse_recipe(text, str(path))
            note = ("recorded from the file on disk" if latest is None else
                    f"the file on disk differs from revision {latest.number} (edited by hand, or a save interrupted "
                    f"before its file was written): {_change(latest, path, found)}")
            return revisions.append(conn, name, text, FILE_ACTOR, note)

    def recipe_revisions(self, name: str) -> list[Revision]:
        """Every revision of a recipe, oldest first (a deleted recipe keeps its history).

        Raises:
            NotFoundError: no recipe of that name, stored now or before.
            RecipeError: the recipe file is not a valid recipe.
        """
        if self.recipe_path(name).is_file():
            self.recipe_head(name)
        with self._tx() as conn:
            found = revisions.history(conn, name)
        if not found:
            self.recipe(name)  # raises the not-found error with the known recipes
        return found

    def recipe_revision(self, name: str, number: int) -> Revision:
        """Revision ``number`` of a recipe.

        Raises:
            NotFoundError: no such recipe or revision; the message gives the recipe's revisions.
        """
        found = self.recipe_revisions(name)
        for revision in found:
            if revision.number == number:
                return revision
        raise NotFoundError(f"recipe '{name}' has no revision {number}; its revisions are 1 to {found[-1].number} "
                            f"(`openinspect recipe history {name}`)")

    def record_revisions(self, name: str, history: list[Revision]) -> None:
        """Append revisions brought from elsewhere (an archive) after the recipe's own, in their order and text."""
        with self._revising, self._tx() as conn:
            for revision in history:
                revisions.append(conn, name, revision.yaml, revision.actor, revision.summary, revision.created_at)

    def plc_holders(self, names: list[str] | None = None) -> dict[int, list[str]]:
        """The stored recipes (of ``names``; default: all) that carry each PLC number; unreadable ones carry none."""
        holders: dict[int, list[str]] = {}
        for name in self.recipe_names() if names is None else names:
            try:
                number = self.recipe(name).plc_number
            except OpenInspectError:  # removed or broken meanwhile: selects nothing
                continue
            if number is not None:
                holders.setdefault(number, []).append(name)
        return holders

    def check_plc_number(self, recipe: Recipe) -> None:
        """Refuse a recipe whose ``plc_number`` another stored recipe carries: a PLC selects recipes by that number.

        Every way a recipe enters the workspace (HTTP API, ``recipe add``, archive import) passes here.

        Raises:
            RecipeError: the number is taken; the message names the recipe carrying it and the fix.
        """
        if recipe.plc_number is None:
            return
        holders = self.plc_holders()
        others = [name for name in holders.get(recipe.plc_number, []) if name != recipe.name]
        if others:
            taken = ", ".join(map(str, sorted(holders)))
            raise RecipeError(f"plc_number {recipe.plc_number} of recipe '{recipe.name}' is recipe '{others[0]}''s "
                              f"already, and a PLC selects recipes by that number: give '{recipe.name}' a number no "
                              f"other recipe has (taken: {taken}) or remove its plc_number, or first change "
                              f"'{others[0]}''s")

    def recipe(self, name: str) -> Recipe:
        """Load recipe ``name``.

        Raises:
            NotFoundError: no such recipe; the message lists the known ones.
            RecipeError: the file is not a valid recipe.
        """
        path, text = self._recipe_text(name)
        return parse_recipe(text, str(path))

    def _recipe_text(self, name: str) -> tuple[Path, str]:
        """The recipe file and its text.

        Raises:
            NotFoundError: no such recipe; the message lists the known ones.
            RecipeError: the file cannot be read.
        """
        path = self.recipe_path(name)
        try:
            return path, path.read_text(encoding="utf-8")
        except FileNotFoundError:
            known = ", ".join(self.recipe_names()) or "none yet"
            raise NotFoundError(f"no recipe named '{name}'; known recipes: {known}. "
                                f"Add one with `openinspect recipe add FILE.yaml`") from None
        except OSError as err:
            raise RecipeError(f"cannot read recipe file {path}: {err.strerror}") from err

    def recipe_names(self) -> list[str]:
        """Names of all stored recipes, sorted."""
        root = self.home / "recipes"
        return sorted(p.parent.name for p in root.glob("*/recipe.yaml")) if root.is_dir() else []

    # -- images ----------------------------------------------------------------------------------

    def add_image(self, data: bytes, original_name: str) -> StoredImage:
        """Store an encoded image once by content; adding the same bytes again returns the stored one.

        Raises:
            ImageError: the bytes do not decode as an image (nothing is stored).

        """
        existing = self.image(content_id(data), missing_ok=True)
        if existing is not None:
            return existing
        stored = self.write_image(data, original_name)
        self.record_image(stored)
        return stored

    def write_image(self, data: bytes, original_name: str) -> StoredImage:
        """Check an encoded image and write its file, without adding it to the library yet (:meth:`record_image`).

        The file is named by content, so nothing refers to it until it is recorded: an import writes its
        images first and records them in one short transaction.

        Raises:
            ImageError: the bytes do not decode as an image (nothing is written).

        """
        sha = content_id(data)
        pixels = decode_image(data, original_name)
        suffix = Path(original_name).suffix.lower() or ".img"
        path = self.home / "images" / sha[:2] / f"{sha}{suffix}"
        write_atomic(path, data)
        return StoredImage(sha, path, pixels.shape[1], pixels.shape[0], original_name)

    def record_image(self, image: StoredImage) -> None:
        """Add an image written by :meth:`write_image` to the library; an image stored already stays as it is."""
        row = {"sha256": image.sha256, "path": str(image.path.relative_to(self.home)), "width": image.width,
               "height": image.height, "original_name": image.original_name, "added_at": datetime.now(UTC)}
        with self._tx() as conn:
            conn.execute(sqlite_insert(db.images).values(row).on_conflict_do_nothing())

    def image_known(self, data: bytes) -> bool:
        """Whether these exact bytes are in the library already."""
        return self.image(content_id(data), missing_ok=True) is not None

    def image(self, sha256: str, *, missing_ok: bool = False) -> StoredImage | None:
        """The stored image with this hash (``None`` when ``missing_ok`` and absent)."""
        with self._tx() as conn:
            row = conn.execute(select(db.images).where(db.images.c.sha256 == sha256)).mappings().first()
        if row is None:
            if missing_ok:
                return None
            raise NotFoundError(f"no image {sha256} in the workspace")
        return self._stored(row)

    def _stored(self, row: Any) -> StoredImage:
        return StoredImage(row["sha256"], self.home / row["path"], row["width"], row["height"],
                           row["original_name"], row["added_at"])

    def discard_unrecorded(self, paths: list[Path]) -> None:
        """Remove files written by :meth:`write_image` or :meth:`write_mask` that no row refers to (a failed import).

        A file another row refers to stays: images and masks are shared by content.
        """
        relative = [str(path.relative_to(self.home)) for path in paths]
        with self._tx() as conn:
            used = {*conn.execute(select(db.images.c.path).where(db.images.c.path.in_(relative))).scalars(),
                    *conn.execute(select(db.masks.c.path).where(db.masks.c.path.in_(relative))).scalars()}
        for path in set(relative) - used:
            (self.home / path).unlink(missing_ok=True)

    # -- labels ----------------------------------------------------------------------------------

    def set_label(self, recipe: str, type_name: str, image: StoredImage, roi: str, class_name: str) -> None:
        """Label one ROI crop; labelling it again replaces the earlier class."""
        row = {"recipe": recipe, "type": type_name, "image": image.sha256, "roi": roi,
               "class_name": class_name, "updated_at": datetime.now(UTC)}
        statement = sqlite_insert(db.labels).values(row)
        statement = statement.on_conflict_do_update(
            index_elements=["recipe", "type", "image", "roi"],
            set_={"class_name": row["class_name"], "updated_at": row["updated_at"]})
        with self._tx() as conn:
            conn.execute(statement)

    def labels(self, recipe: str, type_name: str) -> list[Label]:
        """All labels of one inspection type, oldest image first."""
        query = (select(db.labels.c.roi, db.labels.c.class_name, db.images)
                 .join(db.images, db.images.c.sha256 == db.labels.c.image)
                 .where(db.labels.c.recipe == recipe, db.labels.c.type == type_name)
                 .order_by(db.images.c.added_at, db.images.c.sha256, db.labels.c.roi))
        with self._tx() as conn:
            rows = conn.execute(query).mappings().all()
        return [Label(self._stored(row), row["roi"], row["class_name"]) for row in rows]

    def set_mask(self, recipe: str, type_name: str, image: StoredImage, mask: np.ndarray) -> None:
        """Store the pixel labels of a capture for a segmenter type, replacing earlier ones.

        Args:
            recipe: recipe name.
            type_name: segmenter type name.
            image: the stored capture.
            mask: ``(H, W)`` uint8 class map of the capture's size (0 = background, k = k-th pixel class).
        """
        self.record_mask(recipe, type_name, image, self.write_mask(encode_png(mask)))

    def write_mask(self, png: bytes) -> Path:
        """Write an encoded class map (PNG of an ``(H, W)`` uint8 map, checked by the caller), named by content.

        Nothing refers to the file until :meth:`record_mask` makes it an image's mask.
        """
        path = self.home / "masks" / f"{content_id(png)}.png"
        if not path.is_file():
            write_atomic(path, png)
        return path

    def record_mask(self, recipe: str, type_name: str, image: StoredImage, path: Path) -> None:
        """Make a class map written by :meth:`write_mask` the pixel labels of a capture, replacing earlier ones."""
        row = {"recipe": recipe, "type": type_name, "image": image.sha256, "path": str(path.relative_to(self.home)),
               "updated_at": datetime.now(UTC)}
        statement = sqlite_insert(db.masks).values(row).on_conflict_do_update(
            index_elements=["recipe", "type", "image"], set_={"path": row["path"], "updated_at": row["updated_at"]})
        with self._tx() as conn:
            conn.execute(statement)

    def masks(self, recipe: str, type_name: str) -> list[tuple[StoredImage, Path]]:
        """Every labelled capture of a segmenter type with the path of its class-map PNG, oldest first."""
        query = (select(db.masks.c.path.label("mask_path"), db.images)
                 .join(db.images, db.images.c.sha256 == db.masks.c.image)
                 .where(db.masks.c.recipe == recipe, db.masks.c.type == type_name)
                 .order_by(db.images.c.added_at, db.images.c.sha256))
        with self._tx() as conn:
            rows = conn.execute(query).mappings().all()
        return [(self._stored(row), self.home / row["mask_path"]) for row in rows]

    # -- synthetic images ------------------------------------------------------------------------

    def record_synthetic(self, recipe: str, image: StoredImage, origin: SyntheticOrigin) -> None:
        """Flag a library image as synthetic for a recipe, with how it was made; flagging it again replaces that."""
        row = {"sha256": image.sha256, "recipe": recipe, "type": origin.type, "rois": list(origin.rois),
               "host": origin.host, "description": origin.description, "seed": origin.seed, "spec": origin.spec,
               "created_at": datetime.now(UTC)}
        statement = sqlite_insert(db.synthetic).values(row).on_conflict_do_update(
            index_elements=["sha256", "recipe"], set_={k: v for k, v in row.items() if k not in ("sha256", "recipe")})
        with self._tx() as conn:
            conn.execute(statement)

    def synthetic(self, recipe: str) -> dict[str, SyntheticOrigin]:
        """The recipe's synthetic images: content hash -> how it was made."""
        with self._tx() as conn:
            rows = conn.execute(select(db.synthetic).where(db.synthetic.c.recipe == recipe)).mappings().all()
        return {row["sha256"]: SyntheticOrigin(row["type"], list(row["rois"]), row["host"], row["description"],
                                               row["seed"], dict(row["spec"])) for row in rows}

    # -- models ----------------------------------------------------------------------------------

    @contextmanager
    def new_model_version(self, recipe: str, type_name: str, mode: str,
                          created_at: datetime | None = None, *, deploy: bool = False) -> Iterator[Path]:
        """Stage a model version folder; on success it is published and recorded, else removed.

        The block writes ``model.onnx`` and ``meta.json`` (:meth:`ModelMeta.write`) into the yielded folder; its
        ``metrics`` are copied into the database record. The version is numbered after the type's
        newest one; ``created_at`` (default: now) is when it was made, kept when a model is copied.
        It stays a candidate unless ``deploy`` is set or it is the type's first version, which is deployed in the
        same transaction as its record.
        """
        with self._tx() as conn:
            latest = conn.execute(select(func.max(db.model_versions.c.version)).where(
                db.model_versions.c.recipe == recipe, db.model_versions.c.type == type_name)).scalar()
        version = (latest or 0) + 1
        relative = Path("models") / recipe / type_name / f"v{version}"
        final = self.home / relative
        if final.exists():  # left by a crash between rename and insert: never trusted
            shutil.rmtree(final)
        with staged_directory(final) as staging:
            yield staging
        metrics = ModelMeta.read(final).metrics
        with self._tx() as conn:
            in_force = self._in_force(conn, recipe, type_name)
            conn.execute(insert(db.model_versions).values(
                recipe=recipe, type=type_name, version=version, mode=mode, path=str(relative),
                created_at=created_at or datetime.now(UTC), metrics=metrics))
            if deploy or in_force is None:
                self._record_deployment(conn, recipe, type_name, version, in_force)

    def latest_model(self, recipe: str, type_name: str) -> ModelVersion:
        """The newest model version of an inspection type.

        Raises:
            ModelNotFoundError: the type has never been trained.

        """
        query = (select(db.model_versions).where(db.model_versions.c.recipe == recipe,
                                                 db.model_versions.c.type == type_name)
                 .order_by(db.model_versions.c.version.desc()).limit(1))
        with self._tx() as conn:
            row = conn.execute(query).mappings().first()
        if row is None or not (self.home / row["path"] / "model.onnx").is_file():
            raise ModelNotFoundError(
                f"inspection type '{type_name}' of recipe '{recipe}' has no trained model; "
                f"train one with `openinspect train {recipe} --type {type_name}`")
        return self._version(row)

    def model_versions(self, recipe: str, type_name: str) -> list[ModelVersion]:
        """Every recorded model version of an inspection type, oldest first."""
        query = (select(db.model_versions).where(db.model_versions.c.recipe == recipe,
                                                 db.model_versions.c.type == type_name)
                 .order_by(db.model_versions.c.version))
        with self._tx() as conn:
            rows = conn.execute(query).mappings().all()
        return [self._version(row) for row in rows]

    def model_version(self, recipe: str, type_name: str, version: int) -> ModelVersion:
        """One model version of an inspection type.

        Raises:
            NotFoundError: no such version, or its ``model.onnx`` is gone; the message lists the type's versions.
        """
        query = select(db.model_versions).where(db.model_versions.c.recipe == recipe,
                                                db.model_versions.c.type == type_name,
                                                db.model_versions.c.version == version)
        with self._tx() as conn:
            row = conn.execute(query).mappings().first()
        if row is None or not (self.home / row["path"] / "model.onnx").is_file():
            known = ", ".join(f"v{v.version}" for v in self.model_versions(recipe, type_name)) or "none yet"
            raise NotFoundError(f"type '{type_name}' of recipe '{recipe}' has no model v{version}; its versions: "
                                f"{known} (`openinspect model list {recipe} --type {type_name}`)")
        return self._version(row)

    def deployments(self, recipe: str, type_name: str) -> list[Deployment]:
        """A type's deployment history, newest (the one in force) first."""
        with self._tx() as conn:
            rows = conn.execute(self._history(recipe, type_name)).mappings().all()
        return [_deployment(row) for row in rows]

    def deployed_version(self, recipe: str, type_name: str) -> int | None:
        """The version the station runs; ``None`` before the type's first model.

        A type trained before deployments were recorded runs its newest version until one is deployed.
        """
        with self._tx() as conn:
            row = conn.execute(self._history(recipe, type_name).limit(1)).mappings().first()
            return row["version"] if row is not None else self._newest_version(conn, recipe, type_name)

    def deployed_model(self, recipe: str, type_name: str) -> ModelVersion:
        """The model version the station runs (:meth:`deployed_version`).

        Raises:
            ModelNotFoundError: the type has never been trained, or its deployed version's files are gone.
        """
        version = self.deployed_version(recipe, type_name)
        if version is None:
            return self.latest_model(recipe, type_name)  # raises: untrained
        try:
            return self.model_version(recipe, type_name, version)
        except NotFoundError as err:
            raise ModelNotFoundError(f"the deployed model of type '{type_name}' of recipe '{recipe}' is missing: "
                                     f"{err}; deploy another with `openinspect model deploy {recipe} --type "
                                     f"{type_name} --version N`") from err

    def deploy_model(self, recipe: str, type_name: str, version: int) -> Deployment:
        """Make ``version`` the one the station runs (one transaction); deploying the one in force changes nothing.

        The caller checks that the version fits the recipe (the model service does).

        Raises:
            NotFoundError: no such version.
        """
        with self._tx() as conn:
            self.model_version(recipe, type_name, version)
            in_force = self._in_force(conn, recipe, type_name)
            if in_force is not None and in_force["version"] == version:
                return _deployment(in_force)
            return self._record_deployment(conn, recipe, type_name, version, in_force)

    def rollback_target(self, recipe: str, type_name: str) -> ModelVersion:
        """The version :meth:`roll_back_model` would deploy again.

        Raises:
            ConflictError: no deployment before the one in force.
            NotFoundError: that version's files are gone.
        """
        with self._tx() as conn:
            return self.model_version(recipe, type_name, self._restored(conn, recipe, type_name)["version"])

    def roll_back_model(self, recipe: str, type_name: str) -> Deployment:
        """Deploy again the version that was in force before the current deployment, in one transaction.

        Rolling back again goes one deployment further back.

        Raises:
            ConflictError: no deployment before the one in force.
        """
        with self._tx() as conn:
            restored = self._restored(conn, recipe, type_name)
            row = {**restored, "action": "rollback", "deployed_at": datetime.now(UTC)}
            conn.execute(insert(db.deployments).values({k: v for k, v in row.items() if k != "id"}))
        return _deployment(row)

    def _restored(self, conn: Connection, recipe: str, type_name: str) -> Any:
        """The deployment row a rollback restores."""
        in_force = self._in_force(conn, recipe, type_name)
        if in_force is None or in_force["back_to"] is None:
            current = "has no deployed model" if in_force is None else f"has had only v{in_force['version']} deployed"
            raise ConflictError(f"nothing to roll back to: type '{type_name}' of recipe '{recipe}' {current}; "
                                f"deploy a version with `openinspect model deploy {recipe} --type {type_name} "
                                f"--version N`")
        return conn.execute(select(db.deployments).where(db.deployments.c.id == in_force["back_to"])).mappings().one()

    def _history(self, recipe: str, type_name: str) -> Select[Any]:
        return (select(db.deployments).where(db.deployments.c.recipe == recipe, db.deployments.c.type == type_name)
                .order_by(db.deployments.c.id.desc()))

    def _in_force(self, conn: Connection, recipe: str, type_name: str) -> Any:
        """The deployment row in force; a type trained before deployments were recorded gets one for its newest."""
        row = conn.execute(self._history(recipe, type_name).limit(1)).mappings().first()
        if row is None and (newest := self._newest_version(conn, recipe, type_name)) is not None:
            self._record_deployment(conn, recipe, type_name, newest, None)
            row = conn.execute(self._history(recipe, type_name).limit(1)).mappings().first()
        return row

    @staticmethod
    def _newest_version(conn: Connection, recipe: str, type_name: str) -> int | None:
        return conn.execute(select(func.max(db.model_versions.c.version)).where(
            db.model_versions.c.recipe == recipe, db.model_versions.c.type == type_name)).scalar()

    @staticmethod
    def _record_deployment(conn: Connection, recipe: str, type_name: str, version: int, in_force: Any) -> Deployment:
        row = {"recipe": recipe, "type": type_name, "version": version,
               "previous": None if in_force is None else in_force["version"],
               "back_to": None if in_force is None else in_force["id"], "action": "deploy",
               "deployed_at": datetime.now(UTC)}
        conn.execute(insert(db.deployments).values(row))
        return _deployment(row)

    def _version(self, row: Any) -> ModelVersion:
        return ModelVersion(row["recipe"], row["type"], row["version"], row["mode"], self.home / row["path"],
                            row["created_at"], row["metrics"])


def _change(before: Revision | None, path: Path, recipe: Recipe) -> str:
    """What changed from ``before`` (``None``: no valid recipe stored at ``path``) to ``recipe``, in a line."""
    if before is None:
        return "replaced an invalid recipe file" if path.is_file() else "created"
    try:
        return describe_change(before.parsed(), recipe)
    except RecipeError:  # a revision an older schema wrote
        return f"changed from revision {before.number}"


def _deployment(row: Any) -> Deployment:
    return Deployment(row["recipe"], row["type"], row["version"], row["previous"], row["action"], row["deployed_at"])


def content_id(data: bytes) -> str:
    """The id an image is stored under: the SHA-256 of its bytes, in hex."""
    return hashlib.sha256(data).hexdigest()
