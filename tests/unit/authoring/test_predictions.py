"""The latest model's class per ROI crop for the labelling page: known answers, batching and the cache."""

from __future__ import annotations

import numpy as np
import pytest
from tests.conftest import part_capture, png_bytes, write_png
from tests.unit.imaging.scenes import scene
from tests.unit.station.kit import dark_pixel_classifier, install_plate, part_png
from tests.unit.station.test_pipeline_alignment import RECIPE as ALIGNED
from tests.unit.station.test_pipeline_alignment import _dark_crop_model

from openinspect.authoring.predictions import BATCH_CROPS, CropPredictor
from openinspect.errors import ModelNotFoundError
from openinspect.models.runtime import OnnxModel
from openinspect.recipe import parse_recipe
from openinspect.store import ModelMeta, ModelVersion, StoredImage, Workspace


class CountingModel:
    """An ONNX model that records the size of every batch it is given."""

    def __init__(self, version: ModelVersion, calls: list[int]) -> None:
        self._model = OnnxModel(version.onnx_path, threads=1)
        self.input_size = self._model.input_size
        self._calls = calls

    def predict(self, batch: np.ndarray) -> np.ndarray:
        self._calls.append(len(batch))
        return self._model.predict(batch)


@pytest.fixture
def calls() -> list[int]:
    return []


@pytest.fixture
def predictor(workspace: Workspace, calls: list[int]) -> CropPredictor:
    install_plate(workspace)
    return CropPredictor(workspace, open_model=lambda version: CountingModel(version, calls))


def _images(workspace: Workspace, *parts: tuple[bool, int]) -> list[StoredImage]:
    return [workspace.add_image(part_png(defect, seed), f"part-{seed}.png") for defect, seed in parts]


def test_predictions_follow_the_model(workspace: Workspace, predictor: CropPredictor) -> None:
    clean, scratched = _images(workspace, (False, 0), (True, 1))
    recipe = workspace.recipe("plate")
    found = predictor.predict(recipe, recipe.types[0], [clean, scratched])
    assert {roi: p.class_name for roi, p in found[clean.sha256].items()} == {"left": "good", "right": "good"}
    assert {roi: p.class_name for roi, p in found[scratched.sha256].items()} == {"left": "scratch", "right": "scratch"}
    assert all(0.5 < p.confidence <= 1 for per_image in found.values() for p in per_image.values())


def test_repeated_predictions_come_from_the_cache_until_a_new_model_version(
        workspace: Workspace, predictor: CropPredictor, calls: list[int]) -> None:
    images = _images(workspace, *((seed % 2 == 0, seed) for seed in range(40)))
    recipe = workspace.recipe("plate")
    first = predictor.predict(recipe, recipe.types[0], images)
    assert sum(calls) == 80 and max(calls) <= BATCH_CROPS          # 2 ROIs per capture, batched
    assert predictor.predict(recipe, recipe.types[0], images) == first
    assert sum(calls) == 80                                        # nothing ran again

    with workspace.new_model_version("plate", "surface", "fast", deploy=True) as folder:  # in force now
        dark_pixel_classifier(folder / "model.onnx")
        ModelMeta(["good", "scratch"], metrics={}).write(folder)
    assert predictor.predict(recipe, recipe.types[0], images[:3]) == {i.sha256: first[i.sha256] for i in images[:3]}
    assert sum(calls) == 86


def test_a_capture_the_rois_do_not_fit_gets_no_predictions(workspace: Workspace, predictor: CropPredictor) -> None:
    small = workspace.add_image(png_bytes(part_capture(False, 3, size=(48, 48))), "small.png")
    (clean,) = _images(workspace, (False, 0))
    recipe = workspace.recipe("plate")
    found = predictor.predict(recipe, recipe.types[0], [small, clean])
    assert found[small.sha256] == {} and set(found[clean.sha256]) == {"left", "right"}


def test_a_model_trained_for_other_classes_is_not_used(workspace: Workspace, predictor: CropPredictor) -> None:
    recipe = workspace.recipe("plate")
    spec = recipe.types[0].model_copy(update={"classes": [*recipe.types[0].classes][::-1]})
    with pytest.raises(ModelNotFoundError, match="trained for classes"):
        predictor.predict(recipe, spec, _images(workspace, (False, 0)))


def test_a_type_without_a_model_says_to_train_one(workspace: Workspace) -> None:
    install_plate(workspace)
    recipe = workspace.recipe("plate")
    renamed = recipe.model_copy(update={"name": "other"})
    with pytest.raises(ModelNotFoundError, match="train one"):
        CropPredictor(workspace).predict(renamed, renamed.types[0], [])


def test_crops_follow_the_part_when_the_recipe_aligns(workspace: Workspace) -> None:
    recipe = parse_recipe(ALIGNED)
    workspace.save_recipe(recipe)
    write_png(workspace.recipe_path("bracket").parent / "reference.png", scene())
    with workspace.new_model_version("bracket", "nut", "fast") as folder:
        _dark_crop_model(folder / "model.onnx")
        ModelMeta(["present", "missing"], metrics={}).write(folder)
    moved = workspace.add_image(png_bytes(scene(-60, 45, 9.0, seed=7)), "moved.png")
    empty = workspace.add_image(png_bytes(scene(part=False, seed=8)), "empty.png")
    found = CropPredictor(workspace).predict(recipe, recipe.types[0], [moved, empty])
    assert found[moved.sha256]["nut"].class_name == "present"     # the ROI moved with the part onto the nut
    assert found[empty.sha256] == {}                               # no part, no prediction
