"""Build the outputs a station's set-up asks for; the station (or server) owns and closes them."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from openinspect.integrations.config import MqttSetup, StationSetup, WebhookSetup, effective
from openinspect.integrations.modbus import ModbusServer
from openinspect.integrations.mqtt import MqttSink
from openinspect.integrations.webhook import WebhookSink
from openinspect.settings import Settings
from openinspect.station.sinks import ResultSink, StationControl


def output_sinks(settings: Settings, setup: StationSetup | None = None) -> list[ResultSink]:
    """MQTT when a broker host is set, webhooks when any URL is; both start at once.

    ``setup``: the station's set-up in force; by default what the environment (``settings``) sets.
    """
    setup = setup or effective(StationSetup(), settings)
    sinks: list[ResultSink | None] = [mqtt_sink(setup.mqtt, settings.output_queue_limit),
                                      webhook_sink(setup.webhooks, settings.output_queue_limit)]
    return [sink for sink in sinks if sink is not None]


def mqtt_sink(setup: MqttSetup, limit: int) -> MqttSink | None:
    """The MQTT output ``setup`` describes (connecting in the background); ``None`` without a broker host."""
    if not setup.host:
        return None
    password = setup.password.get_secret_value() if setup.password else None
    return MqttSink(setup.host, setup.port, topic=setup.topic, qos=setup.qos, retain=setup.retain, limit=limit,
                    username=setup.username, password=password)


def webhook_sink(setup: WebhookSetup, limit: int) -> WebhookSink | None:
    """The webhook output for ``setup``'s URLs; ``None`` without any."""
    return WebhookSink(setup.urls, limit=limit) if setup.urls else None


def modbus_server(settings: Settings, control: StationControl, recipes: Callable[[], Mapping[int, str]],
                  setup: StationSetup | None = None) -> ModbusServer | None:
    """The Modbus server when a port is set (not started: call :meth:`ModbusServer.start`).

    It binds the set-up's Modbus host, by default the HTTP server's ``host``: Modbus has no authentication, so
    setting only a port never opens it wider than the HTTP API. ``setup``: as for :func:`output_sinks`.

    ``recipes`` gives the selectable recipe names by PLC number as stored now (see :class:`ModbusServer`).
    """
    modbus = (setup or effective(StationSetup(), settings)).modbus
    if modbus.port is None:
        return None
    return ModbusServer(control, recipes, modbus.host or settings.host, modbus.port)
