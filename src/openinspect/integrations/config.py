"""The station's set-up as an engineer edits it: capture source, trigger mode and the outputs.

:class:`StationSetup` is kept in the workspace database (:class:`~openinspect.store.setup.SetupStore`) and
edited on the Station settings page or through ``PUT /api/v1/station/settings``. An ``OPENINSPECT_*``
environment variable of a field wins over the stored value (:func:`effective`); such a field is read-only,
and :func:`locked_fields` names the variable that sets it.

Secrets: the MQTT password is stored (the station needs it to log in) but never shown: the public view says only
whether one is set, and an update that leaves ``password`` null keeps the stored one.
"""

from __future__ import annotations

import ipaddress
import re
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)

from openinspect.settings import Settings

STREAM_SCHEMES = ("rtsp", "rtsps", "rtmp", "http", "https", "udp", "tcp")
"""URL schemes a camera stream may use (what OpenCV's FFmpeg back-end opens)."""
MIN_INTERVAL_S = 0.05
"""The shortest timer interval accepted; the station's measured cycle time may ask for more."""
_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")


class SourceKind(StrEnum):
    """Where image-less triggers take their capture."""

    NONE = "none"
    """No source: a trigger must bring its image."""
    FOLDER = "folder"
    """The images of a folder, replayed in name order, looping."""
    CAMERA = "camera"
    """A camera by its index (``0`` is the first)."""
    STREAM = "stream"
    """A camera stream by URL (``rtsp://...``, ``http://...``)."""


class TriggerMode(StrEnum):
    """What starts inspections besides the HTTP API, the Live page's Trigger and a PLC, which always can."""

    MANUAL = "manual"
    """Only those: the API, the Trigger button, a PLC over Modbus."""
    TIMED = "timed"
    """Also a timer every ``interval_s`` seconds, from the capture source (Start/Stop on the Live page)."""


def _blank_is_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


def _host_or_none(value: str | None, what: str) -> str | None:
    return None if value is None else check_host(value.strip(), what)


OptionalText = Annotated[str | None, BeforeValidator(_blank_is_none)]
"""A text field where blank means none."""
BrokerHost = Annotated[OptionalText, AfterValidator(partial(_host_or_none, what="MQTT broker"))]
BindHost = Annotated[OptionalText, AfterValidator(partial(_host_or_none, what="Modbus bind address"))]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CaptureSetup(_Section):
    """The capture source and what to ask of a camera."""

    kind: SourceKind = SourceKind.NONE
    folder: str | None = Field(default=None, description="the folder, for kind folder")
    camera: int | None = Field(default=None, ge=0, le=99, description="the camera index, for kind camera")
    url: str | None = Field(default=None, description="the stream URL, for kind stream")
    width: int | None = Field(default=None, ge=1, le=65535, description="frame width to request, px")
    height: int | None = Field(default=None, ge=1, le=65535, description="frame height to request, px")
    exposure: float | None = Field(default=None, description="exposure to request, in the driver's units")

    @model_validator(mode="after")
    def _complete(self) -> CaptureSetup:
        """The field the kind needs is there and well formed."""
        if self.kind is SourceKind.FOLDER and not (self.folder or "").strip():
            raise ValueError("a folder source needs the folder: give its path on the station")
        if self.kind is SourceKind.CAMERA and self.camera is None:
            raise ValueError("a camera source needs the camera index (0 is the first camera)")
        if self.kind is SourceKind.STREAM:
            check_stream_url(self.url or "")
        return self

    @property
    def spec(self) -> str | None:
        """The source as ``OPENINSPECT_CAPTURE`` writes it: a folder, a camera index or a URL; ``None``: none."""
        return {SourceKind.NONE: None, SourceKind.FOLDER: self.folder, SourceKind.STREAM: self.url,
                SourceKind.CAMERA: None if self.camera is None else str(self.camera)}[self.kind]


def check_stream_url(url: str) -> None:
    """Refuse a stream URL without a known scheme and a host.

    Raises:
        ValueError: the message names the URL and the fix.
    """
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in STREAM_SCHEMES or not parts.hostname:
        raise ValueError(f"stream URL {url!r} is not a camera stream URL: write it as rtsp://host/path or "
                         f"http://host/path ({', '.join(STREAM_SCHEMES)})")


class TriggerSetup(_Section):
    """The trigger mode and the timer's interval."""

    mode: TriggerMode = TriggerMode.MANUAL
    interval_s: float = Field(default=1.0, ge=MIN_INTERVAL_S, le=86400.0,
                              description="seconds between timer triggers, for mode timed")


class MqttSetup(_Section):
    """The MQTT output: every result as one JSON message on a topic; no host: off."""

    host: BrokerHost = None
    port: int = Field(default=1883, ge=1, le=65535)
    topic: str = Field(default="openinspect/results", min_length=1, max_length=1024)
    qos: int = Field(default=1, ge=0, le=2)
    retain: bool = False
    username: OptionalText = None
    password: SecretStr | None = Field(default=None, description="null in an update: keep the stored password; "
                                                                 "empty: none")

    @field_validator("topic")
    @classmethod
    def _topic(cls, value: str) -> str:
        if "+" in value or "#" in value:
            raise ValueError(f"topic {value!r} holds a wildcard (+ or #): results are published on one plain topic, "
                             f"e.g. line1/results")
        return value


class WebhookSetup(_Section):
    """The webhook output: every result POSTed as JSON to each URL; none: off."""

    urls: list[str] = Field(default_factory=list, max_length=20)

    @field_validator("urls")
    @classmethod
    def _urls(cls, value: list[str]) -> list[str]:
        urls = [url.strip() for url in value if url.strip()]
        for url in urls:
            parts = urlsplit(url)
            if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
                raise ValueError(f"webhook URL {url!r} must start with http:// or https:// and name a host, e.g. "
                                 f"http://mes.local/hook")
        if len(set(urls)) < len(urls):
            raise ValueError("a webhook URL is listed twice: each URL gets every result once")
        return urls


class ModbusSetup(_Section):
    """The Modbus TCP server for PLCs; no port: off."""

    port: int | None = Field(default=None, ge=1, le=65535, description="502 is the standard (needs privileges)")
    host: BindHost = Field(default=None, description="the address to bind; none: the HTTP server's")


def check_host(value: str, what: str) -> str:
    """``value`` when it is a host name or IP address.

    Raises:
        ValueError: it is neither; the message names it.
    """
    try:
        ipaddress.ip_address(value)
    except ValueError:
        if not _HOST.match(value):
            raise ValueError(f"{what} {value!r} is not a host name or IP address (e.g. 192.168.0.10 or "
                             f"broker.local)") from None
    return value


class StationSetup(_Section):
    """Everything the Station settings page sets."""

    capture: CaptureSetup = Field(default_factory=CaptureSetup)
    trigger: TriggerSetup = Field(default_factory=TriggerSetup)
    mqtt: MqttSetup = Field(default_factory=MqttSetup)
    webhooks: WebhookSetup = Field(default_factory=WebhookSetup)
    modbus: ModbusSetup = Field(default_factory=ModbusSetup)

    def document(self) -> dict[str, Any]:
        """The set-up as stored: JSON, with the MQTT password in it."""
        data = self.model_dump(mode="json")
        secret = self.mqtt.password
        data["mqtt"]["password"] = None if secret is None else secret.get_secret_value()
        return data

    def with_password_of(self, stored: StationSetup) -> StationSetup:
        """The set-up (an update) with ``stored``'s MQTT password where it gives none; an empty one clears it."""
        password = self.mqtt.password
        if password is None:
            password = stored.mqtt.password
        elif not password.get_secret_value():
            password = None
        return self.model_copy(update={"mqtt": self.mqtt.model_copy(update={"password": password})})

    def changes(self, before: StationSetup) -> list[str]:
        """The fields that differ from ``before``, as ``section.field: old -> new`` (a password as ``changed``)."""
        lines = []
        for section in type(self).model_fields:
            old, new = getattr(before, section), getattr(self, section)
            for name in type(new).model_fields:
                a, b = getattr(old, name), getattr(new, name)
                if a == b:
                    continue
                if isinstance(a, SecretStr) or isinstance(b, SecretStr):
                    lines.append(f"{section}.{name}: changed")
                else:
                    lines.append(f"{section}.{name}: {_shown(a)} -> {_shown(b)}")
        return lines


def _shown(value: Any) -> str:
    if value is None or value == []:
        return "none"
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


_ENV: dict[str, tuple[str, ...]] = {
    "capture": ("capture.kind", "capture.folder", "capture.camera", "capture.url"),
    "capture_width": ("capture.width",),
    "capture_height": ("capture.height",),
    "capture_exposure": ("capture.exposure",),
    "trigger_interval_s": ("trigger.mode", "trigger.interval_s"),
    "mqtt_host": ("mqtt.host",),
    "mqtt_port": ("mqtt.port",),
    "mqtt_topic": ("mqtt.topic",),
    "mqtt_qos": ("mqtt.qos",),
    "mqtt_retain": ("mqtt.retain",),
    "mqtt_username": ("mqtt.username",),
    "mqtt_password": ("mqtt.password",),
    "webhook_urls": ("webhooks.urls",),
    "modbus_port": ("modbus.port",),
    "modbus_host": ("modbus.host",),
}
"""Each ``Settings`` field that sets part of the station set-up, and the set-up fields it sets."""


def locked_fields(settings: Settings) -> dict[str, str]:
    """The set-up fields the environment sets, each with the variable that sets it (``OPENINSPECT_MQTT_HOST``).

    A field counts as set by the environment when the process's ``settings`` were given it (an environment
    variable, or an argument where a program builds them).
    """
    given = settings.model_fields_set
    return {path: f"OPENINSPECT_{name.upper()}" for name, paths in _ENV.items() if name in given for path in paths}


def effective(stored: StationSetup, settings: Settings) -> StationSetup:
    """``stored`` with every field the environment sets replaced by the environment's value."""
    given = settings.model_fields_set
    env: dict[str, dict[str, Any]] = {section: {} for section in StationSetup.model_fields}
    if "capture" in given:
        env["capture"].update(_capture_of(settings.capture))
    for name in ("width", "height", "exposure"):
        if f"capture_{name}" in given:
            env["capture"][name] = getattr(settings, f"capture_{name}")
    if "trigger_interval_s" in given:
        interval = settings.trigger_interval_s
        env["trigger"] = {"mode": TriggerMode.TIMED if interval else TriggerMode.MANUAL,
                          "interval_s": interval or stored.trigger.interval_s}
    for name in ("host", "port", "topic", "qos", "retain", "username", "password"):
        if f"mqtt_{name}" in given:
            env["mqtt"][name] = getattr(settings, f"mqtt_{name}")
    if "webhook_urls" in given:
        env["webhooks"]["urls"] = list(settings.webhook_urls)
    for name in ("port", "host"):
        if f"modbus_{name}" in given:
            env["modbus"][name] = getattr(settings, f"modbus_{name}")
    # model_copy does not validate: the environment's values are the operator's, taken as they are
    return stored.model_copy(update={section: getattr(stored, section).model_copy(update=values)
                                     for section, values in env.items() if values})


def _capture_of(spec: str | None) -> dict[str, Any]:
    """``OPENINSPECT_CAPTURE`` as set-up fields: a digit string a camera, a folder a folder, else a stream."""
    cleared: dict[str, Any] = {"folder": None, "camera": None, "url": None}
    if not spec:
        return {**cleared, "kind": SourceKind.NONE}
    if spec.isdigit():
        return {**cleared, "kind": SourceKind.CAMERA, "camera": int(spec)}
    if "://" not in spec and Path(spec).is_dir():
        return {**cleared, "kind": SourceKind.FOLDER, "folder": spec}
    return {**cleared, "kind": SourceKind.STREAM, "url": spec}  # a URL, or a video file as OpenCV opens it


def field_value(setup: StationSetup, path: str) -> Any:
    """The value of a ``section.field`` path."""
    section, name = path.split(".")
    return getattr(getattr(setup, section), name)
