"""The app shell, the Recipes page and Live with a manual trigger."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect


def test_create_recipe_lists_it_with_its_starter_type(page: Page, station) -> None:
    page.goto(station.signed_in("/#/recipes"))
    expect(page.locator("[data-recipe='bracket-nuts']")).to_be_visible()
    page.get_by_role("button", name="+ New recipe").click()
    page.get_by_label("Name").fill("widget-check")
    page.get_by_role("button", name="Create").click()
    expect(page).to_have_url(re.compile(r"#/recipes/widget-check$"))
    page.goto(station.signed_in("/#/recipes"))
    card = page.locator("[data-recipe='widget-check']")
    expect(card).to_contain_text("part")
    expect(card).to_contain_text("Needs training")
    assert (station.home / "recipes" / "widget-check" / "recipe.yaml").is_file()


def test_delete_recipe_asks_first(page: Page, station) -> None:
    page.goto(station.signed_in("/#/recipes"))
    card = page.locator("[data-recipe='shaft-depth']")
    card.get_by_role("button", name="Delete").click()
    page.get_by_role("button", name="Cancel").click()
    expect(card).to_be_visible()
    card.get_by_role("button", name="Delete").click()
    page.get_by_role("button", name="Delete recipe").click()
    expect(card).to_have_count(0)


def test_trigger_on_demo_recipe_shows_verdict_and_confidence(page: Page, station) -> None:
    page.goto(station.signed_in("/#/live"))
    expect(page.get_by_test_id("active-recipe")).to_have_text("bracket-nuts")
    page.get_by_test_id("trigger").click()
    expect(page.get_by_test_id("verdict")).to_contain_text(re.compile("PASS|FAIL"))
    results = page.get_by_test_id("roi-results")
    expect(results.locator("[data-roi='nut-left']")).to_contain_text(re.compile(r"(good|loose) +\d+(\.\d)? %"))
    expect(results.locator("[data-roi='nut-right']")).to_contain_text(re.compile(r"\d %"))
    expect(page.get_by_test_id("counters")).to_contain_text("Pass rate")
    expect(page.locator(".live-stage canvas")).to_be_visible()
