"""Deploying and rolling back model versions over the API: the next trigger is judged by the deployed version."""

import time

import pytest
from fastapi.testclient import TestClient
from tests.unit.station.kit import ListSink, dark_pixel_classifier, install_plate, part_png

from openinspect.server import create_app
from openinspect.settings import Settings
from openinspect.store import ModelMeta, Workspace

ENGINEER, OPERATOR = "eng-token-0123456789", "op-token-0123456789"
MODELS = "/api/v1/recipes/plate/types/surface/models"


def _add_version(workspace: Workspace, classes=("good", "scratch"), limit=256.0) -> None:
    """A candidate of type ``surface``; the default calls every crop ``scratch`` (its darkest pixel is below 256)."""
    with workspace.new_model_version("plate", "surface", "accurate") as folder:
        dark_pixel_classifier(folder / "model.onnx", limit=limit)
        ModelMeta(list(classes), metrics={"balanced_accuracy": 0.5}).write(folder)


@pytest.fixture
def sink():
    return ListSink()


@pytest.fixture
def api(tmp_path, sink):
    home = tmp_path / "home"
    workspace = Workspace(home)
    install_plate(workspace)
    _add_version(workspace)
    _add_version(workspace, classes=("good", "dent"))
    app = create_app(Settings(home=home, tokens={ENGINEER: "engineer", OPERATOR: "operator"}), sinks=[sink])
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {ENGINEER}"
        yield client


def _judged_by(api) -> tuple[int, bool]:
    body = api.post("/api/v1/trigger", files={"image": ("good.png", part_png(False), "image/png")}).json()
    return body["models"]["surface"]["version"], body["pass"]


def test_a_new_version_is_a_candidate_until_deployed_then_judges_the_next_trigger(api, sink):
    listing = api.get(MODELS).json()
    assert listing["deployed"] == 1
    assert [(v["version"], v["state"], v["mode"]) for v in listing["versions"]] == [
        (3, "candidate", "accurate"), (2, "candidate", "accurate"), (1, "deployed", "fast")]
    assert listing["versions"][1]["metrics"] == {"balanced_accuracy": 0.5} and listing["versions"][1]["problem"] is None
    assert _judged_by(api) == (1, True)

    deployed = api.put(f"{MODELS}/deployed", json={"version": 2})
    assert deployed.status_code == 200 and deployed.json()["previous"] == 1
    assert _judged_by(api) == (2, False)  # v2 calls every crop a scratch
    assert [r["models"]["surface"]["version"] for r in api.get("/api/v1/results", params={"model_version": 2}).json()[
        "items"]] == [2]
    assert api.get("/api/v1/results", params={"model_version": 1}).json()["total"] == 1
    assert "surface=v2" in api.get("/api/v1/results.csv", params={"verdict": "fail"}).text
    deadline = time.monotonic() + 5
    while len(sink.results) < 2 and time.monotonic() < deadline:  # the dispatcher thread hands records on
        time.sleep(0.01)
    sink_message = sink.results[1]  # what MQTT and webhooks send: the record's JSON
    assert sink_message["models"]["surface"]["version"] == 2 and len(sink_message["models"]["surface"]["sha256"]) == 64


def test_rollback_goes_back_then_says_there_is_nothing_before(api):
    api.put(f"{MODELS}/deployed", json={"version": 2})
    back = api.post(f"{MODELS}/deployed/rollback")
    assert back.status_code == 200 and (back.json()["version"], back.json()["action"]) == (1, "rollback")
    assert _judged_by(api) == (1, True)
    refused = api.post(f"{MODELS}/deployed/rollback")
    assert refused.status_code == 409 and "nothing to roll back to" in refused.json()["error"]["message"]


def test_a_version_trained_for_other_classes_is_refused_with_the_reason_and_changes_nothing(api):
    listing = api.get(MODELS).json()
    assert "trained for classes ['good', 'dent']" in listing["versions"][0]["problem"]
    refused = api.put(f"{MODELS}/deployed", json={"version": 3})
    assert refused.status_code == 409 and refused.json()["error"]["type"] == "conflict"
    assert "cannot deploy to v3: model v3 of type 'surface' was trained for classes ['good', 'dent'], the recipe " \
           "now lists ['good', 'scratch']" in refused.json()["error"]["message"]
    assert api.get(MODELS).json()["deployed"] == 1 and _judged_by(api) == (1, True)
    assert api.put(f"{MODELS}/deployed", json={"version": 9}).status_code == 404


def test_operators_read_the_versions_but_may_not_deploy_or_roll_back(api):
    operator = {"Authorization": f"Bearer {OPERATOR}"}
    assert api.get(MODELS, headers=operator).status_code == 200
    assert api.put(f"{MODELS}/deployed", json={"version": 2}, headers=operator).status_code == 403
    assert api.post(f"{MODELS}/deployed/rollback", headers=operator).status_code == 403
    assert api.get(MODELS).json()["deployed"] == 1
