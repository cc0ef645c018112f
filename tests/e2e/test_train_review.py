"""The Training page's validation review: how the model validated, the threshold trade-off, crops it got wrong."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import httpx
import pytest
from playwright.sync_api import Page, expect

from openinspect.store import ModelMeta

SAMPLES = "/api/v1/recipes/bracket-nuts/types/nut/samples"
VALIDATION = "/api/v1/recipes/bracket-nuts/types/nut/models/latest/validation"


def _api(station, method: str, path: str, **kwargs) -> httpx.Response:
    response = httpx.request(method, f"{station.url}{path}", headers={"Authorization": f"Bearer {station.token}"},
                             timeout=30, **kwargs)
    response.raise_for_status()
    return response


def _mislabel_a_good_nut(station) -> tuple[str, str]:
    """Label one good nut ``loose``: the model, trained without it, calls it good, so validation gets it wrong."""
    sample = next(s for s in _api(station, "GET", SAMPLES).json() if s["labels"].get("nut-left") == "good")
    _api(station, "PUT", f"{SAMPLES}/{sample['image']}/labels", json={"labels": {"nut-left": "loose"}})
    return sample["image"], "nut-left"


@pytest.mark.slow
def test_train_fast_then_review_validation_set_threshold_and_relabel(page: Page, station, screenshot) -> None:
    image, roi = _mislabel_a_good_nut(station)
    page.goto(station.signed_in("/#/train/bracket-nuts"))
    card = page.locator("[data-type='nut']")
    expect(card).to_contain_text("Model v1")
    expect(card.get_by_test_id("validation")).to_contain_text("train again")   # the demo model recorded no crops
    card.get_by_test_id("train-fast").click()
    expect(page.get_by_test_id("training-job")).to_contain_text("Done", timeout=600_000)
    expect(card).to_contain_text("Model v2")
    expect(card.get_by_test_id("validation-method")).to_have_text(
        re.compile(r"Validated by stratified k-fold on 24 crops"))  # 12 demo captures x 2 nuts

    review = _api(station, "GET", VALIDATION).json()
    (tradeoff,) = review["tradeoffs"]
    points = tradeoff["points"]
    rejected, missed = card.get_by_test_id("good-rejected"), card.get_by_test_id("defects-missed")
    expect(rejected).to_have_text(f"{points[0]['good_rejected']} of {tradeoff['good']}")
    expect(missed).to_have_text(f"{points[0]['defects_missed']} of {tradeoff['defects']}")
    step = next(k for k, p in enumerate(points) if (p["good_rejected"], p["defects_missed"]) !=
                (points[0]["good_rejected"], points[0]["defects_missed"]))
    card.get_by_test_id("threshold-slider").fill(str(step))
    expect(card.get_by_test_id("threshold-value")).to_have_text(f"{step / 100:.2f}")
    expect(rejected).to_have_text(f"{points[step]['good_rejected']} of {tradeoff['good']}")
    expect(missed).to_have_text(f"{points[step]['defects_missed']} of {tradeoff['defects']}")
    screenshot(page, "threshold")

    card.get_by_test_id("save-threshold").click()
    expect(page.locator(".toast", has_text="saved")).to_be_visible()
    document = _api(station, "GET", "/api/v1/recipes/bracket-nuts/document").json()
    assert document["types"][0]["classes"][1] == {"name": "loose", "pass": False, "threshold": step / 100}
    assert f"threshold: {step / 100}" in (station.home / "recipes" / "bracket-nuts" / "recipe.yaml").read_text()
    expect(card.get_by_test_id("save-threshold")).to_be_disabled()           # the saved step is the recipe's now

    wrong = card.get_by_test_id("wrong-crop")
    expect(wrong.first).to_be_visible()
    name = next(s["name"] for s in _api(station, "GET", SAMPLES).json() if s["image"] == image)
    mislabelled = card.locator(f"[data-testid='wrong-crop'][title^='{roi} of {name} (']")
    expect(mislabelled).to_contain_text("model: good")
    mislabelled.click()
    card.get_by_test_id("relabel-chips").get_by_role("button", name="good").click()
    expect(mislabelled).to_contain_text("now good")
    labels = next(s["labels"] for s in _api(station, "GET", SAMPLES).json() if s["image"] == image)
    assert labels[roi] == "good"
    screenshot(page, "relabelled")


def _record_validation(station, image: str, roi: str) -> None:
    """Give the demo model a recorded k-fold validation in which it called a good nut loose (no training)."""
    from openinspect.store import Workspace

    workspace = Workspace(station.home)
    folder = workspace.latest_model("bracket-nuts", "nut").path
    workspace.engine.dispose()
    replace(ModelMeta.read(folder), validation={"method": "k-fold", "reason": ""}).write(folder)
    document = _api(station, "GET", "/api/v1/recipes/bracket-nuts/document").json()
    rect = next([r["x"], r["y"], r["w"], r["h"]] for r in document["rois"] if r["name"] == roi)
    crop = {"image": image, "roi": roi, "rect": rect, "true_class": "good", "predicted_class": "loose",
            "probabilities": {"good": 0.3, "loose": 0.7}}
    (folder / "validation.json").write_text(json.dumps({"format": 1, "crops": [crop]}))


def test_an_operator_reads_the_review_but_may_not_train_save_a_threshold_or_relabel(page: Page, station) -> None:
    image = next(s["image"] for s in _api(station, "GET", SAMPLES).json() if s["labels"].get("nut-left") == "good")
    _record_validation(station, image, "nut-left")
    page.goto(f"{station.url}/?token={station.operator_token}#/train/bracket-nuts")
    expect(page.locator("#role")).to_have_text("Operator")
    card = page.locator("[data-type='nut']")
    expect(card.get_by_test_id("validation-method")).to_have_text(re.compile(r"Validated by stratified k-fold"))
    expect(card.get_by_test_id("threshold-slider")).to_be_visible()         # the trade-off is there to read
    expect(card.get_by_test_id("save-threshold")).to_be_hidden()
    for mode in ("fast", "accurate"):
        expect(card.get_by_test_id(f"train-{mode}")).to_be_hidden()
    card.get_by_test_id("wrong-crop").click()
    expect(card.get_by_test_id("relabel")).to_contain_text("the model said loose")
    expect(card.get_by_test_id("relabel-chips")).to_be_hidden()
    expect(card.get_by_role("link", name="Open in Labelling")).to_be_hidden()


def test_the_review_lists_the_warnings_about_the_training_data(page: Page, station, screenshot) -> None:
    from openinspect.store import Workspace

    warnings = ["1 pair(s) of near-duplicate training images (perceptual hash within 10 of 256 bits): a.png ~ "
                "b.png (good, 3 bits). A copy teaches the model nothing new; remove one of each pair",
                "class 'loose' has 2 labelled crop(s): fewer than 3 cannot show what varies within it"]
    workspace = Workspace(station.home)
    folder = workspace.latest_model("bracket-nuts", "nut").path
    workspace.engine.dispose()
    replace(ModelMeta.read(folder), warnings=warnings).write(folder)
    page.goto(station.signed_in("/#/train/bracket-nuts"))
    box = page.locator("[data-type='nut']").get_by_test_id("data-warnings")
    expect(box).to_contain_text("The training data may not generalise")
    expect(box.locator("li")).to_have_text(warnings)
    screenshot(page, "data-warnings")
