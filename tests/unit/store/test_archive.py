"""Recipe archives: a round trip into a second real workspace, and every archive import must refuse unchanged."""

import hashlib
import io
import json
import shutil
import zipfile

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import func, select
from tests.conftest import png_bytes
from tests.unit.station.kit import dark_pixel_classifier, install_plate, part_png

from openinspect.errors import ArchiveError, ConflictError, RecipeError
from openinspect.recipe import parse_recipe
from openinspect.station import Inspector
from openinspect.store import ModelMeta, Workspace, db
from openinspect.store.archive import MANIFEST, export_archive, import_archive

LIMIT = 256 << 20
"""The archive size limit of these tests: far above their archives."""

SHEET = """
name: sheet
types:
  - name: paint
    kind: segmenter
    pixel_classes: [{name: drip, color: "#ff0000"}, {name: bubble, color: "#00ff00"}]
rois: [{name: all, type: paint}]
"""


@pytest.fixture
def source(tmp_path):
    """A workspace with the plate recipe: a template capture, labelled captures and two model versions."""
    workspace = Workspace(tmp_path / "source")
    install_plate(workspace)
    with workspace.new_model_version("plate", "surface", "accurate") as folder:
        dark_pixel_classifier(folder / "model.onnx")
        ModelMeta(["good", "scratch"], recipe="plate", metrics={"balanced_accuracy": 1.0}).write(folder)
    (workspace.recipe_path("plate").parent / "reference.png").write_bytes(part_png(False, 99))
    for seed in range(4):
        image = workspace.add_image(part_png(seed % 2 == 1, seed), f"part-{seed}.png")
        workspace.set_label("plate", "surface", image, "left", "scratch" if seed % 2 else "good")
        workspace.set_label("plate", "surface", image, "right", "good")
    return workspace


@pytest.fixture
def archive(source, tmp_path):
    path = tmp_path / "plate.zip"
    export_archive(source, "plate", path)
    return path


def _labels(workspace, recipe, type_name="surface"):
    return sorted((lb.image.sha256, lb.roi, lb.class_name) for lb in workspace.labels(recipe, type_name))


def _judged(workspace, recipe):
    inspector = Inspector.load(workspace, recipe)
    results = [inspector.inspect_bytes(part_png(defect, 500 + defect), "cap.png").to_json()
               for defect in (False, True)]
    return [(r["pass"], r["rois"]) for r in results]


def test_round_trip_into_another_workspace_keeps_everything(source, archive, tmp_path):
    target = Workspace(tmp_path / "target")
    summary = import_archive(target, archive, max_bytes=LIMIT)
    assert (summary.recipe, summary.images, summary.labels, summary.models, summary.new_images) == \
           ("plate", 4, 8, 2, 4)
    assert target.recipe("plate") == source.recipe("plate")
    assert _labels(target, "plate") == _labels(source, "plate")
    assert (target.recipe_path("plate").parent / "reference.png").read_bytes() == part_png(False, 99)
    for ours, theirs in zip(source.model_versions("plate", "surface"), target.model_versions("plate", "surface"),
                            strict=True):
        assert (theirs.version, theirs.mode, theirs.created_at, theirs.metrics) == \
               (ours.version, ours.mode, ours.created_at, ours.metrics)
        for name in ("model.onnx", "meta.json"):
            assert (theirs.path / name).read_bytes() == (ours.path / name).read_bytes()
    assert _judged(target, "plate") == _judged(source, "plate")
    assert [p.name for p in target.home.iterdir() if p.name.startswith(".")] == []  # no staging left


def test_import_under_a_new_name_shares_images_and_renames_model_meta(source, archive):
    images_before = sorted((source.home / "images").rglob("*.png"))
    summary = import_archive(source, archive, name="plate-b", max_bytes=LIMIT)
    assert summary.new_images == 0
    assert sorted((source.home / "images").rglob("*.png")) == images_before
    with source.engine.begin() as conn:
        assert conn.execute(select(func.count()).select_from(db.images)).scalar() == 4
    assert source.recipe_names() == ["plate", "plate-b"]
    assert source.recipe("plate-b").name == "plate-b"
    assert [(sha, roi, c) for sha, roi, c in _labels(source, "plate-b")] == _labels(source, "plate")
    latest = source.latest_model("plate-b", "surface")
    assert latest.version == 2 and latest.meta().recipe == "plate-b"
    assert _judged(source, "plate-b") == _judged(source, "plate")


def test_segmenter_masks_round_trip_pixel_for_pixel(tmp_path):
    source = Workspace(tmp_path / "source")
    source.save_recipe(parse_recipe(SHEET))
    with source.new_model_version("sheet", "paint", "accurate") as folder:
        (folder / "model.onnx").write_bytes(b"any model bytes")
        ModelMeta(["drip", "bubble"], "segmenter", "sheet").write(folder)
    masks = {}
    for seed in range(2):
        image = source.add_image(part_png(False, seed), f"sheet-{seed}.png")
        mask = np.zeros((image.height, image.width), np.uint8)
        mask[10:20, 5 + seed:30] = seed + 1
        source.set_mask("sheet", "paint", image, mask)
        masks[image.sha256] = mask
    path = tmp_path / "sheet.zip"
    assert export_archive(source, "sheet", path).masks == 2

    target = Workspace(tmp_path / "target")
    import_archive(target, path, name="sheet-2", max_bytes=LIMIT)
    restored = {image.sha256: np.asarray(Image.open(mask)) for image, mask in target.masks("sheet-2", "paint")}
    assert restored.keys() == masks.keys()
    for sha, mask in masks.items():
        np.testing.assert_array_equal(restored[sha], mask)
    assert target.latest_model("sheet-2", "paint").onnx_path.read_bytes() == b"any model bytes"


def test_versions_left_by_a_deleted_recipe_come_first(source, archive):
    shutil.rmtree(source.recipe_path("plate").parent)  # deleting a recipe keeps its labels and models
    import_archive(source, archive, max_bytes=LIMIT)
    assert [v.version for v in source.model_versions("plate", "surface")] == [1, 2, 3, 4]
    assert source.latest_model("plate", "surface").meta().metrics == {"balanced_accuracy": 1.0}


# -- refusals: each leaves the target workspace as it was -----------------------------------------


@pytest.fixture
def target(tmp_path):
    return Workspace(tmp_path / "target")


def _state(workspace):
    """Everything an import could change: files under the home folder and the workspace tables."""
    files = sorted(str(p.relative_to(workspace.home)) for p in workspace.home.rglob("*")
                   if p.is_file() and not p.name.startswith("openinspect.db"))
    with workspace.engine.begin() as conn:
        rows = [conn.execute(select(func.count()).select_from(t)).scalar()
                for t in (db.images, db.labels, db.masks, db.model_versions)]
    return files, rows


def _rewrite(archive, path, *, drop=(), replace=None, manifest=None, extra=None, relist=True):
    """Copy an archive with members dropped, replaced or added; the manifest's file list is redone unless told."""
    replace, extra = replace or {}, extra or {}
    with zipfile.ZipFile(archive) as zipped:
        members = {n: zipped.read(n) for n in zipped.namelist() if n not in drop}
    data = json.loads(members.pop(MANIFEST))
    members.update(replace)
    if relist:
        data["files"] = [{"path": n, "size": len(b), "sha256": hashlib.sha256(b).hexdigest()}
                         for n, b in members.items()]
    members[MANIFEST] = json.dumps(manifest(data) if manifest else data).encode()
    members.update(extra)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zipped:
        for name, content in members.items():
            zipped.writestr(name, content)
    return path


def _refused(target, archive, error, match, **kwargs):
    before = _state(target)
    with pytest.raises(error, match=match):
        import_archive(target, archive, **{"max_bytes": LIMIT, **kwargs})
    assert _state(target) == before
    assert target.recipe_names() == []


def _model_member(archive, leaf):
    return next(n for n in zipfile.ZipFile(archive).namelist() if n.endswith(leaf))


def test_refuses_a_file_that_is_not_a_zip(target, tmp_path):
    path = tmp_path / "plate.zip"
    path.write_text("name: plate\n")
    _refused(target, path, ArchiveError, "is not a zip archive or is damaged.*--archive FILE.zip")


def test_refuses_a_damaged_member(target, archive, tmp_path):
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as zipped:
        info = zipped.getinfo(_model_member(archive, "model.onnx"))
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start + info.compress_size // 2] ^= 0xFF
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(bytes(data))
    _refused(target, damaged, ArchiveError, "damaged")


def test_refuses_a_member_changed_after_export(target, archive, tmp_path):
    changed = _rewrite(archive, tmp_path / "changed.zip", relist=False,
                       replace={_model_member(archive, "meta.json"): b'{"classes": ["good"], "metrics": {}}'})
    _refused(target, changed, ArchiveError, "does not match its checksum")


def test_refuses_an_archive_without_manifest(target, archive, tmp_path):
    path = tmp_path / "bare.zip"
    with zipfile.ZipFile(path, "w") as zipped:
        zipped.writestr("recipe/recipe.yaml", "name: plate\n")
    _refused(target, path, ArchiveError, "has no manifest.json; it is not an OpenInspect recipe archive")


def test_refuses_an_archive_without_recipe_yaml(target, archive, tmp_path):
    _refused(target, _rewrite(archive, tmp_path / "x.zip", drop=["recipe/recipe.yaml"]), ArchiveError,
             "has no recipe/recipe.yaml")


def test_refuses_an_unsupported_format(target, archive, tmp_path):
    newer = _rewrite(archive, tmp_path / "x.zip", manifest=lambda m: {**m, "format": 2})
    _refused(target, newer, ArchiveError, r"archive format 2; OpenInspect .* reads format 1")


@pytest.mark.parametrize("member", ["../evil.txt", "/etc/evil.txt", "recipe/../../evil.txt", "C:/evil.txt",
                                    "recipe\\..\\evil.txt"])
def test_refuses_member_paths_that_escape(target, archive, tmp_path, member):
    slipped = _rewrite(archive, tmp_path / "x.zip", extra={member: b"owned"})
    _refused(target, slipped, ArchiveError, "unsafe path")
    assert not (tmp_path / "evil.txt").exists()


def test_refuses_an_archive_over_the_size_cap(target, archive):
    _refused(target, archive, ArchiveError, r"over the 0\.0 MiB limit.*OPENINSPECT_MAX_ARCHIVE_MB", max_bytes=1000)


def test_refuses_a_zip_bomb_by_its_unpacked_size(target, archive, tmp_path):
    bomb = _rewrite(archive, tmp_path / "bomb.zip", extra={"recipe/padding.bin": bytes(8 << 20)})
    assert bomb.stat().st_size < 1 << 20
    _refused(target, bomb, ArchiveError, r"unpacks to 8\.\d MiB, over the 1\.0 MiB limit", max_bytes=1 << 20)


def test_refuses_a_name_that_exists_and_says_to_pass_a_new_one(source, archive):
    before = _state(source)
    with pytest.raises(ConflictError, match="'plate' exists already; import the archive under a new name.*--name NEW"):
        import_archive(source, archive, max_bytes=LIMIT)
    assert _state(source) == before


def test_refuses_an_invalid_recipe_with_the_loader_messages(target, archive, tmp_path):
    broken = _rewrite(archive, tmp_path / "x.zip", replace={"recipe/recipe.yaml": b"name: plate\ntypes: []\n"})
    _refused(target, broken, RecipeError, r"recipe/recipe.yaml: invalid recipe:\n  - types: .*\n  - rois: required")


def test_refuses_a_new_name_a_recipe_cannot_have(target, archive):
    _refused(target, archive, RecipeError, "name '../x' is not allowed", name="../x")


def test_refuses_a_member_whose_name_is_another_members_folder(target, archive, tmp_path):
    clash = _rewrite(archive, tmp_path / "x.zip", replace={"recipe/notes": b"a file", "recipe/notes/more": b"x"})
    _refused(target, clash, ArchiveError, "member recipe/notes/more cannot be unpacked")


def test_refuses_members_not_in_the_manifest(target, archive, tmp_path):
    _refused(target, _rewrite(archive, tmp_path / "x.zip", extra={"recipe/notes.txt": b"hi"}), ArchiveError,
             "recipe/notes.txt is not listed in manifest.json")


@pytest.mark.parametrize(("change", "words"), [
    (lambda m: m["labels"][0].update(type="nope"), "names inspection type 'nope', which the recipe does not have"),
    (lambda m: m["labels"][0].update(image="0" * 64), "names an image the archive does not hold"),
    (lambda m: m["images"][0].update(file="recipe/recipe.yaml"), "places 'recipe/recipe.yaml' where"),
    (lambda m: m["models"][0].update(folder="recipe"), "places 'recipe' where an archive has"),
    (lambda m: m["models"].append(dict(m["models"][0])), "lists a model version twice"),
])
def test_refuses_a_manifest_that_does_not_fit_its_recipe(target, archive, tmp_path, change, words):
    def changed(manifest):
        change(manifest)
        return manifest

    _refused(target, _rewrite(archive, tmp_path / "x.zip", manifest=changed), ArchiveError, words)


def test_refuses_a_model_whose_meta_is_not_an_object(target, archive, tmp_path):
    bad_meta = _rewrite(archive, tmp_path / "x.zip", replace={_model_member(archive, "meta.json"): b"[1, 2]"})
    _refused(target, bad_meta, ArchiveError, "meta.json is not a JSON object")


def test_a_failure_while_committing_rolls_everything_back(target, archive):
    """The recipe folder is in the way only at the last step: rows, model folders and image files all go again."""
    in_the_way = target.recipe_path("plate").parent / "notes.txt"
    in_the_way.parent.mkdir(parents=True)
    in_the_way.write_text("a folder with files but no recipe.yaml")
    before = _state(target)
    with pytest.raises(ConflictError, match="its folder .*/recipes/plate is in the way.*--name NEW"):
        import_archive(target, archive, max_bytes=LIMIT)
    assert _state(target) == before


def test_refuses_a_mask_that_is_not_a_class_map_of_its_image(tmp_path, target):
    source = Workspace(tmp_path / "source")
    source.save_recipe(parse_recipe(SHEET))
    image = source.add_image(part_png(False, 1), "sheet.png")
    source.set_mask("sheet", "paint", image, np.zeros((image.height, image.width), np.uint8))
    export_archive(source, "sheet", tmp_path / "sheet.zip")
    member = f"masks/paint/{image.sha256}.png"
    too_many = png_bytes(np.full((image.height, image.width), 7, np.uint8))
    _refused(target, _rewrite(tmp_path / "sheet.zip", tmp_path / "x.zip", replace={member: too_many}),
             ArchiveError, "has value 7, but type 'paint' has 2 pixel class")
    small = png_bytes(np.zeros((4, 4), np.uint8))
    _refused(target, _rewrite(tmp_path / "sheet.zip", tmp_path / "y.zip", replace={member: small}),
             ArchiveError, "not a class map of its image's size")


def test_import_reads_an_uploaded_file_object(target, archive):
    assert import_archive(target, io.BytesIO(archive.read_bytes()), max_bytes=LIMIT).recipe == "plate"
    with pytest.raises(ArchiveError, match="the uploaded archive is not a zip"):
        import_archive(target, io.BytesIO(b"nope"), max_bytes=LIMIT)
