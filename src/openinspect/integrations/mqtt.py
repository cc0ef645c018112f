"""Publish every result to an MQTT broker, without ever holding up an inspection.

:meth:`MqttSink.publish` encodes the result and puts it in a bounded :class:`Outbox`; a background
thread hands results to paho-mqtt one at a time, only while connected, and for QoS 1 and 2 waits for
the broker's acknowledgement before taking the next. While the broker is away paho reconnects with
a growing delay and results wait in the outbox; when that is full the oldest is dropped, counted in
:attr:`MqttSink.overflow` and logged.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.reasoncodes import ReasonCode

from openinspect.integrations._queue import Outbox, OutboxClosedError
from openinspect.station.sinks import for_outputs

log = logging.getLogger(__name__)


class MqttSink:
    """A result sink that publishes each result as one JSON message.

    Args:
        host: the broker's host name or address.
        port: the broker's TCP port.
        topic: where results are published.
        qos: MQTT quality of service, 0, 1 or 2.
        retain: publish retained, so the broker hands the last result to every new subscriber.
        limit: the most results held while the broker is unreachable.
        client_id: the MQTT client id; empty lets the broker choose one.
        username: the user to log in as, for brokers that refuse anonymous clients.
        password: that user's password.
        keepalive: seconds between keep-alive pings; a dead link is noticed after about 1.5 times this.
        reconnect_max: the longest wait between reconnection attempts, in seconds.

    """

    def __init__(self, host: str, port: int = 1883, *, topic: str = "openinspect/results", qos: int = 1,
                 retain: bool = False, limit: int = 1000, client_id: str = "", username: str | None = None,
                 password: str | None = None, keepalive: int = 30, reconnect_max: int = 10) -> None:
        if qos not in (0, 1, 2):
            raise ValueError(f"MQTT qos must be 0, 1 or 2, got {qos}")
        self.topic, self.qos, self.retain = topic, qos, retain
        self._outbox = Outbox(f"mqtt {host}:{port} {topic}", limit)
        self._connected = threading.Event()
        self._stopping = threading.Event()
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        if username is not None:
            self._client.username_pw_set(username, password)
        self._client.reconnect_delay_set(1, max(1, reconnect_max))
        self._client.connect_async(host, port, keepalive)
        self._client.loop_start()
        self._worker = threading.Thread(target=self._run, name="openinspect-mqtt", daemon=True)
        self._worker.start()

    @property
    def overflow(self) -> int:
        """How many results were dropped because the outbox was full."""
        return self._outbox.overflow

    @property
    def connected(self) -> bool:
        """Whether the broker connection is up now."""
        return self._connected.is_set()

    def publish(self, result: dict[str, Any]) -> None:
        """Queue a result for publishing (as :func:`~openinspect.station.sinks.for_outputs` has it); returns at once."""
        self._outbox.put(json.dumps(for_outputs(result), separators=(",", ":")).encode("utf-8"))

    def close(self, timeout: float = 2.0, successor: MqttSink | None = None) -> None:
        """Send what is queued for up to ``timeout`` s while connected, then disconnect.

        What is still queued then goes to ``successor`` (the sink that replaces this one when the station's MQTT
        settings change), ahead of what it holds; without one it is counted and logged as not delivered
        (:meth:`Outbox.abandon`).
        """
        self._outbox.close()
        self._worker.join(timeout)
        self._stopping.set()
        self._worker.join(1.0)  # it notices ``_stopping`` within 0.2 s
        if successor is None:
            self._outbox.abandon()
        elif left := self._outbox.drain():
            successor._outbox.put_front(left)
            log.info("mqtt: %d result(s) not yet delivered handed to the new MQTT output", len(left))
        self._client.disconnect()
        self._client.loop_stop()
        # Break the client <-> sink cycle, so the client is freed (and paho closes its wake-up socket pair
        # in __del__) as soon as the sink is, not by a garbage collection that may finalise the sockets first.
        self._client.on_connect = self._client.on_disconnect = None

    def _run(self) -> None:
        # take a result out of the outbox only while connected, so the outbox alone bounds what is held
        while not self._stopping.is_set() and not self._outbox.finished:
            if not self._connected.wait(0.2):
                continue
            try:
                item = self._outbox.get(0.2)
            except OutboxClosedError:
                return
            if item is not None and not (self._connected.is_set() and self._deliver(item)):
                self._outbox.put_back(item)

    def _deliver(self, payload: bytes) -> bool:
        """Send one result; ``False`` when it was not handed to paho and should be retried."""
        info = self._client.publish(self.topic, payload, self.qos, self.retain)
        if self.qos == 0 or info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            # QoS 0 is not stored by paho; QoS 1/2 is stored even when the link just dropped (NO_CONN)
            return info.rc == MQTTErrorCode.MQTT_ERR_SUCCESS or (
                self.qos > 0 and info.rc == MQTTErrorCode.MQTT_ERR_NO_CONN)
        # paho owns the message now and resends it after a reconnect until the broker acknowledges it
        while not info.is_published() and not self._stopping.is_set():
            info.wait_for_publish(0.2)
        return True

    def _on_connect(self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: ReasonCode,
                    _properties: Any) -> None:
        if reason.is_failure:
            log.warning("mqtt: broker refused the connection: %s", reason)
            return
        log.info("mqtt: connected")
        self._connected.set()

    def _on_disconnect(self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: ReasonCode,
                       _properties: Any) -> None:
        if self._connected.is_set():
            log.warning("mqtt: connection lost (%s); reconnecting", reason)
        self._connected.clear()
