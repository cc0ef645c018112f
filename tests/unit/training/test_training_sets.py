from pathlib import Path

import numpy as np
import pytest
from tests.conftest import part_capture, png_bytes

from openinspect.errors import DatasetError, RecipeError
from openinspect.imaging import Rect
from openinspect.recipe import TrainingMode, parse_recipe
from openinspect.store import StoredImage
from openinspect.training import classification_set, segmentation_set, train_type
from openinspect.training.service import input_size_for
from openinspect.training.validation import CropSource

RECIPE = parse_recipe("""
name: line
profile: multi-model
types:
  - name: surface
    kind: segmenter
    pixel_classes: [{name: glue, color: "#ffd400"}, {name: scratch, color: "#ff3b30"}]
  - name: part
    kind: classifier
    input_size: 64
    classes: [{name: good, pass: true}, {name: bad, pass: false}]
rois:
  - {name: a, type: surface, x: 0, y: 0, w: 64, h: 96}
  - {name: b, type: part, x: 64, y: 0, w: 64, h: 96}
""")


def test_segmenter_without_masks_says_how_to_import(workspace):
    with pytest.raises(DatasetError, match=r"no masks; import captures with `openinspect label import line --type "
                                           r"surface --images DIR --masks DIR`"):
        segmentation_set(workspace, RECIPE, RECIPE.inspection_type("surface"))


def test_segmenter_pixel_class_without_pixels_is_named(workspace):
    stored = workspace.add_image(png_bytes(part_capture(True, 1)), "c.png")
    mask = np.zeros((96, 128), np.uint8)
    mask[10:20, 10:20] = 1  # glue only
    workspace.set_mask("line", "surface", stored, mask)
    with pytest.raises(DatasetError, match="no labelled pixels of scratch"):
        segmentation_set(workspace, RECIPE, RECIPE.inspection_type("surface"))


def test_segmenter_crops_and_masks_follow_the_roi(workspace):
    stored = workspace.add_image(png_bytes(part_capture(True, 1)), "c.png")
    mask = np.zeros((96, 128), np.uint8)
    mask[10:20, 10:20], mask[50:60, 30:40] = 1, 2
    mask[0:5, 100:120] = 2  # outside ROI a: must not leak in
    workspace.set_mask("line", "surface", stored, mask)
    data = segmentation_set(workspace, RECIPE, RECIPE.inspection_type("surface"))
    assert data.images.shape == (1, 96, 64, 3) and data.targets.shape == (1, 96, 64)
    assert int((data.targets == 2).sum()) == 100 and int((data.targets == 1).sum()) == 100
    assert data.sources == [CropSource(stored.sha256, "a", Rect(0, 0, 64, 96))]


def test_classifier_set_resizes_to_input_size_and_keeps_labels(workspace):
    images = []
    for i, cls in enumerate(["good", "bad", "good"]):
        images.append(workspace.add_image(png_bytes(part_capture(cls == "bad", i)), f"{i}.png").sha256)
        workspace.set_label("line", "part", workspace.image(images[-1]), "b", cls)
    data = classification_set(workspace, RECIPE, RECIPE.inspection_type("part"))
    assert data.input_size == (64, 32) and data.images.shape == (3, 64, 32, 3)  # longest side 64, /32 grid
    assert sorted(data.targets.tolist()) == [0, 0, 1]
    by_source = {s.image: int(t) for s, t in zip(data.sources, data.targets, strict=True)}   # crops know their origin
    assert by_source == {images[0]: 0, images[1]: 1, images[2]: 0}
    assert {(s.roi, s.rect) for s in data.sources} == {("b", Rect(64, 0, 64, 96))}


def test_segmenter_refuses_fast_mode(workspace):
    from openinspect.recipe import TrainingMode

    with pytest.raises(RecipeError, match="one training mode, accurate"):
        train_type(workspace, RECIPE, "surface", mode=TrainingMode.FAST)


def test_classifier_input_size_defaults_per_mode_and_the_recipe_overrides():
    recipe = parse_recipe("""
name: big
types:
  - {name: part, kind: classifier, mode: accurate, classes: [{name: good, pass: true}, {name: bad, pass: false}]}
rois:
  - {name: a, type: part, x: 0, y: 0, w: 1000, h: 500}
""")
    spec = recipe.inspection_type("part")
    captures = [StoredImage("0" * 64, Path("c.png"), 1200, 800, "c.png")]
    assert input_size_for(recipe, spec, captures) == (192, 352)  # accurate: longest side 352
    assert input_size_for(recipe, spec, captures, TrainingMode.FAST) == (160, 320)
    fixed = recipe.model_copy(update={"types": [spec.model_copy(update={"input_size": 224})]})
    assert max(input_size_for(fixed, fixed.types[0], captures, TrainingMode.FAST)) == 224
