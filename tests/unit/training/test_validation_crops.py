"""What a training run records about each validation crop, how it is kept with the model version, and which
of the run's models (fold or final) its progress reports name."""

import dataclasses
import json

import numpy as np
import pytest
from tests.conftest import PlaceholderModel, part_capture, png_bytes

from openinspect.models.progress import Fold
from openinspect.recipe import TrainingMode, parse_recipe
from openinspect.store import ModelMeta, Workspace
from openinspect.training import fit_type, publish_type
from openinspect.training.review import validation_review
from openinspect.training.validation import VALIDATION_FILE, read_validation_crops

RECIPE = parse_recipe("""
name: plate
types:
  - name: surface
    kind: classifier
    input_size: 64
    classes: [{name: good, pass: true}, {name: scratch, pass: false, threshold: 0.6}]
rois:
  - {name: left, type: surface, x: 0, y: 0, w: 64, h: 96}
  - {name: right, type: surface, x: 64, y: 0, w: 64, h: 96}
""")


def _labelled(workspace):
    workspace.save_recipe(RECIPE)
    truth = {}
    for index, cls in enumerate(["good", "scratch"]):
        stored = workspace.add_image(png_bytes(part_capture(cls == "scratch", index)), f"{cls}.png")
        for roi in ("left", "right"):
            workspace.set_label("plate", "surface", stored, roi, cls)
            truth[(stored.sha256, roi)] = cls
    return truth


@pytest.fixture(scope="module")
def fast_run(tmp_path_factory):
    """One tiny Fast training (leave-one-out on 4 crops) and its progress reports, shared: the tests only read it."""
    workspace = Workspace(tmp_path_factory.mktemp("fast") / "home")
    _labelled(workspace)
    reports = []

    def record(fraction, status, *, step=None, fold=None):
        reports.append((fraction, status, step, fold))

    result = fit_type(workspace, RECIPE, "surface", mode=TrainingMode.FAST, progress=record)
    workspace.engine.dispose()
    return result, reports


@pytest.fixture(scope="module")
def trained(fast_run):
    return fast_run[0]


@pytest.mark.slow
def test_fast_progress_names_each_fold_then_the_final_model_with_stages_and_no_loss(fast_run):
    _, reports = fast_run
    folds = [fold for _, _, _, fold in reports]
    # the features are shared by every model (no fold), then each fold's model, then the final one
    assert list(dict.fromkeys(folds)) == [None, Fold(1, 4), Fold(2, 4), Fold(3, 4), Fold(4, 4), Fold(None, 4)]
    assert [f.label() for f in dict.fromkeys(folds) if f][-2:] == ["fold 4 of 4", "final model"]
    assert all(step is None for _, _, step, _ in reports)                      # Fast fits no loss
    statuses = {status for _, status, _, _ in reports}
    assert statuses >= {"extracting features once, for 5 model(s)", "memory bank 1 of 2", "fitting the head"}
    assert "done" not in statuses                                               # a fold's end is not the run's
    extracting = [fold for _, status, _, fold in reports if status.startswith("extracting")]
    assert set(extracting) == {None}
    fractions = [fraction for fraction, _, _, _ in reports]
    assert fractions == sorted(fractions) and fractions[-1] < 1.0              # one bar; the export comes next


@pytest.mark.slow
def test_fast_training_records_class_and_probabilities_of_every_validation_crop(workspace, trained):
    truth = _labelled(workspace)   # the same captures, so the same content hashes
    assert trained.validation["method"] == "leave-one-out"
    assert {(c.source.image, c.source.roi) for c in trained.crops} == set(truth)   # each crop held out once
    spec = RECIPE.inspection_type("surface")
    for crop in trained.crops:
        assert crop.true_class == truth[(crop.source.image, crop.source.roi)]
        assert list(crop.probabilities) == ["good", "scratch"]
        assert abs(sum(crop.probabilities.values()) - 1) < 1e-4
        assert crop.predicted_class == spec.class_names()[spec.decide(list(crop.probabilities.values()))]
        left = crop.source.roi == "left"
        assert (crop.source.rect.x, crop.source.rect.w, crop.source.rect.h) == (0 if left else 64, 64, 96)
    confusion = np.zeros((2, 2), int)
    for crop in trained.crops:
        confusion[spec.class_names().index(crop.true_class), spec.class_names().index(crop.predicted_class)] += 1
    assert trained.metrics["confusion"] == confusion.tolist()


@pytest.mark.slow
def test_published_version_keeps_validation_crops_beside_its_meta(workspace, trained):
    _labelled(workspace)
    version = publish_type(workspace, dataclasses.replace(trained, model=PlaceholderModel()))

    assert sorted(p.name for p in version.path.iterdir()) == ["meta.json", "model.onnx", VALIDATION_FILE]
    assert read_validation_crops(version.path) == trained.crops
    assert version.meta().validation == {"method": "leave-one-out", "reason": ""}
    entry = json.loads((version.path / VALIDATION_FILE).read_text())["crops"][0]
    assert set(entry) == {"image", "roi", "rect", "true_class", "predicted_class", "probabilities"}

    review = validation_review(workspace, RECIPE, "surface")
    assert (review.version, review.method, review.crops) == (version.version, "leave-one-out", trained.crops)
    (tradeoff,) = review.tradeoffs
    assert (tradeoff.class_name, tradeoff.threshold, tradeoff.good, tradeoff.defects) == ("scratch", 0.6, 2, 2)
    at_recipe = next(p for p in tradeoff.points if p.threshold == 0.6)   # the recipe's rule: the trained confusion
    confusion = trained.metrics["confusion"]
    assert (at_recipe.good_rejected, at_recipe.defects_missed) == (confusion[0][1], confusion[1][0])


def test_version_trained_before_recording_says_to_train_again(workspace):
    _labelled(workspace)
    with workspace.new_model_version("plate", "surface", "fast") as folder:
        (folder / "model.onnx").write_bytes(b"placeholder")
        ModelMeta(["good", "scratch"], metrics={}).write(folder)
    review = validation_review(workspace, RECIPE, "surface")
    assert review.crops is None and review.tradeoffs == [] and review.method is None
    assert "train again" in review.problem
