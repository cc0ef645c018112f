import itertools

import cv2
import numpy as np
import pytest
import yaml

import openinspect.demo
from openinspect.demo import DemoCapture, DemoScene, bracket_captures, bracket_scene, shaft_captures, shaft_scene

SCENES = [
    pytest.param(bracket_scene, bracket_captures, (400, 800, 3), id="bracket"),
    pytest.param(shaft_scene, shaft_captures, (480, 640, 3), id="shaft"),
]


def _rois(scene: DemoScene) -> dict[str, dict]:
    return {roi["name"]: roi for roi in yaml.safe_load(scene.recipe_yaml)["rois"]}


def _features(scene: DemoScene, captures: list[DemoCapture]) -> tuple[np.ndarray, list[str]]:
    """Downsized, standardised grey ROI crops: the crudest classifier input there is."""
    rows, labels = [], []
    for capture in captures:
        for name, roi in _rois(scene).items():
            crop = capture.image[roi["y"] : roi["y"] + roi["h"], roi["x"] : roi["x"] + roi["w"]]
            small = cv2.resize(cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY), (24, 24), interpolation=cv2.INTER_AREA)
            vector = small.astype(np.float32).ravel()
            rows.append((vector - vector.mean()) / vector.std())
            labels.append(capture.labels[name])
    return np.array(rows), labels


def test_public_api_is_what_the_demo_runner_needs():
    assert openinspect.demo.__all__ == sorted(
        ["DemoCapture", "DemoScene", "bracket_captures", "bracket_scene", "shaft_captures", "shaft_scene"]
    )


@pytest.mark.parametrize(("make_scene", "make_captures", "shape"), SCENES)
def test_captures_are_rgb_uint8_of_the_scene_size(make_scene, make_captures, shape):
    captures = make_captures(3, 0)
    assert len(captures) == 3
    for capture in captures:
        assert capture.image.shape == shape
        assert capture.image.dtype == np.uint8
        assert capture.image.std() > 20, "a capture should show a scene, not a flat field"


@pytest.mark.parametrize(("make_scene", "make_captures", "shape"), SCENES)
def test_same_seed_gives_same_captures_and_other_seed_differs(make_scene, make_captures, shape):
    first, again, other = make_captures(4, 7), make_captures(4, 7), make_captures(4, 8)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a.image, b.image)
        assert a.labels == b.labels
    assert any(not np.array_equal(a.image, c.image) for a, c in zip(first, other, strict=True))


@pytest.mark.parametrize(("make_scene", "make_captures", "shape"), SCENES)
def test_every_roi_gets_every_class_in_equal_numbers(make_scene, make_captures, shape):
    recipe = yaml.safe_load(make_scene().recipe_yaml)
    classes = [c["name"] for c in recipe["types"][0]["classes"]]
    captures = make_captures(31, 3)
    for roi in _rois(make_scene()):
        counts = [sum(c.labels[roi] == name for c in captures) for name in classes]
        assert max(counts) - min(counts) <= 1, (roi, dict(zip(classes, counts, strict=True)))


@pytest.mark.parametrize(("make_scene", "make_captures", "shape"), SCENES)
def test_recipe_yaml_matches_the_labels_and_rois_lie_inside_the_capture(make_scene, make_captures, shape):
    scene = make_scene()
    recipe = yaml.safe_load(scene.recipe_yaml)
    assert recipe["profile"] == "single-model"
    [kind] = recipe["types"]
    assert (kind["name"], kind["kind"], kind["mode"]) == (scene.type_name, "classifier", "fast")
    assert [c["pass"] for c in kind["classes"]].count(True) == 1
    classes = {c["name"] for c in kind["classes"]}
    capture = make_captures(1, 0)[0]
    assert set(capture.labels) == set(_rois(scene))
    assert set(capture.labels.values()) <= classes
    for roi in recipe["rois"]:
        assert roi["type"] == scene.type_name
        assert roi["x"] >= 0 and roi["y"] >= 0
        assert roi["x"] + roi["w"] <= shape[1] and roi["y"] + roi["h"] <= shape[0]


def test_bracket_and_shaft_recipes_have_the_documented_names_and_classes():
    bracket, shaft = yaml.safe_load(bracket_scene().recipe_yaml), yaml.safe_load(shaft_scene().recipe_yaml)
    assert bracket["name"] == "bracket-nuts"
    assert [(c["name"], c["pass"]) for c in bracket["types"][0]["classes"]] == [("good", True), ("loose", False)]
    assert [r["name"] for r in bracket["rois"]] == ["nut-left", "nut-right"]
    assert shaft["name"] == "shaft-depth"
    assert [(c["name"], c["pass"]) for c in shaft["types"][0]["classes"]] == [
        ("seated", True),
        ("partial", False),
        ("out", False),
    ]
    assert [r["name"] for r in shaft["rois"]] == ["shaft"]


@pytest.mark.parametrize(("make_scene", "make_captures", "shape"), SCENES)
def test_nearest_centroid_on_crops_from_one_seed_separates_classes_from_another(make_scene, make_captures, shape):
    scene = make_scene()
    train, train_labels = _features(scene, make_captures(24, 1))
    test, test_labels = _features(scene, make_captures(24, 2))
    classes = sorted(set(train_labels))
    centroids = np.stack([train[[label == name for label in train_labels]].mean(axis=0) for name in classes])
    nearest = np.argmin(((test[:, None, :] - centroids[None]) ** 2).sum(axis=2), axis=1)
    accuracy = np.mean([classes[i] == label for i, label in zip(nearest, test_labels, strict=True)])
    assert accuracy >= 0.9


@pytest.mark.parametrize(("make_scene", "make_captures", "shape"), SCENES)
def test_captures_of_one_class_still_vary_like_real_captures(make_scene, make_captures, shape):
    captures = make_captures(12, 4)
    by_class: dict[str, list[np.ndarray]] = {}
    for capture in captures:
        by_class.setdefault(tuple(sorted(capture.labels.items())), []).append(capture.image.astype(np.int16))
    pairs = [(a, b) for images in by_class.values() for a, b in itertools.pairwise(images)]
    assert pairs, "expected at least two captures with the same labels"
    assert all(np.abs(a - b).mean() > 2 for a, b in pairs), "jitter, light and noise should change every capture"
