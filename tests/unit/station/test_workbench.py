"""The workbench service behind the web UI's editor and labelling pages."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from tests.conftest import part_capture, png_bytes

from openinspect.errors import ImageError, NotFoundError, RecipeError
from openinspect.recipe import parse_recipe
from openinspect.station.workbench import Workbench
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
    assert bench.set_template("plate", png_bytes(part_capture(False, 0)), "t.png") == (128, 96)
    assert bench.template("plate") == workspace.recipe_path("plate").parent / "reference.png"
    with pytest.raises(ImageError):
        bench.set_template("plate", b"not an image", "t.png")


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
