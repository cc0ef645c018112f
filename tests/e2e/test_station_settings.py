"""The Station settings page and the Live page's Start/Stop of timed triggering, in Chromium at 1440 x 900.

The station's capture source comes from its settings (``OPENINSPECT_CAPTURE`` in production): the page shows it
read-only. MQTT goes to a real mosquitto broker.
"""

from __future__ import annotations

import json
import re

from playwright.sync_api import Browser, Page, expect
from tests.integration.test_outputs_mqtt import Broker, Subscriber, broker, mosquitto

__all__ = ["broker", "mosquitto"]  # fixtures this module uses from the MQTT tests

WIDE = {"width": 1440, "height": 900}


def test_set_test_and_save_outputs_then_start_and_stop_the_timer(page: Page, browser: Browser, station,
                                                                  broker: Broker, screenshot) -> None:
    page.set_viewport_size(WIDE)
    page.goto(station.signed_in("/#/settings"))
    capture = page.locator("[data-section='capture']")
    expect(capture.get_by_test_id("locked-capture.folder")).to_have_text(
        "Set by OPENINSPECT_CAPTURE; change the environment to change it.")
    expect(capture.get_by_label("Folder on the station")).to_be_disabled()
    capture.get_by_role("button", name="Take a capture").click()
    expect(capture.get_by_test_id("test-capture")).to_contain_text(re.compile(r"OK took .+\.png: \d+ x \d+ px"))
    expect(capture.locator("img.check-image")).to_be_visible()

    mqtt = page.locator("[data-section='mqtt']")
    mqtt.get_by_label("Port").fill("70000")
    mqtt.get_by_label("Broker host").fill("127.0.0.1")
    page.get_by_test_id("save-settings").click()
    expect(page.get_by_test_id("settings-error")).to_have_text(
        "Not saved, nothing changed: mqtt.port: Input should be less than or equal to 65535")

    subscriber = Subscriber(broker.port, "sub-e2e", topic="e2e/results")
    try:
        mqtt.get_by_label("Port").fill(str(broker.port))
        mqtt.get_by_label("Topic").fill("e2e/results")
        mqtt.get_by_role("button", name="Test connection").click()
        expect(mqtt.get_by_test_id("test-mqtt")).to_contain_text(
            f"OK connected to 127.0.0.1:{broker.port} and published a test message on e2e/results")
        assert json.loads(subscriber.take(1)[0].payload)["test"] is True
        hooks = page.locator("[data-section='webhooks']")
        hooks.get_by_label("URLs, one a line").fill("http://127.0.0.1:9/hook")
        hooks.get_by_role("button", name="Send a test POST").click()
        expect(hooks.get_by_test_id("test-webhooks")).to_contain_text("Failed http://127.0.0.1:9/hook: URLError")
        page.get_by_role("link", name="Live").click()  # unsaved changes: asked first
        page.get_by_role("button", name="Cancel").click()
        expect(page).to_have_url(re.compile("#/settings$"))
        hooks.get_by_label("URLs, one a line").fill("")
        trigger = page.locator("[data-section='trigger']")
        trigger.get_by_label("Trigger mode").select_option("timed")
        trigger.get_by_label("Interval (s)").fill("0.5")
        screenshot(page, "filled")
        page.get_by_test_id("save-settings").click()
        expect(page.get_by_text("Station settings saved and applied")).to_be_visible()
        expect(page.get_by_test_id("settings-error")).to_be_hidden()
        timed = json.loads(subscriber.take(1)[0].payload)  # the timer runs and its result reaches the broker
        assert timed["trigger"] == "timer" and timed["recipe"] == "bracket-nuts"
    finally:
        subscriber.close()
    screenshot(page, "saved")

    other = browser.new_context(viewport=WIDE).new_page()  # another browser, an operator's
    other.goto(f"{station.url}/?token={station.operator_token}#/live")
    page.goto(station.signed_in("/#/live"))
    for live in (page, other):
        expect(live.get_by_test_id("timer-state")).to_contain_text("Running Timed triggering every 0.5 s")
    screenshot(page, "live-running")
    other.get_by_role("button", name="Stop timer").click()
    for live in (page, other):
        expect(live.get_by_test_id("timer-state")).to_contain_text("Stopped", timeout=4000)  # the live event, not the 5 s poll
    expect(page.get_by_role("button", name="Start timer")).to_be_visible()
    screenshot(page, "live-stopped")
    other.context.close()
