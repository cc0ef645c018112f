"""Captures beyond the pixel budget are judged as errors: stored, answered 200, never a 500 (issue 11)."""

import pytest
from fastapi.testclient import TestClient
from tests.conftest import png_declaring
from tests.unit.station.kit import install_plate, part_png

from openinspect.server import create_app
from openinspect.settings import Settings
from openinspect.store import Workspace

TOKEN = "eng-token-0123456789"


def _client(tmp_path, **settings):
    home = tmp_path / "home"
    install_plate(Workspace(home))
    client = TestClient(create_app(Settings(home=home, tokens={TOKEN: "engineer"}, **settings)))
    client.headers["Authorization"] = f"Bearer {TOKEN}"
    return client


def _trigger(client, png, name):
    return client.post("/api/v1/trigger", files={"image": (name, png, "image/png")})


def test_decompression_bomb_trigger_is_a_stored_error_result(tmp_path):
    with _client(tmp_path) as api:
        response = _trigger(api, png_declaring(50000, 50000), "bomb.png")
        assert response.status_code == 200
        body = response.json()
        assert body["image"] == "bomb.png" and "pass" not in body
        assert "bomb.png" in body["error"] and "OPENINSPECT_MAX_PIXELS" in body["error"]
        assert str(tmp_path) not in body["error"] and "BytesIO" not in body["error"]
        assert api.get(f"/api/v1/results/{body['id']}").json() == body
        assert _trigger(api, part_png(False), "next.png").json()["pass"] is True


@pytest.mark.parametrize(("max_pixels", "judged"), [(128 * 96, True), (128 * 96 - 1, False)])
def test_trigger_decodes_within_the_configured_pixel_budget(tmp_path, max_pixels, judged):
    with _client(tmp_path, max_pixels=max_pixels) as api:
        body = _trigger(api, part_png(False), "part.png").json()
    assert ("pass" in body) is judged
    assert judged or "declares 128 x 96 px (12,288 pixels), over the 12,287" in body["error"]
