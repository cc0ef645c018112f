"""Station settings through the API on a running station: applied without a restart, tested against real peers.

Real peers: a mosquitto broker (``tests/integration/test_outputs_mqtt.py``'s fixture), a local HTTP server for
webhooks, a pymodbus client for the Modbus server, and folders of real PNG captures.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient
from pymodbus.client import ModbusTcpClient
from tests.integration.test_outputs_mqtt import Broker, Subscriber, broker, free_port, mosquitto, wait_until
from tests.integration.test_outputs_webhook import Endpoint
from tests.unit.station.kit import install_plate, part_png

from openinspect.integrations.modbus import InputRegister
from openinspect.server import create_app
from openinspect.settings import Role, Settings
from openinspect.store import Workspace

__all__ = ["broker", "mosquitto"]  # fixtures this module uses from the MQTT tests

ENGINEER = "settings-engineer-token"
OPERATOR = "settings-operator-token"


@pytest.fixture
def captures(tmp_path: Path) -> Path:
    folder = tmp_path / "captures"
    folder.mkdir()
    for n in range(3):
        (folder / f"part-{n}.png").write_bytes(part_png(n == 1, n))
    return folder


def station(home: Path, **settings: Any) -> TestClient:
    """The station app on ``home`` (the plate recipe installed) as a test client; use it in a ``with``."""
    if not (home / "recipes").exists():
        install_plate(Workspace(home))
    app = create_app(Settings(home=home, tokens={ENGINEER: Role.ENGINEER, OPERATOR: Role.OPERATOR}, **settings))
    return TestClient(app, base_url="http://127.0.0.1/api/v1", headers={"Authorization": f"Bearer {ENGINEER}"})


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with station(tmp_path / "home") as running:
        yield running


def save(client: TestClient, **sections: Any) -> Any:
    """PUT the station settings with ``sections`` changed (each a dict of fields) over what is in force."""
    current = client.get("/station/settings").json()
    body = {key: current[key] for key in ("capture", "trigger", "webhooks", "modbus")}
    body["mqtt"] = {k: v for k, v in current["mqtt"].items() if k != "password_set"}
    for key, values in sections.items():
        body[key] = {**body[key], **values}
    return client.put("/station/settings", json=body)


def upload(client: TestClient, defect: bool = False) -> dict[str, Any]:
    answer = client.post("/trigger", files={"image": ("part.png", part_png(defect, 7), "image/png")})
    assert answer.status_code == 200, answer.text
    return answer.json()


def audit_details(client: TestClient) -> list[str]:
    return [f"{r['action']} {r['detail']} {r['after']}" for r in client.get("/audit").json()["items"]]


def test_saved_mqtt_output_takes_the_next_result_without_a_restart(client: TestClient, broker: Broker) -> None:
    subscriber = Subscriber(broker.port, "sub-settings", topic="line1/#")
    try:
        before = upload(client)
        saved = save(client, mqtt={"host": "127.0.0.1", "port": broker.port, "topic": "line1/results",
                                   "username": "station", "password": "s3cret-pw"})
        assert saved.status_code == 200, saved.text
        assert saved.json()["mqtt"]["password_set"] is True and "s3cret-pw" not in saved.text
        after = upload(client, defect=True)
        (message,) = subscriber.take(1)
        assert json.loads(message.payload)["id"] == after["id"] != before["id"]
        assert message.topic == "line1/results"
        moved = save(client, mqtt={"topic": "line1/verdicts", "password": None})  # null: keep the password
        assert moved.status_code == 200, moved.text
        third = upload(client)
        (message,) = subscriber.take(1)
        assert (message.topic, json.loads(message.payload)["id"]) == ("line1/verdicts", third["id"])
        assert subscriber.messages.empty()
    finally:
        subscriber.close()
    shown = client.get("/station/settings")
    assert shown.json()["mqtt"]["password_set"] is True and "s3cret-pw" not in shown.text
    trail = audit_details(client)
    assert any("mqtt.topic: line1/results -> line1/verdicts" in line for line in trail)
    assert any("mqtt.password: changed" in line for line in trail)
    assert not any("s3cret-pw" in line for line in trail)


def test_results_held_for_an_unreachable_broker_go_to_the_new_one(client: TestClient, broker: Broker) -> None:
    assert save(client, mqtt={"host": "127.0.0.1", "port": free_port(), "topic": "line1/results"}).status_code == 200
    held = [upload(client)["id"], upload(client, defect=True)["id"]]  # nobody listens: the output holds them
    subscriber = Subscriber(broker.port, "sub-handover", topic="line1/results")
    try:
        assert save(client, mqtt={"port": broker.port}).status_code == 200
        after = upload(client)["id"]
        delivered = [json.loads(m.payload)["id"] for m in subscriber.take(3)]
    finally:
        subscriber.close()
    assert delivered == [*held, after]


def test_settings_are_kept_in_the_workspace_and_used_at_the_next_start(tmp_path: Path, captures: Path) -> None:
    home = tmp_path / "home"
    with station(home) as client:
        assert save(client, capture={"kind": "folder", "folder": str(captures)}).status_code == 200
    with station(home) as client:
        shown = client.get("/station/settings").json()
        assert shown["capture"]["kind"] == "folder" and shown["capture"]["folder"] == str(captures)
        taken = client.post("/trigger")
        assert taken.status_code == 200 and taken.json()["image"] == "part-0.png"


def test_stored_settings_that_no_longer_open_are_reported_and_the_station_starts(tmp_path: Path,
                                                                                 captures: Path) -> None:
    home = tmp_path / "home"
    port = free_port()
    with station(home) as client:
        saved = save(client, capture={"kind": "folder", "folder": str(captures)}, modbus={"port": port})
        assert saved.status_code == 200, saved.text
    for image in captures.iterdir():
        image.unlink()
    captures.rmdir()
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", port))
        holder.listen()
        with station(home) as client:
            problems = client.get("/station/settings").json()["problems"]
            assert upload(client)["outcome"] in ("pass", "fail")  # the station judges all the same
    assert problems["capture"].startswith(f"the stored capture source did not open at start: capture folder "
                                          f"{captures} does not exist")
    assert problems["modbus"].startswith(f"the Modbus server did not start: Modbus server cannot listen on "
                                         f"127.0.0.1:{port}")


def test_mqtt_test_publishes_a_test_message_or_says_why_it_cannot(client: TestClient, broker: Broker,
                                                                  mosquitto: str, tmp_path: Path) -> None:
    subscriber = Subscriber(broker.port, "sub-test", topic="line1/results")
    try:
        report = client.post("/station/settings/mqtt/test", json={"host": "127.0.0.1", "port": broker.port,
                                                                   "topic": "line1/results"}).json()
        (message,) = subscriber.take(1)
    finally:
        subscriber.close()
    assert report["ok"] is True and f"127.0.0.1:{broker.port}" in report["message"]
    assert json.loads(message.payload)["test"] is True
    nobody = free_port()
    away = client.post("/station/settings/mqtt/test", json={"host": "127.0.0.1", "port": nobody}).json()
    assert away["ok"] is False and f"cannot reach the broker at 127.0.0.1:{nobody}" in away["message"]
    (tmp_path / "auth").mkdir()
    guarded = Broker(mosquitto, tmp_path / "auth", users={"station": "right"})
    guarded.start()
    try:
        wrong = client.post("/station/settings/mqtt/test", json={"host": "127.0.0.1", "port": guarded.port,
                                                                  "username": "station", "password": "wrong"}).json()
        right = client.post("/station/settings/mqtt/test", json={"host": "127.0.0.1", "port": guarded.port,
                                                                  "username": "station", "password": "right"}).json()
    finally:
        guarded.stop()
    assert wrong["ok"] is False and "refused the connection" in wrong["message"]
    assert right["ok"] is True


def test_webhook_test_reports_each_status_and_saved_urls_get_the_next_result(client: TestClient,
                                                                             endpoint: Endpoint) -> None:
    failing = Endpoint(100, 500)
    threading.Thread(target=failing.serve_forever, daemon=True).start()
    try:
        report = client.post("/station/settings/webhooks/test", json={"urls": [endpoint.url, failing.url]}).json()
        assert report["ok"] is False
        assert f"{endpoint.url}: HTTP 204" in report["message"] and f"{failing.url}: HTTP 500" in report["message"]
        assert json.loads(endpoint.requests[0][3])["test"] is True
        assert save(client, webhooks={"urls": [endpoint.url]}).status_code == 200
        sent = upload(client)
        wait_until(lambda: len(endpoint.requests) == 2, what="the result at the webhook")
        assert json.loads(endpoint.requests[1][3])["id"] == sent["id"]
    finally:
        failing.shutdown()
        failing.server_close()


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    server = Endpoint(0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_saved_modbus_server_answers_a_plc_and_a_taken_port_is_refused(client: TestClient) -> None:
    port = free_port()
    assert save(client, modbus={"port": port, "host": "127.0.0.1"}).status_code == 200
    upload(client)
    plc = ModbusTcpClient("127.0.0.1", port=port, timeout=3)
    try:
        assert plc.connect()
        wait_until(lambda: plc.read_input_registers(0, count=len(InputRegister)).registers[
            InputRegister.RESULT_COUNTER] == 1, what="the result in the registers")  # the dispatcher hands it over
    finally:
        plc.close()
    report = client.post("/station/settings/modbus/test", json={"port": port, "host": "127.0.0.1"}).json()
    assert report["ok"] is True and "result counter 1" in report["message"]
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        check = client.post("/station/settings/modbus/test", json={"port": taken, "host": "127.0.0.1"}).json()
        refused = save(client, modbus={"port": taken})
    assert check["ok"] is False and f"cannot listen on 127.0.0.1:{taken}" in check["message"]
    assert refused.status_code == 422 and refused.json()["error"]["type"] == "invalid_settings"
    assert client.get("/station/settings").json()["modbus"]["port"] == port
    again = ModbusTcpClient("127.0.0.1", port=port, timeout=3)  # the old server runs again
    try:
        assert again.connect()
    finally:
        again.close()


def test_capture_test_shows_a_frame_or_the_reason(client: TestClient, captures: Path, tmp_path: Path) -> None:
    report = client.post("/station/settings/capture/test", json={"kind": "folder", "folder": str(captures)}).json()
    assert report["ok"] is True and "part-0.png: 128 x 96 px" in report["message"]
    jpeg = base64.b64decode(report["image"].removeprefix("data:image/jpeg;base64,"))
    frame = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert frame.shape == (96, 128, 3)
    (tmp_path / "empty").mkdir()
    empty = client.post("/station/settings/capture/test", json={"kind": "folder", "folder": str(tmp_path / "empty")})
    assert empty.json()["ok"] is False and "holds no images" in empty.json()["message"]
    camera = client.post("/station/settings/capture/test", json={"kind": "camera", "camera": 42}).json()
    assert camera["ok"] is False and "cannot open camera 42" in camera["message"]
    missing = save(client, capture={"kind": "folder", "folder": str(tmp_path / "nowhere")})
    assert missing.status_code == 422 and "does not exist" in missing.json()["error"]["message"]


def test_bad_values_are_refused_naming_the_field(client: TestClient) -> None:
    cases = {"mqtt": {"port": 70000}, "webhooks": {"urls": ["ftp://mes.local/hook"]},
             "trigger": {"mode": "timed", "interval_s": 0.001}, "capture": {"kind": "stream", "url": "camera 1"}}
    for section, values in cases.items():
        answer = save(client, **{section: values})
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"]["message"].startswith(f"body.{section}"), answer.text
    timed = save(client, trigger={"mode": "timed", "interval_s": 1})
    assert timed.status_code == 422 and "needs a capture source" in timed.json()["error"]["message"]


def test_environment_wins_and_its_fields_are_read_only(tmp_path: Path) -> None:
    with station(tmp_path / "home", mqtt_host="127.0.0.1", mqtt_port=free_port()) as client:
        shown = client.get("/station/settings").json()
        assert shown["locked"] == {"mqtt.host": "OPENINSPECT_MQTT_HOST", "mqtt.port": "OPENINSPECT_MQTT_PORT"}
        assert save(client, mqtt={"topic": "line2/results"}).status_code == 200  # an unlocked field saves
        changed = save(client, mqtt={"host": "broker.local"})
        assert changed.status_code == 409
        assert changed.json()["error"]["message"] == ("mqtt.host is set by OPENINSPECT_MQTT_HOST; change the "
                                                      "environment to change it")


def test_timer_starts_and_stops_for_every_client_and_is_audited(client: TestClient, captures: Path) -> None:
    operator = {"Authorization": f"Bearer {OPERATOR}"}
    assert client.put("/station/timer", json={"running": True}, headers=operator).status_code == 409  # manual
    with client.websocket_connect(f"ws://127.0.0.1/api/v1/ws?token={OPERATOR}") as feed:
        saved = save(client, capture={"kind": "folder", "folder": str(captures)},
                     trigger={"mode": "timed", "interval_s": 0.1})
        assert saved.status_code == 200 and saved.json()["timer"]["running"] is True
        assert _next(feed, "station")["timer"] == {"mode": "timed", "interval_s": 0.1, "running": True}
        timed = _next(feed, "result")
        assert timed["trigger"] == "timer" and timed["image"] == "part-0.png"
        stopped = client.put("/station/timer", json={"running": False}, headers=operator)
        assert stopped.status_code == 200 and stopped.json()["running"] is False
        assert _next(feed, "station")["timer"]["running"] is False
    assert client.get("/status").json()["timer"] == {"mode": "timed", "interval_s": 0.1, "running": False}
    time.sleep(0.3)  # a trigger the timer queued just before it stopped is judged
    count = client.get("/status").json()["results"]
    time.sleep(0.4)
    assert client.get("/status").json()["results"] == count
    assert client.put("/station/timer", json={"running": True}, headers=operator).json()["running"] is True
    assert client.get("/station/settings", headers=operator).status_code == 403
    actions = [r["action"] for r in client.get("/audit").json()["items"]]
    assert actions[:3] == ["station.timer_start", "station.timer_stop", "station.settings"]


def _next(feed: Any, event: str) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        message = feed.receive_json()
        if message["event"] == event:
            return message["data"]
    raise AssertionError(f"no {event} event within 10 s")
