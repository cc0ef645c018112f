"""The floor-grade UI at 1440x900: zoom and pan on every capture view, label crops shown large, selections a filter
hides dropped, one colour per class meaning, the Live page's recent results, shift counters and recipe switch, the
Training page's use of the width and its relabel panel, a sign-in link pasted into an open tab, and no request to
another host from any page."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Page, expect
from tests.e2e.test_train_review import SAMPLES, _record_validation

DOCUMENT = "/api/v1/recipes/bracket-nuts/document"


def _api(station, method: str, path: str, token: str | None = None, **kwargs) -> httpx.Response:
    response = httpx.request(method, f"{station.url}{path}", timeout=60,
                             headers={"Authorization": f"Bearer {token or station.token}"}, **kwargs)
    response.raise_for_status()
    return response


def _zoom(view) -> float:
    return float(view.get_attribute("data-zoom"))


def _wheel_over(page: Page, locator, delta: float, at: tuple[float, float] = (0.5, 0.5)) -> tuple[float, float]:
    box = locator.bounding_box()
    point = (box["x"] + box["width"] * at[0], box["y"] + box["height"] * at[1])
    page.mouse.move(*point)
    page.mouse.wheel(0, delta)
    return point


def test_live_capture_zooms_about_the_cursor_pans_and_resets(page: Page, station, screenshot) -> None:
    page.goto(station.signed_in("/#/live"))
    page.get_by_test_id("trigger").click()
    expect(page.get_by_test_id("verdict")).to_contain_text(re.compile("PASS|FAIL"))
    view = page.locator(".live-stage .zoom-view")
    canvas = view.locator("canvas")
    expect(canvas).to_be_visible()
    before = canvas.bounding_box()
    width = canvas.evaluate("c => c.width")
    # the capture pixel under the cursor stays under it while the view zooms in
    point = _wheel_over(page, canvas, -600, at=(0.3, 0.6))
    expect(view).not_to_have_attribute("data-zoom", "1")
    after = canvas.bounding_box()
    assert after["width"] > before["width"] * 2
    scale_before, scale_after = before["width"] / width, after["width"] / width
    pixel_before = ((point[0] - before["x"]) / scale_before, (point[1] - before["y"]) / scale_before)
    pixel_after = ((point[0] - after["x"]) / scale_after, (point[1] - after["y"]) / scale_after)
    assert abs(pixel_before[0] - pixel_after[0]) < 1.5 and abs(pixel_before[1] - pixel_after[1]) < 1.5
    screenshot(page, "zoomed")

    page.mouse.move(*point)
    page.mouse.down()
    page.mouse.move(point[0] + 120, point[1] + 60, steps=4)
    page.mouse.up()
    panned = canvas.bounding_box()
    assert abs(panned["x"] - after["x"] - 120) < 1 and abs(panned["y"] - after["y"] - 60) < 1
    zoomed = _zoom(view)
    view.get_by_test_id("zoom-in").click()
    assert _zoom(view) > zoomed
    canvas.dblclick()
    expect(view).to_have_attribute("data-zoom", "1")
    assert canvas.bounding_box() == before


def test_recent_strip_opens_the_result_in_history_where_it_zooms(page: Page, station, screenshot) -> None:
    page.goto(station.signed_in("/#/live"))
    expect(page.get_by_test_id("recent-results")).to_contain_text("The latest results will line up here")
    records = [_api(station, "POST", "/api/v1/trigger").json() for _ in range(3)]
    tiles = page.get_by_test_id("recent-results").locator(".recent-tile")
    expect(tiles).to_have_count(3)
    expect(tiles.first).to_have_attribute("data-id", records[-1]["id"])    # newest first
    expect(tiles.nth(2)).to_have_class(re.compile(records[0]["outcome"]))
    screenshot(page, "strip")
    tiles.nth(1).click()
    expect(page).to_have_url(re.compile(f"#/history/{records[1]['id']}$"))
    detail = page.get_by_test_id("result-detail")
    expect(detail).to_contain_text(records[1]["image"])
    view = detail.locator(".zoom-view")
    expect(view.locator("canvas")).to_be_visible()
    view.get_by_test_id("zoom-in").click()
    view.get_by_test_id("zoom-in").click()
    expect(view.get_by_test_id("zoom-level")).to_have_text("225 %")
    view.get_by_test_id("zoom-reset").click()
    expect(view).to_have_attribute("data-zoom", "1")


def test_shift_counters_are_the_stations_and_a_reset_reaches_every_browser(page: Page, station, browser,
                                                                         screenshot) -> None:
    records = [_api(station, "POST", "/api/v1/trigger").json() for _ in range(4)]
    passed = sum(r["outcome"] == "pass" for r in records)
    page.goto(station.signed_in("/#/live"))
    shift = page.get_by_test_id("shift")
    expect(shift.get_by_test_id("shift-total")).to_contain_text("4")
    expect(shift.get_by_test_id("shift-pass")).to_contain_text(str(passed))
    expect(shift.get_by_test_id("shift-fail")).to_contain_text(str(4 - passed))
    expect(shift.get_by_test_id("shift-start")).to_contain_text("the station started")
    other = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    try:
        other.goto(f"{station.url}/?token={station.operator_token}#/live")
        expect(other.get_by_test_id("shift-total")).to_contain_text("4")
        shift.get_by_test_id("shift-reset").click()
        page.get_by_role("button", name="Reset counters").click()
        expect(shift.get_by_test_id("shift-total")).to_contain_text("0")
        expect(shift.get_by_test_id("shift-start")).to_contain_text("reset by engineer")
        _api(station, "POST", "/api/v1/trigger")
        expect(other.get_by_test_id("shift-total")).to_contain_text("1", timeout=10_000)  # the other screen too
        expect(shift.get_by_test_id("shift-total")).to_contain_text("1")
    finally:
        other.context.close()
    audit = _api(station, "GET", "/api/v1/audit").json()["items"][0]
    assert audit["action"] == "station.shift_reset" and audit["before"] == "4 triggers"
    screenshot(page, "reset")


def test_engineer_switches_the_active_recipe_on_live_and_an_operator_has_no_switch(page: Page, station) -> None:
    page.goto(station.signed_in("/#/live"))
    switch = page.get_by_test_id("recipe-switch")
    expect(switch).to_have_value("bracket-nuts")
    switch.select_option("shaft-depth")
    expect(page.get_by_test_id("active-recipe")).to_have_text("shaft-depth")
    assert _api(station, "GET", "/api/v1/active-recipe").json()["name"] == "shaft-depth"
    audit = _api(station, "GET", "/api/v1/audit").json()["items"][0]
    assert (audit["action"], audit["before"], audit["after"]) == ("station.active_recipe", "bracket-nuts", "shaft-depth")
    page.get_by_test_id("trigger").click()
    expect(page.get_by_test_id("verdict")).to_contain_text("shaft-depth")
    page.goto(f"{station.url}/?token={station.operator_token}#/live")
    expect(page.locator("#role")).to_have_text("Operator")
    expect(page.get_by_test_id("recipe-switch")).to_be_hidden()


def test_editor_draws_a_roi_where_the_pointer_is_at_any_zoom_and_a_drawn_then_deleted_roi_leaves_nothing_unsaved(
        page: Page, station, screenshot) -> None:
    page.goto(station.signed_in("/#/recipes/bracket-nuts"))
    canvas = page.get_by_test_id("roi-canvas")
    expect(canvas).to_be_visible()
    view = page.locator(".canvas-wrap .zoom-view")
    _wheel_over(page, canvas, -500, at=(0.25, 0.25))
    expect(view).not_to_have_attribute("data-zoom", "1")
    box = canvas.bounding_box()
    scale = box["width"] / canvas.evaluate("c => c.width")
    # empty capture near the view's top left corner (above nut-left); expected template pixels from the transform
    frame = view.bounding_box()
    start = (frame["x"] + 30, frame["y"] + 25)
    end = (start[0] + 90, start[1] + 60)
    expected = (round((start[0] - box["x"]) / scale), round((start[1] - box["y"]) / scale),
                round(90 / scale), round(60 / scale))
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=5)
    page.mouse.up()
    rows = page.get_by_test_id("roi-list").locator(".roi-row")
    expect(rows).to_have_count(3)
    placed = rows.nth(2).inner_text()
    x, y, w, h = map(int, re.search(r"x (\d+), y (\d+) · (\d+)×(\d+)", placed).groups())
    assert all(abs(a - b) <= 1 for a, b in zip((x, y, w, h), expected, strict=True)), (placed, expected)
    expect(page.get_by_text("Unsaved changes")).to_be_visible()
    screenshot(page, "drawn-zoomed")

    canvas.press("Delete")
    expect(rows).to_have_count(2)
    expect(page.get_by_text("Unsaved changes")).to_have_count(0)
    expect(page.get_by_test_id("save")).to_be_disabled()
    # middle-drag pans (never draws), Space-drag too
    before = canvas.bounding_box()
    page.mouse.move(start[0], start[1])
    page.mouse.down(button="middle")
    page.mouse.move(start[0] + 50, start[1] + 40, steps=3)
    page.mouse.up(button="middle")
    assert canvas.bounding_box() != before
    expect(rows).to_have_count(2)

    loose = page.get_by_label("Fail threshold of loose")
    expect(loose).to_be_visible()
    expect(page.locator("label.threshold-field", has=loose)).to_contain_text("Threshold")
    loose.fill("0.6")
    loose.press("Tab")
    expect(page.get_by_text("Unsaved changes")).to_be_visible()


def test_label_crop_shown_large_and_a_filter_drops_the_selection_it_hides(page: Page, station, screenshot) -> None:
    samples = _api(station, "GET", SAMPLES).json()
    page.goto(station.signed_in("/#/label/bracket-nuts/nut"))
    grid = page.get_by_test_id("crop-grid")
    crop = grid.locator(".crop[data-label='good']").first
    key = crop.get_attribute("data-key")
    name = next(s["name"] for s in samples if key.startswith(s["image"]))
    crop.click()
    expect(page.get_by_test_id("label-summary")).to_contain_text("1 selected")
    preview = page.get_by_test_id("crop-preview")
    page.keyboard.press("Space")
    expect(preview).to_be_visible()
    expect(preview).to_contain_text(f"{key.split('/')[1]} of {name}")
    assert preview.locator("canvas").bounding_box()["width"] >= 400          # large: the grid's crops are ~150 px
    preview.get_by_test_id("zoom-in").click()
    assert _zoom(preview.locator(".zoom-view")) > 1
    screenshot(page, "enlarged")
    page.keyboard.press("Escape")
    expect(preview).to_be_hidden()
    expect(page.get_by_test_id("label-summary")).to_contain_text("1 selected")  # Esc closed the view only

    other = grid.locator(".crop").nth(5)
    other.hover()
    expect(preview).to_be_visible()                                         # resting the pointer shows it too
    page.mouse.move(5, 5)
    expect(preview).to_be_hidden()

    page.get_by_label("Show").select_option("Class: loose")                 # hides the selected good crop
    expect(page.get_by_test_id("label-summary")).not_to_contain_text("selected")
    page.keyboard.press("2")                                                # would label it loose
    expect(page.get_by_role("alert").last).to_contain_text("Select one or more crops first")
    page.get_by_label("Show").select_option("all")
    expect(grid.locator(f".crop[data-key='{key}']")).to_have_attribute("data-label", "good")
    image, roi = key.split("/")
    labels = next(s["labels"] for s in _api(station, "GET", SAMPLES).json() if s["image"] == image)
    assert labels[roi] == "good"


def test_a_class_has_one_colour_on_every_page(page: Page, station) -> None:
    def colours(locator) -> tuple[str, str]:
        return locator.evaluate("el => [getComputedStyle(el).backgroundColor, getComputedStyle(el).color].join()")

    page.goto(station.signed_in("/#/label/bracket-nuts/nut"))
    label_good = colours(page.locator(".crop .badge[data-class='good']").first)
    label_loose = colours(page.locator(".crop .badge[data-class='loose']").first)
    assert label_good != label_loose
    page.goto(station.signed_in("/#/train/bracket-nuts"))
    counts = page.get_by_test_id("label-counts")
    assert colours(counts.locator(".badge[data-class='good']")) == label_good
    assert colours(counts.locator(".badge[data-class='loose']")) == label_loose
    page.goto(station.signed_in("/#/live"))
    seen = set()
    tiles = page.get_by_test_id("recent-results").locator(".recent-tile")
    for n in range(1, 9):                                    # the replayed captures give both classes
        page.get_by_test_id("trigger").click()
        expect(tiles).to_have_count(n)
        expect(page.get_by_test_id("trigger")).to_have_text("Trigger")
        for badge in page.get_by_test_id("roi-results").locator(".badge[data-class]").all():
            cls = badge.get_attribute("data-class")
            assert colours(badge) == {"good": label_good, "loose": label_loose}[cls]
            assert badge.get_attribute("data-meaning") == {"good": "pass", "loose": "fail"}[cls]
            seen.add(cls)
        if seen == {"good", "loose"}:
            break
    assert seen == {"good", "loose"}
    record = _api(station, "GET", "/api/v1/results", params={"limit": 1}).json()["items"][0]
    page.goto(station.signed_in(f"/#/history/{record['id']}"))
    for badge in page.get_by_test_id("result-detail").locator(".badge[data-class]").all():
        assert colours(badge) == {"good": label_good, "loose": label_loose}[badge.get_attribute("data-class")]
    expect(page.get_by_test_id("result-detail").locator(".badge[data-class]")).to_have_count(2)


def test_training_uses_the_width_and_the_relabel_panel_names_the_capture_in_view(page: Page, station,
                                                                                screenshot) -> None:
    sample = next(s for s in _api(station, "GET", SAMPLES).json() if s["labels"].get("nut-left") == "good")
    _record_validation(station, sample["image"], "nut-left")
    page.goto(station.signed_in("/#/train/bracket-nuts"))
    card = page.locator("[data-type='nut']")
    expect(card.get_by_test_id("metrics")).to_be_visible()
    assert card.bounding_box()["width"] > 1100                               # not a 370 px column at 1440 wide
    metrics, review = card.get_by_test_id("metrics"), card.get_by_test_id("validation")
    expect(review.get_by_test_id("wrong-crop")).to_be_visible()
    assert review.bounding_box()["x"] > metrics.bounding_box()["x"] + 400    # two columns side by side
    card.get_by_test_id("wrong-crop").click()
    title = card.get_by_test_id("relabel-title")
    expect(title).to_have_text(re.compile(rf"^nut-left of {re.escape(sample['name'])} \([^)]*\d\d:\d\d:\d\d\)$"))
    panel = card.get_by_test_id("relabel").bounding_box()
    assert panel["y"] >= 0 and panel["y"] + panel["height"] <= 901          # opened in view
    expect(card.get_by_test_id("wrong-crop")).to_have_attribute(
        "title", re.compile(rf"^nut-left of {re.escape(sample['name'])} \("))
    screenshot(page, "relabel")


@pytest.mark.slow
def test_figures_are_marked_previous_model_while_the_type_retrains(page: Page, station, screenshot) -> None:
    page.goto(station.signed_in("/#/train/bracket-nuts"))
    card = page.locator("[data-type='nut']")
    expect(card.get_by_test_id("metrics")).to_be_visible()
    expect(card.get_by_test_id("previous-model")).to_have_count(0)
    card.get_by_test_id("train-accurate").click()
    expect(card.get_by_test_id("previous-model")).to_have_text("previous model")
    expect(card.get_by_test_id("metrics")).to_have_class(re.compile("previous-model"))
    screenshot(page, "retraining")
    page.get_by_test_id("training-job").get_by_role("button", name="Stop").click()
    expect(page.get_by_test_id("training-job")).to_contain_text("Stopped", timeout=120_000)
    expect(card.get_by_test_id("previous-model")).to_have_count(0)


def test_a_sign_in_link_pasted_into_an_open_tab_signs_in_and_leaves_the_address(page: Page, station) -> None:
    page.goto(f"{station.url}/#/live")
    expect(page.get_by_label("Station token")).to_be_visible()
    page.goto(f"{station.url}/#token={station.operator_token}")             # the same page: only the fragment changes
    expect(page.locator("#role")).to_have_text("Operator")
    assert "token" not in page.url
    page.goto(f"{station.url}/#token={station.token}")                      # a signed-in tab takes a new link too
    expect(page.locator("#role")).to_have_text("Engineer")
    assert "token" not in page.url and page.evaluate("history.length") >= 1
    assert page.evaluate("localStorage.getItem('openinspect.token')") == station.token
    page.goto(f"{station.url}/#token=not-a-token")
    expect(page.get_by_role("alert")).to_contain_text("sign-in link's token was not accepted")
    assert "token" not in page.url


def test_no_page_asks_another_host_for_anything(page: Page, station) -> None:
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(station.signed_in("/#/live"))
    expect(page.get_by_test_id("active-recipe")).to_have_text("bracket-nuts")
    page.get_by_test_id("trigger").click()
    expect(page.get_by_test_id("verdict")).to_contain_text(re.compile("PASS|FAIL"))
    record = _api(station, "GET", "/api/v1/results", params={"limit": 1}).json()["items"][0]
    image = _api(station, "GET", SAMPLES).json()[0]["image"]
    pages = ["#/recipes", "#/recipes/bracket-nuts", "#/label/bracket-nuts/nut", f"#/label/bracket-nuts/nut/{image}",
             "#/label/shaft-depth", "#/synth/bracket-nuts/nut", "#/train/bracket-nuts", "#/train/shaft-depth", "#/history",
             f"#/history/{record['id']}", "#/audit", "#/live"]
    for route in pages:
        page.evaluate(f"location.hash = {route!r}")
        expect(page.locator("#view section").first).to_be_visible()
        page.wait_for_load_state("networkidle")
        expect(page.get_by_test_id("page-error")).to_have_count(0)
    station_origin = urlsplit(station.url)
    assert len(requests) > len(pages)
    foreign = [url for url in requests if urlsplit(url)[:2] not in {station_origin[:2], ("ws", station_origin[1])}
               and not url.startswith(("blob:", "data:"))]
    assert foreign == [], foreign
