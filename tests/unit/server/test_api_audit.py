"""The audit trail over HTTP: named tokens, one record per change with before and after, filters and paging,
read only."""

import pytest
from tests.unit.server.named import BOB, OPERATOR, as_, named_station, threshold
from tests.unit.station.kit import RECIPE, dark_pixel_classifier, part_png

from openinspect.settings import Settings
from openinspect.store import ModelMeta, Workspace


@pytest.fixture
def api(tmp_path):
    yield from named_station(tmp_path / "home")


def test_every_change_is_recorded_with_its_actor_before_and_after(api):
    assert api.get("/api/v1/session", headers=as_(BOB)).json() == {"name": "bob", "role": "engineer"}
    api.put("/api/v1/recipes/plate", content=threshold(0.7), headers={**as_(BOB), "Content-Type": "application/yaml"})
    api.post("/api/v1/recipes/plate/revert", json={"revision": 1})
    capture = api.post("/api/v1/recipes/plate/labels", files={"image": ("a.png", part_png(True, 1), "image/png")},
                       data={"type": "surface", "class": "scratch"})
    assert capture.status_code == 201
    api.put("/api/v1/active-recipe", json={"name": "plate"})  # active already since start: no change, no record
    api.delete("/api/v1/recipes/plate")

    page = api.get("/api/v1/audit").json()
    rows = [(r["actor"], r["action"], r["before"], r["after"]) for r in page["items"]]
    assert rows == [("alice", "recipe.delete", "revision 3", None),
                    ("alice", "labels.set", None, None),
                    ("alice", "recipe.revert", "revision 2", "revision 3"),
                    ("bob", "recipe.save", "revision 1", "revision 2")]
    assert page["total"] == 4 and page["items"][3]["detail"] == "threshold only: surface/scratch none -> 0.7"
    assert page["items"][1]["detail"].startswith("2 label(s) on capture ")
    assert page["items"][3]["recipe"] == "plate" and page["items"][3]["object"] == "recipe plate"


def test_audit_filters_pages_and_is_engineer_only_and_read_only(api):
    for value in (0.5, 0.6, 0.7):
        api.put("/api/v1/recipes/plate", content=threshold(value), headers={"Content-Type": "application/yaml"})
    api.put("/api/v1/recipes/plate", content=RECIPE, headers={**as_(BOB), "Content-Type": "application/yaml"})
    assert api.get("/api/v1/audit", params={"actor": "bob"}).json()["total"] == 1
    assert api.get("/api/v1/audit", params={"recipe": "other"}).json()["total"] == 0
    assert api.get("/api/v1/audit", params={"since": "2999-01-01T00:00:00"}).json()["total"] == 0
    page = api.get("/api/v1/audit", params={"limit": 2, "offset": 1}).json()
    assert page["total"] == 4 and [r["after"] for r in page["items"]] == ["revision 4", "revision 3"]
    assert api.get("/api/v1/audit", headers=as_(OPERATOR)).status_code == 403
    assert api.delete("/api/v1/audit").status_code == 405
    assert api.put("/api/v1/audit", json={}).status_code == 405


def test_tokens_take_a_name_and_a_role_or_a_role_alone():
    settings = Settings(tokens={"a": {"name": "alice", "role": "engineer"}, "b": "operator"})
    assert {t: (o.name, o.role.value) for t, o in settings.tokens.items()} == {"a": ("alice", "engineer"),
                                                                                 "b": ("operator", "operator")}


def test_deploys_and_rollbacks_are_recorded_with_the_token_name_and_the_versions(api, tmp_path):
    workspace = Workspace(tmp_path / "home")
    for classes in (["good", "scratch"], ["good", "dent"]):
        with workspace.new_model_version("plate", "surface", "accurate") as folder:
            dark_pixel_classifier(folder / "model.onnx", limit=256.0)
            ModelMeta(classes).write(folder)
    workspace.engine.dispose()
    models = "/api/v1/recipes/plate/types/surface/models/deployed"
    assert api.put(models, json={"version": 2}, headers=as_(BOB)).status_code == 200
    assert api.put(models, json={"version": 2}).status_code == 200  # in force already: no change, no record
    assert api.put(models, json={"version": 3}).status_code == 409  # trained for other classes: refused
    assert api.post(f"{models}/rollback").status_code == 200

    items = api.get("/api/v1/audit").json()["items"]
    assert [(r["actor"], r["action"], r["object"], r["recipe"], r["before"], r["after"]) for r in items] == [
        ("alice", "model.rollback", "type surface", "plate", "v2", "v1"),
        ("bob", "model.deploy", "type surface", "plate", "v1", "v2")]
