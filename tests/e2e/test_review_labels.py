"""Reviewing labels against the model: the "model disagrees" filter, and a judged capture added back from History."""

from __future__ import annotations

import hashlib
import io

import httpx
from PIL import Image
from playwright.sync_api import Page, expect

from openinspect.demo import bracket_captures
from openinspect.station import ClassifierRoiResult, Inspector
from openinspect.station.service import RECENT_CAPTURES
from openinspect.store import Workspace

SAMPLES = "/api/v1/recipes/bracket-nuts/types/nut/samples"
OTHER = {"good": "loose", "loose": "good"}


def _headers(station) -> dict[str, str]:
    return {"Authorization": f"Bearer {station.token}"}


def _station_classes(station, samples: list[dict]) -> dict[str, str]:
    """What the station's own pipeline judges each labelled crop: ``{"<image>/<roi>": class}``."""
    workspace = Workspace(station.home)
    inspector = Inspector.load(workspace, "bracket-nuts")
    judged = {}
    for sample in samples:
        result = inspector.inspect_file(workspace.image(sample["image"]).path)
        judged.update({f"{sample['image']}/{r.roi}": r.class_name for r in result.rois
                       if isinstance(r, ClassifierRoiResult)})
    workspace.engine.dispose()
    return judged


def test_model_disagrees_shows_exactly_the_crops_the_model_contradicts(page: Page, station, screenshot) -> None:
    samples = httpx.get(f"{station.url}{SAMPLES}", headers=_headers(station)).json()
    judged = _station_classes(station, samples)
    assert len(judged) == 24                                   # the demo's 12 captures x 2 nuts
    wrong = sorted(judged)[3]                                  # one crop deliberately mislabelled, all others agree
    for sample in samples:
        labels = {roi: judged[f"{sample['image']}/{roi}"] for roi in sample["labels"]}
        if wrong.startswith(sample["image"]):
            labels[wrong.split("/")[1]] = OTHER[judged[wrong]]
        httpx.put(f"{station.url}{SAMPLES}/{sample['image']}/labels", json={"labels": labels},
                  headers=_headers(station)).raise_for_status()

    page.goto(station.signed_in("/#/label/bracket-nuts/nut"))
    grid = page.get_by_test_id("crop-grid")
    expect(grid.get_by_role("option")).to_have_count(24)
    expect(grid.get_by_test_id("prediction")).to_have_count(24)
    for key, class_name in judged.items():                     # every crop shows the station's class
        expect(grid.locator(f".crop[data-key='{key}']")).to_have_attribute("data-prediction", class_name)
    expect(page.get_by_test_id("label-summary")).to_contain_text("model disagrees 1")

    page.get_by_label("Show").select_option("model:disagrees")
    shown = grid.get_by_role("option")
    expect(shown).to_have_count(1)
    expect(shown).to_have_attribute("data-key", wrong)
    expect(shown).to_have_attribute("data-label", OTHER[judged[wrong]])
    expect(shown.get_by_test_id("prediction")).to_contain_text(f"model: {judged[wrong]}")
    screenshot(page, "disagrees")

    shown.click()
    page.get_by_test_id("class-chips").get_by_role("button", name=judged[wrong]).click()
    expect(page.get_by_text("The model agrees with every label")).to_be_visible()


def test_model_disagrees_asks_for_a_model_first(page: Page, station) -> None:
    recipe = {"name": "fresh", "types": [{"name": "part", "kind": "classifier",
                                          "classes": [{"name": "good", "pass": True}, {"name": "bad", "pass": False}]}],
              "rois": [{"name": "whole", "type": "part"}]}
    httpx.post(f"{station.url}/api/v1/recipes", json=recipe, headers=_headers(station)).raise_for_status()
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 120, 120)).save(buffer, format="PNG")
    httpx.post(f"{station.url}/api/v1/recipes/fresh/captures", headers=_headers(station),
               files=[("images", ("c.png", buffer.getvalue(), "image/png"))]).raise_for_status()

    page.goto(station.signed_in("/#/label/fresh/part"))
    expect(page.get_by_test_id("crop-grid").get_by_role("option")).to_have_count(1)
    page.get_by_label("Show").select_option("model:disagrees")
    expect(page.get_by_text("Train a model first to use this filter")).to_be_visible()
    expect(page.get_by_role("link", name="Train →").last).to_have_attribute("href", "#/train/fresh")


def test_history_adds_a_capture_with_its_correct_class_to_the_training_set(page: Page, station, screenshot) -> None:
    buffer = io.BytesIO()
    Image.fromarray(bracket_captures(1, 77)[0].image).save(buffer, format="PNG")
    record = httpx.post(f"{station.url}/api/v1/trigger", headers=_headers(station), timeout=60,
                        files={"image": ("new-part.png", buffer.getvalue(), "image/png")}).json()
    judged = next(r for r in record["rois"] if r["roi"] == "nut-left")
    corrected = OTHER[judged["class"]]
    archived = httpx.get(f"{station.url}/api/v1/results/{record['id']}/image", headers=_headers(station)).content
    sha = hashlib.sha256(archived).hexdigest()

    page.goto(station.signed_in("/#/history"))
    page.locator(f"tr[data-id='{record['id']}']").click()
    item = page.get_by_test_id("result-detail").locator(".roi-item[data-roi='nut-left']")
    item.get_by_label("Correct class of nut-left").select_option(corrected)
    item.get_by_role("button", name="Add to training set").click()
    expect(item.get_by_test_id("training-outcome")).to_contain_text(f"Added to the training set as {corrected}.")
    screenshot(page, "added")

    item.get_by_role("link", name="Open on the Label page →").click()
    grid = page.get_by_test_id("crop-grid")
    expect(grid.get_by_role("option")).to_have_count(26)
    left = grid.locator(f".crop[data-key='{sha}/nut-left']")
    expect(left).to_have_attribute("data-label", corrected)
    expect(left).to_have_attribute("aria-selected", "true")
    expect(grid.locator(f".crop[data-key='{sha}/nut-right']")).to_have_attribute("data-label", "")
    screenshot(page, "label-page")

    again = httpx.post(f"{station.url}/api/v1/results/{record['id']}/labels", headers=_headers(station),
                       json={"labels": [{"roi": "nut-left", "type": "nut", "class": corrected}]}).json()
    assert again["added"] is False and again["image"] == sha
    samples = httpx.get(f"{station.url}{SAMPLES}", headers=_headers(station)).json()
    assert [s["labels"] for s in samples if s["image"] == sha] == [{"nut-left": corrected}]


def test_history_shows_why_a_dropped_capture_cannot_be_added(page: Page, station) -> None:
    record = httpx.post(f"{station.url}/api/v1/trigger", headers=_headers(station), timeout=60).json()
    page.goto(station.signed_in("/#/history"))
    page.locator(f"tr[data-id='{record['id']}']").click()
    item = page.get_by_test_id("result-detail").locator(".roi-item[data-roi='nut-right']")
    expect(item.get_by_role("button", name="Add to training set")).to_be_visible()
    for _ in range(RECENT_CAPTURES):                            # newer captures push it out of the station's memory
        httpx.post(f"{station.url}/api/v1/trigger", headers=_headers(station), timeout=60).raise_for_status()
    for archived in (station.home / "results").rglob(f"{record['id']}.*"):
        archived.unlink()                                      # retention evicts it while the detail is open
    item.get_by_role("button", name="Add to training set").click()
    expect(item.get_by_role("alert")).to_contain_text("was not archived")
