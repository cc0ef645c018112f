"""The routes behind the web UI: session role, recipe document, template, captures, labels, masks, the UI itself."""

import io

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from tests.unit.station.kit import install_plate, part_png

from openinspect.server import create_app
from openinspect.settings import Settings
from openinspect.store import Workspace

ENGINEER, OPERATOR = "eng-token-0123456789", "op-token-0123456789"


@pytest.fixture
def api(tmp_path):
    home = tmp_path / "home"
    install_plate(Workspace(home))
    app = create_app(Settings(home=home, tokens={ENGINEER: "engineer", OPERATOR: "operator"}))
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {ENGINEER}"
        yield client


def _as(token):
    return {"Authorization": f"Bearer {token}"}


def test_session_tells_the_role_of_the_token(api):
    assert api.get("/api/v1/session").json() == {"name": "engineer", "role": "engineer"}, "named after its role"
    assert api.get("/api/v1/session", headers=_as(OPERATOR)).json() == {"name": "operator", "role": "operator"}
    assert api.get("/api/v1/session", headers=_as("nope")).json()["error"]["type"] == "unauthorized"


def test_document_round_trips_through_put(api):
    response = api.get("/api/v1/recipes/plate/document")
    doc = response.json()
    assert doc["types"][0]["classes"][1] == {"name": "scratch", "pass": False}
    assert response.headers["ETag"] == '"1"', "its revision, to send back as If-Match"
    doc["rois"][0]["w"] = 60
    assert api.put("/api/v1/recipes/plate", json=doc, headers={"If-Match": '"1"'}).status_code == 200
    assert api.get("/api/v1/recipes/plate/document").json()["rois"][0]["w"] == 60
    assert api.put("/api/v1/recipes/plate", json=doc, headers={"If-Match": '"1"'}).status_code == 409


def test_template_upload_needs_the_engineer_role(api):
    files = {"image": ("t.png", part_png(False), "image/png")}
    assert api.put("/api/v1/recipes/plate/template", files=files, headers=_as(OPERATOR)).status_code == 403
    stored = {"reference": "reference.png", "width": 128, "height": 96}
    assert api.put("/api/v1/recipes/plate/template", files=files).json() == stored
    assert api.get("/api/v1/recipes/plate/template/info", headers=_as(OPERATOR)).json() == stored
    assert api.get("/api/v1/recipes/plate/template", headers=_as(OPERATOR)).content == part_png(False)
    bad = api.put("/api/v1/recipes/plate/template", files={"image": ("t.txt", b"hello", "text/plain")})
    assert bad.status_code == 415


def test_captures_are_labelled_by_roi_and_listed_with_their_labels(api):
    files = [("images", (f"c{i}.png", part_png(bool(i), i), "image/png")) for i in range(2)]
    added = api.post("/api/v1/recipes/plate/captures", files=files).json()
    assert [a["name"] for a in added] == ["c0.png", "c1.png"]
    image = added[1]["image"]
    response = api.put(f"/api/v1/recipes/plate/types/surface/samples/{image}/labels",
                       json={"labels": {"left": "scratch"}})
    assert response.json() == {"image": image, "labels": {"left": "scratch"}}
    samples = api.get("/api/v1/recipes/plate/types/surface/samples").json()
    assert [(s["name"], s["labels"]) for s in samples] == [("c0.png", {}), ("c1.png", {"left": "scratch"})]
    assert api.get(f"/api/v1/images/{image}").content == part_png(True, 1)
    wrong = api.put(f"/api/v1/recipes/plate/types/surface/samples/{image}/labels", json={"labels": {"left": "x"}})
    assert wrong.status_code == 422 and "classes: good, scratch" in wrong.json()["error"]["message"]


def test_mask_of_a_classifier_type_is_refused(api):
    (added,) = api.post("/api/v1/recipes/plate/captures",
                        files=[("images", ("c.png", part_png(False), "image/png"))]).json()
    buffer = io.BytesIO()
    Image.fromarray(np.zeros((96, 128, 3), np.uint8)).save(buffer, format="PNG")
    response = api.put(f"/api/v1/recipes/plate/types/surface/samples/{added['image']}/mask",
                       content=buffer.getvalue(), headers={"Content-Type": "image/png"})
    assert response.status_code == 422 and "classifier" in response.json()["error"]["message"]


def test_the_web_ui_is_served_without_a_token(api):
    page = api.get("/", headers={"Authorization": ""})
    assert page.status_code == 200 and '<script type="module" src="/ui/js/app.js">' in page.text
    script = api.get("/ui/js/app.js", headers={"Authorization": ""})
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert api.get("/ui/../settings.py").status_code == 404
