"""Segmenter labelling: a brush stroke saves itself and is there after a reload; undo and "mark as good"."""

from __future__ import annotations

import io

import httpx
import numpy as np
from PIL import Image
from playwright.sync_api import Page, expect
from tests.e2e.conftest import paint_stroke

RECIPE = {"name": "seam", "profile": "single-model",
          "types": [{"name": "surface", "kind": "segmenter",
                     "pixel_classes": [{"name": "scratch", "color": "#ff3b30"}, {"name": "glue", "color": "#ffd400"}]}],
          "rois": [{"name": "seam", "type": "surface", "x": 40, "y": 40, "w": 240, "h": 160}]}


def _png(seed: int) -> bytes:
    pixels = np.random.default_rng(seed).integers(100, 160, (240, 320, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def test_brush_stroke_persists_after_reload(page: Page, station, screenshot) -> None:
    headers = {"Authorization": f"Bearer {station.token}"}
    httpx.post(f"{station.url}/api/v1/recipes", json=RECIPE, headers=headers).raise_for_status()
    added = httpx.post(f"{station.url}/api/v1/recipes/seam/captures", headers=headers,
                       files=[("images", (f"cap-{i}.png", _png(i), "image/png")) for i in range(2)])
    added.raise_for_status()
    first = added.json()[0]["image"]

    page.goto(station.signed_in("/#/label/seam/surface"))
    expect(page.get_by_test_id("paint-status")).to_contain_text("0 px painted")
    page.keyboard.press("2")                                    # glue
    page.keyboard.press("]")
    painted = paint_stroke(page, 80, 10)
    assert painted > 300
    screenshot(page, "painted")

    page.reload()
    expect(page.get_by_test_id("paint-status")).to_contain_text(f"{painted} px painted")
    expect(page.get_by_test_id("paint-thumbs").locator(".badge")).to_have_text("painted")
    mask = httpx.get(f"{station.url}/api/v1/recipes/seam/types/surface/samples/{first}/mask", headers=headers)
    pixels = np.asarray(Image.open(io.BytesIO(mask.content)).convert("RGB"))
    assert int((pixels == [255, 212, 0]).all(axis=2).sum()) == painted

    page.keyboard.press("Control+z")                            # undo after reload: nothing to undo
    expect(page.get_by_test_id("paint-status")).to_contain_text(f"{painted} px painted")
    page.get_by_role("button", name="Mark as good (no defect)").click()
    expect(page.get_by_test_id("paint-status")).to_contain_text("Saved · 0 px painted")
    page.keyboard.press("Control+z")
    expect(page.get_by_test_id("paint-status")).to_contain_text(f"Saved · {painted} px painted")
