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


def test_duplicate_export_import_and_activate(page: Page, station, tmp_path) -> None:
    page.goto(station.signed_in("/#/recipes"))
    page.locator("[data-recipe='bracket-nuts']").get_by_role("button", name="Duplicate").click()
    page.get_by_role("button", name="Duplicate").last.click()
    copy = page.locator("[data-recipe='bracket-nuts-copy']")
    expect(copy).to_contain_text("Needs training")
    with page.expect_download() as download:
        copy.get_by_role("button", name="Export YAML").click()
    exported = tmp_path / "copy.yaml"
    download.value.save_as(exported)
    assert exported.read_text().startswith("name: bracket-nuts-copy\n")

    copy.get_by_role("button", name="Delete").click()
    page.get_by_role("button", name="Delete recipe").click()
    expect(copy).to_have_count(0)
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Import YAML…").click()
    chooser.value.set_files(str(exported))
    expect(copy).to_be_visible()

    page.locator("[data-recipe='shaft-depth']").get_by_role("button", name="Activate").click()
    expect(page.get_by_test_id("active-recipe")).to_have_text("shaft-depth")
    expect(page.locator("[data-recipe='shaft-depth']")).to_contain_text("Active")
    copy.get_by_role("button", name="Activate").click()
    expect(page.get_by_role("status").last).to_contain_text("cannot run yet")


def test_latest_failure_holds_the_last_fail_on_screen(page: Page, station) -> None:
    import httpx

    page.goto(station.signed_in("/#/live"))
    page.get_by_role("button", name="Latest failure").click()
    expect(page.get_by_text("Holding the latest failure")).to_be_visible()
    headers = {"Authorization": f"Bearer {station.token}"}
    seen_fail = False
    for _ in range(8):
        record = httpx.post(f"{station.url}/api/v1/trigger", headers=headers, timeout=60).json()
        seen_fail = seen_fail or not record["pass"]
        if seen_fail and record["pass"]:
            break
    assert seen_fail and record["pass"], "the replayed captures should give a fail, then a pass"
    expect(page.get_by_test_id("counters")).to_contain_text("Pass rate")
    expect(page.get_by_test_id("verdict")).to_contain_text("FAIL")
    page.get_by_role("button", name="Latest", exact=True).click()
    expect(page.get_by_test_id("verdict")).to_contain_text("PASS")


def test_sign_in_with_an_operator_token_views_and_triggers_but_may_not_change(page: Page, station) -> None:
    page.goto(f"{station.url}/#/recipes")
    page.get_by_label("Station token").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("not known")
    page.get_by_label("Station token").fill(station.operator_token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#role")).to_have_text("Operator")
    card = page.locator("[data-recipe='shaft-depth']")
    expect(card.get_by_role("button", name="Export YAML")).to_be_visible()
    expect(card.get_by_role("button", name="Export", exact=True)).to_be_hidden()  # archives carry the data set
    for hidden in ("Activate", "Delete", "Duplicate"):
        expect(card.get_by_role("button", name=hidden)).to_be_hidden()
    expect(page.get_by_role("button", name="+ New recipe")).to_be_hidden()
    expect(page.get_by_role("link", name="Labelling")).to_be_hidden()
    page.get_by_role("link", name="Live").click()
    page.get_by_test_id("trigger").click()
    expect(page.get_by_test_id("verdict")).to_contain_text(re.compile("PASS|FAIL"))


def test_inspect_an_image_file_and_an_unjudgeable_one(page: Page, station, tmp_path) -> None:
    import numpy as np
    from PIL import Image

    from openinspect.demo.run import replay_folder
    from openinspect.store import Workspace

    capture = sorted(replay_folder(Workspace(station.home), "bracket-nuts").glob("*.png"))[2]
    tiny = tmp_path / "tiny.png"
    Image.fromarray(np.zeros((40, 60, 3), np.uint8)).save(tiny)
    page.goto(station.signed_in("/#/live"))
    for path in (capture, tiny):
        with page.expect_file_chooser() as chooser:
            page.get_by_role("button", name="Inspect an image file…").click()
        chooser.value.set_files(str(path))
        if path == capture:
            expect(page.get_by_test_id("verdict")).to_contain_text(re.compile("PASS|FAIL"))
            expect(page.get_by_test_id("roi-results").locator("[data-roi='nut-left']")).to_be_visible()
    verdict = page.get_by_test_id("verdict")
    expect(verdict).to_contain_text("NOT JUDGED")
    expect(verdict).to_contain_text("tiny.png")
    expect(page.locator(".live-stage canvas")).to_have_js_property("width", 60)  # the file, though not judged
