"""Recipe archives: a recipe with its labelled data and model versions as one zip, to move it between stations.

Layout of an archive (format 1)::

    manifest.json                 format, recipe, created_at, openinspect_version, what is inside and
                                  every other member's size and sha256
    recipe/<file>                 the recipe's folder: recipe.yaml, the template capture (reference.<ext>)...
    images/<sha256><ext>          every image labelled for the recipe (and its alignment reference image)
    masks/<type>/<sha256>.png     segmenter class maps, named by the image they label
    models/<type>/v<N>/<file>     every model version folder (model.onnx, meta.json)

The manifest's ``revisions`` carry the recipe's history (each revision's YAML, time, actor and summary); an
archive written before them has none, which a reader of format 1 takes as an empty history. Its ``synthetic``
entries flag the images the Defect Creator made (with their description, seed and specification), so they stay
training-only on the station that imports them; an archive without them has no synthetic image.

:func:`import_archive` is all-or-nothing. It checks the whole archive before it changes anything
(member paths, sizes against a cap, checksums, the manifest, the recipe YAML, the name) and unpacks
it into a staging folder inside the workspace; image and mask files are written next (named by
content, so nothing refers to them yet), then one database transaction records images, labels,
masks and model versions, and renaming the staged recipe folder into place publishes the recipe.
A failure rolls the rows back and removes the files and folders the import wrote.

Model versions keep their order and are numbered after the versions the target workspace has of
the same recipe and type: under a new name they keep their numbers (v1, v2...). A deleted recipe
leaves its labels and versions behind; importing under its name keeps them, replaces labels of the
same ROIs and numbers the imported versions after the old ones, so the imported model is the latest.
Recipe revisions go the same way: numbered after the target workspace's revisions of that name, renamed with
the recipe, and the imported recipe is the newest revision.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

import numpy as np
from PIL import Image, UnidentifiedImageError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from openinspect import __version__
from openinspect.errors import ArchiveError, ConflictError, DatasetError, RecipeError
from openinspect.recipe import Recipe, SegmenterType, TrainingMode, dump_recipe, parse_recipe
from openinspect.store.files import atomic_writer
from openinspect.store.meta import META_FILE, ModelMeta
from openinspect.store.revisions import SYSTEM_ACTOR, Revision
from openinspect.store.space import storage_errors
from openinspect.store.workspace import StoredImage, SyntheticOrigin, Workspace, content_id

FORMAT = 1
"""The archive format this version writes and reads."""
MANIFEST = "manifest.json"
RECIPE_FILE = "recipe/recipe.yaml"
MAX_MEMBERS = 100_000
MAX_DOCUMENT_BYTES = 64 << 20
"""Largest manifest or recipe YAML in an archive (they are read into memory)."""
_SHA256 = r"^[0-9a-f]{64}$"
_IMAGE_SUFFIX = r"\.[A-Za-z0-9]{1,8}"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class ArchiveSummary:
    """What an archive holds (export) or brought into the workspace (import)."""

    recipe: str
    images: int
    labels: int
    masks: int
    models: int
    new_images: int = 0
    """Import: images the workspace did not have yet (the others are shared by content)."""

    def __str__(self) -> str:
        return (f"recipe '{self.recipe}': {self.images} image(s), {self.labels} label(s), {self.masks} mask(s), "
                f"{self.models} model version(s)")


class _Entry(BaseModel):
    """A part of the manifest; fields a later version adds within the same format are ignored."""

    model_config = ConfigDict(populate_by_name=True)


class _File(_Entry):
    path: str
    size: int = Field(ge=0)
    sha256: str = Field(pattern=_SHA256)


class _Image(_Entry):
    sha256: str = Field(pattern=_SHA256)
    file: str
    original_name: str = Field(min_length=1, max_length=255, pattern=r"^[^/\\\x00]+$")


class _Label(_Entry):
    type: str
    image: str = Field(pattern=_SHA256)
    roi: str
    class_name: str = Field(alias="class")


class _Mask(_Entry):
    type: str
    image: str = Field(pattern=_SHA256)
    file: str


class _Synthetic(_Entry):
    image: str = Field(pattern=_SHA256)
    type: str
    rois: list[str]
    host: str
    description: str
    seed: int
    spec: dict[str, Any]


class _Model(_Entry):
    type: str
    version: int = Field(ge=1)
    mode: TrainingMode
    created_at: datetime
    folder: str
    deployed: bool = False
    """The version the station ran; archives written before deployments deploy their newest."""


class _Revision(_Entry):
    revision: int = Field(ge=1)
    yaml: str = Field(max_length=MAX_DOCUMENT_BYTES)
    created_at: datetime
    actor: str
    summary: str


class _Manifest(_Entry):
    format: int
    recipe: str
    created_at: datetime
    openinspect_version: str
    images: list[_Image]
    labels: list[_Label]
    masks: list[_Mask]
    models: list[_Model]
    files: list[_File]
    revisions: list[_Revision] = []
    synthetic: list[_Synthetic] = []


# -- export ----------------------------------------------------------------------------------------


def export_archive(workspace: Workspace, recipe_name: str, path: Path) -> ArchiveSummary:
    """Write a recipe, every image labelled for it, its labels, masks and model versions as one zip.

    The zip appears at ``path`` only when complete (written to a temporary file, then renamed).

    Raises:
        NotFoundError: no such recipe.
        RecipeError: the stored recipe is invalid.
        DatasetError: a file the workspace database refers to cannot be read.
    """
    recipe = workspace.recipe(recipe_name)
    sections, members = _contents(workspace, recipe)
    with atomic_writer(path) as handle, zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
        files = [_write_member(archive, name, source, recipe.name) for name, source in members]
        manifest = {"format": FORMAT, "recipe": recipe.name, "created_at": datetime.now(UTC).isoformat(),
                    "openinspect_version": __version__, **sections, "files": files,
                    "revisions": [_revision_entry(r) for r in workspace.recipe_revisions(recipe.name)]}
        archive.writestr(MANIFEST, json.dumps(manifest, indent=1))
    return ArchiveSummary(recipe.name, *(len(sections[key]) for key in ("images", "labels", "masks", "models")))


def _contents(workspace: Workspace, recipe: Recipe) -> tuple[dict[str, list[dict[str, Any]]], list[tuple[str, Path]]]:
    """The manifest's images, labels, masks and models, and each file to archive with its member name."""
    members = [(f"recipe/{p.name}", p) for p in _plain_files(workspace.recipe_path(recipe.name).parent)]
    images: dict[str, StoredImage] = {}
    sections: dict[str, list[dict[str, Any]]] = {"images": [], "labels": [], "masks": [], "models": []}
    for spec in recipe.types:
        for label in workspace.labels(recipe.name, spec.name):
            images[label.image.sha256] = label.image
            sections["labels"].append({"type": spec.name, "image": label.image.sha256, "roi": label.roi,
                                       "class": label.class_name})
        for image, mask_path in workspace.masks(recipe.name, spec.name):
            images[image.sha256] = image
            member = f"masks/{spec.name}/{image.sha256}.png"
            sections["masks"].append({"type": spec.name, "image": image.sha256, "file": member})
            members.append((member, mask_path))
        deployed = workspace.deployed_version(recipe.name, spec.name)
        for version in (v for v in workspace.model_versions(recipe.name, spec.name) if v.onnx_path.is_file()):
            folder = f"models/{spec.name}/v{version.version}"
            sections["models"].append({"type": spec.name, "version": version.version, "mode": version.mode,
                                       "created_at": version.created_at.isoformat(), "folder": folder,
                                       "deployed": version.version == deployed})
            members += [(f"{folder}/{p.name}", p) for p in _plain_files(version.path)]
    made = workspace.synthetic(recipe.name)
    sections["synthetic"] = [{"image": sha, **asdict(origin)} for sha, origin in made.items() if sha in images]
    reference = _reference_image(workspace, recipe)
    if reference is not None:
        images.setdefault(reference.sha256, reference)
    for sha, image in images.items():
        suffix = image.path.suffix if re.fullmatch(_IMAGE_SUFFIX, image.path.suffix) else ""
        sections["images"].append({"sha256": sha, "file": f"images/{sha}{suffix}",
                                   "original_name": image.original_name})
        members.append((f"images/{sha}{suffix}", image.path))
    return sections, members


def _revision_entry(revision: Revision) -> dict[str, Any]:
    return {"revision": revision.number, "yaml": revision.yaml, "created_at": revision.created_at.isoformat(),
            "actor": revision.actor, "summary": revision.summary}


def _plain_files(folder: Path) -> list[Path]:
    """The files of a folder, without hidden ones (temporary files of writes in progress)."""
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def _reference_image(workspace: Workspace, recipe: Recipe) -> StoredImage | None:
    """The alignment reference when it is a library image rather than a file in the recipe's folder."""
    reference = recipe.alignment.reference if recipe.alignment else None
    if reference is None or (workspace.recipe_path(recipe.name).parent / reference).is_file():
        return None
    return workspace.image(reference, missing_ok=True) if re.match(_SHA256, reference) else None


def _write_member(archive: zipfile.ZipFile, name: str, source: Path, recipe: str) -> dict[str, Any]:
    """Copy a file into the archive, streaming; returns its manifest entry.

    Raises:
        DatasetError: the workspace file cannot be read (removed by hand?).
    """
    try:
        info = zipfile.ZipInfo.from_file(source, name)
        info.compress_type = zipfile.ZIP_DEFLATED
        digest = hashlib.sha256()
        with source.open("rb") as src, archive.open(info, "w") as dst:
            while chunk := src.read(_CHUNK):
                digest.update(chunk)
                dst.write(chunk)
    except OSError as err:
        raise DatasetError(f"cannot export recipe '{recipe}': {source} cannot be read ({err.strerror or err}); "
                           f"the workspace lost a file its database refers to") from err
    return {"path": name, "size": info.file_size, "sha256": digest.hexdigest()}


# -- import ----------------------------------------------------------------------------------------


def import_archive(workspace: Workspace, archive: Path | BinaryIO, name: str | None = None, *,
                   max_bytes: int, actor: str = SYSTEM_ACTOR) -> ArchiveSummary:
    """Add the recipe of an archive written by :func:`export_archive`, with its images, labels, masks and models.

    Args:
        workspace: where the recipe goes.
        archive: the zip file, or a binary file object holding it (an upload).
        name: store the recipe under this name instead of the archive's (model ``meta.json`` follows).
        max_bytes: the largest archive accepted, compressed and unpacked (zip bombs): the station's
            ``Settings.max_archive_bytes``.
        actor: who imports it: the imported recipe's revision names them when it differs from the archive's last.

    Returns:
        What was imported.

    Raises:
        ArchiveError: not a zip, corrupt, over ``max_bytes``, an unsafe member path, no or a bad manifest,
            an unsupported format, or contents that do not match the manifest (nothing is changed).
        ConflictError: a recipe of that name exists (nothing is changed).
        RecipeError: the archive's recipe, or the new name, is invalid, or its ``plc_number`` is another recipe's
            (nothing is changed).
        ImageError: an archived image does not decode (nothing is changed).
        StorageFullError: the workspace's disk is full (nothing is changed).
        StorageUnavailableError: the workspace or its database cannot be written (nothing is changed).
    """
    source = str(archive) if isinstance(archive, Path) else "the uploaded archive"
    with _open_zip(archive, source, max_bytes) as zipped:
        manifest = _manifest(zipped, source)
        recipe = _recipe(zipped, manifest, name, source)
        if recipe.name in workspace.recipe_names():
            raise ConflictError(_taken(recipe.name))
        workspace.check_plc_number(recipe)
        _check_contents(manifest, recipe, source)
        with (storage_errors(workspace.home, "the recipe import"),
              tempfile.TemporaryDirectory(dir=workspace.home, prefix=".import-") as staging):
            _unpack(zipped, manifest, Path(staging), source)
            _check_model_meta(manifest, Path(staging), source)
            return _commit(workspace, manifest, recipe, Path(staging), _history(manifest, recipe, source, actor))


@contextmanager
def _open_zip(archive: Path | BinaryIO, source: str, max_bytes: int) -> Iterator[zipfile.ZipFile]:
    """The zip, with its members' names checked and its sizes within ``max_bytes``."""
    try:
        size = archive.stat().st_size if isinstance(archive, Path) else archive.seek(0, os.SEEK_END)
        if size > max_bytes:
            raise ArchiveError(f"{source} is {_mib(size)}, over the {_mib(max_bytes)} limit for recipe archives "
                               f"(OPENINSPECT_MAX_ARCHIVE_MB)")
        if not isinstance(archive, Path):
            archive.seek(0)
        zipped = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as err:
        raise ArchiveError(f"{source} is not a zip archive or is damaged ({err}); export the recipe again with "
                           f"`openinspect recipe export NAME --archive FILE.zip`") from err
    except OSError as err:
        raise ArchiveError(f"cannot read {source}: {err.strerror or err}") from err
    with zipped:
        members = zipped.infolist()
        if len(members) > MAX_MEMBERS:
            raise ArchiveError(f"{source} has {len(members)} members, over the {MAX_MEMBERS} a recipe archive may have")
        seen: set[str] = set()
        for info in members:
            _check_member_name(info.filename, source)
            if info.filename in seen:
                raise ArchiveError(f"{source} holds member {info.filename} twice; it was not written by OpenInspect")
            seen.add(info.filename)
        unpacked = sum(info.file_size for info in members)
        if unpacked > max_bytes:
            raise ArchiveError(f"{source} unpacks to {_mib(unpacked)}, over the {_mib(max_bytes)} limit for recipe "
                               f"archives (OPENINSPECT_MAX_ARCHIVE_MB)")
        yield zipped


def _check_member_name(name: str, source: str) -> None:
    """Refuse member names that could leave the folder they are unpacked into (zip-slip)."""
    parts = name.rstrip("/").split("/")
    if (not name or name.startswith("/") or "\\" in name or "\x00" in name or ":" in parts[0]
            or any(part in ("", ".", "..") for part in parts)):
        raise ArchiveError(f"{source} has a member with an unsafe path {name!r} (absolute, '..' or empty parts); "
                           f"a recipe archive only holds relative paths inside it")


def _manifest(zipped: zipfile.ZipFile, source: str) -> _Manifest:
    data = _json_member(zipped, MANIFEST, source)
    version = data.get("format") if isinstance(data, dict) else None
    if not isinstance(version, int):
        raise ArchiveError(f"{source}: {MANIFEST} has no format number; it is not an OpenInspect recipe archive")
    if version != FORMAT:
        raise ArchiveError(f"{source} has archive format {version}; OpenInspect {__version__} reads format {FORMAT}. "
                           f"Export the recipe again with this version, or update OpenInspect")
    try:
        return _Manifest.model_validate(data)
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors()[:5])
        raise ArchiveError(f"{source}: {MANIFEST} is invalid: {problems}") from err


def _json_member(zipped: zipfile.ZipFile, member: str, source: str) -> Any:
    try:
        info = zipped.getinfo(member)
    except KeyError:
        raise ArchiveError(f"{source} has no {member}; it is not an OpenInspect recipe archive (make one with "
                           f"`openinspect recipe export NAME --archive FILE.zip`)") from None
    try:
        return json.loads(_read_document(zipped, info, source))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ArchiveError(f"{source}: {member} is not valid JSON: {err}") from err


def _recipe(zipped: zipfile.ZipFile, manifest: _Manifest, name: str | None, source: str) -> Recipe:
    """The archive's recipe, validated by the recipe loader, renamed to ``name`` when given."""
    if RECIPE_FILE not in {f.path for f in manifest.files} or RECIPE_FILE not in zipped.namelist():
        raise ArchiveError(f"{source} has no {RECIPE_FILE}; it is not a complete recipe archive")
    try:
        text = _read_document(zipped, zipped.getinfo(RECIPE_FILE), source).decode("utf-8")
    except UnicodeDecodeError as err:
        raise ArchiveError(f"{source}: {RECIPE_FILE} is not UTF-8 text: {err}") from err
    recipe = parse_recipe(text, f"{source}: {RECIPE_FILE}")
    if name is None or name == recipe.name:
        return recipe
    return parse_recipe(dump_recipe(recipe.model_copy(update={"name": name})), f"new recipe name {name!r}")


_NEW_NAME = ("import the archive under a new name (`openinspect recipe import FILE.zip --name NEW`, "
             "or ?name=NEW on the API)")


def _taken(name: str) -> str:
    return f"a recipe named '{name}' exists already; {_NEW_NAME}"


def _check_contents(manifest: _Manifest, recipe: Recipe, source: str) -> None:
    """Labels, masks and models name the recipe's types and archived images; every file they need is listed."""
    types = {spec.name: spec for spec in recipe.types}
    named = [e.type for e in manifest.labels] + [e.type for e in manifest.masks] + [e.type for e in manifest.models]
    unknown = sorted(set(named) - set(types))
    if unknown:
        raise ArchiveError(f"{source}: the manifest names inspection type '{unknown[0]}', which the recipe does "
                           f"not have; types: {', '.join(types)}")
    if any(not isinstance(types[mask.type], SegmenterType) for mask in manifest.masks):
        raise ArchiveError(f"{source}: the manifest has masks for a classifier type")
    images = {image.sha256 for image in manifest.images}
    named_images = [e.image for e in manifest.labels] + [e.image for e in manifest.masks] + \
        [e.image for e in manifest.synthetic]
    if any(sha not in images for sha in named_images):
        raise ArchiveError(f"{source}: a label, mask or synthetic flag names an image the archive does not hold")
    versions = [(m.type, m.version) for m in manifest.models]
    if len(set(versions)) != len(versions):
        raise ArchiveError(f"{source}: the manifest lists a model version twice")
    _check_files(manifest, source)


def _check_files(manifest: _Manifest, source: str) -> None:
    """Images, masks and model folders sit where export puts them; each is listed once among the files."""
    listed = [f.path for f in manifest.files]
    if len(set(listed)) != len(listed):
        raise ArchiveError(f"{source}: {MANIFEST} lists a file twice")
    for path, expected in _canonical_paths(manifest):
        if not re.fullmatch(expected, path):
            raise ArchiveError(f"{source}: the manifest places {path!r} where an archive has {expected!r}")
    needed = [i.file for i in manifest.images] + [m.file for m in manifest.masks] + \
             [f"{m.folder}/{leaf}" for m in manifest.models for leaf in ("model.onnx", META_FILE)]
    missing = sorted(set(needed) - set(listed))
    if missing:
        raise ArchiveError(f"{source}: {missing[0]} is named in the manifest but not listed among its files")


def _canonical_paths(manifest: _Manifest) -> Iterator[tuple[str, str]]:
    """Each image, mask and model folder path of the manifest with the pattern export gives it."""
    for image in manifest.images:
        yield image.file, rf"images/{image.sha256}({_IMAGE_SUFFIX})?"
    for mask in manifest.masks:
        yield mask.file, re.escape(f"masks/{mask.type}/{mask.image}.png")
    for model in manifest.models:
        yield model.folder, re.escape(f"models/{model.type}/v{model.version}")


def _unpack(zipped: zipfile.ZipFile, manifest: _Manifest, staging: Path, source: str) -> None:
    """Extract every listed file under ``staging``, checking sizes and checksums; refuse unlisted members."""
    listed = {f.path: f for f in manifest.files}
    for info in zipped.infolist():
        if info.is_dir() or info.filename == MANIFEST:
            continue
        entry = listed.pop(info.filename, None)
        if entry is None:
            raise ArchiveError(f"{source}: member {info.filename} is not listed in {MANIFEST}; the archive was "
                               f"changed after export")
        digest = hashlib.sha256()
        with _staged_file(staging, info.filename, source) as out:
            for chunk in _chunks(zipped, info, source):
                digest.update(chunk)
                out.write(chunk)
        if info.file_size != entry.size or digest.hexdigest() != entry.sha256:
            raise ArchiveError(f"{source}: {info.filename} does not match its checksum in {MANIFEST}; the archive "
                               f"is damaged or was changed after export")
    if listed:
        raise ArchiveError(f"{source}: {next(iter(listed))} is listed in {MANIFEST} but missing from the archive")


@contextmanager
def _staged_file(staging: Path, member: str, source: str) -> Iterator[BinaryIO]:
    """The file a member unpacks to; a name that cannot be a file there (a folder, too long) is the archive's fault."""
    target = staging / PurePosixPath(member)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle = target.open("wb")
    except OSError as err:
        raise ArchiveError(f"{source}: member {member} cannot be unpacked ({err.strerror or err}): another "
                           f"member's folder has that name, or the name is too long") from err
    with handle:
        yield handle


def _check_model_meta(manifest: _Manifest, staging: Path, source: str) -> None:
    """Each model's ``meta.json`` reads as :class:`ModelMeta` (the station checks its classes)."""
    for model in manifest.models:
        try:
            ModelMeta.read(staging / model.folder)
        except (ValueError, TypeError, UnicodeDecodeError) as err:
            raise ArchiveError(f"{source}: {model.folder}/{META_FILE} is not a JSON object with the model's classes "
                               f"({err})") from err


def _chunks(zipped: zipfile.ZipFile, info: zipfile.ZipInfo, source: str) -> Iterator[bytes]:
    """A member's bytes, never more than its declared size (a lying header cannot unpack more)."""
    left = info.file_size
    try:
        with zipped.open(info) as member:
            while chunk := member.read(min(_CHUNK, left + 1)):
                left -= len(chunk)
                if left < 0:
                    raise ArchiveError(f"{source}: {info.filename} unpacks to more than its declared size")
                yield chunk
    except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError, RuntimeError) as err:
        raise ArchiveError(f"{source}: cannot unpack {info.filename} ({err}); the archive is damaged") from err


def _read_document(zipped: zipfile.ZipFile, info: zipfile.ZipInfo, source: str) -> bytes:
    """The manifest or the recipe YAML, read into memory: so never more than ``MAX_DOCUMENT_BYTES``."""
    if info.file_size > MAX_DOCUMENT_BYTES:
        raise ArchiveError(f"{source}: {info.filename} is {_mib(info.file_size)}, over the {_mib(MAX_DOCUMENT_BYTES)} "
                           f"a recipe archive's {info.filename} may have")
    return b"".join(_chunks(zipped, info, source))


def _history(manifest: _Manifest, recipe: Recipe, source: str, actor: str) -> list[Revision]:
    """The archive's revisions under the recipe's (new) name, ending with the imported recipe."""
    history = [Revision(recipe.name, r.revision, _renamed(r.yaml, recipe.name), r.created_at, r.actor, r.summary)
               for r in sorted(manifest.revisions, key=lambda r: r.revision)]
    text = dump_recipe(recipe)
    if not history or history[-1].yaml != text:
        history.append(Revision(recipe.name, 0, text, datetime.now(UTC), actor, f"imported from {source}"))
    return history


def _renamed(text: str, name: str) -> str:
    """A revision's YAML named ``name``; one this version cannot read is kept as it is."""
    try:
        return dump_recipe(parse_recipe(text).model_copy(update={"name": name}))
    except RecipeError:
        return text


def _commit(workspace: Workspace, manifest: _Manifest, recipe: Recipe, staging: Path,
            history: list[Revision]) -> ArchiveSummary:
    """Write images and masks (unreferenced), then record everything in one transaction and publish the recipe.

    On failure the rows roll back, and the files and folders written here go again.
    """
    new: list[StoredImage] = []
    masks: list[tuple[_Mask, Path]] = []
    made: list[Path] = []
    try:
        stored = _write_images(workspace, manifest, staging, new)
        for mask in manifest.masks:
            masks.append((mask, workspace.write_mask(_class_map(staging / mask.file, stored[mask.image], recipe,
                                                                mask.type))))
        with workspace.transaction():
            for image in new:
                workspace.record_image(image)
            for label in manifest.labels:
                workspace.set_label(recipe.name, label.type, stored[label.image], label.roi, label.class_name)
            for mask, path in masks:
                workspace.record_mask(recipe.name, mask.type, stored[mask.image], path)
            for made_by in manifest.synthetic:
                workspace.record_synthetic(recipe.name, stored[made_by.image], SyntheticOrigin(
                    made_by.type, made_by.rois, made_by.host, made_by.description, made_by.seed, made_by.spec))
            deployed = _deployed(manifest.models)
            for model in sorted(manifest.models, key=lambda m: (m.type, m.version)):
                made.append(_add_model(workspace, recipe.name, model, staging / model.folder,
                                       deploy=deployed[model.type] == model.version))
            workspace.record_revisions(recipe.name, history)  # before the file, as every recipe save
            final = workspace.recipe_path(recipe.name).parent
            _publish(staging / "recipe", final, recipe)
            made.append(final)
    except BaseException:
        for folder in made:
            shutil.rmtree(folder, ignore_errors=True)
        workspace.discard_unrecorded([image.path for image in new] + [path for _, path in masks])
        raise
    return ArchiveSummary(recipe.name, len(stored), len(manifest.labels), len(masks), len(manifest.models), len(new))


def _write_images(workspace: Workspace, manifest: _Manifest, staging: Path,
                  new: list[StoredImage]) -> dict[str, StoredImage]:
    """Every archived image as the workspace has it; those written now are added to ``new``, still to be recorded."""
    stored: dict[str, StoredImage] = {}
    for entry in manifest.images:
        known = workspace.image(entry.sha256, missing_ok=True)
        if known is None:
            data = (staging / entry.file).read_bytes()
            if content_id(data) != entry.sha256:
                raise ArchiveError(f"image {entry.file} is not the image {entry.sha256[:12]}… the manifest says")
            known = workspace.write_image(data, entry.original_name)
            new.append(known)
        stored[entry.sha256] = known
    return stored


def _class_map(path: Path, image: StoredImage, recipe: Recipe, type_name: str) -> bytes:
    """A mask file's bytes, checked to be a class map of its image's size with values of the type's pixel classes."""
    spec = recipe.inspection_type(type_name)
    assert isinstance(spec, SegmenterType)  # _check_contents made sure
    data = path.read_bytes()
    try:
        with Image.open(io.BytesIO(data)) as mask:
            mask.load()
            mode, values = mask.mode, np.asarray(mask)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise ArchiveError(f"mask {path.name} of type '{type_name}' is not a PNG: {err}") from err
    if mode != "L" or values.shape != (image.height, image.width):
        raise ArchiveError(f"mask {path.name} of type '{type_name}' is not a class map of its image's size "
                           f"({image.width}x{image.height} px, 8-bit grey); it is {mode} {values.shape[::-1]}")
    if int(values.max(initial=0)) > len(spec.pixel_classes):
        raise ArchiveError(f"mask {path.name} has value {int(values.max())}, but type '{type_name}' has "
                           f"{len(spec.pixel_classes)} pixel class(es)")
    return data


def _deployed(models: list[_Model]) -> dict[str, int]:
    """The archived version to deploy per type: the one marked deployed, else (older archives) the newest."""
    chosen: dict[str, int] = {}
    for model in sorted(models, key=lambda m: (m.deployed, m.version)):
        chosen[model.type] = model.version
    return chosen


def _add_model(workspace: Workspace, recipe: str, model: _Model, unpacked: Path, *, deploy: bool) -> Path:
    """Add an unpacked model version folder under the next version number; returns the published folder."""
    with workspace.new_model_version(recipe, model.type, model.mode.value, created_at=model.created_at,
                                     deploy=deploy) as folder:
        for path in _plain_files(unpacked):
            path.replace(folder / path.name)
        meta = ModelMeta.read(folder)
        if meta.recipe not in ("", recipe):  # written without a recipe: nothing to rename
            replace(meta, recipe=recipe).write(folder)
    return workspace.model_versions(recipe, model.type)[-1].path


def _publish(unpacked: Path, final: Path, recipe: Recipe) -> None:
    """Rename the unpacked recipe folder into place with the (possibly renamed) recipe's YAML."""
    (unpacked / "recipe.yaml").write_text(dump_recipe(recipe), encoding="utf-8")
    final.parent.mkdir(parents=True, exist_ok=True)
    try:
        unpacked.replace(final)  # fails when the folder has files: a recipe of that name appeared meanwhile
    except OSError as err:
        raise ConflictError(f"cannot add recipe '{recipe.name}': its folder {final} is in the way "
                            f"({err.strerror or err}); {_NEW_NAME}") from err


def _mib(size: int) -> str:
    return f"{size / 2**20:.1f} MiB"
