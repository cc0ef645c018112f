"""Backtests over the API: a background job with progress on the WebSocket, its report, and refusals."""

import pytest
from fastapi.testclient import TestClient
from tests.unit.training.backtest_kit import DEFECTIVE, install_backtest_plate

from openinspect.server import create_app
from openinspect.settings import Settings
from openinspect.store import Workspace

ENGINEER, OPERATOR = "eng-token-0123456789", "op-token-0123456789"
BACKTESTS = "/api/v1/recipes/plate/types/surface/backtests"


@pytest.fixture
def hashes(tmp_path):
    workspace = Workspace(tmp_path / "home")
    hashes = install_backtest_plate(workspace)
    workspace.engine.dispose()
    return hashes


@pytest.fixture
def api(tmp_path, hashes):
    app = create_app(Settings(home=tmp_path / "home", tokens={ENGINEER: "engineer", OPERATOR: "operator"}))
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {ENGINEER}"
        yield client


def _finished(socket) -> dict:
    while True:
        message = socket.receive_json()
        if message["event"] == "backtest" and message["data"]["state"] != "running":
            return message["data"]


def test_a_backtest_job_pushes_progress_and_reports_changed_verdicts_and_label_agreement(api, hashes):
    with api.websocket_connect(f"/api/v1/ws?token={ENGINEER}") as socket:
        started = api.post(BACKTESTS, json={"candidate": 2})
        assert started.status_code == 202 and started.json()["state"] == "running"
        pushed = _finished(socket)
    latest = api.get(f"{BACKTESTS}/latest", headers={"Authorization": f"Bearer {OPERATOR}"}).json()
    assert latest == pushed and latest["state"] == "done", latest["error"]
    report = latest["report"]
    assert (report["deployed"], report["candidate"], report["captures"], report["images"]) == (1, 2, 5, 2)
    assert report["pass_to_fail"] == [] and report["reasons"] == [
        {"reason": "scratch", "pass_to_fail": 0, "fail_to_pass": 3}]
    assert {(c["source"], c["capture"]) for c in report["fail_to_pass"]} == {
        *(("result", r) for r in DEFECTIVE), ("label", hashes["scratched"])}
    assert report["agreement"] == {"rois": 3, "deployed": 1.0, "candidate": 0.3333}
    trail = api.get("/api/v1/audit", params={"recipe": "plate"}).json()["items"][0]
    assert (trail["action"], trail["before"], trail["after"]) == ("backtest.start", "v1", "v2")


def test_limit_and_since_choose_the_archived_captures(api):
    with api.websocket_connect(f"/api/v1/ws?token={ENGINEER}") as socket:
        api.post(BACKTESTS, json={"candidate": 3, "since": "2025-01-01T00:01:00Z", "limit": 3}).raise_for_status()
        report = _finished(socket)["report"]
    assert report["captures"] == 3  # r4, r3, r2: the newest at or after r1
    assert sorted(c["capture"] for c in report["pass_to_fail"] if c["source"] == "result") == ["r2", "r4"]


def test_a_candidate_that_does_not_fit_the_recipe_or_an_operator_is_refused(api):
    misfit = api.post(BACKTESTS, json={"candidate": 4})
    assert misfit.status_code == 409 and "trained for classes ['good', 'dent']" in misfit.json()["error"]["message"]
    assert api.post(BACKTESTS, json={"candidate": 9}).status_code == 404
    operator = api.post(BACKTESTS, json={"candidate": 2}, headers={"Authorization": f"Bearer {OPERATOR}"})
    assert operator.status_code == 403
    missing = api.get(f"{BACKTESTS}/latest")
    assert missing.status_code == 404 and "POST /api/v1/recipes/plate/types/surface/backtests" in missing.text
