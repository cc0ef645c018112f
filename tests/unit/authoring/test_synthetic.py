"""The Defect Creator's service: batches made from good captures inside ROIs, added all or nothing, labelled."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select
from tests.conftest import part_capture, png_bytes

from openinspect.authoring import CaptureService, LabelService
from openinspect.authoring.synthetic import SyntheticService, SynthRequest, preview_pngs, write_batch
from openinspect.errors import ImageError, RecipeError, SynthError
from openinspect.imaging import decode_image, read_image
from openinspect.recipe import parse_recipe
from openinspect.store import StoredImage, Workspace, db
from openinspect.store.archive import export_archive, import_archive
from openinspect.store.audit import AuditAction, AuditFilter, AuditLog

RECIPE = """
name: plate
profile: multi-model
calibration: {mm_per_px: 0.1}
types:
  - name: surface
    kind: classifier
    classes:
      - {name: good, pass: true}
      - {name: scratch, pass: false}
  - name: finish
    kind: classifier
    classes:
      - {name: ok, pass: true}
      - {name: dent, pass: false}
      - {name: stain, pass: false}
  - name: seam
    kind: segmenter
    pixel_classes:
      - {name: glue, color: "#ffd400"}
      - {name: crack, color: "#ff3b30"}
  - name: look
    kind: anomaly
rois:
  - {name: left, type: surface, x: 4, y: 8, w: 56, h: 80}
  - {name: right, type: surface, x: 68, y: 8, w: 56, h: 80}
  - {name: all, type: finish}
  - {name: seam, type: seam, x: 10, y: 10, w: 100, h: 70}
  - {name: tile, type: look, x: 0, y: 0, w: 128, h: 96}
"""
SCRATCH = "two thin dark scratches"


@pytest.fixture
def kit(workspace: Workspace) -> tuple[SyntheticService, list[StoredImage]]:
    """The service on a workspace with four good captures (surface: good; seam: clean mask; look: good)."""
    workspace.save_recipe(parse_recipe(RECIPE))
    captures = CaptureService(workspace)
    hosts = captures.add("plate", [(f"good{i}.png", png_bytes(part_capture(False, i))) for i in range(4)])
    bad = captures.add("plate", [("bad.png", png_bytes(part_capture(True, 9)))])[0]
    for host in hosts:
        for roi in ("left", "right"):
            workspace.set_label("plate", "surface", host, roi, "good")
        workspace.set_label("plate", "look", host, "tile", "good")
        workspace.set_mask("plate", "seam", host, np.zeros((96, 128), np.uint8))
    workspace.set_label("plate", "surface", bad, "left", "scratch")
    return SyntheticService(workspace, captures), hosts


def _rows(workspace: Workspace) -> dict[str, int]:
    with workspace.engine.begin() as conn:
        return {table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
                for table in (db.images, db.labels, db.masks, db.synthetic)}


def test_adding_a_classifier_batch_labels_flags_and_audits_each_image(kit) -> None:
    service, hosts = kit
    report = service.add(SynthRequest("plate", "surface", SCRATCH, rois=("left",), count=3, seed=5), actor="ana")
    workspace = service.workspace
    assert report.label == "scratch" and report.seeds == [5, 6, 7] and len(set(report.images)) == 3
    made = workspace.synthetic("plate")
    labels = {(lb.image.sha256, lb.roi): lb.class_name for lb in workspace.labels("plate", "surface")}
    for index, sha in enumerate(report.images):
        origin = made[sha]
        assert (origin.type, origin.rois, origin.description, origin.seed) == ("surface", ["left"], SCRATCH, 5 + index)
        assert origin.host == hosts[index % len(hosts)].sha256 and origin.spec["kind"] == "scratch"
        assert labels[(sha, "left")] == "scratch" and (sha, "right") not in labels  # only the ROI with defects
        image, host = read_image(workspace.image(sha).path), read_image(hosts[index].path)
        changed = np.argwhere((image != host).any(axis=2))
        assert len(changed)  # the defect is there, inside the left ROI only
        assert changed[:, 0].min() >= 8 and changed[:, 0].max() < 88 and changed[:, 1].max() < 60
    assert set(report.images) <= set(service.captures.ids("plate"))
    record = AuditLog(workspace.engine).query(AuditFilter(recipe="plate")).items[0]
    assert record.action is AuditAction.SYNTHETIC_ADD and record.actor == "ana" and "3 synthetic image(s)" in record.detail
    samples = {s.image.sha256: s for s in LabelService(workspace, service.captures).samples("plate", "surface")}
    assert samples[report.images[0]].synthetic is not None and samples[hosts[0].sha256].synthetic is None


def test_one_failing_host_adds_nothing(kit, tmp_path: Path) -> None:
    service, hosts = kit
    workspace = service.workspace
    small = tmp_path / "small.png"
    small.write_bytes(png_bytes(part_capture(False, 1, (12, 12))))  # the ROI box on it is 8x4 px: no defect fits
    before = _rows(workspace)
    files = sorted(p for p in workspace.home.rglob("*") if p.is_file() and p.suffix == ".png")
    request = SynthRequest("plate", "surface", SCRATCH, rois=("left",), count=4,
                           hosts=(hosts[0], hosts[1], service.external_host(small)))
    with pytest.raises(SynthError, match="small.png"):
        service.add(request)
    assert _rows(workspace) == before
    assert sorted(p for p in workspace.home.rglob("*") if p.is_file() and p.suffix == ".png") == files
    assert not AuditLog(workspace.engine).query(AuditFilter(recipe="plate")).items


def test_a_picked_image_is_the_one_previewed_with_its_seed(kit) -> None:
    service, _hosts = kit
    request = SynthRequest("plate", "surface", "a small dent", count=3, seed=40)
    previewed = service.make(request)
    again = service.make(request)
    assert all(np.array_equal(a.image, b.image) for a, b in zip(previewed.samples, again.samples, strict=True))
    assert not np.array_equal(previewed.samples[0].image, previewed.samples[1].image)
    report = service.add(request, pick=[2])
    stored = decode_image(service.workspace.image(report.images[0]).path.read_bytes(), "x.png")
    assert report.seeds == [42] and np.array_equal(stored, previewed.samples[2].image)
    labels = {lb.roi for lb in service.workspace.labels("plate", "surface") if lb.image.sha256 == report.images[0]}
    assert labels == {"left", "right"}  # no ROI named: defects in every ROI of the type
    image, outlined = preview_pngs(previewed.samples[2])
    assert decode_image(image, "p.png").shape == decode_image(outlined, "o.png").shape
    assert not np.array_equal(decode_image(image, "p.png"), decode_image(outlined, "o.png"))


def test_segmenter_batch_stores_the_defect_as_the_pixel_class_mask(kit, tmp_path: Path) -> None:
    service, _hosts = kit
    request = SynthRequest("plate", "seam", "one long thin crack", count=2, label="crack")
    batch = service.make(request)
    entries = write_batch(batch, tmp_path / "out", "seam", request.description)
    written = read_image(tmp_path / "out" / str(entries[0]["mask"]))[:, :, 0]
    assert np.array_equal(written, batch.samples[0].mask * 2)  # the second pixel class's number, importable as is
    report = service.add(request)
    masks = dict((image.sha256, path) for image, path in service.workspace.masks("plate", "seam"))
    for sample, sha in zip(batch.samples, report.images, strict=True):
        stored = decode_image(masks[sha].read_bytes(), "m.png")[:, :, 0]
        assert np.array_equal(stored == 2, sample.mask) and set(np.unique(stored)) == {0, 2}
        assert not sample.mask[:10].any() and not sample.mask[:, 110:].any()  # inside the seam ROI


def test_anomaly_batch_is_labelled_anomalous(kit) -> None:
    service, _hosts = kit
    report = service.add(SynthRequest("plate", "look", "a dark stain", count=1))
    assert report.label == "anomalous"
    assert {lb.class_name for lb in service.workspace.labels("plate", "look") if lb.image.sha256 in report.images} \
        == {"anomalous"}


def test_default_hosts_are_good_real_captures_only(kit) -> None:
    service, hosts = kit
    assert [h.sha256 for h in service.default_hosts("plate", "surface")] == [h.sha256 for h in hosts]
    service.add(SynthRequest("plate", "surface", SCRATCH, count=1))
    assert [h.sha256 for h in service.default_hosts("plate", "surface")] == [h.sha256 for h in hosts]
    with pytest.raises(RecipeError, match="no good capture of type 'finish'"):
        service.make(SynthRequest("plate", "finish", SCRATCH, label="dent"))


BAD = [
    (SynthRequest("plate", "surface", SCRATCH, rois=("middle",)), RecipeError, "recipe 'plate' has no ROI 'middle' of type 'surface'"),
    (SynthRequest("plate", "surface", SCRATCH, label="good"), RecipeError, "'good' is a pass class"),
    (SynthRequest("plate", "surface", SCRATCH, label="crack"), RecipeError, "no fail class 'crack'"),
    (SynthRequest("plate", "finish", SCRATCH), RecipeError, "several fail classes (dent, stain)"),
    (SynthRequest("plate", "seam", SCRATCH), RecipeError, "several pixel classes (glue, crack)"),
    (SynthRequest("plate", "look", SCRATCH, label="good"), RecipeError, "no class 'good'"),
    (SynthRequest("plate", "surface", "the part looks nice"), SynthError, "kind"),
    (SynthRequest("plate", "surface", SCRATCH, count=0), SynthError, "count 0 is out of range"),
    (SynthRequest("plate", "painting", SCRATCH), RecipeError, "painting"),
]


def test_bad_requests_are_refused_with_the_problem_and_add_nothing(kit) -> None:
    service, _hosts = kit
    before = _rows(service.workspace)
    for request, error, words in BAD:
        with pytest.raises(error) as caught:
            service.add(request)
        assert words in str(caught.value), (request, str(caught.value))
    assert _rows(service.workspace) == before


def test_a_host_where_the_roi_does_not_lie_is_refused(kit, tmp_path: Path) -> None:
    service, _hosts = kit
    far = tmp_path / "far.png"
    far.write_bytes(png_bytes(part_capture(False, 3, (6, 6))))  # the right ROI starts at x 68
    with pytest.raises(ImageError, match="ROI 'right' does not lie on host far.png"):
        service.make(SynthRequest("plate", "surface", SCRATCH, rois=("right",), hosts=(service.external_host(far),)))


def test_a_recipe_archive_keeps_its_images_synthetic(kit, tmp_path: Path) -> None:
    service, _hosts = kit
    report = service.add(SynthRequest("plate", "surface", SCRATCH, rois=("right",), count=2))
    export_archive(service.workspace, "plate", tmp_path / "plate.zip")
    other = Workspace(tmp_path / "other")
    import_archive(other, tmp_path / "plate.zip", "plate2", max_bytes=1 << 30)
    assert other.synthetic("plate2") == service.workspace.synthetic("plate")
    assert set(other.synthetic("plate2")) == set(report.images)


def test_on_an_aligned_recipe_the_roi_box_moves_with_the_part(tmp_path: Path) -> None:
    from tests.unit.imaging.scenes import NUT, scene
    from tests.unit.station.test_pipeline_alignment import RECIPE as ALIGNED

    workspace = Workspace(tmp_path / "home")
    recipe = parse_recipe(ALIGNED)
    workspace.save_recipe(recipe)
    (workspace.recipe_path("bracket").parent / "reference.png").write_bytes(png_bytes(scene()))
    shifted = tmp_path / "hosts" / "shifted.png"
    shifted.parent.mkdir()
    shifted.write_bytes(png_bytes(scene(-60, 45, seed=1)))
    service = SyntheticService(workspace)
    batch = service.make(SynthRequest("bracket", "nut", "a large stain", rois=("nut",),
                                      hosts=tuple(service.external_hosts([shifted.parent])), count=1))
    ((x0, y0, x1, y1),) = batch.samples[0].regions
    assert abs(x0 - (NUT.x - 60)) <= 2 and abs(y0 - (NUT.y + 45)) <= 2
    assert 0 <= NUT.w - (x1 - x0) <= 2 and 0 <= NUT.h - (y1 - y0) <= 2  # inside the ROI as the part turned it
    ys, xs = np.nonzero(batch.samples[0].mask)
    assert xs.min() >= x0 and xs.max() < x1 and ys.min() >= y0 and ys.max() < y1
