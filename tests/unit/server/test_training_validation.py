"""GET /recipes/{name}/types/{type}/models/latest/validation: how the latest model validated, crop by crop."""


import pytest
from fastapi.testclient import TestClient
from tests.unit.station.kit import dark_pixel_classifier, install_plate, part_png

from openinspect.imaging import Rect
from openinspect.server import create_app
from openinspect.settings import Settings
from openinspect.store import ModelMeta, Workspace
from openinspect.training.validation import CropSource, ValidationCrop, write_validation_crops

ENGINEER, OPERATOR = "eng-token-0123456789", "op-token-0123456789"
URL = "/api/v1/recipes/plate/types/surface/models/latest/validation"
PROBABILITIES = {("good", "left"): 0.1, ("good", "right"): 0.65, ("scratch", "left"): 0.8, ("scratch", "right"): 0.45}
"""P(scratch) per (true class, ROI): one good crop and one scratch crop are judged wrong without a threshold."""


@pytest.fixture
def home(tmp_path):
    return tmp_path / "home"


@pytest.fixture
def api(home):
    install_plate(Workspace(home))
    app = create_app(Settings(home=home, tokens={ENGINEER: "engineer", OPERATOR: "operator"}))
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {ENGINEER}"
        yield client


def _publish_validated_model(api, home):
    """Label a good and a scratched capture, then publish v2 with a validation crop per ROI."""
    images = {}
    for cls in ("good", "scratch"):
        (stored,) = api.post("/api/v1/recipes/plate/captures",
                             files=[("images", (f"{cls}.png", part_png(cls == "scratch"), "image/png"))]).json()
        images[cls] = stored["image"]
        api.put(f"/api/v1/recipes/plate/types/surface/samples/{stored['image']}/labels",
                json={"labels": {"left": cls, "right": cls}}).raise_for_status()
    crops = []
    for (cls, roi), scratch in PROBABILITIES.items():
        source = CropSource(images[cls], roi, Rect(0 if roi == "left" else 64, 0, 64, 96))
        crops.append(ValidationCrop(source, cls, "scratch" if scratch > 0.5 else "good",
                                    {"good": 1 - scratch, "scratch": scratch}))
    workspace = Workspace(home)
    with workspace.new_model_version("plate", "surface", "fast") as folder:
        dark_pixel_classifier(folder / "model.onnx")
        write_validation_crops(folder, crops)
        ModelMeta(["good", "scratch"], validation={"method": "leave-one-out", "reason": ""},
                  metrics={"n": 4}).write(folder)
    workspace.engine.dispose()
    return images


def _point(tradeoff, threshold):
    point = next(p for p in tradeoff["points"] if p["threshold"] == threshold)
    return point["good_rejected"], point["defects_missed"]


def test_validation_lists_each_crop_with_truth_prediction_and_confidence(api, home):
    images = _publish_validated_model(api, home)
    body = api.get(URL, headers={"Authorization": f"Bearer {OPERATOR}"}).json()

    assert {k: body[k] for k in ("version", "kind", "method", "reason", "classes", "recorded", "problem")} == {
        "version": 2, "kind": "classifier", "method": "leave-one-out", "reason": "", "classes": ["good", "scratch"],
        "recorded": True, "problem": None}
    wrong = [(c["image"], c["roi"], c["true_class"], c["predicted_class"], c["confidence"])
             for c in body["crops"] if not c["correct"]]
    assert wrong == [(images["good"], "right", "good", "scratch", 0.65),
                     (images["scratch"], "right", "scratch", "good", 0.55)]
    assert body["crops"][1]["rect"] == [64, 0, 64, 96] and body["crops"][1]["label"] == "good"


def test_validation_tradeoff_follows_the_threshold_saved_in_the_recipe(api, home):
    _publish_validated_model(api, home)
    (tradeoff,) = api.get(URL).json()["tradeoffs"]
    assert (tradeoff["class"], tradeoff["threshold"], tradeoff["good"], tradeoff["defects"]) == ("scratch", None, 2, 2)
    assert len(tradeoff["points"]) == 101
    assert [_point(tradeoff, t) for t in (None, 0.7, 0.85)] == [(1, 1), (0, 1), (0, 2)]

    doc = api.get("/api/v1/recipes/plate/document").json()
    doc["types"][0]["classes"][1]["threshold"] = 0.7
    api.put("/api/v1/recipes/plate", json=doc).raise_for_status()
    assert "threshold: 0.7" in (home / "recipes" / "plate" / "recipe.yaml").read_text()
    assert api.get(URL).json()["tradeoffs"][0]["threshold"] == 0.7


def test_validation_shows_a_relabelled_crop_with_its_new_label(api, home):
    images = _publish_validated_model(api, home)
    api.put(f"/api/v1/recipes/plate/types/surface/samples/{images['good']}/labels",
            json={"labels": {"right": "scratch"}}).raise_for_status()
    crop = next(c for c in api.get(URL).json()["crops"] if c["image"] == images["good"] and c["roi"] == "right")
    assert (crop["true_class"], crop["label"]) == ("good", "scratch")


def test_validation_of_a_model_without_recorded_crops_says_to_train_again(api):
    body = api.get(URL).json()
    assert body["recorded"] is False and body["crops"] == [] and "train again" in body["problem"]


def test_validation_errors_name_the_missing_recipe_or_type(api):
    missing = api.get("/api/v1/recipes/none-such/types/surface/models/latest/validation")
    assert missing.status_code == 404 and "none-such" in missing.json()["error"]["message"]
    unknown = api.get("/api/v1/recipes/plate/types/nope/models/latest/validation")
    assert unknown.status_code == 422 and "types: surface" in unknown.json()["error"]["message"]
