"""The New recipe dialog's assistant: describe the inspection, read the advice, create the advised recipe."""

from __future__ import annotations

import re

import yaml
from playwright.sync_api import Page, expect


def test_describe_the_inspection_then_create_the_advised_recipe(page: Page, station, screenshot) -> None:
    page.goto(station.signed_in("/#/recipes"))
    page.get_by_role("button", name="+ New recipe").click()
    page.get_by_label("Name").fill("bracket-advised")
    page.get_by_text("Describe the inspection").click()
    page.get_by_label("What should the station check?").fill("hello")
    page.get_by_role("button", name="Get advice").click()
    expect(page.get_by_role("alert").filter(has_text="describes no inspection")).to_be_visible()

    page.get_by_label("What should the station check?").fill(
        "check that both screws are present on the bracket and find scratches anywhere on it")
    page.get_by_label("ROI size (optional)").fill("2048 x 1024")
    page.get_by_label("Smallest defect (optional)").fill("4")
    page.get_by_role("button", name="Get advice").click()
    advice = page.locator(".advice-result")
    expect(advice).to_contain_text("Recommended: classifier")
    expect(advice).to_contain_text("profile multi-model")
    expect(advice).to_contain_text("presence (classifier): good, missing")
    expect(advice).to_contain_text("defects (segmenter): scratch · rule: scratch count == 0")
    expect(advice).to_contain_text("split the area into 8 ROIs (4 x 2)")
    expect(advice).to_contain_text("3-5 ROI crops of each class")
    screenshot(page, "advice")

    page.get_by_role("button", name="Create this recipe").click()
    expect(page).to_have_url(re.compile(r"#/recipes/bracket-advised$"))
    saved = yaml.safe_load((station.home / "recipes" / "bracket-advised" / "recipe.yaml").read_text())
    assert saved["profile"] == "multi-model"
    assert [(t["name"], t["kind"]) for t in saved["types"]] == [("presence", "classifier"), ("defects", "segmenter")]
    assert saved["types"][1]["tiling"] is True and saved["types"][1]["rules"][0]["measure"] == "count"
    assert [r["type"] for r in saved["rois"]] == ["presence", "defects"]
    expect(page.get_by_test_id("save")).to_be_visible()  # the editor, where the user draws the ROIs next
    expect(page.locator("main")).to_contain_text("presence")
    screenshot(page, "editor")


def test_a_vague_description_shows_the_questions(page: Page, station) -> None:
    page.goto(station.signed_in("/#/recipes"))
    page.get_by_role("button", name="+ New recipe").click()
    page.get_by_text("Describe the inspection").click()
    page.get_by_label("What should the station check?").fill("inspect the part")
    page.get_by_role("button", name="Get advice").click()
    advice = page.locator(".advice-result")
    expect(advice).to_contain_text("30 % sure")
    expect(advice).to_contain_text("What would decide it:")
    expect(advice).to_contain_text("Are the defects at fixed places on the part")
