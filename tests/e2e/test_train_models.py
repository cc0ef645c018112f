"""The Training page's model versions: deploy a candidate, and the station judges the next trigger with it."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Page, expect
from tests.e2e.conftest import brightness_classifier

from openinspect.store import ModelMeta, Workspace


def _add_candidate(station) -> None:
    """A second model of bracket-nuts' ``nut`` type, as training would publish it: a candidate."""
    workspace = Workspace(station.home)
    classes = workspace.recipe("bracket-nuts").inspection_type("nut").class_names()
    with workspace.new_model_version("bracket-nuts", "nut", "accurate") as folder:
        brightness_classifier(folder / "model.onnx", len(classes))
        ModelMeta(classes, metrics={"balanced_accuracy": 0.95}).write(folder)
    workspace.engine.dispose()


def _judged_by(station) -> int:
    answer = httpx.post(f"{station.url}/api/v1/trigger", headers={"Authorization": f"Bearer {station.token}"},
                        timeout=60)
    return answer.json()["models"]["nut"]["version"]


def test_deploy_a_candidate_from_the_training_page_then_roll_back(page: Page, station, screenshot) -> None:
    _add_candidate(station)
    page.goto(station.signed_in("/#/train/bracket-nuts"))
    versions = page.locator("[data-type='nut']").get_by_test_id("model-versions")
    expect(versions.get_by_test_id("model-v1").get_by_test_id("deployed")).to_be_visible()
    candidate = versions.get_by_test_id("model-v2")
    expect(candidate).to_contain_text("candidate")
    expect(candidate).to_contain_text("95")
    assert _judged_by(station) == 1
    screenshot(page, "candidate")

    candidate.get_by_test_id("deploy").click()
    expect(versions.get_by_test_id("model-v2").get_by_test_id("deployed")).to_be_visible()
    expect(versions.get_by_test_id("model-v1").get_by_test_id("deploy")).to_be_visible()
    assert _judged_by(station) == 2

    versions.get_by_test_id("rollback").click()
    expect(versions.get_by_test_id("model-v1").get_by_test_id("deployed")).to_be_visible()
    assert _judged_by(station) == 1


def test_an_operator_sees_which_version_is_deployed_but_may_not_deploy(page: Page, station) -> None:
    _add_candidate(station)
    page.goto(f"{station.url}/?token={station.operator_token}#/train/bracket-nuts")
    versions = page.locator("[data-type='nut']").get_by_test_id("model-versions")
    expect(versions.get_by_test_id("model-v1").get_by_test_id("deployed")).to_be_visible()
    expect(versions.get_by_test_id("model-v2").get_by_test_id("deploy")).to_be_hidden()
    expect(versions.get_by_test_id("rollback")).to_be_hidden()


def test_backtest_a_candidate_from_the_training_page_and_see_what_it_would_change(page: Page, station) -> None:
    _add_candidate(station)
    for _ in range(3):
        _judged_by(station)  # archived captures to re-judge, besides the labelled images
    page.goto(station.signed_in("/#/train/bracket-nuts"))
    versions = page.locator("[data-type='nut']").get_by_test_id("model-versions")
    versions.get_by_test_id("model-v2").get_by_test_id("backtest").click()
    line = versions.get_by_test_id("backtest-line")
    expect(line).to_contain_text("Backtest of v2 against deployed v1", timeout=60_000)
    expect(line).to_have_text(re.compile(r"would have changed \d+ of \d+ verdicts \(\d+ pass→fail, \d+ fail→pass\)"))
