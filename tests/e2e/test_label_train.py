"""Labelling classifier crops by click, by key and in bulk; Fast training with live progress and metrics;
Accurate training's live epoch, step and loss curve."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from openinspect.demo import bracket_captures
from openinspect.store.files import write_png


def _samples(station, recipe: str, type_name: str) -> list[dict]:
    response = httpx.get(f"{station.url}/api/v1/recipes/{recipe}/types/{type_name}/samples",
                         headers={"Authorization": f"Bearer {station.token}"})
    response.raise_for_status()
    return response.json()


def test_label_new_captures_by_key_and_in_bulk(page: Page, station, tmp_path: Path, screenshot) -> None:
    files = []
    for index, capture in enumerate(bracket_captures(2, 99)):
        files.append(tmp_path / f"new-{index}.png")
        write_png(files[-1], capture.image)
    page.goto(station.signed_in("/#/label/bracket-nuts/nut"))
    grid = page.get_by_test_id("crop-grid")
    expect(grid.get_by_role("option")).to_have_count(24)             # the demo's 12 captures x 2 nuts
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Add captures…").click()
    chooser.value.set_files([str(f) for f in files])
    expect(grid.get_by_role("option")).to_have_count(28)

    page.get_by_label("Show").select_option("")
    crops = grid.get_by_role("option")
    expect(crops).to_have_count(4)
    page.get_by_label("Show").select_option("all")
    unlabelled = grid.locator(".crop.unlabelled")
    unlabelled.first.click()
    page.keyboard.press("2")                                   # loose; the selection moves to the next crop
    expect(grid.locator(".crop[data-label='loose']")).to_have_count(13)   # the demo's 12 loose nuts and this one
    page.keyboard.press("1")
    expect(unlabelled).to_have_count(2)
    unlabelled.first.click()
    unlabelled.last.click(modifiers=["Shift"])
    page.get_by_test_id("class-chips").get_by_role("button", name="good").click()
    expect(unlabelled).to_have_count(0)
    expect(page.get_by_test_id("label-summary")).to_contain_text("unlabelled 0")
    screenshot(page, "labelled")

    new = {s["image"]: s["labels"] for s in _samples(station, "bracket-nuts", "nut") if s["name"].startswith("new-")}
    assert len(new) == 2
    assert sorted(c for labels in new.values() for c in labels.values()) == ["good", "good", "good", "loose"]
    page.reload()
    page.get_by_label("Show").select_option("")
    expect(page.get_by_text("Nothing matches this filter")).to_be_visible()


@pytest.mark.slow
def test_train_fast_shows_progress_then_confusion_matrix(page: Page, station, screenshot) -> None:
    page.goto(station.signed_in("/#/train/shaft-depth"))
    card = page.locator("[data-type='shaft']")
    expect(card).to_contain_text("Model v1")
    card.get_by_test_id("train-fast").click()
    job = page.get_by_test_id("training-job")
    expect(job).to_contain_text(re.compile("Training|Done"))
    expect(page.get_by_test_id("training-status")).to_contain_text("elapsed")
    expect(page.get_by_test_id("training-status")).to_contain_text(re.compile(r"fold \d+ of \d+|final model"),
                                                                    timeout=120_000)   # leave-one-out, then all
    screenshot(page, "fold")
    expect(job).to_contain_text("Done", timeout=600_000)
    expect(job.get_by_test_id("loss-curve")).to_have_count(0)      # Fast fits no loss: stages only
    expect(card).to_contain_text("Model v2")
    expect(card.get_by_test_id("confusion-matrix")).to_be_visible()
    expect(card).to_contain_text("Balanced accuracy")


@pytest.mark.slow
def test_train_accurate_draws_the_loss_curve_live_and_keeps_it_after_a_stop(page: Page, station, screenshot) -> None:
    import yaml

    headers = {"Authorization": f"Bearer {station.token}"}
    recipe = yaml.safe_load(httpx.get(f"{station.url}/api/v1/recipes/shaft-depth", headers=headers).json()["yaml"])
    recipe["types"][0]["input_size"] = 32                        # 32 px inputs: Accurate steps in a fraction of a second
    httpx.put(f"{station.url}/api/v1/recipes/shaft-depth", json=recipe, headers=headers).raise_for_status()
    page.goto(station.signed_in("/#/train/shaft-depth"))
    page.locator("[data-type='shaft']").get_by_test_id("train-accurate").click()
    job = page.get_by_test_id("training-job")
    step = job.get_by_test_id("training-step")
    curve = job.get_by_test_id("loss-curve").get_by_role("img", name="Training loss")
    expect(curve).to_have_attribute("data-points", re.compile(r"^\d{2,}$"), timeout=180_000)   # 10 steps or more
    expect(step).to_contain_text(re.compile(r"epoch [\d.]+ of [\d.]+ · step \d+ of 120 · loss \d+\.\d{3}"))
    expect(job.get_by_test_id("training-status")).to_contain_text("fine-tuning")
    screenshot(page, "live")

    job.get_by_role("button", name="Stop").click()
    expect(job).to_contain_text("Stopped", timeout=60_000)
    expect(curve).to_be_visible()                                # the run's last curve stays on the page
    expect(step).to_contain_text("epoch")
    screenshot(page, "stopped")


def test_segmenter_metrics_are_drawn_as_iou_bars(page: Page, station) -> None:

    from openinspect.store import ModelMeta, Workspace

    recipe = {"name": "seam", "types": [{"name": "surface", "kind": "segmenter",
                                         "pixel_classes": [{"name": "scratch", "color": "#ff3b30"},
                                                           {"name": "glue", "color": "#ffd400"}]}],
              "rois": [{"name": "seam", "type": "surface"}]}
    httpx.post(f"{station.url}/api/v1/recipes", json=recipe,
               headers={"Authorization": f"Bearer {station.token}"}).raise_for_status()
    workspace = Workspace(station.home)
    metrics = {"n": 12, "detection_rate": 0.9, "false_alarm_rate": 0.05,
               "per_class": {"scratch": {"iou": 0.62, "f1": 0.7, "mean_image_iou": 0.6},
                             "glue": {"iou": None, "f1": None, "mean_image_iou": None}}}
    with workspace.new_model_version("seam", "surface", "accurate") as folder:
        (folder / "model.onnx").write_bytes(b"not used by this page")
        ModelMeta(["scratch", "glue"], metrics=metrics).write(folder)
    page.goto(station.signed_in("/#/train/seam"))
    card = page.locator("[data-type='surface']")
    expect(card.get_by_test_id("train-fast")).to_have_count(0)     # segmenters train Accurate only
    chart = card.get_by_role("img", name="IoU per pixel class")
    expect(chart).to_contain_text("scratch")
    expect(chart).to_contain_text("62 %")
    expect(chart).to_contain_text("–")
    expect(card).to_contain_text("False alarms")


def test_the_training_page_says_how_many_unlabelled_captures_accurate_learnt_from(page: Page, station) -> None:
    from openinspect.store import ModelMeta, Workspace

    recipe = {"name": "cover", "types": [{"name": "face", "kind": "classifier", "mode": "accurate",
                                          "classes": [{"name": "ok", "pass": True}, {"name": "dent", "pass": False}]}],
              "rois": [{"name": "face", "type": "face"}]}
    httpx.post(f"{station.url}/api/v1/recipes", json=recipe,
               headers={"Authorization": f"Bearer {station.token}"}).raise_for_status()
    with Workspace(station.home).new_model_version("cover", "face", "accurate") as folder:
        (folder / "model.onnx").write_bytes(b"not used by this page")
        ModelMeta(["ok", "dent"], mode="accurate", validation={"method": "hold-out", "reason": ""},
                  metrics={"balanced_accuracy": 0.9, "n": 4}, unlabelled_images=["a" * 64, "b" * 64, "c" * 64],
                  pseudo_labelled=2).write(folder)
    page.goto(station.signed_in("/#/train/cover"))
    card = page.locator("[data-type='face']")
    expect(card.get_by_test_id("unlabelled-used")).to_have_text(
        " · learnt from 3 unlabelled captures (2 crops with the class a Fast teacher was confident of), "
        "none of them validated on")
    expect(card.get_by_test_id("train-unlabelled")).to_be_checked()   # on unless the engineer unticks it
