"""The audit trail over HTTP: named tokens, one record per change with before and after, filters and paging,
read only."""

import pytest
from fastapi.testclient import TestClient
from tests.unit.station.kit import RECIPE, install_plate, part_png

from openinspect.server import create_app
from openinspect.settings import Settings
from openinspect.store import Workspace

ALICE, BOB, OPERATOR = "alice-token-0123456789", "bob-token-0123456789", "op-token-0123456789"


@pytest.fixture
def api(tmp_path):
    home = tmp_path / "home"
    install_plate(Workspace(home))
    tokens = {ALICE: {"name": "alice", "role": "engineer"}, BOB: {"name": "bob", "role": "engineer"},
              OPERATOR: "operator"}
    with TestClient(create_app(Settings(home=home, tokens=tokens))) as client:
        client.headers["Authorization"] = f"Bearer {ALICE}"
        yield client


def _as(token):
    return {"Authorization": f"Bearer {token}"}


def _threshold(value):
    return RECIPE.replace("{name: scratch, pass: false}", f"{{name: scratch, pass: false, threshold: {value}}}")


def test_every_change_is_recorded_with_its_actor_before_and_after(api):
    assert api.get("/api/v1/session", headers=_as(BOB)).json() == {"name": "bob", "role": "engineer"}
    api.put("/api/v1/recipes/plate", content=_threshold(0.7), headers={**_as(BOB), "Content-Type": "application/yaml"})
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
        api.put("/api/v1/recipes/plate", content=_threshold(value), headers={"Content-Type": "application/yaml"})
    api.put("/api/v1/recipes/plate", content=RECIPE, headers={**_as(BOB), "Content-Type": "application/yaml"})
    assert api.get("/api/v1/audit", params={"actor": "bob"}).json()["total"] == 1
    assert api.get("/api/v1/audit", params={"recipe": "other"}).json()["total"] == 0
    assert api.get("/api/v1/audit", params={"since": "2999-01-01T00:00:00"}).json()["total"] == 0
    page = api.get("/api/v1/audit", params={"limit": 2, "offset": 1}).json()
    assert page["total"] == 4 and [r["after"] for r in page["items"]] == ["revision 4", "revision 3"]
    assert api.get("/api/v1/audit", headers=_as(OPERATOR)).status_code == 403
    assert api.delete("/api/v1/audit").status_code == 405
    assert api.put("/api/v1/audit", json={}).status_code == 405


def test_tokens_take_a_name_and_a_role_or_a_role_alone():
    settings = Settings(tokens={"a": {"name": "alice", "role": "engineer"}, "b": "operator"})
    assert {t: (o.name, o.role.value) for t, o in settings.tokens.items()} == {"a": ("alice", "engineer"),
                                                                                 "b": ("operator", "operator")}
