"""The recipe editor: template upload, ROIs drawn, moved, resized and deleted on it, classifier types, and the
alignment region the station finds the part by."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import numpy as np
import yaml
from PIL import Image
from playwright.sync_api import Page, expect
from tests.conftest import png_bytes, write_png
from tests.unit.imaging.scenes import NUT, TEMPLATE, scene
from tests.unit.station.test_pipeline_alignment import _dark_crop_model

from openinspect.store import ModelMeta, Workspace

RECIPE = {"name": "widget", "profile": "multi-model",
          "types": [{"name": "part", "kind": "classifier", "classes": [{"name": "good", "pass": True},
                                                                         {"name": "defect", "pass": False}]}],
          "rois": [{"name": "whole", "type": "part"}]}
BRACKET = {"name": "bracket",
           "types": [{"name": "nut", "kind": "classifier", "classes": [{"name": "present", "pass": True},
                                                                        {"name": "missing", "pass": False}]}],
           "rois": [{"name": "nut", "type": "nut", "x": NUT.x, "y": NUT.y, "w": NUT.w, "h": NUT.h}]}
"""The alignment tests' part: its ``nut`` ROI sees the dark nut (class ``present``) only when it moves with the part."""


def _template(path: Path) -> Path:
    rng = np.random.default_rng(0)
    pixels = rng.integers(90, 160, (600, 1000, 3), dtype=np.uint8)
    pixels[200:400, 300:700] = 200
    Image.fromarray(pixels).save(path)
    return path


def _auth(station) -> dict[str, str]:
    return {"Authorization": f"Bearer {station.token}"}


def _upload_template(page: Page, path: Path) -> None:
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Upload template image…").first.click()
    chooser.value.set_files(str(path))


def _document(station, name: str) -> dict:
    response = httpx.get(f"{station.url}/api/v1/recipes/{name}/document", headers=_auth(station))
    response.raise_for_status()
    return response.json()


def _drag(page: Page, canvas, start: tuple[float, float], end: tuple[float, float]) -> None:
    """Drag between two points given in template pixels."""
    box = canvas.bounding_box()
    scale = box["width"] / canvas.evaluate("canvas => canvas.width")
    page.mouse.move(box["x"] + start[0] * scale, box["y"] + start[1] * scale)
    page.mouse.down()
    page.mouse.move(box["x"] + (start[0] + end[0]) / 2 * scale, box["y"] + (start[1] + end[1]) / 2 * scale, steps=4)
    page.mouse.move(box["x"] + end[0] * scale, box["y"] + end[1] * scale, steps=4)
    page.mouse.up()


def test_draw_rois_on_uploaded_template_and_add_classifier_type(page: Page, station, tmp_path: Path,
                                                                 screenshot) -> None:
    httpx.post(f"{station.url}/api/v1/recipes", json=RECIPE, headers=_auth(station)).raise_for_status()
    page.goto(station.signed_in("/#/recipes/widget"))
    _upload_template(page, _template(tmp_path / "template.png"))
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
    httpx.post(f"{station.url}/api/v1/recipes", json=RECIPE, headers=_auth(station)).raise_for_status()
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


def _trigger(station, image: np.ndarray) -> dict:
    """Judge a capture with the bracket recipe; returns the result record."""
    answer = httpx.post(f"{station.url}/api/v1/trigger", params={"recipe": "bracket"}, headers=_auth(station),
                        files={"image": ("capture.png", png_bytes(image), "image/png")}, timeout=60)
    answer.raise_for_status()
    return answer.json()


def test_alignment_region_drawn_in_the_editor_moves_the_rois_with_the_part(page: Page, station, tmp_path: Path,
                                                                          screenshot) -> None:
    httpx.post(f"{station.url}/api/v1/recipes", json=BRACKET, headers=_auth(station)).raise_for_status()
    workspace = Workspace(station.home)
    with workspace.new_model_version("bracket", "nut", "fast") as folder:
        _dark_crop_model(folder / "model.onnx")
        ModelMeta(["present", "missing"], metrics={}).write(folder)
    workspace.engine.dispose()
    shifted = scene(-60, 45, 9.0, seed=7)
    before = _trigger(station, shifted)
    assert before["rois"][0]["class"] == "missing" and "alignment" not in before, "without alignment the ROI stays"

    page.goto(station.signed_in("/#/recipes/bracket"))
    _upload_template(page, write_png(tmp_path / "reference.png", scene()))
    canvas = page.get_by_test_id("roi-canvas")
    expect(canvas).to_have_js_property("width", 800)
    card = page.get_by_test_id("alignment")
    expect(card).to_contain_text("The station finds this region in every capture first")
    expect(page.get_by_test_id("alignment-state")).to_have_text("Not set: ROIs stay where they are drawn.")
    card.get_by_role("button", name="Set alignment region").click()
    expect(card.get_by_role("button", name="Set alignment region")).to_have_attribute("aria-pressed", "true")
    _drag(page, canvas, (TEMPLATE.x - 40, TEMPLATE.y - 30), (TEMPLATE.x + TEMPLATE.w - 40, TEMPLATE.y + TEMPLATE.h - 30))
    expect(page.get_by_test_id("alignment-state")).to_contain_text(f"Region x {TEMPLATE.x - 40}, y {TEMPLATE.y - 30}")
    nut = (NUT.x + NUT.w / 2, NUT.y + NUT.h / 2)
    _drag(page, canvas, nut, (nut[0] + 40, nut[1] + 30))  # grabbed on the nut ROI: moves the region, not the ROI
    expect(page.get_by_test_id("alignment-state")).to_have_text(
        f"Region x {TEMPLATE.x}, y {TEMPLATE.y} · {TEMPLATE.w}×{TEMPLATE.h} px of reference.png")
    expect(page.get_by_test_id("roi-list").locator("[data-roi='nut']")).to_contain_text(f"x {NUT.x}, y {NUT.y}")
    card.get_by_label("Max angle (°)").fill("10")
    card.get_by_label("Max angle (°)").press("Tab")
    screenshot(page, "alignment-drawn")
    page.get_by_test_id("save").click()
    expect(page.get_by_text("Recipe bracket saved")).to_be_visible()

    stored = httpx.get(f"{station.url}/api/v1/recipes/bracket", headers=_auth(station)).json()
    alignment = yaml.safe_load(stored["yaml"])["alignment"]
    assert alignment == {"template": {"x": TEMPLATE.x, "y": TEMPLATE.y, "w": TEMPLATE.w, "h": TEMPLATE.h},
                         "reference": "reference.png", "min_score": 0.5, "max_angle": 10.0}
    after = _trigger(station, shifted)
    assert after["rois"][0]["class"] == "present", "the nut ROI followed the part"
    assert after["alignment"]["found"] and abs(after["alignment"]["angle"] - 9.0) < 0.5

    _upload_template(page, write_png(tmp_path / "other.png", scene(seed=3)))  # a recipe that aligns: asked first
    expect(page.get_by_role("dialog")).to_contain_text("The region and the ROIs keep their place and will refer to "
                                                       "the new image")
    page.get_by_role("button", name="Replace template").click()
    expect(page.get_by_test_id("alignment-notice")).to_contain_text("the alignment region and the ROIs keep their "
                                                                    "place, now on the new image")
    screenshot(page, "template-replaced")


def test_a_flat_alignment_region_is_refused_with_the_stations_message(page: Page, station, tmp_path: Path) -> None:
    httpx.post(f"{station.url}/api/v1/recipes", json=RECIPE, headers=_auth(station)).raise_for_status()
    page.goto(station.signed_in("/#/recipes/widget"))
    _upload_template(page, write_png(tmp_path / "reference.png", scene()))
    canvas = page.get_by_test_id("roi-canvas")
    expect(canvas).to_have_js_property("width", 800)
    page.get_by_role("button", name="Set alignment region").click()
    _drag(page, canvas, (20, 20), (220, 170))  # background only
    page.get_by_test_id("save").click()
    problems = page.get_by_test_id("problems")
    expect(problems).to_contain_text("recipe 'widget': alignment template x 20, y 20, 200x150 is too flat to find")
    expect(problems).to_contain_text("choose a distinctive, rigid feature of the part")
    assert "alignment" not in _document(station, "widget")
