"""Errors the station answers are shown with its message, and a token it does not accept leads back to sign-in."""

from __future__ import annotations

import httpx
import numpy as np
from playwright.sync_api import Page, expect
from tests.conftest import png_bytes

RECIPE = {"name": "widget", "profile": "single-model",
          "types": [{"name": "part", "kind": "classifier", "classes": [{"name": "good", "pass": True},
                                                                         {"name": "defect", "pass": False}]}],
          "rois": [{"name": "whole", "type": "part"}]}
REFUSED = "Your token was not accepted: sign in again."


def _auth(station) -> dict[str, str]:
    return {"Authorization": f"Bearer {station.token}"}


def test_editor_shows_the_stations_message_for_a_template_that_does_not_decode(page: Page, station) -> None:
    httpx.post(f"{station.url}/api/v1/recipes", json=RECIPE, headers=_auth(station)).raise_for_status()
    httpx.put(f"{station.url}/api/v1/recipes/widget/template", headers=_auth(station),
              files={"image": ("template.png", png_bytes(np.full((120, 160, 3), 128, np.uint8)), "image/png")}).raise_for_status()
    (station.home / "recipes" / "widget" / "reference.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    answer = httpx.get(f"{station.url}/api/v1/recipes/widget/template/info", headers=_auth(station))
    assert answer.status_code == 422
    message = answer.json()["error"]["message"]

    page.goto(station.signed_in("/#/recipes/widget"))
    expect(page.locator(".toast.error")).to_have_text(message)
    expect(page.get_by_text("No template capture yet")).to_be_visible()
    expect(page.get_by_test_id("roi-list")).to_contain_text("whole")   # the editor still works


def test_editor_of_a_recipe_that_is_gone_says_why_in_its_place(page: Page, station) -> None:
    page.goto(station.signed_in("/#/recipes/no-such-recipe"))
    answer = httpx.get(f"{station.url}/api/v1/recipes/no-such-recipe/document", headers=_auth(station))
    assert answer.status_code == 404
    message = answer.json()["error"]["message"]
    expect(page.locator(".toast.error")).to_have_text(message)
    expect(page.locator("#view")).to_contain_text(message)


def test_a_stored_token_the_station_refuses_is_forgotten_at_start(page: Page, station) -> None:
    page.goto(f"{station.url}/?token=not-a-station-token#/history")
    expect(page.get_by_role("heading", name="Sign in to this station")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_text(REFUSED)
    assert page.evaluate("localStorage.getItem('openinspect.token')") is None


def test_a_401_while_working_returns_to_sign_in_and_signing_in_again_resumes(page: Page, station) -> None:
    page.goto(station.signed_in("/#/history"))
    expect(page.get_by_test_id("results-table")).to_be_visible()
    page.evaluate("localStorage.setItem('openinspect.token', 'revoked-token')")

    page.get_by_role("link", name="Labelling").click()  # its recipe list is refused
    expect(page.get_by_role("heading", name="Sign in to this station")).to_be_visible()
    expect(page.locator(".signin [role=alert]")).to_have_text(REFUSED)
    expect(page.locator(".toast.error")).to_have_count(0)              # said once, on the sign-in view
    assert page.evaluate("localStorage.getItem('openinspect.token')") is None
    expect(page.locator("#sign-out")).to_be_hidden()

    page.get_by_label("Station token").fill(station.token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Labelling")).to_be_visible()
    expect(page.locator("#role")).to_have_text("Engineer")
