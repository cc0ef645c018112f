"""POST /api/v1/advice: the assistant over HTTP, for any signed-in role, loaded only when asked for."""

import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from openinspect.server import create_app
from openinspect.settings import Settings

OPERATOR = "op-token-0123456789"


@pytest.fixture
def api(tmp_path):
    app = create_app(Settings(home=tmp_path / "home", tokens={OPERATOR: "operator"}))
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {OPERATOR}"
        yield client


def test_an_operator_gets_multi_model_advice_with_the_resolution(api):
    reply = api.post("/api/v1/advice", json={"description": "check the gasket is present and find scratches on the lid",
                                              "image_width": 4000, "image_height": 3000, "roi": [0, 0, 3000, 2000],
                                              "defect_size_mm": 0.5, "mm_per_px": 0.1})
    assert reply.status_code == 200, reply.text
    advice = reply.json()
    assert advice["profile"] == "multi-model" and [t["kind"] for t in advice["types"]] == ["classifier", "segmenter"]
    assert advice["resolution"]["defect_px"] == 5 and advice["resolution"]["split"] == [4, 3]
    assert advice["types"][1]["tiling"] is True


@pytest.mark.parametrize(("body", "status", "message"), [
    ({"description": ""}, 400, "the description is empty"),
    ({"description": "hello"}, 400, "describes no inspection"),
    ({"description": "find dents", "image_width": 800, "image_height": 600, "roi": [700, 0, 200, 100]},
     400, "outside the 800x600 capture"),
    ({"description": "find dents", "roi": [500, 500], "defect_size_px": -1}, 400, "must be a positive number"),
    ({"description": "find dents", "image_width": 800}, 400, "give both image_width and image_height"),
    ({"description": "find dents", "colour": "red"}, 422, "colour"),
])
def test_bad_requests_get_the_apis_error_format(api, body, status, message):
    reply = api.post("/api/v1/advice", json=body)
    assert reply.status_code == status and message in reply.json()["error"]["message"]


def test_advice_needs_a_token(api):
    assert api.post("/api/v1/advice", json={"description": "find dents"}, headers={"Authorization": ""}).status_code == 401


def test_the_station_app_does_not_load_the_assistant_until_asked(tmp_path):
    script = ("import sys\nfrom openinspect.server import create_app\nfrom openinspect.settings import Settings\n"
              f"create_app(Settings(home={str(tmp_path / 'home')!r}))\nprint('openinspect.advice' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "False"
