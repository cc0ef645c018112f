"""The Recipes page says whether each recipe is ready for production, and otherwise exactly what is missing."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from tests.e2e.conftest import brightness_classifier

from openinspect.store import ModelMeta, Workspace


def test_badge_says_ready_only_for_an_accurate_model_over_the_bar(page: Page, station, screenshot) -> None:
    workspace = Workspace(station.home)
    classes = workspace.recipe("shaft-depth").types[0].class_names()
    with workspace.new_model_version("shaft-depth", "shaft", "accurate", deploy=True) as folder:
        brightness_classifier(folder / "model.onnx", len(classes))
        per_class = {name: {"support": 12} for name in classes}
        ModelMeta(classes, mode="accurate", metrics={"balanced_accuracy": 0.94, "per_class": per_class, "n": 36}
                  ).write(folder)
    workspace.engine.dispose()

    page.goto(station.signed_in("/#/recipes"))
    fast = page.locator("[data-recipe='bracket-nuts']").get_by_test_id("readiness")
    expect(fast).to_contain_text("Not ready for production: Fast model: train Accurate")
    expect(page.locator("[data-recipe='bracket-nuts']")).to_contain_text("for trying a set-up, not for production")
    expect(page.locator("[data-recipe='shaft-depth']").get_by_test_id("readiness")).to_have_text(
        "✓ Ready for production")
    screenshot(page, "recipes")
