"""The recipe editor's History card: revisions with who saved them, a diff, a revert, and no silent overwrite."""

from __future__ import annotations

import copy

import httpx
from playwright.sync_api import Page, expect

RECIPE = {"name": "widget", "profile": "single-model",
          "types": [{"name": "part", "kind": "classifier", "classes": [{"name": "good", "pass": True},
                                                                         {"name": "defect", "pass": False}]}],
          "rois": [{"name": "whole", "type": "part"}]}


def _put(station, recipe: dict, **headers: str) -> httpx.Response:
    return httpx.put(f"{station.url}/api/v1/recipes/widget", json=recipe,
                     headers={"Authorization": f"Bearer {station.token}", **headers})


def test_history_lists_revisions_shows_a_diff_and_reverts(page: Page, station) -> None:
    httpx.post(f"{station.url}/api/v1/recipes", json=RECIPE,
               headers={"Authorization": f"Bearer {station.token}"}).raise_for_status()
    stricter = copy.deepcopy(RECIPE)
    stricter["types"][0]["classes"][1]["threshold"] = 0.7
    _put(station, stricter).raise_for_status()

    page.goto(station.signed_in("/#/recipes/widget"))
    revisions = page.get_by_test_id("revisions").locator("li")
    expect(revisions).to_have_count(2)
    expect(revisions.first).to_contain_text("#2")
    expect(revisions.first).to_contain_text("threshold only: part/defect none -> 0.7")
    revisions.first.get_by_role("button", name="Diff").click()
    expect(page.get_by_test_id("revision-diff")).to_contain_text("+    threshold: 0.7")

    revisions.last.get_by_role("button", name="Revert").click()
    page.get_by_role("button", name="Revert", exact=True).last.click()
    expect(page.get_by_test_id("revisions").locator("li")).to_have_count(3)
    assert "threshold" not in httpx.get(f"{station.url}/api/v1/recipes/widget",
                                        headers={"Authorization": f"Bearer {station.token}"}).json()["yaml"]


def test_a_save_on_a_stale_revision_is_refused_and_says_who_saved_since(page: Page, station) -> None:
    httpx.post(f"{station.url}/api/v1/recipes", json=RECIPE,
               headers={"Authorization": f"Bearer {station.token}"}).raise_for_status()
    page.goto(station.signed_in("/#/recipes/widget"))
    expect(page.get_by_test_id("revisions").locator("li")).to_have_count(1)
    renamed = copy.deepcopy(RECIPE)
    renamed["rois"][0]["name"] = "all"
    assert _put(station, renamed, **{"If-Match": "1"}).status_code == 200  # someone else saves revision 2
    page.get_by_label("Fail threshold of defect").fill("0.8")  # this page still edits revision 1
    page.get_by_label("Fail threshold of defect").press("Tab")
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("problems")).to_contain_text("revision 2")
