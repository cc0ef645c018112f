import pytest
from tests.conftest import part_capture, png_bytes

from openinspect.errors import DatasetError, RecipeError
from openinspect.recipe import TrainingMode, parse_recipe
from openinspect.training import anomaly_set, train_type

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
