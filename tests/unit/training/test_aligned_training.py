"""Training on a recipe that aligns: crops move and turn with the part exactly as the station cuts them."""

from __future__ import annotations

import logging

import cv2
import numpy as np
import pytest
from tests.conftest import png_bytes, write_png
from tests.unit.imaging.scenes import NUT, TEMPLATE, scene, truth

from openinspect.dataset import RoiCropper, model_batch
from openinspect.errors import DatasetError
from openinspect.recipe import Recipe, parse_recipe
from openinspect.station.pipeline import Staged, Stager
from openinspect.store import Workspace
from openinspect.training import classification_set, segmentation_set

ALIGNMENT = f"""
alignment:
  template: {{x: {TEMPLATE.x}, y: {TEMPLATE.y}, w: {TEMPLATE.w}, h: {TEMPLATE.h}}}
  reference: reference.png
"""
CLASSIFIER = f"""
name: bracket
types:
  - name: nut
    kind: classifier
    classes: [{{name: present, pass: true}}, {{name: missing, pass: false}}]
rois:
  - {{name: nut, type: nut, x: {NUT.x}, y: {NUT.y}, w: {NUT.w}, h: {NUT.h}}}
{ALIGNMENT}"""
SEGMENTER = f"""
name: bracket
types:
  - name: surface
    kind: segmenter
    pixel_classes: [{{name: nut, color: "#ff3b30"}}]
rois:
  - {{name: around-nut, type: surface, x: {NUT.x - 20}, y: {NUT.y - 20}, w: {NUT.w + 40}, h: {NUT.h + 40}}}
{ALIGNMENT}"""
MOVED = (-60, 45, 9.0)
"""Shift and turn of the part in the labelled captures: a ROI that stays put misses the nut."""


def _install(workspace: Workspace, text: str) -> Recipe:
    recipe = parse_recipe(text)
    workspace.save_recipe(recipe)
    write_png(workspace.recipe_path(recipe.name).parent / "reference.png", scene())
    return recipe


def _label(workspace: Workspace, recipe: Recipe, capture: np.ndarray, name: str, class_name: str) -> None:
    stored = workspace.add_image(png_bytes(capture), name)
    workspace.set_label(recipe.name, "nut", stored, "nut", class_name)


def test_training_crop_equals_the_inspected_crop_of_a_moved_part(workspace: Workspace) -> None:
    recipe = _install(workspace, CLASSIFIER)
    moved = scene(*MOVED, gain=0.8, offset=25, seed=7)
    _label(workspace, recipe, moved, "moved.png", "present")
    _label(workspace, recipe, scene(20, -10, -4, seed=9), "other.png", "missing")

    data = classification_set(workspace, recipe, recipe.inspection_type("nut"))

    # the station's staging (what Inspector runs before the models): the crop as the model gets it
    staged = Stager(recipe, RoiCropper.load(workspace, recipe), {"nut": (data.input_size, False)}).stage_image(
        moved, "moved.png")
    assert isinstance(staged, Staged)
    inspected = staged.batches["nut"].batch[0]
    trained = data.images[data.targets.tolist().index(0)]
    assert np.array_equal(trained, inspected)
    assert trained.mean() < 100, "the crop follows the part onto the dark nut"
    assert model_batch([moved[NUT.y : NUT.y + NUT.h, NUT.x : NUT.x + NUT.w]], data.input_size)[0].mean() > 100


def test_training_skips_a_capture_without_the_part_with_a_warning_naming_it(
        workspace: Workspace, caplog: pytest.LogCaptureFixture) -> None:
    recipe = _install(workspace, CLASSIFIER)
    _label(workspace, recipe, scene(*MOVED, seed=7), "moved.png", "present")
    _label(workspace, recipe, scene(20, -10, -4, seed=9), "other.png", "missing")
    _label(workspace, recipe, scene(part=False, seed=8), "empty-station.png", "missing")

    with caplog.at_level(logging.WARNING, logger="openinspect.training.service"):
        data = classification_set(workspace, recipe, recipe.inspection_type("nut"))

    assert len(data.images) == 2 and len(data.skipped) == 1
    assert "empty-station.png: the part was not found" in data.skipped[0]
    assert "empty-station.png" in caplog.text


def test_a_class_whose_every_capture_misses_the_part_is_named(workspace: Workspace) -> None:
    recipe = _install(workspace, CLASSIFIER)
    _label(workspace, recipe, scene(*MOVED, seed=7), "moved.png", "present")
    _label(workspace, recipe, scene(part=False, seed=8), "empty.png", "missing")
    with pytest.raises(DatasetError, match=r"alignment found the part in no capture of class\(es\) missing; "
                                           r"empty.png: the part was not found"):
        classification_set(workspace, recipe, recipe.inspection_type("nut"))


def test_segmenter_masks_turn_with_the_part_without_blending_classes(workspace: Workspace) -> None:
    recipe = _install(workspace, SEGMENTER)
    reference_mask = np.zeros(scene().shape[:2], np.uint8)
    reference_mask[NUT.y : NUT.y + NUT.h, NUT.x : NUT.x + NUT.w] = 1
    height, width = reference_mask.shape
    moved_mask = cv2.warpAffine(reference_mask, truth(*MOVED), (width, height), flags=cv2.INTER_NEAREST)
    stored = workspace.add_image(png_bytes(scene(*MOVED, seed=7)), "moved.png")
    workspace.set_mask(recipe.name, "surface", stored, moved_mask)

    data = segmentation_set(workspace, recipe, recipe.inspection_type("surface"))

    image, target = data.images[0], data.targets[0]
    assert set(np.unique(target).tolist()) == {0, 1}
    dark = image[:, :, 0] < 100
    overlap = (dark & (target == 1)).sum() / (dark | (target == 1)).sum()
    assert overlap > 0.8, "the mask crop lies on the nut the image crop shows"
