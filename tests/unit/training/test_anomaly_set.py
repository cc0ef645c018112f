import io

import numpy as np
import pytest
from PIL import Image
from tests.conftest import part_capture, png_bytes

from openinspect.authoring import LabelService
from openinspect.errors import DatasetError, RecipeError
from openinspect.recipe import ANOMALOUS_COLOR, TrainingMode, parse_recipe
from openinspect.training import anomaly_set, fit_type, train_type

RECIPE = parse_recipe("""
name: plate
types:
  - name: surface
    kind: anomaly
rois:
  - {name: a, type: surface, x: 0, y: 0, w: 64, h: 96}
""")


def _label(workspace, classes):
    for i, cls in enumerate(classes):
        stored = workspace.add_image(png_bytes(part_capture(cls == "anomalous", i)), f"{i}.png")
        workspace.set_label("plate", "surface", stored, "a", cls)


@pytest.mark.parametrize(("classes", "message"), [
    (["good", "good", "anomalous"], "has 2 good crop(s), at least 3 are needed (1 anomalous crop(s) only validate); "
                                    "label 1 more good crop(s)"),
    (["anomalous"] * 4, "has 0 good crop(s), at least 3 are needed (4 anomalous crop(s) only validate); "
                        "label 3 more good crop(s)"),
])
def test_too_few_good_crops_are_refused_with_counts(workspace, classes, message):
    _label(workspace, classes)
    with pytest.raises(DatasetError, match="cannot train anomaly type 'surface' of recipe 'plate': it learns from good "
                                           "crops only") as err:
        anomaly_set(workspace, RECIPE, RECIPE.inspection_type("surface"))
    assert message in str(err.value) and "openinspect label import plate --type surface --folders DIR" in str(err.value)


def test_good_crops_train_and_anomalous_crops_come_along_to_validate(workspace):
    _label(workspace, ["good", "anomalous", "good", "good"])
    data = anomaly_set(workspace, RECIPE, RECIPE.inspection_type("surface"))
    assert data.input_size == (96, 64) and data.images.shape == (4, 96, 64, 3)
    assert sorted(data.targets.tolist()) == [0, 0, 0, 1]


def test_anomaly_type_has_one_training_mode(workspace):
    with pytest.raises(RecipeError, match="anomaly type 'surface' has one training mode, accurate; drop --mode fast"):
        train_type(workspace, RECIPE, "surface", mode=TrainingMode.FAST)


TWO_ROIS = parse_recipe("""
name: plate
types:
  - name: surface
    kind: anomaly
rois:
  - {name: a, type: surface, x: 0, y: 0, w: 64, h: 64}
  - {name: b, type: surface, x: 64, y: 0, w: 64, h: 64}
""")


def test_a_painted_region_makes_its_crops_anomalous_and_comes_along_pixel_by_pixel(workspace):
    images = [workspace.add_image(png_bytes(part_capture(False, i)), f"{i}.png") for i in range(5)]
    for image in images[:4]:
        for roi in ("a", "b"):
            workspace.set_label("plate", "surface", image, roi, "good")
    painted = np.zeros((96, 128), np.uint8)
    painted[10:20, 70:90] = 1                                  # in ROI b only
    workspace.set_mask("plate", "surface", images[0], painted)  # a good label of b is overruled by the paint
    workspace.set_mask("plate", "surface", images[4], painted)  # unlabelled: b is anomalous, a (no paint) left out
    data = anomaly_set(workspace, TWO_ROIS, TWO_ROIS.inspection_type("surface"))
    crops = {(s.image, s.roi): i for i, s in enumerate(data.sources)}
    assert len(crops) == 9 and (images[4].sha256, "a") not in crops
    anomalous = {key for key, i in crops.items() if data.targets[i] == 1}
    assert anomalous == {(images[0].sha256, "b"), (images[4].sha256, "b")}
    assert data.regions is not None and data.painted is not None
    region = data.regions[crops[images[4].sha256, "b"]]
    assert region.sum() == 200 and region[10:20, 6:26].all()   # the ROI's own pixels (x 70..90 -> 6..26)
    assert data.painted[crops[images[0].sha256, "a"]] and not data.regions[crops[images[0].sha256, "a"]].any()
    assert not data.painted[crops[images[1].sha256, "a"]]


def test_painting_is_refused_for_a_classifier_and_stored_for_an_anomaly_type(workspace):
    recipe = parse_recipe("""
name: plate
profile: multi-model
types:
  - {name: surface, kind: anomaly}
  - {name: nut, kind: classifier, classes: [{name: ok, pass: true}, {name: bad, pass: false}]}
rois:
  - {name: a, type: surface, x: 0, y: 0, w: 64, h: 64}
  - {name: n, type: nut, x: 64, y: 0, w: 64, h: 64}
""")
    workspace.save_recipe(recipe)
    labels = LabelService(workspace)
    image = workspace.add_image(png_bytes(part_capture(False, 0)), "0.png")
    labels.captures.append("plate", [image])
    red = np.zeros((96, 128, 3), np.uint8)
    red[5:15, 5:25] = (255, 59, 48)                            # the Label page's anomalous colour
    assert ANOMALOUS_COLOR == "#ff3b30"
    assert labels.set_mask("plate", "surface", image.sha256, png_bytes(red)) == 200
    (sample,) = labels.samples("plate", "surface")
    assert sample.masked
    back = np.asarray(Image.open(io.BytesIO(labels.mask_png("plate", "surface", image.sha256))).convert("RGB"))
    assert (back == red).all()
    with pytest.raises(RecipeError, match="'nut' is a classifier: label its ROIs with a class, not a mask"):
        labels.set_mask("plate", "nut", image.sha256, png_bytes(red))


def test_without_a_fast_int8_dot_product_an_anomaly_type_trains_and_validates_in_fp32(workspace, monkeypatch):
    from openinspect.models import runtime

    monkeypatch.setattr(runtime, "fast_int8", lambda: False)  # as on a processor without VNNI or AMX
    _label(workspace, ["good", "good", "good", "anomalous"])
    trained = fit_type(workspace, RECIPE, "surface")  # publishing records trained.model.precision as it is
    assert trained.model.precision.precision == "fp32" and trained.model.int8 is None
    assert "no fast int8 dot product" in trained.model.precision.reason
    assert "fp32 encoder" in trained.validation["reason"]
