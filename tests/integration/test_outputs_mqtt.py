"""The MQTT sink against a real mosquitto broker and a real paho subscriber, on loopback."""

from __future__ import annotations

import getpass
import json
import logging
import queue
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from tests.peers import require_program

from openinspect.integrations import MqttSink

TOPIC = "line1/results"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition: Any, timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


class Broker:
    """A mosquitto process on a loopback port, with persistence so sessions survive a restart."""

    def __init__(self, exe: str, folder: Path, users: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.conf = folder / "mosquitto.conf"
        access = "allow_anonymous true\n"
        if users:
            passwords = folder / "passwords"
            for n, (user, password) in enumerate(users.items()):
                subprocess.run(["mosquitto_passwd", "-b", *(["-c"] if n == 0 else []), str(passwords), user, password],
                               check=True, capture_output=True)
            access = f"allow_anonymous false\npassword_file {passwords}\n"
        self.conf.write_text(f"listener {self.port} 127.0.0.1\n{access}persistence true\n"
                             f"persistence_location {folder}/\nuser {getpass.getuser()}\n")
        self.log = folder / "mosquitto.log"
        self.exe = exe
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen([self.exe, "-c", str(self.conf)], stdout=log, stderr=log)
        wait_until(self._accepts, 10, f"mosquitto on port {self.port} ({self.log})")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def _accepts(self) -> bool:
        assert self.process is not None and self.process.poll() is None, self.log.read_text()
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", self.port)) == 0


@pytest.fixture
def mosquitto() -> str:
    """The mosquitto broker's executable (Debian installs it in /usr/sbin, off a normal user's PATH)."""
    return str(require_program("mosquitto", "mosquitto", also_in=[Path("/usr/sbin")]))


@pytest.fixture
def broker(mosquitto: str, tmp_path: Path) -> Iterator[Broker]:
    running = Broker(mosquitto, tmp_path)
    running.start()
    yield running
    running.stop()


class Subscriber:
    """A real paho client with a persistent session (QoS 2 subscription): it gets messages queued while away."""

    def __init__(self, port: int, client_id: str, topic: str = TOPIC, login: tuple[str, str] | None = None) -> None:
        self.messages: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
        self.subscribed = threading.Event()
        self.topic = topic
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False)
        self.client.on_connect = lambda c, *_: c.subscribe(self.topic, qos=2)
        self.client.on_subscribe = lambda *_: self.subscribed.set()
        self.client.on_message = lambda _c, _u, message: self.messages.put(message)
        self.client.reconnect_delay_set(1, 1)
        if login is not None:
            self.client.username_pw_set(*login)
        self.client.connect("127.0.0.1", port, keepalive=5)
        self.client.loop_start()
        assert self.subscribed.wait(10), "subscriber never got its SUBACK"

    def take(self, count: int, timeout: float = 15.0) -> list[mqtt.MQTTMessage]:
        return [self.messages.get(timeout=timeout) for _ in range(count)]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
        # no client <-> subscriber cycle left: paho's socket pair is closed when the client is freed
        self.client.on_connect = self.client.on_subscribe = self.client.on_message = None


def result(n: int, passes: bool = True) -> dict[str, Any]:
    return {"id": f"r{n}", "image": f"cap-{n:03d}.png", "pass": passes,
            "rois": [{"roi": "nut-left", "type": "nut", "class": "good" if passes else "loose",
                      "confidence": 0.98, "pass": passes}], "timing_ms": {"total": 7.4}}


@pytest.mark.parametrize("qos", [0, 1, 2])
def test_mqtt_sink_publishes_each_result_as_json_with_topic_and_qos(broker: Broker, qos: int) -> None:
    subscriber = Subscriber(broker.port, "sub-basic")
    sink = MqttSink("127.0.0.1", broker.port, topic=TOPIC, qos=qos)
    try:
        sent = [result(1), result(2, passes=False), {"id": "r3", "image": "bad.png", "error": "corrupt"}]
        for record in sent:
            sink.publish(record)
        messages = subscriber.take(3)
    finally:
        sink.close()
        subscriber.close()
    assert [json.loads(m.payload) for m in messages] == sent
    assert {m.topic for m in messages} == {TOPIC}
    assert {m.qos for m in messages} == {qos}
    assert not any(m.retain for m in messages) and sink.overflow == 0


def test_mqtt_sink_publishes_an_anomaly_roi_without_its_heat_preview(broker: Broker) -> None:
    subscriber = Subscriber(broker.port, "sub-anomaly")
    sink = MqttSink("127.0.0.1", broker.port, topic=TOPIC, qos=1)
    roi = {"roi": "face", "type": "surface", "score": 0.48, "threshold": 0.32, "pass": False,
           "measurements": {"anomalous": {"area": 664, "count": 1, "max_blob_area": 664, "max_length": 31.7}},
           "blobs": [{"class": "anomalous", "area": 664, "length": 31.7, "bbox": [109, 50, 30, 27]}],
           "failed_rules": ["no anomalous blob >= 20 px"], "heat": {"rect": [0, 0, 256, 192], "size": [36, 48],
                                                                   "levels": "AAAB" * 432}}
    try:
        sink.publish({**result(1, passes=False), "rois": [roi]})
        (message,) = subscriber.take(1)
    finally:
        sink.close()
        subscriber.close()
    assert json.loads(message.payload)["rois"] == [{k: v for k, v in roi.items() if k != "heat"}]
    assert "heat" in roi  # the station's own views (WebSocket, History) keep it


def test_mqtt_sink_retains_last_result_for_subscribers_that_connect_later(broker: Broker) -> None:
    early = Subscriber(broker.port, "sub-early")
    sink = MqttSink("127.0.0.1", broker.port, topic=TOPIC, qos=1, retain=True)
    try:
        sink.publish(result(1))
        sink.publish(result(2, passes=False))
        early.take(2)
        late = Subscriber(broker.port, "sub-late")
        (retained,) = late.take(1)
        late.close()
    finally:
        sink.close()
        early.close()
    assert retained.retain and json.loads(retained.payload) == result(2, passes=False)


def test_mqtt_sink_holds_results_while_broker_is_down_and_delivers_after_restart(
        broker: Broker, caplog: pytest.LogCaptureFixture) -> None:
    subscriber = Subscriber(broker.port, "sub-restart")
    sink = MqttSink("127.0.0.1", broker.port, topic=TOPIC, qos=1, limit=3, reconnect_max=1)
    try:
        sink.publish(result(0))
        assert json.loads(subscriber.take(1)[0].payload) == result(0)
        broker.stop()
        wait_until(lambda: not sink.connected, what="the sink to notice the broker is gone")
        started = time.perf_counter()
        with caplog.at_level(logging.WARNING, logger="openinspect.integrations"):
            for n in range(1, 6):
                sink.publish(result(n))
        assert time.perf_counter() - started < 0.5, "publish blocked while the broker was down"
        assert sink.overflow == 2
        assert "dropped the oldest" in caplog.text
        broker.start()
        delivered = [json.loads(m.payload) for m in subscriber.take(3, timeout=20)]
    finally:
        sink.close()
        subscriber.close()
    assert delivered == [result(3), result(4), result(5)]


def test_mqtt_sink_never_blocks_and_closes_when_no_broker_is_reachable() -> None:
    sink = MqttSink("127.0.0.1", free_port(), topic=TOPIC, limit=10)
    started = time.perf_counter()
    for n in range(100):
        sink.publish(result(n))
    publishing = time.perf_counter() - started
    sink.close(timeout=0.2)
    assert publishing < 0.5
    assert sink.overflow == 90
    assert time.perf_counter() - started < 3


def test_mqtt_sink_logs_in_where_the_broker_refuses_anonymous_clients(
        mosquitto: str, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    broker = Broker(mosquitto, tmp_path, users={"station": "s3cret", "mes": "reader"})
    broker.start()
    try:
        subscriber = Subscriber(broker.port, "sub-auth", login=("mes", "reader"))
        anonymous = MqttSink("127.0.0.1", broker.port, topic=TOPIC)
        sink = MqttSink("127.0.0.1", broker.port, topic=TOPIC, username="station", password="s3cret")
        sink.publish(result(1))
        (message,) = subscriber.take(1)
        wait_until(lambda: "refused the connection" in caplog.text, what="the anonymous sink to be refused")
        assert not anonymous.connected
        for client in (sink, anonymous):
            client.close(timeout=0.1)
        subscriber.close()
    finally:
        broker.stop()
    assert json.loads(message.payload) == result(1)
