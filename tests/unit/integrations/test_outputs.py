import pytest

import openinspect.integrations as integrations
from openinspect.integrations import ModbusServer, MqttSink, WebhookSink, modbus_server, output_sinks
from openinspect.settings import Settings
from openinspect.station.sinks import ResultSink


def test_public_names_are_exactly_these():
    assert integrations.__all__ == ["ModbusServer", "MqttSink", "WebhookSink", "modbus_server", "output_sinks"]


def test_default_settings_build_no_outputs():
    settings = Settings()
    assert output_sinks(settings) == []
    assert modbus_server(settings, control=None, recipes=dict) is None


def test_settings_build_the_outputs_they_name():
    settings = Settings(mqtt_host="127.0.0.1", mqtt_port=1, mqtt_topic="t", mqtt_qos=2, mqtt_retain=True,
                        webhook_urls=["http://127.0.0.1:1/hook"], modbus_port=1502, modbus_host="127.0.0.1",
                        output_queue_limit=7)
    sinks = output_sinks(settings)
    try:
        mqtt, webhook = sinks
        assert isinstance(mqtt, MqttSink) and (mqtt.topic, mqtt.qos, mqtt.retain) == ("t", 2, True)
        assert isinstance(webhook, WebhookSink) and [w.url for w in webhook.workers] == ["http://127.0.0.1:1/hook"]
        assert all(isinstance(sink, ResultSink) for sink in sinks)
    finally:
        for sink in sinks:
            sink.close(timeout=0.1)
    server = modbus_server(settings, control=None, recipes=lambda: {1: "a"})
    assert isinstance(server, ModbusServer) and (server.host, server.port) == ("127.0.0.1", 1502)
    assert isinstance(server, ResultSink)


def test_mqtt_sink_rejects_an_unknown_qos():
    with pytest.raises(ValueError, match="qos must be 0, 1 or 2"):
        MqttSink("127.0.0.1", 1, qos=3)


def test_modbus_binds_the_http_host_unless_told_otherwise():
    assert modbus_server(Settings(modbus_port=1502), control=None, recipes=dict).host == "127.0.0.1"
    assert modbus_server(Settings(host="10.0.0.5", modbus_port=1502), control=None, recipes=dict).host == "10.0.0.5"
    chosen = Settings(host="127.0.0.1", modbus_port=1502, modbus_host="0.0.0.0")
    assert modbus_server(chosen, control=None, recipes=dict).host == "0.0.0.0"


def test_webhook_urls_that_stay_keep_their_worker_and_queue():
    sink = WebhookSink(["http://127.0.0.1:1/a", "http://127.0.0.1:1/b"], backoff=60)
    kept = {w.url: w for w in sink.workers}
    new, dropped = sink.with_urls(["http://127.0.0.1:1/b", "http://127.0.0.1:1/c"])
    try:
        assert new.workers[0] is kept["http://127.0.0.1:1/b"]
        assert [w.url for w in new.workers] == ["http://127.0.0.1:1/b", "http://127.0.0.1:1/c"]
        assert [w.url for w in dropped.workers] == ["http://127.0.0.1:1/a"]
    finally:
        new.close(timeout=0.1)
        dropped.close(timeout=0.1)
