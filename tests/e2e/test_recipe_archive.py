"""Recipes page: export a recipe archive and import it back under a new name."""

from __future__ import annotations

import zipfile

from playwright.sync_api import Page, expect


def test_export_archive_and_import_it_under_a_new_name(page: Page, station, tmp_path, screenshot) -> None:
    page.goto(station.signed_in("/#/recipes"))
    with page.expect_download() as download:
        page.locator("[data-recipe='bracket-nuts']").get_by_role("button", name="Export", exact=True).click()
    assert download.value.suggested_filename == "bracket-nuts.zip"
    archive = tmp_path / "bracket-nuts.zip"
    download.value.save_as(archive)
    assert {"manifest.json", "recipe/recipe.yaml"} <= set(zipfile.ZipFile(archive).namelist())

    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Import recipe…").click()
    chooser.value.set_files(str(archive))
    dialog = page.locator("dialog")
    dialog.get_by_role("button", name="Import", exact=True).click()
    expect(dialog.get_by_role("alert")).to_contain_text("a recipe named 'bracket-nuts' exists already")
    screenshot(page, "name-taken")
    dialog.get_by_label("New name").fill("bracket-nuts-2")
    dialog.get_by_role("button", name="Import", exact=True).click()

    imported = page.locator("[data-recipe='bracket-nuts-2']")
    expect(imported).to_be_visible()
    expect(imported).to_contain_text("model v1")
    expect(imported.get_by_test_id("readiness")).to_contain_text("Not ready for production: Fast model: train Accurate")
    expect(page.get_by_role("status").last).to_contain_text("Recipe bracket-nuts-2 imported")
    assert (station.home / "recipes" / "bracket-nuts-2" / "recipe.yaml").is_file()
