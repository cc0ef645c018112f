"""The anomaly inspection type in the browser: created in the editor (its fields, a refused value shown as the editor
shows errors), labelled good / anomalous by key, trained from the Training page (score histograms and the
threshold), and its heat map with the anomalous region on Live and History, zoomable like any capture.

Real magnetic-tile tiles (``../shared/datasets/magnetic-tile``): a few ``MT_Free`` tiles to learn, two blowhole
tiles (the ones with the largest defects among the first twenty) to validate and to judge.
"""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Page, expect
from tests.e2e.conftest import paint_stroke

DATASET = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "magnetic-tile"
SIZE = (192, 256)
"""Every tile resized to 192 x 256 px (width x height): one ROI size, a quick model."""
GOOD_TILES = 8
RECIPE = "tiles"


def _auth(station) -> dict[str, str]:
    return {"Authorization": f"Bearer {station.token}"}


def _png(path: Path) -> bytes:
    buffer = io.BytesIO()
    Image.open(path).convert("RGB").resize(SIZE, Image.Resampling.BILINEAR).save(buffer, format="PNG")
    return buffer.getvalue()


def _tiles() -> tuple[list[Path], list[Path]]:
    if not DATASET.is_dir():
        pytest.skip(f"magnetic-tile dataset not found at {DATASET}")
    good = sorted((DATASET / "MT_Free" / "Imgs").glob("*.jpg"))[:GOOD_TILES]
    holes = sorted((DATASET / "MT_Blowhole" / "Imgs").glob("*.jpg"))[:20]
    area = {p: int((np.asarray(Image.open(p.with_suffix(".png")).convert("L")) > 0).sum()) for p in holes}
    return good, sorted(holes, key=lambda p: -area[p])[:2]


def _upload(station, paths: list[Path]) -> list[str]:
    added = httpx.post(f"{station.url}/api/v1/recipes/{RECIPE}/captures", headers=_auth(station), timeout=60,
                       files=[("images", (f"{p.parents[1].name}-{p.stem}.png", _png(p), "image/png")) for p in paths])
    added.raise_for_status()
    return [a["image"] for a in added.json()]


def _document(station, name: str) -> dict:
    import yaml

    answer = httpx.get(f"{station.url}/api/v1/recipes/{name}", headers=_auth(station))
    answer.raise_for_status()
    return yaml.safe_load(answer.json()["yaml"])


def test_editor_creates_an_anomaly_type_and_shows_a_refused_rate(page: Page, station, screenshot) -> None:
    page.goto(station.signed_in("/#/recipes"))
    page.get_by_role("button", name="+ New recipe").first.click()
    dialog = page.locator("dialog[open]")
    dialog.get_by_label("Name").fill("surface-check")
    dialog.locator("select[name='kind']").select_option("anomaly")
    dialog.get_by_role("button", name="Create").click()
    expect(page).to_have_url(re.compile(r"#/recipes/surface-check$"))
    card = page.locator("[data-type='surface']")
    expect(card.locator(".badge")).to_have_text("anomaly")
    rate = card.get_by_label(re.compile("false reject rate"))
    expect(rate).to_have_value("0.01")

    rate.fill("0.7")
    rate.press("Tab")
    page.get_by_test_id("save").click()
    problems = page.get_by_test_id("problems")
    expect(problems).to_contain_text("false_reject_rate")
    expect(problems).to_contain_text("0.5")
    screenshot(page, "refused")

    rate.fill("0.05")
    rate.press("Tab")
    card.get_by_role("button", name="+ Rule").click()
    expect(card.get_by_label("Rule pixel class")).to_have_value("anomalous")
    card.get_by_label("Measure").select_option("max_blob_area")
    card.get_by_label("Operator").select_option("<")
    card.get_by_label("Value").fill("50")
    card.get_by_label("Value").press("Tab")
    card.get_by_label("Ignore blobs smaller than (px)").fill("30")
    card.get_by_label("Ignore blobs smaller than (px)").press("Tab")
    page.get_by_test_id("save").click()
    expect(page.get_by_text("Recipe surface-check saved")).to_be_visible()
    expect(problems).to_be_hidden()
    spec = _document(station, "surface-check")["types"][0]
    assert (spec["kind"], spec["false_reject_rate"], spec["min_blob_px"]) == ("anomaly", 0.05, 30)
    assert spec["rules"] == [{"class": "anomalous", "measure": "max_blob_area", "op": "<", "value": 50.0}]
    screenshot(page, "saved")


def test_label_train_and_see_the_heat_map_on_live_and_history(page: Page, station, screenshot) -> None:
    good, holes = _tiles()
    recipe = {"name": RECIPE, "profile": "single-model", "types": [{"name": "surface", "kind": "anomaly"}],
              "rois": [{"name": "tile", "type": "surface"}]}
    httpx.post(f"{station.url}/api/v1/recipes", json=recipe, headers=_auth(station)).raise_for_status()
    _upload(station, good)

    # Label: every crop good with key 1, then the blowholes anomalous with key 2
    page.goto(station.signed_in(f"/#/label/{RECIPE}/surface"))
    expect(page.get_by_test_id("label-how")).to_contain_text("learns good crops only")
    expect(page.get_by_test_id("class-chips").locator(".chip")).to_have_text(["1good", "2anomalous"])
    grid = page.get_by_test_id("crop-grid")
    expect(grid.get_by_role("option")).to_have_count(GOOD_TILES)
    page.get_by_role("button", name="Select all shown").click()
    page.keyboard.press("1")
    expect(page.get_by_test_id("label-summary")).to_contain_text(f"good {GOOD_TILES} · anomalous 0 · unlabelled 0")
    hole_images = _upload(station, holes)
    page.reload()
    page.get_by_label("Show").select_option("")
    expect(grid.get_by_role("option")).to_have_count(2)
    page.get_by_role("button", name="Select all shown").click()
    page.keyboard.press("2")
    expect(page.get_by_test_id("label-summary")).to_contain_text(f"good {GOOD_TILES} · anomalous 2 · unlabelled 0")
    page.get_by_label("Show").select_option("all")
    screenshot(page, "labelled")

    # Train from the Training page; the figures: histograms of both kinds of crop, the threshold and its source
    page.goto(station.signed_in(f"/#/train/{RECIPE}"))
    card = page.locator("[data-type='surface']")
    expect(card.get_by_test_id("train-fast")).to_have_count(0)
    card.get_by_test_id("train-accurate").click()
    expect(page.get_by_test_id("training-job")).to_contain_text("Done", timeout=300_000)
    histogram = card.get_by_test_id("score-histogram")
    expect(histogram).to_have_attribute("data-good", str(GOOD_TILES))
    expect(histogram).to_have_attribute("data-anomalous", "2")
    expect(histogram.locator("[data-series='good']").first).to_be_visible()
    expect(histogram.locator("[data-series='anomalous']").first).to_be_visible()
    source = card.get_by_test_id("threshold-source")
    expect(source).to_contain_text(f"from the {GOOD_TILES} good crops alone")
    expect(source).to_contain_text("false_reject_rate 0.01")
    expect(card.get_by_test_id("validation-method")).to_contain_text("leave-one-out")
    model = httpx.get(f"{station.url}/api/v1/recipes/{RECIPE}", headers=_auth(station)).json()["types"][0]["model"]
    metrics = model["metrics"]
    threshold = metrics["threshold"]
    expect(card.get_by_test_id("threshold-value")).to_have_text(f"{threshold:.4f}")
    rejected = sum(v >= threshold for v in metrics["scores"]["good"])
    missed = sum(v < threshold for v in metrics["scores"]["anomalous"])
    expect(card.get_by_test_id("good-rejected")).to_have_text(f"{rejected} of {GOOD_TILES}")
    expect(card.get_by_test_id("defects-missed")).to_have_text(f"{missed} of 2")
    slider = card.get_by_test_id("threshold-slider")
    slider.fill("0")                                            # a threshold of 0 rejects every good crop
    expect(card.get_by_test_id("good-rejected")).to_have_text(f"{GOOD_TILES} of {GOOD_TILES}")
    expect(card.get_by_test_id("defects-missed")).to_have_text("0 of 2")
    slider.fill(str(round(threshold / (max(threshold, *metrics["scores"]["good"], *metrics["scores"]["anomalous"])
                                       * 1.15) * 200)))
    screenshot(page, "training")

    # Live: the blowhole with the highest score, judged by the station; the heat map over it and the region outlined
    scores = dict(zip(hole_images, metrics["scores"]["anomalous"], strict=True))
    worst = holes[hole_images.index(max(hole_images, key=lambda image: scores[image]))]
    httpx.put(f"{station.url}/api/v1/active-recipe", json={"name": RECIPE}, headers=_auth(station),
              timeout=60).raise_for_status()
    page.goto(station.signed_in("/#/live"))
    expect(page.get_by_test_id("recipe-switch")).to_have_value(RECIPE)
    record = httpx.post(f"{station.url}/api/v1/trigger", headers=_auth(station), timeout=60,
                        files={"image": ("hole.png", _png(worst), "image/png")}).json()
    roi = record["rois"][0]
    assert roi["threshold"] == pytest.approx(threshold, abs=1e-4)
    relation = "≥" if roi["score"] >= roi["threshold"] else "<"
    expected = f"score {roi['score']:.3f} {relation} threshold {roi['threshold']:.3f}"
    expect(page.get_by_test_id("roi-results")).to_contain_text(expected)
    hot = _hottest(roi["heat"])
    _expect_heat(page, "canvas[aria-label='Latest capture']", hot, _png(worst))
    screenshot(page, "live")
    view = page.locator(".live-stage .zoom-view")
    view.get_by_test_id("zoom-in").click()                      # zoomed in: the heat map zooms with the capture
    view.get_by_test_id("zoom-in").click()
    expect(view).not_to_have_attribute("data-zoom", "1")
    screenshot(page, "live-zoomed")

    # History: the same result, its score and heat map
    page.goto(station.signed_in("/#/history"))
    page.get_by_test_id("results-table").locator("tbody tr").first.click()
    detail = page.get_by_test_id("result-detail")
    expect(detail.get_by_test_id("anomaly-score")).to_have_text(expected)
    _expect_heat(page, "[data-testid='result-detail'] canvas", hot, _png(worst))
    expect(detail.get_by_label("Correct class of tile")).to_have_value("anomalous" if not roi["pass"] else "good")
    screenshot(page, "history")


def _hottest(heat: dict) -> tuple[float, float, int]:
    """The capture point at the middle of the heat map's hottest cell, and that cell's level."""
    rows, cols = heat["size"]
    levels = np.frombuffer(base64.b64decode(heat["levels"]), np.uint8).reshape(rows, cols)
    r, c = np.unravel_index(int(levels.argmax()), levels.shape)
    x, y, w, h = heat["rect"]
    return x + (c + 0.5) * w / cols, y + (r + 0.5) * h / rows, int(levels[r, c])


def _expect_heat(page: Page, canvas: str, hot: tuple[float, float, int], capture: bytes) -> None:
    """The canvas is coloured at the hottest cell (the grey tile is not): the heat map is drawn where it belongs."""
    x, y, level = hot
    assert level > 0
    page.wait_for_function(f"document.querySelector(\"{canvas}\")?.width === {SIZE[0]}")
    pixel = page.evaluate(f"""() => Array.from(document.querySelector("{canvas}").getContext('2d')
        .getImageData({int(x)}, {int(y)}, 1, 1).data)""")
    grey = np.asarray(Image.open(io.BytesIO(capture)).convert("RGB"))[int(y), int(x)].astype(int)
    assert abs(int(grey[0]) - int(grey[2])) < 8, grey
    assert abs(pixel[0] - pixel[2]) > 40 or abs(pixel[1] - pixel[2]) > 40, (pixel, grey)


def test_training_page_says_the_threshold_came_from_good_crops_only(page: Page, station, screenshot) -> None:
    from openinspect.imaging import Rect
    from openinspect.store import ModelMeta, Workspace
    from openinspect.training.validation import CropSource, ValidationCrop, write_validation_crops

    good, _holes = _tiles()
    recipe = {"name": RECIPE, "profile": "single-model", "rois": [{"name": "tile", "type": "surface"}],
              "types": [{"name": "surface", "kind": "anomaly", "false_reject_rate": 0.02}]}
    httpx.post(f"{station.url}/api/v1/recipes", json=recipe, headers=_auth(station)).raise_for_status()
    images = _upload(station, good[:4])
    for image in images:
        httpx.put(f"{station.url}/api/v1/recipes/{RECIPE}/types/surface/samples/{image}/labels", headers=_auth(station),
                  json={"labels": {"tile": "good"}}).raise_for_status()
    scores = [0.21, 0.24, 0.26, 0.33]                            # one good crop over the threshold: rejected
    metrics = {"threshold": 0.3, "scores": {"good": scores, "anomalous": []}, "false_reject_rate": 0.25,
               "detection_rate": None, "auroc": None, "n": 4}
    crops = [ValidationCrop(CropSource(image, "tile", Rect(0, 0, *SIZE)), "good",
                            "anomalous" if score >= 0.3 else "good", score=score) for image, score in zip(images, scores,
                                                                                                       strict=True)]
    with Workspace(station.home).new_model_version(RECIPE, "surface", "accurate") as folder:
        (folder / "model.onnx").write_bytes(b"only read by the station")
        ModelMeta(["good", "anomalous"], "anomaly", RECIPE, "surface", "accurate", threshold=0.3, metrics=metrics,
                  validation={"method": "leave-one-out", "reason": "threshold 0.3000 from the 4 good crops"}).write(folder)
        write_validation_crops(folder, crops)

    page.goto(station.signed_in(f"/#/train/{RECIPE}"))
    card = page.locator("[data-type='surface']")
    source = card.get_by_test_id("threshold-source")
    expect(source).to_contain_text("came from held-out good crops only")
    expect(source).to_contain_text("false_reject_rate 0.02")
    expect(source).to_contain_text("how many anomalies it misses is unknown")
    expect(card.get_by_test_id("score-histogram")).to_have_attribute("data-anomalous", "0")
    expect(card.get_by_test_id("good-rejected")).to_have_text("1 of 4")
    expect(card.get_by_test_id("defects-missed")).to_have_text("unknown")
    wrong = card.get_by_test_id("wrong-crop")
    expect(wrong).to_have_count(1)
    expect(wrong).to_contain_text("score 0.330")
    wrong.click()
    expect(page.get_by_test_id("relabel")).to_contain_text("the model said anomalous (score 0.330)")
    page.get_by_test_id("relabel-chips").get_by_role("button", name="anomalous").click()
    expect(wrong).to_contain_text("now anomalous")
    labels = httpx.get(f"{station.url}/api/v1/recipes/{RECIPE}/types/surface/samples", headers=_auth(station)).json()
    assert sorted(s["labels"]["tile"] for s in labels) == ["anomalous", "good", "good", "good"]
    screenshot(page, "good-only")


def test_label_page_paints_an_anomalous_region(page: Page, station, screenshot) -> None:
    _good, holes = _tiles()
    recipe = {"name": RECIPE, "profile": "single-model", "types": [{"name": "surface", "kind": "anomaly"}],
              "rois": [{"name": "tile", "type": "surface"}]}
    httpx.post(f"{station.url}/api/v1/recipes", json=recipe, headers=_auth(station)).raise_for_status()
    (hole,) = _upload(station, holes[:1])

    page.goto(station.signed_in(f"/#/label/{RECIPE}/surface"))
    page.get_by_role("button", name="Paint regions").click()
    expect(page).to_have_url(re.compile(rf"#/label/{RECIPE}/surface/paint$"))
    expect(page.get_by_test_id("label-how")).to_contain_text("Paint where a capture is anomalous")
    expect(page.locator(".chip")).to_have_text(re.compile("anomalous"))
    expect(page.get_by_test_id("paint-status")).to_contain_text("0 px painted")
    painted = paint_stroke(page, 30, 8)
    assert painted > 100
    mask = httpx.get(f"{station.url}/api/v1/recipes/{RECIPE}/types/surface/samples/{hole}/mask",
                     headers=_auth(station))
    mask.raise_for_status()
    pixels = np.asarray(Image.open(io.BytesIO(mask.content)).convert("RGB"))
    assert int((pixels == [255, 59, 48]).all(axis=2).sum()) == painted  # stored as the anomalous region
    screenshot(page, "painted-region")

    page.goto(station.signed_in(f"/#/label/{RECIPE}/surface/paint/{hole}"))
    expect(page.get_by_test_id("paint-status")).to_contain_text(f"{painted} px painted")
    expect(page.get_by_test_id("paint-thumbs").locator(".badge")).to_have_text("painted")
    page.get_by_role("button", name="Crops").click()            # back to the crop grid of good / anomalous
    expect(page.get_by_test_id("class-chips").locator(".chip")).to_have_text(["1good", "2anomalous"])
