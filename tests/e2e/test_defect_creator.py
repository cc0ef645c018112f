"""The Defect Creator page: describe a defect, read what was understood, preview, reseed, add some; the Label and
Training pages then show the synthetic images apart."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect


def _samples(station) -> list[dict]:
    response = httpx.get(f"{station.url}/api/v1/recipes/bracket-nuts/types/nut/samples",
                         headers={"Authorization": f"Bearer {station.token}"})
    response.raise_for_status()
    return response.json()


def test_describe_preview_reseed_and_add_some_synthetic_images(page: Page, station, screenshot) -> None:
    page.goto(station.signed_in("/#/synth/bracket-nuts/nut"))
    page.get_by_label("nut-right").uncheck()                          # defects in the left nut only
    hosts = page.get_by_test_id("synth-hosts").locator("input[type=checkbox]")
    expect(hosts.first).to_be_visible()
    good_left = sum(s["labels"].get("nut-left") == "good" for s in _samples(station))
    expect(hosts).to_have_count(good_left)
    page.get_by_test_id("synth-description").fill("two thin dark scratches near the top edge blurp")
    spec = page.get_by_test_id("synth-spec")
    expect(spec).to_contain_text("kind: scratch")
    expect(spec).to_contain_text("count: 2")
    expect(page.get_by_test_id("synth-ignored")).to_contain_text("blurp")
    page.get_by_test_id("synth-count").fill("4")
    page.get_by_test_id("synth-preview").click()
    samples = page.get_by_test_id("synth-sample")
    expect(samples).to_have_count(4)
    expect(samples.first).to_have_attribute("data-seed", "0")
    first = samples.first.locator("img").get_attribute("src")
    page.get_by_test_id("synth-reseed").click()                       # the next seeds: 4 to 7
    expect(samples.first).to_have_attribute("data-seed", "4")
    assert samples.first.locator("img").get_attribute("src") != first
    screenshot(page, "preview")
    assert not any("synthetic" in s for s in _samples(station))       # a preview stores nothing

    samples.nth(1).get_by_role("checkbox").uncheck()
    page.get_by_test_id("synth-add-selected").click()
    expect(page.get_by_test_id("synth-status")).to_contain_text("3 image(s) added")
    made = [s for s in _samples(station) if "synthetic" in s]
    assert sorted(s["synthetic"]["seed"] for s in made) == [4, 6, 7]
    assert all(s["labels"] == {"nut-left": "loose"} for s in made)

    page.goto(station.signed_in("/#/label/bracket-nuts/nut"))
    grid = page.get_by_test_id("crop-grid")
    expect(grid.get_by_test_id("synthetic-badge")).to_have_count(6)   # 3 images x 2 ROIs (the right one unlabelled)
    page.get_by_label("Show").select_option("origin:synthetic")
    expect(grid.get_by_role("option")).to_have_count(6)
    page.get_by_label("Show").select_option("origin:real")
    expect(grid.get_by_test_id("synthetic-badge")).to_have_count(0)

    page.goto(station.signed_in("/#/train/bracket-nuts"))
    expect(page.get_by_test_id("train-synthetic")).to_be_checked()
    expect(page.locator("[data-type='nut']")).to_contain_text("Train on the 3 synthetic images too")
