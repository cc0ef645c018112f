"""The workbench service behind the web UI's editor and labelling pages."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from tests.conftest import part_capture, png_bytes
from tests.unit.imaging.scenes import TEMPLATE, scene
from tests.unit.station.kit import install_plate

from openinspect.dataset import RoiCropper
from openinspect.errors import ImageError, NotFoundError, RecipeError
from openinspect.recipe import parse_recipe
from openinspect.station.library import Library
from openinspect.station.workbench import Correction, TemplateInfo, Workbench
from openinspect.store import Workspace

RECIPE = """
name: plate
profile: multi-model
types:
  - name: surface
    kind: classifier
    classes:
      - {name: good, pass: true}
      - {name: scratch, pass: false}
  - name: seam
    kind: segmenter
    pixel_classes:
      - {name: glue, color: "#ffd400"}
rois:
  - {name: left, type: surface, x: 0, y: 0, w: 64, h: 96}
  - {name: right, type: surface, x: 64, y: 0, w: 64, h: 96}
  - {name: seam, type: seam}
"""


@pytest.fixture
def bench(workspace: Workspace) -> Workbench:
    workspace.save_recipe(parse_recipe(RECIPE))
    return Workbench(workspace)


def test_document_uses_the_yaml_field_names(bench: Workbench) -> None:
    doc = bench.document("plate")
    assert doc["name"] == "plate" and doc["profile"] == "multi-model"
    assert doc["types"][0]["classes"][0] == {"name": "good", "pass": True}
    assert doc["rois"][2] == {"name": "seam", "type": "seam"}


def test_template_is_stored_as_the_recipe_reference(bench: Workbench, workspace: Workspace) -> None:
    with pytest.raises(NotFoundError, match="no template"):
        bench.template("plate")
    assert bench.set_template("plate", png_bytes(part_capture(False, 0)), "t.png") == TemplateInfo("reference.png",
                                                                                                     128, 96)
    assert bench.template("plate") == workspace.recipe_path("plate").parent / "reference.png"
    assert bench.template_info("plate") == TemplateInfo("reference.png", 128, 96)
    with pytest.raises(ImageError):
        bench.set_template("plate", b"not an image", "t.png")


def test_a_replaced_template_keeps_the_alignment_region_checked_on_the_new_capture(bench: Workbench,
                                                                                  workspace: Workspace) -> None:
    Library(workspace).set_alignment("plate", png_bytes(scene()), "part.png", TEMPLATE)
    buffer = io.BytesIO()
    Image.fromarray(scene(-20, 10, seed=2)).save(buffer, format="JPEG", quality=95)
    assert bench.set_template("plate", buffer.getvalue(), "moved.jpg") == TemplateInfo("reference.jpg", 800, 600)
    recipe = workspace.recipe("plate")
    assert recipe.alignment is not None
    assert (recipe.alignment.reference, recipe.alignment.template.rect()) == ("reference.jpg", TEMPLATE)
    assert [p.name for p in workspace.recipe_path("plate").parent.glob("reference.*")] == ["reference.jpg"]
    assert RoiCropper.load(workspace, recipe).aligner is not None
    with pytest.raises(RecipeError, match=r"recipe 'plate': alignment template x 290, y 190, 260x240 is too flat"):
        bench.set_template("plate", png_bytes(scene(part=False)), "empty.png")  # the region shows background only
    assert bench.template("plate").read_bytes() == buffer.getvalue(), "nothing changed"
    assert workspace.recipe("plate") == recipe


def test_captures_are_listed_once_and_labels_replace_per_roi(bench: Workbench) -> None:
    data = [png_bytes(part_capture(defect, seed)) for seed, defect in enumerate((False, True))]
    first, second = bench.add_captures("plate", [("a.png", data[0]), ("b.png", data[1])])
    bench.add_captures("plate", [("again.png", data[0])])
    assert [s.image.sha256 for s in bench.samples("plate", "surface")] == [first.sha256, second.sha256]

    assert bench.set_labels("plate", "surface", second.sha256, {"left": "scratch"}) == {"left": "scratch"}
    labels = bench.set_labels("plate", "surface", second.sha256, {"right": "good", "left": "good"})
    assert labels == {"left": "good", "right": "good"}
    assert bench.samples("plate", "surface")[1].labels == labels


@pytest.mark.parametrize(("labels", "message"), [({"middle": "good"}, "not ROIs of type"),
                                                  ({"left": "loose"}, "not in type"),
                                                  ({}, "none given")])
def test_labels_name_what_is_wrong(bench: Workbench, labels: dict[str, str], message: str) -> None:
    (image,) = bench.add_captures("plate", [("a.png", png_bytes(part_capture(False, 0)))])
    with pytest.raises(RecipeError, match=message):
        bench.set_labels("plate", "surface", image.sha256, labels)


def test_painted_mask_round_trips_in_the_pixel_class_colours(bench: Workbench) -> None:
    (image,) = bench.add_captures("plate", [("a.png", png_bytes(part_capture(False, 0)))])
    painted = np.zeros((96, 128, 3), np.uint8)
    painted[10:20, 30:60] = (255, 212, 0)
    assert bench.set_mask("plate", "seam", image.sha256, png_bytes(painted)) == 300
    assert bench.samples("plate", "seam")[0].masked
    back = np.asarray(Image.open(io.BytesIO(bench.mask_png("plate", "seam", image.sha256))).convert("RGB"))
    assert (back == painted).all()
    with pytest.raises(ImageError, match="not in the palette"):
        bench.set_mask("plate", "seam", image.sha256, png_bytes(np.full((96, 128, 3), (77, 78, 77), np.uint8)))
    with pytest.raises(RecipeError, match="classifier"):
        bench.mask_png("plate", "surface", image.sha256)


def test_unknown_images_and_names_are_not_found(bench: Workbench) -> None:
    with pytest.raises(NotFoundError):
        bench.image("../../etc/passwd")
    with pytest.raises(NotFoundError):
        bench.document("..")


def test_samples_carry_the_models_class_only_when_asked(workspace: Workspace) -> None:
    install_plate(workspace)
    bench = Workbench(workspace)
    bench.add_captures("plate", [("a.png", png_bytes(part_capture(True, 1)))])
    assert bench.samples("plate", "surface")[0].predictions is None
    (sample,) = bench.samples("plate", "surface", predict=True)
    assert {roi: p.class_name for roi, p in (sample.predictions or {}).items()} == {"left": "scratch",
                                                                                   "right": "scratch"}


def test_predictions_are_for_classifier_types(bench: Workbench) -> None:
    with pytest.raises(RecipeError, match="segmenter"):
        bench.samples("plate", "seam", predict=True)


def test_a_judged_capture_is_added_once_with_its_corrected_class(bench: Workbench) -> None:
    data = png_bytes(part_capture(True, 1))
    first = bench.add_to_training("plate", data, "/line/cap-7.png", [Correction("left", "surface", "good")])
    assert first.added and first.labels == {"left": "good"} and first.image.original_name == "cap-7.png"
    again = bench.add_to_training("plate", data, "cap-7.png", [Correction("right", "surface", "scratch")])
    assert not again.added and again.image == first.image
    (sample,) = bench.samples("plate", "surface")
    assert sample.labels == {"left": "good", "right": "scratch"}
    assert [s.image.sha256 for s in bench.samples("plate", "seam")] == [first.image.sha256]


def test_a_segmenter_roi_is_marked_good_or_left_to_paint(bench: Workbench) -> None:
    painted = bench.add_to_training("plate", png_bytes(part_capture(False, 2)), "a.png",
                                    [Correction("seam", "seam")])
    assert painted.to_paint == ["seam"] and painted.marked_good == []
    assert not bench.samples("plate", "seam")[0].masked
    good = bench.add_to_training("plate", png_bytes(part_capture(False, 3)), "b.png",
                                 [Correction("seam", "seam", background=True)])
    assert good.marked_good == ["seam"] and good.to_paint == []
    assert [s.masked for s in bench.samples("plate", "seam")] == [False, True]
    mask = np.asarray(Image.open(io.BytesIO(bench.mask_png("plate", "seam", good.image.sha256))))
    assert mask.shape[:2] == (96, 128) and not mask.any()


@pytest.mark.parametrize(("corrections", "message"), [
    ([], "nothing to add"),
    ([Correction("middle", "surface", "good")], "has no ROI 'middle'"),
    ([Correction("left", "seam", "good")], "judged by type 'surface' now"),
    ([Correction("left", "surface")], "give its correct class"),
    ([Correction("left", "surface", "loose")], "classes: good, scratch"),
    ([Correction("seam", "seam", "good")], "has no classes"),
    ([Correction("left", "surface", "good"), Correction("left", "surface", "scratch")], "named twice"),
])
def test_corrections_are_checked_before_anything_is_stored(bench: Workbench, corrections: list[Correction],
                                                          message: str) -> None:
    with pytest.raises(RecipeError, match=message):
        bench.add_to_training("plate", png_bytes(part_capture(True, 1)), "a.png", corrections)
    assert bench.samples("plate", "surface") == []


def test_a_capture_the_rois_do_not_fit_is_not_added(bench: Workbench) -> None:
    small = png_bytes(part_capture(False, 0, size=(48, 48)))
    with pytest.raises(ImageError, match="does not fit"):
        bench.add_to_training("plate", small, "small.png", [Correction("right", "surface", "good")])
    assert bench.samples("plate", "surface") == []
