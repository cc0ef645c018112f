"""The recipe editor: template upload, ROIs drawn, moved, resized and deleted on it, classifier types."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import numpy as np
from PIL import Image
from playwright.sync_api import Page, expect

RECIPE = {"name": "widget", "profile": "multi-model",
          "types": [{"name": "part", "kind": "classifier", "classes": [{"name": "good", "pass": True},
                                                                         {"name": "defect", "pass": False}]}],
          "rois": [{"name": "whole", "type": "part"}]}


def _template(path: Path) -> Path:
    rng = np.random.default_rng(0)
    pixels = rng.integers(90, 160, (600, 1000, 3), dtype=np.uint8)
    pixels[200:400, 300:700] = 200
    Image.fromarray(pixels).save(path)
    return path


def _document(station, name: str) -> dict:
    response = httpx.get(f"{station.url}/api/v1/recipes/{name}/document",
                         headers={"Authorization": f"Bearer {station.token}"})
    response.raise_for_status()
    return response.json()


def _drag(page: Page, canvas, start: tuple[float, float], end: tuple[float, float]) -> None:
    """Drag between two points given in template pixels."""
    box = canvas.bounding_box()
    scale = box["width"] / 1000
    page.mouse.move(box["x"] + start[0] * scale, box["y"] + start[1] * scale)
    page.mouse.down()
    page.mouse.move(box["x"] + (start[0] + end[0]) / 2 * scale, box["y"] + (start[1] + end[1]) / 2 * scale, steps=4)
    page.mouse.move(box["x"] + end[0] * scale, box["y"] + end[1] * scale, steps=4)
    page.mouse.up()


def test_draw_rois_on_uploaded_template_and_add_classifier_type(page: Page, station, tmp_path: Path,
                                                                 screenshot) -> None:
    httpx.post(f"{station.url}/api/v1/recipes", json=RECIPE,
               headers={"Authorization": f"Bearer {station.token}"}).raise_for_status()
    page.goto(station.signed_in("/#/recipes/widget"))
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Upload template image…").first.click()
    chooser.value.set_files(str(_template(tmp_path / "template.png")))
    canvas = page.get_by_test_id("roi-canvas")
    expect(canvas).to_be_visible()
    expect(canvas).to_have_js_property("width", 1000)

    _drag(page, canvas, (100, 100), (300, 250))           # draw roi-1: 200x150
    rows = page.get_by_test_id("roi-list")
    expect(rows.locator("[data-roi='roi-1']")).to_contain_text("200×150")
    _drag(page, canvas, (200, 175), (250, 195))           # move it by (50, 20)
    expect(rows.locator("[data-roi='roi-1']")).to_contain_text("x 150, y 120")
    _drag(page, canvas, (350, 270), (400, 300))           # resize by its bottom-right handle
    expect(rows.locator("[data-roi='roi-1']")).to_contain_text("250×180")

    _drag(page, canvas, (20, 20), (980, 580))             # a large ROI: warned about the downscale
    expect(page.get_by_test_id("downscale-warning")).to_contain_text("less detail per side")
    page.keyboard.press("Delete")
    expect(page.get_by_test_id("downscale-warning")).to_have_count(0)

    page.get_by_role("button", name="+ Classifier").click()
    page.get_by_label("Type name").last.fill("nut")
    page.get_by_role("button", name="Add").click()
    nut = page.locator("[data-type='nut']")
    nut.get_by_role("button", name="+ Class").click()
    nut.get_by_label("Class name").last.fill("loose")
    nut.get_by_label("Class name").last.press("Tab")
    rows.locator("[data-roi='roi-1']").get_by_label("Type of roi-1").select_option("nut")
    screenshot(page, "before-save")
    page.get_by_role("link", name="Back").click()               # unsaved changes: asks first
    expect(page.get_by_role("dialog")).to_contain_text("Leave without saving?")
    page.get_by_role("button", name="Cancel").click()
    expect(page).to_have_url(re.compile(r"#/recipes/widget$"))
    page.get_by_test_id("save").click()
    expect(page.get_by_text("Recipe widget saved")).to_be_visible()
    page.get_by_role("link", name="Back").click()               # saved: leaves at once
    expect(page).to_have_url(re.compile(r"#/recipes$"))

    doc = _document(station, "widget")
    roi = next(r for r in doc["rois"] if r["name"] == "roi-1")
    assert (roi["type"], roi["x"], roi["y"], roi["w"], roi["h"]) == ("nut", 150, 120, 250, 180)
    nut_type = next(t for t in doc["types"] if t["name"] == "nut")
    assert [(c["name"], c["pass"]) for c in nut_type["classes"]] == [("good", True), ("defect", False),
                                                                    ("loose", False)]
    assert (station.home / "recipes" / "widget" / "reference.png").is_file()


def test_add_segmenter_type_with_pixel_classes_and_a_rule(page: Page, station) -> None:
    httpx.post(f"{station.url}/api/v1/recipes", json=RECIPE,
               headers={"Authorization": f"Bearer {station.token}"}).raise_for_status()
    page.goto(station.signed_in("/#/recipes/widget"))
    page.get_by_role("button", name="+ Segmenter").click()
    page.get_by_label("Type name").last.fill("seam")
    page.get_by_role("button", name="Add").click()
    seam = page.locator("[data-type='seam']")
    seam.get_by_role("button", name="+ Pixel class").click()
    seam.get_by_label("Pixel class name").last.fill("glue")
    seam.get_by_label("Pixel class name").last.press("Tab")
    seam.get_by_role("button", name="+ Rule").click()
    seam.get_by_label("Rule pixel class").select_option("glue")
    seam.get_by_label("Measure").select_option("count")
    seam.get_by_label("Operator").select_option("==")
    seam.get_by_label("Value").fill("0")
    seam.get_by_label("Value").press("Tab")
    page.get_by_test_id("save").click()
    expect(page.get_by_text("Recipe widget saved")).to_be_visible()
    spec = next(t for t in _document(station, "widget")["types"] if t["name"] == "seam")
    assert [(c["name"], c["color"]) for c in spec["pixel_classes"]] == [("defect", "#ff3b30"), ("glue", "#ffd400")]
    assert spec["rules"] == [{"class": "glue", "measure": "count", "op": "==", "value": 0.0}]
