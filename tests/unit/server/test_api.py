"""The HTTP API through FastAPI's TestClient against ``create_app`` on a temporary workspace.

The station judges with a hand-built ONNX classifier (``tests.unit.station.kit``), so every route runs
its real services: SQLite results store, image library, inspectors, WebSocket hub.
"""

import csv
import hashlib
import io
import json
import re
import time

import pytest
from fastapi import WebSocketDisconnect
from fastapi.testclient import TestClient
from tests.unit.station.kit import RECIPE, GatedSource, install_plate, part_png

from openinspect.server import create_app
from openinspect.settings import Settings
from openinspect.store import Workspace

ENGINEER, OPERATOR = "eng-token-0123456789", "op-token-0123456789"


def _client(tmp_path, source=None, **settings):
    home = tmp_path / "home"
    install_plate(Workspace(home))
    app = create_app(Settings(home=home, tokens={ENGINEER: "engineer", OPERATOR: "operator"}, **settings),
                     source=source)
    return TestClient(app)


@pytest.fixture
def api(tmp_path):
    with _client(tmp_path) as client:
        client.headers["Authorization"] = f"Bearer {ENGINEER}"
        yield client


def _as(role_token):
    return {"Authorization": f"Bearer {role_token}"}


def _trigger(client, png, name="cap.png", **params):
    return client.post("/api/v1/trigger", files={"image": (name, png, "image/png")}, params=params)


def test_trigger_returns_inspect_json_with_id_and_time(api):
    response = _trigger(api, part_png(True, 1), name="../../etc/bad.png")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"id", "time", "recipe", "recipe_revision", "trigger", "outcome", "image", "pass", "rois",
                         "models", "timing_ms"}
    assert body["recipe_revision"] == 1  # the revision that judged it
    onnx = Workspace(api.app.state.services.settings.home).deployed_model("plate", "surface").onnx_path
    assert body["models"] == {"surface": {"version": 1, "sha256": hashlib.sha256(onnx.read_bytes()).hexdigest()}}
    assert body["pass"] is False and body["outcome"] == "fail" and body["recipe"] == "plate" and body["trigger"] == "upload"
    assert body["image"] == "bad.png"  # a name only, never a path
    assert body["rois"][0] == {"roi": "left", "type": "surface", "class": "scratch",
                               "confidence": body["rois"][0]["confidence"], "pass": False}
    assert {"decode", "crop", "models", "total"} <= set(body["timing_ms"])
    assert api.get(f"/api/v1/results/{body['id']}").json() == body
    assert api.get(f"/api/v1/results/{body['id']}/image").content == part_png(True, 1)


def test_every_error_has_one_format(api):
    cases = [
        (api.get("/api/v1/recipes/none-such"), 404, "not_found"),
        (api.get("/api/v1/results", params={"limit": 0}), 422, "invalid_request"),
        (api.get("/api/v1/nowhere"), 404, "not_found"),
        (_trigger(api, part_png(False), recipe="none-such"), 404, "not_found"),
        (_trigger(api, part_png(False), recipe="../plate"), 404, "not_found"),
        (api.post("/api/v1/training", json={"recipe": "../../x", "type": "surface"}), 404, "not_found"),
        (api.post("/api/v1/recipes", content="name: [unclosed"), 422, "invalid_recipe"),
        (api.delete("/api/v1/training"), 404, "not_found"),
    ]
    for response, status, kind in cases:
        assert response.status_code == status, response.text
        body = response.json()
        assert set(body) == {"error"} and body["error"]["type"] == kind and body["error"]["message"]


def test_token_roles(api, tmp_path):
    anonymous = {"Authorization": ""}
    assert api.get("/api/v1/health", headers=anonymous).status_code == 200
    denied = api.get("/api/v1/status", headers=anonymous)
    assert denied.status_code == 401 and denied.json()["error"]["type"] == "unauthorized"
    assert denied.headers["www-authenticate"] == "Bearer"
    assert api.get("/api/v1/status", headers=_as("wrong")).status_code == 401
    assert _trigger(api, part_png(False)).status_code == 200
    operator = _as(OPERATOR)
    assert api.post("/api/v1/trigger", files={"image": ("a.png", part_png(False))}, headers=operator).status_code == 200
    assert api.get("/api/v1/results", headers=operator).json()["total"] == 2
    forbidden = api.post("/api/v1/recipes", content=RECIPE.replace("plate", "p2"), headers=operator)
    assert forbidden.status_code == 403 and forbidden.json()["error"]["type"] == "forbidden"
    assert api.put("/api/v1/active-recipe", json={"name": "plate"}, headers=operator).status_code == 403
    assert api.post("/api/v1/training", json={"recipe": "plate", "type": "surface"}, headers=operator).status_code == 403


def test_generated_token_on_loopback_works_on_later_starts_from_its_hash_in_the_workspace(tmp_path):
    home = tmp_path / "home"
    first = create_app(Settings(home=home)).state.services.tokens
    again = create_app(Settings(home=home))
    assert first.generated and again.state.services.tokens.generated is None
    kept = (home / "station-token").read_text()
    assert kept == f"sha256:{hashlib.sha256(first.generated.encode()).hexdigest()}"
    assert (home / "station-token").stat().st_mode & 0o777 == 0o600
    with TestClient(again) as client:
        assert client.get("/api/v1/status", headers=_as(first.generated)).status_code == 200
        assert client.get("/api/v1/status", headers=_as(kept)).status_code == 401
    with pytest.raises(Exception, match="OPENINSPECT_TOKENS"):
        create_app(Settings(home=home, host="0.0.0.0"))


def test_recipe_crud_with_yaml_and_json_bodies(api):
    created = api.post("/api/v1/recipes", content=RECIPE.replace("name: plate", "name: plate2"),
                       headers={"Content-Type": "application/yaml"})
    assert created.status_code == 201, created.text
    assert created.json()["name"] == "plate2" and created.json()["types"][0]["model"] is None
    again = api.post("/api/v1/recipes", content=RECIPE)
    assert again.status_code == 409 and again.json()["error"]["type"] == "conflict"
    assert "exists already" in again.json()["error"]["message"]
    as_json = {"name": "plate", "types": [{"name": "surface", "kind": "classifier", "mode": "fast", "classes": [
        {"name": "good", "pass": True}, {"name": "scratch", "pass": False}]}],
        "rois": [{"name": "left", "type": "surface", "x": 0, "y": 0, "w": 64, "h": 96}]}
    replaced = api.put("/api/v1/recipes/plate", json=as_json)
    assert replaced.status_code == 200 and replaced.json()["rois"] == 1
    assert replaced.json()["types"][0]["model"]["version"] == 1  # the model is kept
    assert [r["roi"] for r in _trigger(api, part_png(False)).json()["rois"]] == ["left"]  # reloaded
    mismatch = api.put("/api/v1/recipes/plate2", json=as_json)
    assert mismatch.status_code == 422 and "addresses 'plate2'" in mismatch.json()["error"]["message"]
    assert [r["name"] for r in api.get("/api/v1/recipes").json()] == ["plate", "plate2"]
    assert api.get("/api/v1/recipes/plate2").json()["yaml"].startswith("name: plate2")
    assert api.delete("/api/v1/recipes/plate2").status_code == 204
    assert api.get("/api/v1/recipes/plate2").status_code == 404
    assert api.delete("/api/v1/recipes/..").status_code in (404, 405)


def test_recipe_validation_names_the_field(api):
    bad = RECIPE.replace("mode: fast", "mode: quick")
    checked = api.post("/api/v1/recipes/validate", content=bad).json()
    assert checked["valid"] is False and any("types[0] (surface).mode" in e for e in checked["errors"])
    good = api.post("/api/v1/recipes/validate", content=RECIPE).json()
    assert good == {"valid": True, "name": "plate", "errors": [], "warnings": []}
    rejected = api.post("/api/v1/recipes", content=bad.replace("name: plate", "name: other"))
    assert rejected.status_code == 422 and "quick" in rejected.json()["error"]["message"]


def test_uploads_are_size_limited_and_type_checked(tmp_path):
    with _client(tmp_path, max_upload_mb=0.01) as client:
        client.headers["Authorization"] = f"Bearer {ENGINEER}"
        too_big = _trigger(client, b"\x89PNG\r\n\x1a\n" + b"0" * 200_000)
        assert too_big.status_code == 413 and too_big.json()["error"]["type"] == "too_large"
        pdf = _trigger(client, b"%PDF-1.7 not an image", name="x.png")
        assert pdf.status_code == 415 and pdf.json()["error"]["type"] == "unsupported_media_type"
        corrupt = _trigger(client, part_png(False)[:100])
        assert corrupt.status_code == 200 and "error" in corrupt.json()  # a trigger: stored as unjudged
        assert client.get("/api/v1/results", params={"verdict": "error"}).json()["total"] == 1


def test_busy_trigger_is_503_and_stored_as_skipped(tmp_path):
    source = GatedSource()
    with _client(tmp_path, source=source, queue_limit=0) as client:
        client.headers["Authorization"] = f"Bearer {OPERATOR}"
        station = client.app.state.services.station
        running = station.submit()
        assert source.waiting.wait(5)
        busy = _trigger(client, part_png(False))
        assert busy.status_code == 503 and busy.json()["error"]["type"] == "busy"
        assert client.get("/api/v1/status").json()["busy"] is True
        source.gate.set()
        assert running.result(5).body["pass"] is True
        skipped = client.get("/api/v1/results", params={"verdict": "skipped"}).json()
        assert skipped["total"] == 1 and skipped["items"][0]["skipped"] == "busy"
        assert skipped["items"][0]["image"] == "cap.png"


def test_results_filters_paging_and_csv(api):
    verdicts = [True, False, True, False, True]
    ids = [_trigger(api, part_png(not ok, i), name=f"c{i}.png").json()["id"] for i, ok in enumerate(verdicts)]
    page = api.get("/api/v1/results", params={"limit": 2, "offset": 1}).json()
    assert page["total"] == 5 and [r["id"] for r in page["items"]] == [ids[3], ids[2]]
    fails = api.get("/api/v1/results", params={"verdict": "fail"}).json()
    assert [r["id"] for r in fails["items"]] == [ids[3], ids[1]]
    by_class = api.get("/api/v1/results", params={"roi": "right", "class": "scratch", "recipe": "plate"}).json()
    assert by_class["total"] == 2
    first = api.get(f"/api/v1/results/{ids[0]}").json()["time"]
    later = api.get("/api/v1/results", params={"since": first, "verdict": "pass"}).json()
    assert later["total"] == 3
    assert api.get("/api/v1/results", params={"until": first}).json()["total"] == 0
    exported = api.get("/api/v1/results.csv", params={"verdict": "fail"})
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["id"] for r in rows] == [ids[1], ids[3]] and rows[0]["rois"] == "left=scratch;right=scratch"
    status = api.get("/api/v1/status").json()
    assert status["counts"] == {"pass": 3, "fail": 2, "error": 0, "skipped": 0} and status["pass_rate"] == 0.6
    assert status["ready"] and status["recipe"] == "plate" and status["cycle_ms"]["count"] == 5
    assert api.get("/api/v1/results/nope/image").status_code == 404


def test_status_says_why_the_station_is_as_fast_as_it_is(api):
    from openinspect.models.runtime import REPORTED_SETS, instruction_sets

    runtime = api.get("/api/v1/status").json()["runtime"]
    assert runtime["instruction_sets"] == instruction_sets() and list(runtime["instruction_sets"]) == list(REPORTED_SETS)
    assert runtime["threads"]["intra_op_threads"] >= 1 and runtime["threads"]["spinning"] is False
    assert runtime["cpus"] >= 1 and runtime["onnxruntime"]
    (model,) = runtime["models"]  # the active recipe's one type, loaded at start, not yet run
    assert model == {"recipe": "plate", "type": "surface", "kind": "classifier", "version": 1, "precision": "fp32",
                     "input_size": [96, 64], "rois": 2, "model_ms": None}
    for i in range(3):
        assert _trigger(api, part_png(i == 1, i)).status_code == 200
    (model,) = api.get("/api/v1/status").json()["runtime"]["models"]
    assert model["precision"] == "fp32" and model["model_ms"] > 0


def test_label_upload_and_counts(api):
    one = api.post("/api/v1/recipes/plate/labels", files={"image": ("a.png", part_png(True, 1))},
                   data={"type": "surface", "class": "scratch"})
    assert one.status_code == 201, one.text
    assert one.json()["added"] is True and one.json()["labels"] == {"left": "scratch", "right": "scratch"}
    per_roi = api.post("/api/v1/recipes/plate/labels", files={"image": ("a.png", part_png(True, 1))},
                       data={"type": "surface", "rois": json.dumps({"right": "good"})})
    assert per_roi.json()["added"] is False
    assert api.get("/api/v1/recipes/plate").json()["types"][0]["labels"] == {"good": 1, "scratch": 1}
    bad_class = api.post("/api/v1/recipes/plate/labels", files={"image": ("a.png", part_png(True, 1))},
                         data={"type": "surface", "class": "dented"})
    assert bad_class.status_code == 422 and "classes: good, scratch" in bad_class.json()["error"]["message"]
    small = api.post("/api/v1/recipes/plate/labels", files={"image": ("s.png", part_png(True)[:60])},
                     data={"type": "surface", "class": "good"})
    assert small.status_code == 422 and small.json()["error"]["type"] == "invalid_image"


def test_eval_on_uploaded_labelled_captures(api):
    files = [("images", (f"{i}.png", part_png(i % 2 == 1, 50 + i))) for i in range(4)]
    response = api.post("/api/v1/recipes/plate/eval", files=files,
                        data={"type": "surface", "classes": ["good", "scratch", "good", "scratch"]})
    assert response.status_code == 200, response.text
    metrics = response.json()
    assert metrics["n"] == 8 and metrics["accuracy"] == 1.0 and metrics["model_version"] == 1


def test_active_recipe_get_and_set(api, tmp_path):
    assert api.get("/api/v1/active-recipe").json() == {"name": "plate"}
    api.post("/api/v1/recipes", content=RECIPE.replace("name: plate", "name: untrained"))
    refused = api.put("/api/v1/active-recipe", json={"name": "untrained"})
    assert refused.status_code == 409 and refused.json()["error"]["type"] == "model_not_found"
    assert api.get("/api/v1/active-recipe").json() == {"name": "plate"}


def test_websocket_pushes_every_result(api):
    with pytest.raises(WebSocketDisconnect), api.websocket_connect("/api/v1/ws", headers={"Authorization": ""}) as ws:
        ws.receive_json()
    with api.websocket_connect(f"/api/v1/ws?token={OPERATOR}") as socket:
        sent = _trigger(api, part_png(False)).json()
        message = socket.receive_json()
    assert message == {"event": "result", "data": sent}


def test_openapi_documents_typed_schemas(api):
    spec = api.get("/openapi.json").json()
    assert {"/api/v1/trigger", "/api/v1/results", "/api/v1/results.csv", "/api/v1/recipes", "/api/v1/training",
            "/api/v1/status", "/api/v1/active-recipe"} <= set(spec["paths"])
    trigger = spec["paths"]["/api/v1/trigger"]["post"]["responses"]
    assert trigger["200"]["content"]["application/json"]["schema"]["$ref"].endswith("InspectionPublic")
    assert trigger["503"]["content"]["application/json"]["schema"]["$ref"].endswith("ErrorPublic")


def test_timer_triggers_from_the_capture_folder(tmp_path):
    folder = tmp_path / "line"
    folder.mkdir()
    (folder / "a.png").write_bytes(part_png(False))
    with _client(tmp_path, capture=str(folder), trigger_interval_s=0.05) as client:
        client.headers["Authorization"] = f"Bearer {OPERATOR}"
        deadline = time.monotonic() + 20
        while (page := client.get("/api/v1/results").json())["total"] < 2:
            assert time.monotonic() < deadline, "the timer did not trigger"
            time.sleep(0.05)
    assert {r["trigger"] for r in page["items"]} == {"timer"} and page["items"][0]["image"] == "a.png"


def test_result_image_of_a_capture_retention_did_not_archive_comes_from_memory(tmp_path):
    with _client(tmp_path, keep_pass_every=0) as api:
        api.headers["Authorization"] = f"Bearer {OPERATOR}"
        body = _trigger(api, part_png(False, 4), name="good.png").json()
        assert body["pass"] is True
        image = api.get(f"/api/v1/results/{body['id']}/image")
        assert image.status_code == 200 and image.headers["content-type"] == "image/png"
        assert image.content == part_png(False, 4)


def test_trigger_with_a_misnamed_or_doubled_part_is_refused_and_stored_never_replaced_by_a_frame(tmp_path):
    folder = tmp_path / "line"
    folder.mkdir()
    (folder / "frame.png").write_bytes(part_png(False))
    with _client(tmp_path, capture=str(folder)) as api:
        api.headers["Authorization"] = f"Bearer {OPERATOR}"
        cases = [({"files": {"file": ("part.png", part_png(True, 1), "image/png")}}, "(got: file)"),
                 ({"files": [("image", ("a.png", part_png(True, 1))), ("image", ("b.png", part_png(False)))]},
                  "(got: image, image)"),
                 ({"files": {"image": ("a.png", part_png(True, 1))}, "data": {"note": "x"}}, "(got: note (not a file), image)"),
                 ({"content": part_png(True, 1), "headers": {"Content-Type": "image/png"}},
                  "(got: no multipart/form-data part)")]
        for request, got in cases:
            refused = api.post("/api/v1/trigger", **request)
            assert refused.status_code == 422 and refused.json()["error"]["type"] == "invalid_request"
            message = refused.json()["error"]["message"]
            assert message.startswith(f"send the capture as the multipart field `image` {got}; trigger "), message
        stored = api.get("/api/v1/results").json()
        assert stored["total"] == 4 and {r["trigger"] for r in stored["items"]} == {"upload"}
        assert all(r["error"].startswith("send the capture as the multipart field `image`") for r in stored["items"])
        assert api.get("/api/v1/status").json()["counts"]["error"] == 4
        from_source = api.post("/api/v1/trigger")  # no body at all: a frame of the capture source
        assert from_source.status_code == 200 and from_source.json()["image"] == "frame.png"


def test_docs_pages_work_offline_and_need_a_token(api):
    del api.headers["Authorization"]  # a browser opening the page sends no header
    for path in ("/docs", "/redoc", "/openapi.json"):
        denied = api.get(path)
        assert denied.status_code == 401 and "?token=" in denied.json()["error"]["message"]
    for path in ("/docs", "/redoc"):
        page = api.get(path, params={"token": OPERATOR})
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "http://" not in page.text and "https://" not in page.text  # nothing from a CDN or Google Fonts
        assets = re.findall(r"""(?:src|href)=["']([^"']+)""", page.text)
        spec = re.search(r"""(?:url: |spec-url=)["']([^"']+)""", page.text).group(1)
        assert spec == f"/openapi.json?token={OPERATOR}" and assets
        for asset in assets:
            assert api.get(asset).status_code == 200, asset
        assert api.get(spec).json()["info"]["title"] == "OpenInspect station"
    assert api.get("/docs", params={"token": "wrong"}).status_code == 401
