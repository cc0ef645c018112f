"""Shift counters over HTTP: counted from the stored records, reset by any role, kept across a restart, audited."""

from fastapi.testclient import TestClient
from tests.unit.server.named import OPERATOR, TOKENS, as_, named_station
from tests.unit.station.kit import part_png

from openinspect.server import create_app
from openinspect.settings import Settings


def _trigger(api: TestClient, defect: bool, seed: int) -> bool:
    answer = api.post("/api/v1/trigger", files={"image": (f"p{seed}.png", part_png(defect, seed), "image/png")})
    assert answer.status_code == 200, answer.text
    return bool(answer.json()["pass"])


def test_shift_counts_since_the_reset_and_the_reset_is_audited_with_the_last_shifts_totals(tmp_path):
    home = tmp_path / "home"
    for api in named_station(home):
        verdicts = [_trigger(api, defect, seed) for seed, defect in enumerate([False, True, False])]
        shift = api.get("/api/v1/shift").json()
        assert shift["started_by"] is None  # not reset yet: the shift is the station's run since it started
        assert shift["total"] == 3 and shift["counts"]["pass"] == verdicts.count(True)
        assert shift["counts"]["fail"] == verdicts.count(False)
        assert shift["pass_rate"] == verdicts.count(True) / 3

        reset = api.post("/api/v1/shift/reset", headers=as_(OPERATOR))
        assert reset.status_code == 200
        assert reset.json()["total"] == 0 and reset.json()["pass_rate"] is None
        assert reset.json()["started_by"] == "operator"
        fresh = _trigger(api, True, 7)
        assert api.get("/api/v1/shift").json()["counts"] == {"pass": int(fresh), "fail": int(not fresh),
                                                            "error": 0, "skipped": 0}
        record = api.get("/api/v1/audit").json()["items"][0]
        assert (record["actor"], record["action"], record["before"]) == ("operator", "station.shift_reset", "3 triggers")
        assert f"pass {verdicts.count(True)}, fail {verdicts.count(False)}, error 0, skipped 0" in record["detail"]
        assert api.get("/api/v1/shift", headers={"Authorization": "Bearer nobody"}).status_code == 401

    # a restarted station goes on counting the same shift: its start is the reset, not the restart
    with TestClient(create_app(Settings(home=home, tokens=TOKENS))) as again:
        again.headers["Authorization"] = f"Bearer {OPERATOR}"
        shift = again.get("/api/v1/shift").json()
        assert shift["total"] == 1 and shift["started_by"] == "operator"
