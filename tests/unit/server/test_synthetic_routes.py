"""The Defect Creator's routes: parse, default hosts, preview (nothing stored), accept all or some; engineers only."""

from __future__ import annotations

import base64
import io
import time

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from tests.unit.station.kit import install_plate, part_png

from openinspect.server import create_app
from openinspect.settings import Settings
from openinspect.store import Workspace

ENGINEER, OPERATOR = "eng-token-0123456789", "op-token-0123456789"
BASE = "/api/v1/recipes/plate/types/surface/synthetic"
REQUEST = {"description": "two thin dark scratches near the top edge blurp", "rois": ["left"], "count": 3,
           "seed": 7}


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    """The station on the plate recipe with two captures labelled good on both ROIs (shared: tests count changes)."""
    home = tmp_path_factory.mktemp("synthetic") / "home"
    install_plate(Workspace(home))
    app = create_app(Settings(home=home, tokens={ENGINEER: "engineer", OPERATOR: "operator"}))
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {ENGINEER}"
        files = [("images", (f"good{i}.png", part_png(False, i), "image/png")) for i in range(2)]
        for added in client.post("/api/v1/recipes/plate/captures", files=files).json():
            client.put(f"/api/v1/recipes/plate/types/surface/samples/{added['image']}/labels",
                       json={"labels": {"left": "good", "right": "good"}})
        yield client


def _png(url: str) -> np.ndarray:
    assert url.startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))))


def test_parse_gives_the_spec_and_the_ignored_words(api):
    spec = api.post("/api/v1/recipes/plate/synthetic/parse", json={"description": REQUEST["description"]}).json()
    assert spec["kind"] == "scratch" and spec["spec"]["count"] == [2, 2] and spec["ignored"] == ["blurp"]
    assert "kind: scratch" in spec["summary"]
    bad = api.post("/api/v1/recipes/plate/synthetic/parse", json={"description": "it is quite nice"})
    assert bad.status_code == 400 and "kind" in bad.json()["error"]["message"]


def test_preview_stores_nothing_and_accepting_some_adds_exactly_those(api):
    before = api.get("/api/v1/recipes/plate/types/surface/samples").json()
    hosts = api.get(f"{BASE}/hosts").json()
    assert sorted(h["image"] for h in hosts) == sorted(s["image"] for s in before if "synthetic" not in s)
    state = api.get("/api/v1/recipes/plate").json()["types"][0]
    made = api.post(f"{BASE}/preview", json=REQUEST).json()
    assert made["label"] == "scratch" and made["rois"] == ["left"] and made["spec"]["ignored"] == ["blurp"]
    assert [s["seed"] for s in made["samples"]] == [7, 8, 9] and all(s["defect_px"] > 0 for s in made["samples"])
    first = made["samples"][0]
    assert _png(first["image"]).shape == _png(first["outlined"]).shape
    assert (_png(first["image"]) != _png(first["outlined"])).any()
    assert api.get("/api/v1/recipes/plate/types/surface/samples").json() == before  # nothing stored
    again = api.post(f"{BASE}/preview", json=REQUEST).json()
    assert [s["image"] for s in again["samples"]] == [s["image"] for s in made["samples"]]  # same seed, same images

    added = api.post(BASE, json={**REQUEST, "pick": [0, 2]})
    assert added.status_code == 201 and added.json()["seeds"] == [7, 9]
    samples = {s["image"]: s for s in api.get("/api/v1/recipes/plate/types/surface/samples").json()}
    for sha, seed in zip(added.json()["images"], [7, 9], strict=True):
        assert samples[sha]["labels"] == {"left": "scratch"}
        assert samples[sha]["synthetic"] == {"description": REQUEST["description"], "seed": seed,
                                             "host": samples[sha]["synthetic"]["host"], "rois": ["left"]}
    assert sum("synthetic" in s for s in samples.values()) == state["synthetic"] + 2
    after = api.get("/api/v1/recipes/plate").json()["types"][0]
    assert after["synthetic"] == state["synthetic"] + 2 and after["labels"]["scratch"] == state["labels"]["scratch"] + 2
    audit = api.get("/api/v1/audit").json()["items"][0]
    assert audit["action"] == "synthetic.add" and "2 synthetic image(s)" in audit["detail"]


def test_bad_requests_name_the_problem_add_nothing_and_operators_are_refused(api):
    made = api.get("/api/v1/recipes/plate").json()["types"][0]["synthetic"]
    wrong_roi = api.post(f"{BASE}/preview", json={**REQUEST, "rois": ["middle"]})
    assert wrong_roi.status_code == 422 and "its ROIs: left, right" in wrong_roi.json()["error"]["message"]
    pass_class = api.post(BASE, json={**REQUEST, "class": "good"})
    assert pass_class.status_code == 422 and "'good' is a pass class" in pass_class.json()["error"]["message"]
    assert api.post(BASE, json={**REQUEST, "pick": [5]}).status_code == 400
    assert api.post(f"{BASE}/preview", json={**REQUEST, "hosts": ["ab" * 32]}).status_code == 404
    assert api.post(f"{BASE}/preview", json={**REQUEST, "count": 0}).status_code == 422
    matched = api.post(f"{BASE}/preview", json={**REQUEST, "match": True})  # a classifier's labels have no masks
    assert matched.status_code == 400 and "'surface' is a classifier type" in matched.json()["error"]["message"]
    operator = {"Authorization": f"Bearer {OPERATOR}"}
    assert api.post(f"{BASE}/preview", json=REQUEST, headers=operator).status_code == 403
    assert api.post("/api/v1/recipes/plate/synthetic/parse", json=REQUEST, headers=operator).status_code == 403
    assert api.get("/api/v1/recipes/plate").json()["types"][0]["synthetic"] == made


def test_training_can_leave_synthetic_images_out(api):
    api.post(BASE, json={**REQUEST, "count": 1})  # the only scratch crops are synthetic (the fixture labels good only)
    job = api.post("/api/v1/training", json={"recipe": "plate", "type": "surface", "synthetic": False}).json()
    assert job["synthetic"] is False
    for _ in range(200):
        job = api.get("/api/v1/training").json()
        if job["state"] != "running":
            break
        time.sleep(0.05)
    assert job["state"] == "failed" and "scratch have no labelled images" in job["error"]
