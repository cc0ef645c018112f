"""Warnings about data through the HTTP API: the training data's (validation review) and an evaluation's overlap."""

import hashlib

import pytest
from fastapi.testclient import TestClient
from tests.unit.station.kit import dark_pixel_classifier, install_plate, part_png

from openinspect.server import create_app
from openinspect.settings import Settings
from openinspect.store import ModelMeta, Workspace

ENGINEER = "eng-token-0123456789"
WARNING = ("class 'scratch' has 2 labelled crop(s): fewer than 3 cannot show what varies within it and it cannot be "
           "validated fairly; label at least 3, better 20 or more")
TRAINED = part_png(False, 50)
"""A capture the published model version trained on."""


@pytest.fixture
def api(tmp_path):
    home = tmp_path / "home"
    workspace = Workspace(home)
    install_plate(workspace)
    with workspace.new_model_version("plate", "surface", "fast", deploy=True) as folder:
        dark_pixel_classifier(folder / "model.onnx")
        ModelMeta(["good", "scratch"], validation={"method": "leave-one-out", "reason": ""}, warnings=[WARNING],
                  images=[hashlib.sha256(TRAINED).hexdigest()]).write(folder)
    workspace.engine.dispose()
    with TestClient(create_app(Settings(home=home, tokens={ENGINEER: "engineer"}))) as client:
        client.headers["Authorization"] = f"Bearer {ENGINEER}"
        yield client


def test_validation_review_carries_the_training_data_warnings(api):
    body = api.get("/api/v1/recipes/plate/types/surface/models/latest/validation").json()
    assert body["version"] == 2 and body["warnings"] == [WARNING]


def test_eval_names_the_uploaded_captures_the_model_trained_on(api):
    files = [("images", ("a.png", TRAINED)), ("images", ("b.png", part_png(True, 51)))]
    response = api.post("/api/v1/recipes/plate/eval", files=files, data={"type": "surface",
                                                                          "classes": ["good", "scratch"]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model_version"] == 2 and body["n"] == 4  # still counted, two ROIs each
    assert body["trained_on"] == ["upload/good/000000.png"]
    assert body["warnings"] == ["1 of the 2 evaluated captures were in model v2's training set (same content): "
                                "upload/good/000000.png; the figures are optimistic: evaluate on captures the model "
                                "has not seen"]


def test_eval_on_unseen_captures_warns_of_nothing(api):
    files = [("images", ("a.png", part_png(False, 52))), ("images", ("b.png", part_png(True, 53)))]
    body = api.post("/api/v1/recipes/plate/eval", files=files, data={"type": "surface",
                                                                      "classes": ["good", "scratch"]}).json()
    assert body["trained_on"] == [] and body["warnings"] == []
