"""Synthetic images are trained on, never validated on, and a run can leave them out."""

from __future__ import annotations

import dataclasses

import pytest
from tests.conftest import PlaceholderModel, part_capture, png_bytes

from openinspect.authoring.synthetic import SyntheticService, SynthRequest
from openinspect.errors import DatasetError
from openinspect.recipe import TrainingMode, parse_recipe
from openinspect.store import Workspace
from openinspect.training import classification_set, fit_type, publish_type
from openinspect.training.review import validation_review

RECIPE = parse_recipe("""
name: plate
profile: multi-model
types:
  - name: surface
    kind: classifier
    input_size: 32
    classes: [{name: good, pass: true}, {name: scratch, pass: false}]
  - name: finish
    kind: classifier
    classes: [{name: ok, pass: true}, {name: dent, pass: false}]
rois:
  - {name: left, type: surface, x: 0, y: 0, w: 64, h: 96}
  - {name: all, type: finish}
""")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Four real captures and three synthetic ones (a crop each); one Fast run with them, published.

    Type ``finish`` has real ``ok`` crops and synthetic ``dent`` ones only.
    """
    workspace = Workspace(tmp_path_factory.mktemp("synthetic") / "home")
    workspace.save_recipe(RECIPE)
    for index, cls in enumerate(["good", "good", "scratch", "scratch"]):
        stored = workspace.add_image(png_bytes(part_capture(cls == "scratch", index)), f"{cls}{index}.png")
        workspace.set_label("plate", "surface", stored, "left", cls)
        workspace.set_label("plate", "finish", stored, "all", "ok")
    service = SyntheticService(workspace)
    made = service.add(SynthRequest("plate", "surface", "a long dark scratch", rois=("left",), count=3, seed=1))
    service.add(SynthRequest("plate", "finish", "a large dent", count=2))
    run = fit_type(workspace, RECIPE, "surface", mode=TrainingMode.FAST)
    version = publish_type(workspace, dataclasses.replace(run, model=PlaceholderModel()))
    yield workspace, set(made.images), run, version
    workspace.engine.dispose()


def test_synthetic_images_are_trained_on_and_never_validated_on(trained) -> None:
    _workspace, synthetic, run, _version = trained
    assert run.validation["method"] == "leave-one-out"
    validated = {(crop.source.image, crop.source.roi) for crop in run.crops}
    assert len(validated) == 4 and not {image for image, _ in validated} & synthetic
    assert {source.image for source in run.data.sources} >= synthetic  # trained on
    assert run.synthetic_images == 3


def test_the_model_and_its_review_say_how_many_synthetic_images_it_trained_on(trained) -> None:
    workspace, _synthetic, _run, version = trained
    assert version.meta().synthetic_images == 3
    review = validation_review(workspace, RECIPE, "surface")
    assert review.synthetic_images == 3 and len(review.crops or []) == 4


def test_a_run_without_synthetic_images_leaves_them_out(trained) -> None:
    workspace = trained[0]
    with pytest.raises(DatasetError, match=r"class\(es\) dent have no labelled images \(counts: ok 4, dent 0\)"):
        fit_type(workspace, RECIPE, "finish", mode=TrainingMode.FAST, synthetic=False)
    assert len(classification_set(workspace, RECIPE, RECIPE.inspection_type("finish")).targets) == 6  # with them
