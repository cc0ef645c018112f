"""Accurate learns from the recipe's unlabelled captures and archived results, never from labelled or validation images."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime

import pytest
from PIL import Image
from tests.conftest import part_capture, png_bytes

from openinspect.authoring.captures import CaptureService
from openinspect.models.accurate import Schedule
from openinspect.recipe import TrainingMode, parse_recipe
from openinspect.store import Workspace
from openinspect.store.records import ResultRecord
from openinspect.store.results import ResultStore, Retention
from openinspect.training import fit_type, validation

pytestmark = pytest.mark.slow

RECIPE = parse_recipe("""
name: plate
types:
  - name: surface
    kind: classifier
    mode: accurate
    input_size: 32
    augment: {hflip: true}
    classes: [{name: good, pass: true}, {name: scratch, pass: false}]
rois:
  - {name: left, type: surface, x: 0, y: 0, w: 64, h: 96}
""")


def _other_png(pixels) -> bytes:
    """The same pixels as :func:`png_bytes`, other bytes (another compression level): another library image."""
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Five good and five scratched labelled captures (Accurate, told to validate from 5 per class, holds one of each
    out), all also recipe captures; three unlabelled recipe captures; two archived results, one of them a labelled
    image's very file.

    Returns the workspace, the labelled and the unlabelled images' hashes, a run with unlabelled captures, one without.
    """
    workspace = Workspace(tmp_path_factory.mktemp("unlabelled") / "home")
    workspace.save_recipe(RECIPE)
    captures = CaptureService(workspace)
    labelled = []
    for index in range(10):
        scratched = index >= 5
        stored = workspace.add_image(png_bytes(part_capture(scratched, index)), f"l{index}.png")
        workspace.set_label("plate", "surface", stored, "left", "scratch" if scratched else "good")
        labelled.append(stored)
    unlabelled = [workspace.add_image(_other_png(part_capture(index % 2 == 1, index)), f"u{index}.png")
                  for index in (0, 1, 8)]
    captures.append("plate", labelled + unlabelled)
    store = ResultStore(workspace.engine, workspace.home / "results", Retention(keep_pass_every=1))
    archived = {"new": _other_png(part_capture(True, 6)), "labelled": png_bytes(part_capture(False, 2))}
    for name, png in archived.items():
        store.add(ResultRecord(name, datetime(2025, 1, 1, tzinfo=UTC), "plate", "upload",
                               {"image": f"{name}.png", "pass": True, "rois": []}), lambda png=png: (png, ".png"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Schedule, "steps", lambda self, num_images: 2)  # tiny: what matters is what it learns from
        patch.setattr(validation, "HOLD_OUT_MIN_PER_CLASS", 5)  # so that validation crops exist to keep apart
        used = fit_type(workspace, RECIPE, "surface", archive=store)
        off = fit_type(workspace, RECIPE, "surface", unlabelled=False, archive=store)
    new_archived = hashlib.sha256(archived["new"]).hexdigest()
    yield workspace, {s.sha256 for s in labelled}, {s.sha256 for s in unlabelled} | {new_archived}, used, off
    workspace.engine.dispose()


def test_accurate_learns_from_every_unlabelled_capture_and_archived_result(runs) -> None:
    _workspace, _labelled, unlabelled, used, off = runs
    assert used.mode is TrainingMode.ACCURATE and used.unlabelled is not None
    assert set(used.unlabelled.captures) == unlabelled and len(used.unlabelled.captures) == 4
    assert used.unlabelled.images.shape == (4, 32, 32, 3)  # one ROI each, at the model input
    assert 0 < used.pseudo_labelled <= 4  # the Fast teacher judged them; the confident ones were trained on
    assert used.model.backbone == off.model.backbone == "lite1"  # what meta.json records


def test_labelled_and_validation_images_never_count_as_unlabelled(runs) -> None:
    _workspace, labelled, _unlabelled, used, _off = runs
    assert used.validation["method"] == "hold-out"
    validated = {crop.source.image for crop in used.crops}
    assert len(validated) == 2 and validated <= labelled
    assert used.unlabelled is not None and not set(used.unlabelled.captures) & labelled  # nor the archived copy


def test_a_run_can_leave_unlabelled_captures_out(runs) -> None:
    off = runs[4]
    assert off.unlabelled is None and off.pseudo_labelled == 0
