"""Outputs and PLC control: MQTT and webhook result sinks, a Modbus TCP server for PLCs.

Every sink queues results in a bounded outbox and sends them from its own thread, so a peer that
is slow or away never holds up an inspection.
"""

from openinspect.integrations.modbus import ModbusServer
from openinspect.integrations.mqtt import MqttSink
from openinspect.integrations.outputs import modbus_server, output_sinks
from openinspect.integrations.webhook import WebhookSink

__all__ = ["ModbusServer", "MqttSink", "WebhookSink", "modbus_server", "output_sinks"]
