"""The sign-in link `openinspect serve` prints: the token rides in the address's fragment, then leaves it."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def test_sign_in_link_keeps_the_token_and_clears_it_from_the_address(page: Page, station) -> None:
    page.goto(f"{station.url}/#token={station.token}")
    expect(page.locator("#role")).to_have_text("Engineer")
    expect(page.get_by_test_id("active-recipe")).to_have_text("bracket-nuts")
    assert "token" not in page.url
    assert page.evaluate("localStorage.getItem('openinspect.token')") == station.token
