"""Build the outputs a station's settings ask for; the station (or server) owns and closes them."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from openinspect.integrations.modbus import ModbusServer
from openinspect.integrations.mqtt import MqttSink
from openinspect.integrations.webhook import WebhookSink
from openinspect.settings import Settings
from openinspect.station.sinks import ResultSink, StationControl


def output_sinks(settings: Settings) -> list[ResultSink]:
    """MQTT when ``mqtt_host`` is set, webhooks when ``webhook_urls`` lists any; both start at once."""
    sinks: list[ResultSink] = []
    if settings.mqtt_host:
        password = settings.mqtt_password.get_secret_value() if settings.mqtt_password else None
        sinks.append(MqttSink(settings.mqtt_host, settings.mqtt_port, topic=settings.mqtt_topic,
                              qos=settings.mqtt_qos, retain=settings.mqtt_retain, limit=settings.output_queue_limit,
                              username=settings.mqtt_username, password=password))
    if settings.webhook_urls:
        sinks.append(WebhookSink(settings.webhook_urls, limit=settings.output_queue_limit))
    return sinks


def modbus_server(settings: Settings, control: StationControl,
                  recipes: Callable[[], Mapping[int, str]]) -> ModbusServer | None:
    """The Modbus server when ``modbus_port`` is set (not started: call :meth:`ModbusServer.start`).

    It binds ``modbus_host``, by default the HTTP server's ``host``: Modbus has no authentication, so setting
    only a port never opens it wider than the HTTP API.

    ``recipes`` gives the selectable recipe names by PLC number as stored now (see :class:`ModbusServer`).
    """
    if settings.modbus_port is None:
        return None
    return ModbusServer(control, recipes, settings.modbus_host or settings.host, settings.modbus_port)
