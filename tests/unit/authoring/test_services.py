"""The authoring services behind the web UI's editor and labelling pages: templates, captures, labels, corrections."""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import pytest
from PIL import Image
from tests.conftest import part_capture, png_bytes
from tests.unit.imaging.scenes import TEMPLATE, scene
from tests.unit.station.kit import install_plate

from openinspect.authoring import (
    CaptureService,
    Correction,
    CorrectionService,
    LabelService,
    RecipeService,
    TemplateInfo,
    TemplateService,
)
from openinspect.dataset import RoiCropper
from openinspect.errors import ImageError, NotFoundError, RecipeError
from openinspect.recipe import parse_recipe
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


@dataclass(frozen=True)
class Authoring:
    """The services as create_app builds them, on one workspace."""

    recipes: RecipeService
    templates: TemplateService
    captures: CaptureService
    labels: LabelService
    corrections: CorrectionService


@pytest.fixture
def bench(workspace: Workspace) -> Authoring:
    workspace.save_recipe(parse_recipe(RECIPE))
    captures = CaptureService(workspace)
    return Authoring(RecipeService(workspace), TemplateService(workspace), captures, LabelService(workspace, captures),
                     CorrectionService(workspace, captures))


def test_document_uses_the_yaml_field_names(bench: Authoring) -> None:
    doc, revision = bench.recipes.document("plate")
    assert doc["name"] == "plate" and doc["profile"] == "multi-model" and revision == 1
    assert doc["types"][0]["classes"][0] == {"name": "good", "pass": True}
    assert doc["rois"][2] == {"name": "seam", "type": "seam"}


def test_template_is_stored_as_the_recipe_reference(bench: Authoring, workspace: Workspace) -> None:
    with pytest.raises(NotFoundError, match="no template"):
        bench.templates.template("plate")
    assert bench.templates.set_template("plate", png_bytes(part_capture(False, 0)), "t.png") == TemplateInfo("reference.png",
                                                                                                     128, 96)
    assert bench.templates.template("plate") == workspace.recipe_path("plate").parent / "reference.png"
    assert bench.templates.info("plate") == TemplateInfo("reference.png", 128, 96)
    with pytest.raises(ImageError):
        bench.templates.set_template("plate", b"not an image", "t.png")


def test_a_replaced_template_keeps_the_alignment_region_checked_on_the_new_capture(bench: Authoring,
                                                                                  workspace: Workspace) -> None:
    TemplateService(workspace).set_alignment("plate", png_bytes(scene()), "part.png", TEMPLATE)
    buffer = io.BytesIO()
    Image.fromarray(scene(-20, 10, seed=2)).save(buffer, format="JPEG", quality=95)
    assert bench.templates.set_template("plate", buffer.getvalue(), "moved.jpg") == TemplateInfo("reference.jpg", 800, 600)
    recipe = workspace.recipe("plate")
    assert recipe.alignment is not None
    assert (recipe.alignment.reference, recipe.alignment.template.rect()) == ("reference.jpg", TEMPLATE)
    assert [p.name for p in workspace.recipe_path("plate").parent.glob("reference.*")] == ["reference.jpg"]
    assert RoiCropper.load(workspace, recipe).aligner is not None
    with pytest.raises(RecipeError, match=r"recipe 'plate': alignment template x 290, y 190, 260x240 is too flat"):
        bench.templates.set_template("plate", png_bytes(scene(part=False)), "empty.png")  # the region shows background only
    assert bench.templates.template("plate").read_bytes() == buffer.getvalue(), "nothing changed"
    assert workspace.recipe("plate") == recipe


def test_captures_are_listed_once_and_labels_replace_per_roi(bench: Authoring) -> None:
    data = [png_bytes(part_capture(defect, seed)) for seed, defect in enumerate((False, True))]
    first, second = bench.captures.add("plate", [("a.png", data[0]), ("b.png", data[1])])
    bench.captures.add("plate", [("again.png", data[0])])
    assert [s.image.sha256 for s in bench.labels.samples("plate", "surface")] == [first.sha256, second.sha256]

    assert bench.labels.set_labels("plate", "surface", second.sha256, {"left": "scratch"}) == {"left": "scratch"}
    labels = bench.labels.set_labels("plate", "surface", second.sha256, {"right": "good", "left": "good"})
    assert labels == {"left": "good", "right": "good"}
    assert bench.labels.samples("plate", "surface")[1].labels == labels


@pytest.mark.parametrize(("labels", "message"), [({"middle": "good"}, "not ROIs of type"),
                                                  ({"left": "loose"}, "not in type"),
                                                  ({}, "none given")])
def test_labels_name_what_is_wrong(bench: Authoring, labels: dict[str, str], message: str) -> None:
    (image,) = bench.captures.add("plate", [("a.png", png_bytes(part_capture(False, 0)))])
    with pytest.raises(RecipeError, match=message):
        bench.labels.set_labels("plate", "surface", image.sha256, labels)


def test_painted_mask_round_trips_in_the_pixel_class_colours(bench: Authoring) -> None:
    (image,) = bench.captures.add("plate", [("a.png", png_bytes(part_capture(False, 0)))])
    painted = np.zeros((96, 128, 3), np.uint8)
    painted[10:20, 30:60] = (255, 212, 0)
    assert bench.labels.set_mask("plate", "seam", image.sha256, png_bytes(painted)) == 300
    assert bench.labels.samples("plate", "seam")[0].masked
    back = np.asarray(Image.open(io.BytesIO(bench.labels.mask_png("plate", "seam", image.sha256))).convert("RGB"))
    assert (back == painted).all()
    with pytest.raises(ImageError, match="not in the palette"):
        bench.labels.set_mask("plate", "seam", image.sha256, png_bytes(np.full((96, 128, 3), (77, 78, 77), np.uint8)))
    with pytest.raises(RecipeError, match="classifier"):
        bench.labels.mask_png("plate", "surface", image.sha256)


def test_unknown_images_and_names_are_not_found(bench: Authoring) -> None:
    with pytest.raises(NotFoundError):
        bench.captures.image("../../etc/passwd")
    with pytest.raises(NotFoundError):
        bench.recipes.document("..")


def test_samples_carry_the_models_class_only_when_asked(workspace: Workspace) -> None:
    install_plate(workspace)
    captures = CaptureService(workspace)
    labels = LabelService(workspace, captures)
    captures.add("plate", [("a.png", png_bytes(part_capture(True, 1)))])
    assert labels.samples("plate", "surface")[0].predictions is None
    (sample,) = labels.samples("plate", "surface", predict=True)
    assert {roi: p.class_name for roi, p in (sample.predictions or {}).items()} == {"left": "scratch",
                                                                                   "right": "scratch"}


def test_predictions_are_for_classifier_types(bench: Authoring) -> None:
    with pytest.raises(RecipeError, match="segmenter"):
        bench.labels.samples("plate", "seam", predict=True)


def test_a_judged_capture_is_added_once_with_its_corrected_class(bench: Authoring) -> None:
    data = png_bytes(part_capture(True, 1))
    first = bench.corrections.add_to_training("plate", data, "/line/cap-7.png", [Correction("left", "surface", "good")])
    assert first.added and first.labels == {"left": "good"} and first.image.original_name == "cap-7.png"
    again = bench.corrections.add_to_training("plate", data, "cap-7.png", [Correction("right", "surface", "scratch")])
    assert not again.added and again.image == first.image
    (sample,) = bench.labels.samples("plate", "surface")
    assert sample.labels == {"left": "good", "right": "scratch"}
    assert [s.image.sha256 for s in bench.labels.samples("plate", "seam")] == [first.image.sha256]


def test_a_segmenter_roi_is_marked_good_or_left_to_paint(bench: Authoring) -> None:
    painted = bench.corrections.add_to_training("plate", png_bytes(part_capture(False, 2)), "a.png",
                                    [Correction("seam", "seam")])
    assert painted.to_paint == ["seam"] and painted.marked_good == []
    assert not bench.labels.samples("plate", "seam")[0].masked
    good = bench.corrections.add_to_training("plate", png_bytes(part_capture(False, 3)), "b.png",
                                 [Correction("seam", "seam", background=True)])
    assert good.marked_good == ["seam"] and good.to_paint == []
    assert [s.masked for s in bench.labels.samples("plate", "seam")] == [False, True]
    mask = np.asarray(Image.open(io.BytesIO(bench.labels.mask_png("plate", "seam", good.image.sha256))))
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
def test_corrections_are_checked_before_anything_is_stored(bench: Authoring, corrections: list[Correction],
                                                          message: str) -> None:
    with pytest.raises(RecipeError, match=message):
        bench.corrections.add_to_training("plate", png_bytes(part_capture(True, 1)), "a.png", corrections)
    assert bench.labels.samples("plate", "surface") == []


def test_a_capture_the_rois_do_not_fit_is_not_added(bench: Authoring) -> None:
    small = png_bytes(part_capture(False, 0, size=(48, 48)))
    with pytest.raises(ImageError, match="does not fit"):
        bench.corrections.add_to_training("plate", small, "small.png", [Correction("right", "surface", "good")])
    assert bench.labels.samples("plate", "surface") == []
