"""Recipe revisions over HTTP: history, diff, revert, conflicting edits refused, archives carry the history, and
results name the revision that judged them."""

import io

import pytest
from tests.unit.server.named import ALICE, BOB, OPERATOR, as_, named_station, threshold
from tests.unit.station.kit import part_png


@pytest.fixture
def api(tmp_path):
    yield from named_station(tmp_path / "home")


def _put(api, text, revision=None, token=ALICE):
    headers = {**as_(token), "Content-Type": "application/yaml"}
    if revision is not None:
        headers["If-Match"] = str(revision)
    return api.put("/api/v1/recipes/plate", content=text, headers=headers)


def test_a_save_on_a_stale_revision_is_refused_naming_the_newer_one_and_who_saved_it(api):
    assert api.get("/api/v1/recipes/plate").json()["revision"] == 1
    saved = _put(api, threshold(0.6), revision=1, token=BOB)
    assert saved.status_code == 200 and saved.json()["revision"] == 2
    stale = _put(api, threshold(0.9), revision=1)
    assert stale.status_code == 409
    error = stale.json()["error"]
    assert error["type"] == "conflict"
    assert "at revision 2 (saved by bob" in error["message"] and "made on revision 1" in error["message"]
    assert api.get("/api/v1/recipes/plate").json()["revision"] == 2, "nothing was overwritten"
    assert _put(api, threshold(0.9), revision='"2"').json()["revision"] == 3
    assert _put(api, threshold(0.5)).json()["revision"] == 4, "without If-Match the save replaces what is stored"
    bad = _put(api, threshold(0.4), revision="latest")
    assert bad.status_code == 422 and "If-Match must be the revision number" in bad.json()["error"]["message"]


def test_history_revision_diff_and_revert(api):
    _put(api, threshold(0.6), token=BOB)
    history = api.get("/api/v1/recipes/plate/revisions", headers=as_(OPERATOR)).json()
    assert [(r["revision"], r["actor"]) for r in history] == [(2, "bob"), (1, "openinspect")]
    assert history[0]["summary"] == "threshold only: surface/scratch none -> 0.6"
    one = api.get("/api/v1/recipes/plate/revisions/2").json()
    assert "threshold: 0.6" in one["yaml"] and one["actor"] == "bob"
    diff = api.get("/api/v1/recipes/plate/diff", params={"a": 1, "b": 2}).json()
    assert diff["a"] == 1 and "+    threshold: 0.6\n" in diff["diff"]
    assert api.post("/api/v1/recipes/plate/revert", json={"revision": 1}, headers=as_(OPERATOR)).status_code == 403
    reverted = api.post("/api/v1/recipes/plate/revert", json={"revision": 1})
    assert reverted.status_code == 200 and reverted.json()["revision"] == 3
    assert "threshold" not in reverted.json()["yaml"]
    latest = api.get("/api/v1/recipes/plate/revisions").json()[0]
    assert (latest["actor"], latest["summary"]) == ("alice", "reverted to revision 1")
    missing = api.get("/api/v1/recipes/plate/revisions/9")
    assert missing.status_code == 404 and "its revisions are 1 to 3" in missing.json()["error"]["message"]


def test_results_name_the_recipe_revision_that_judged_them(api):
    def trigger():
        return api.post("/api/v1/trigger", files={"image": ("cap.png", part_png(False, 1), "image/png")}).json()

    assert trigger()["recipe_revision"] == 1
    _put(api, threshold(0.6))
    judged = trigger()
    assert judged["recipe_revision"] == 2, "the station reloads the saved revision"
    assert api.get(f"/api/v1/results/{judged['id']}").json()["recipe_revision"] == 2
    lines = api.get("/api/v1/results.csv").text.splitlines()
    assert lines[0].endswith(",recipe_revision,models") and lines[-1].endswith(",2,surface=v1")


def test_an_archive_carries_the_history_and_an_import_under_a_new_name_keeps_it(api):
    _put(api, threshold(0.6), token=BOB)
    archive = api.get("/api/v1/recipes/plate/archive").content
    imported = api.post("/api/v1/recipes/import", params={"name": "copy"},
                        files={"archive": ("plate.zip", io.BytesIO(archive), "application/zip")})
    assert imported.status_code == 201 and imported.json()["revision"] == 2
    history = api.get("/api/v1/recipes/copy/revisions").json()
    assert [(r["revision"], r["actor"]) for r in history] == [(2, "bob"), (1, "openinspect")]
    first = api.get("/api/v1/recipes/copy/revisions/1").json()["yaml"]
    assert first.startswith("name: copy\n"), "the history is renamed with the recipe"
    assert api.post("/api/v1/recipes/copy/revert", json={"revision": 1}).json()["revision"] == 3
