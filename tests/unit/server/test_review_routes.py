"""Reviewing labels against the model: predictions beside the samples, and judged captures added back to training."""

import hashlib

import pytest
from fastapi.testclient import TestClient
from tests.unit.station.kit import install_plate, part_png

from openinspect.server import create_app
from openinspect.settings import Settings
from openinspect.store import Workspace

ENGINEER, OPERATOR = "eng-token-0123456789", "op-token-0123456789"
SAMPLES = "/api/v1/recipes/plate/types/surface/samples"


def _client(tmp_path, **settings):
    home = tmp_path / "home"
    install_plate(Workspace(home))
    app = create_app(Settings(home=home, tokens={ENGINEER: "engineer", OPERATOR: "operator"}, **settings))
    client = TestClient(app)
    client.headers["Authorization"] = f"Bearer {ENGINEER}"
    return client


@pytest.fixture
def api(tmp_path):
    with _client(tmp_path) as client:
        yield client


def _trigger(client, png):
    response = client.post("/api/v1/trigger", files={"image": ("line/cap.png", png, "image/png")})
    assert response.status_code == 200, response.text
    return response.json()


def test_samples_with_predict_carry_the_models_class_per_roi(api):
    files = [("images", (f"c{i}.png", part_png(bool(i), i), "image/png")) for i in range(2)]
    clean, scratched = (a["image"] for a in api.post("/api/v1/recipes/plate/captures", files=files).json())
    api.put(f"{SAMPLES}/{scratched}/labels", json={"labels": {"left": "good"}})      # the model disagrees
    assert all("predictions" not in s for s in api.get(SAMPLES).json())
    for _ in range(2):                                                               # the second load is cached
        samples = {s["image"]: s for s in api.get(SAMPLES, params={"predict": "true"}).json()}
        assert {roi: p["class"] for roi, p in samples[clean]["predictions"].items()} == {"left": "good",
                                                                                          "right": "good"}
        predicted = samples[scratched]["predictions"]
        assert predicted["left"]["class"] == "scratch" and 0.5 < predicted["left"]["confidence"] <= 1
        assert samples[scratched]["labels"] == {"left": "good"}


def test_predict_on_a_type_without_a_model_says_to_train_first(api):
    recipe = {"name": "fresh", "types": [{"name": "part", "kind": "classifier",
                                          "classes": [{"name": "good", "pass": True}, {"name": "bad", "pass": False}]}],
              "rois": [{"name": "whole", "type": "part"}]}
    assert api.post("/api/v1/recipes", json=recipe).status_code == 201
    response = api.get("/api/v1/recipes/fresh/types/part/samples", params={"predict": True})
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["type"] == "model_not_found" and "train one" in error["message"]


def test_a_results_capture_is_added_to_training_with_the_corrected_class(api):
    png = part_png(True, 1)
    record = _trigger(api, png)
    assert record["rois"][0]["class"] == "scratch"
    body = {"labels": [{"roi": "left", "type": "surface", "class": "good"}]}
    response = api.post(f"/api/v1/results/{record['id']}/labels", json=body)
    assert response.status_code == 200, response.text
    sha = hashlib.sha256(png).hexdigest()
    assert response.json() == {"recipe": "plate", "image": sha, "added": True, "labels": {"left": "good"},
                               "marked_good": [], "to_paint": []}
    again = api.post(f"/api/v1/results/{record['id']}/labels",
                     json={"labels": [{"roi": "right", "type": "surface", "class": "scratch"}]})
    assert again.json()["added"] is False
    samples = api.get(SAMPLES).json()
    assert [(s["image"], s["name"], s["labels"]) for s in samples] == [(sha, "cap.png",
                                                                        {"left": "good", "right": "scratch"})]


def test_adding_to_training_needs_an_engineer_a_known_result_and_valid_labels(api):
    record = _trigger(api, part_png(True, 1))
    body = {"labels": [{"roi": "left", "type": "surface", "class": "good"}]}
    url = f"/api/v1/results/{record['id']}/labels"
    assert api.post(url, json=body, headers={"Authorization": f"Bearer {OPERATOR}"}).status_code == 403
    assert api.post("/api/v1/results/none-such/labels", json=body).status_code == 404
    wrong = api.post(url, json={"labels": [{"roi": "left", "type": "surface", "class": "dented"}]})
    assert wrong.status_code == 422 and "classes: good, scratch" in wrong.json()["error"]["message"]
    bad_mask = api.post(url, json={"labels": [{"roi": "left", "type": "surface", "mask": "paint"}]})
    assert bad_mask.status_code == 422 and bad_mask.json()["error"]["type"] == "invalid_request"
    assert api.get(SAMPLES).json() == []


def test_a_recent_capture_retention_did_not_archive_is_added_from_memory(tmp_path):
    with _client(tmp_path, keep_pass_every=0) as api:
        png = part_png(False, 2)
        record = _trigger(api, png)
        assert record["pass"] is True  # retention archives no passing capture
        response = api.post(f"/api/v1/results/{record['id']}/labels",
                            json={"labels": [{"roi": "left", "type": "surface", "class": "scratch"}]})
        assert response.status_code == 200, response.text
        assert response.json()["image"] == hashlib.sha256(png).hexdigest() and response.json()["added"] is True
        assert [(s["name"], s["labels"]) for s in api.get(SAMPLES).json()] == [("cap.png", {"left": "scratch"})]


def test_a_capture_neither_archived_nor_held_cannot_be_added(tmp_path):
    with _client(tmp_path, keep_pass_every=0) as api:
        record = _trigger(api, part_png(False, 2))
    home = tmp_path / "home"  # a restarted station holds none of the captures of before
    app = create_app(Settings(home=home, tokens={ENGINEER: "engineer"}, keep_pass_every=0))
    with TestClient(app, headers={"Authorization": f"Bearer {ENGINEER}"}) as api:
        response = api.post(f"/api/v1/results/{record['id']}/labels",
                            json={"labels": [{"roi": "left", "type": "surface", "class": "scratch"}]})
        assert response.status_code == 410
        assert "was not archived" in response.json()["error"]["message"]
        assert "no longer among the latest" in response.json()["error"]["message"]
        assert api.get(SAMPLES).json() == []
