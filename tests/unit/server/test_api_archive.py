"""Recipe archives over HTTP: `GET /recipes/{name}/archive` downloads one, `POST /recipes/import` adds one."""

import io
import zipfile

import pytest
from fastapi.testclient import TestClient
from tests.unit.station.kit import RECIPE, install_plate, part_png

from openinspect.server import create_app
from openinspect.settings import Settings
from openinspect.store import Workspace

ENGINEER, OPERATOR = "eng-token-0123456789", "op-token-0123456789"


def _client(home, **settings):
    app = create_app(Settings(home=home, tokens={ENGINEER: "engineer", OPERATOR: "operator"}, **settings))
    client = TestClient(app)
    client.headers["Authorization"] = f"Bearer {ENGINEER}"
    return client


@pytest.fixture
def api(tmp_path):
    workspace = Workspace(tmp_path / "home")
    install_plate(workspace)
    image = workspace.add_image(part_png(False, 1), "good.png")
    workspace.set_label("plate", "surface", image, "left", "good")
    with _client(workspace.home) as client:
        yield client


def _import(client, data, **params):
    return client.post("/api/v1/recipes/import", files={"archive": ("plate.zip", data, "application/zip")},
                       params=params)


def test_export_downloads_a_zip_named_after_the_recipe(api):
    response = api.get("/api/v1/recipes/plate/archive")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"] == 'attachment; filename="plate.zip"'
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert {"manifest.json", "recipe/recipe.yaml", "models/surface/v1/model.onnx"} <= set(names)


def test_export_needs_the_engineer_role_and_a_known_recipe(api):
    forbidden = api.get("/api/v1/recipes/plate/archive", headers={"Authorization": f"Bearer {OPERATOR}"})
    assert forbidden.status_code == 403
    for name in ("none-such", "..%2Fplate"):
        assert api.get(f"/api/v1/recipes/{name}/archive").json()["error"]["type"] == "not_found"


def test_import_under_a_new_name_answers_201_with_the_recipe(api):
    archive = api.get("/api/v1/recipes/plate/archive").content
    clash = _import(api, archive)
    assert clash.status_code == 409
    assert clash.json()["error"]["type"] == "conflict" and "?name=NEW" in clash.json()["error"]["message"]

    created = _import(api, archive, name="plate-2")
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["name"] == "plate-2" and body["types"][0]["labels"] == {"good": 1, "scratch": 0}
    assert body["types"][0]["model"]["version"] == 1
    assert [r["name"] for r in api.get("/api/v1/recipes").json()] == ["plate", "plate-2"]
    trigger = api.post("/api/v1/trigger", params={"recipe": "plate-2"},
                       files={"image": ("cap.png", part_png(True, 3), "image/png")})
    assert trigger.status_code == 200 and trigger.json()["pass"] is False


def test_import_of_a_bad_archive_answers_422_with_the_reason(api):
    for data, kind, words in ((b"not a zip", "invalid_archive", "is not a zip archive"),
                              (_zip({"recipe/recipe.yaml": "name: x"}), "invalid_archive", "has no manifest.json")):
        response = _import(api, data)
        assert response.status_code == 422
        assert response.json()["error"]["type"] == kind and words in response.json()["error"]["message"]
    assert _import(api, b"x", name="../x").status_code == 422
    operator = api.post("/api/v1/recipes/import", headers={"Authorization": f"Bearer {OPERATOR}"},
                        files={"archive": ("plate.zip", b"x", "application/zip")})
    assert operator.status_code == 403


def test_import_refuses_an_archive_whose_plc_number_another_recipe_carries(api):
    assert api.put("/api/v1/recipes/plate", content=f"{RECIPE}plc_number: 5\n").status_code == 200
    archive = api.get("/api/v1/recipes/plate/archive").content
    response = _import(api, archive, name="plate-2")
    assert response.status_code == 422 and response.json()["error"]["type"] == "invalid_recipe"
    assert "plc_number 5 of recipe 'plate-2' is recipe 'plate''s already" in response.json()["error"]["message"]
    assert [r["name"] for r in api.get("/api/v1/recipes").json()] == ["plate"]


def test_import_upload_is_limited_by_the_archive_setting(tmp_path):
    workspace = Workspace(tmp_path / "home")
    install_plate(workspace)
    with _client(workspace.home, max_archive_mb=1) as client:
        for size in ((1 << 20) + 1, 3 << 20):  # over the limit: seen in the parsed upload, or from Content-Length
            response = _import(client, bytes(size))
            assert response.status_code == 413 and response.json()["error"]["type"] == "too_large"
            assert "over the 1 MiB limit" in response.json()["error"]["message"]
            assert "raise OPENINSPECT_MAX_ARCHIVE_MB" in response.json()["error"]["message"]


def test_an_archive_larger_than_the_upload_limit_is_imported_while_captures_keep_that_limit(tmp_path):
    workspace = Workspace(tmp_path / "home")
    install_plate(workspace)
    body = bytes(40 << 20)  # two model versions' worth: over the 32 MiB upload limit, far under the archive's
    with _client(workspace.home) as client:
        archive = _import(client, body)
        assert archive.status_code == 422, archive.text  # read to the end and opened as a zip: none
        assert "is not a zip archive" in archive.json()["error"]["message"]
        capture = client.post("/api/v1/trigger", files={"image": ("cap.png", b"\x89PNG\r\n\x1a\n" + body)})
    assert capture.status_code == 413 and capture.json()["error"]["type"] == "too_large"
    assert "over the 32 MiB limit" in capture.json()["error"]["message"]
    assert "raise OPENINSPECT_MAX_UPLOAD_MB" in capture.json()["error"]["message"]


def test_archive_endpoints_are_in_openapi(api):
    paths = api.get("/openapi.json").json()["paths"]
    download = paths["/api/v1/recipes/{name}/archive"]["get"]
    assert "application/zip" in download["responses"]["200"]["content"]
    upload = paths["/api/v1/recipes/import"]["post"]
    assert [p["name"] for p in upload["parameters"]] == ["name"]
    assert "409" in upload["responses"] and "multipart/form-data" in upload["requestBody"]["content"]


def _zip(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        for name, text in members.items():
            zipped.writestr(name, text)
    return buffer.getvalue()
