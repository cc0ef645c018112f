"""History: filtering, paging info, the capture of a result, CSV export of the filtered records."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect


def test_filter_by_verdict_open_a_result_and_export_csv(page: Page, station, tmp_path: Path, screenshot) -> None:
    headers = {"Authorization": f"Bearer {station.token}"}
    records = [httpx.post(f"{station.url}/api/v1/trigger", headers=headers, timeout=60).json() for _ in range(6)]
    verdicts = [r["pass"] for r in records]
    fails = verdicts.count(False)
    assert 0 < fails < len(verdicts), f"the replayed captures should include passing and failing parts: {verdicts}"

    page.goto(station.signed_in("/#/history"))
    table = page.get_by_test_id("results-table")
    expect(table.locator("tbody tr")).to_have_count(6)
    expect(page.get_by_test_id("page-info")).to_have_text("1–6 of 6")

    page.get_by_label("Verdict").select_option("fail")
    page.get_by_role("button", name="Apply").click()
    expect(table.locator("tbody tr")).to_have_count(fails)
    expect(table.locator("tbody")).not_to_contain_text("PASS")
    table.locator("tbody tr").first.click()
    detail = page.get_by_test_id("result-detail")
    expect(detail.locator("canvas")).to_be_visible()
    expect(detail).to_contain_text("nut-left")
    screenshot(page, "detail")

    with page.expect_download() as download:
        page.get_by_test_id("export-csv").click()
    path = tmp_path / "results.csv"
    download.value.save_as(path)
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    assert len(rows) == fails
    assert {row["outcome"] for row in rows} == {"fail"}
