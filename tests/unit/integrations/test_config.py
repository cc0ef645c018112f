"""The station set-up model: validation with messages that name the field, secrets, environment precedence, storage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from openinspect.errors import ConflictError, SettingsError
from openinspect.integrations.config import (
    SourceKind,
    StationSetup,
    TriggerMode,
    effective,
    locked_fields,
)
from openinspect.integrations.setup import SetupService
from openinspect.settings import Settings
from openinspect.station.service import StationStats, Timings
from openinspect.station.sinks import StationStatus
from openinspect.store import Workspace
from openinspect.store.audit import AuditLog
from openinspect.store.records import Outcome
from openinspect.store.setup import SetupStore


@pytest.mark.parametrize(("document", "says"), [
    ({"mqtt": {"port": 0}}, "greater than or equal to 1"),
    ({"mqtt": {"port": 65536}}, "less than or equal to 65535"),
    ({"mqtt": {"host": "broker local"}}, "MQTT broker 'broker local' is not a host name or IP address"),
    ({"mqtt": {"topic": "line1/#"}}, "holds a wildcard"),
    ({"webhooks": {"urls": ["mes.local/hook"]}}, "must start with http:// or https:// and name a host"),
    ({"webhooks": {"urls": ["http://a/h", "http://a/h"]}}, "listed twice"),
    ({"modbus": {"port": 70000}}, "less than or equal to 65535"),
    ({"modbus": {"host": "plc net"}}, "Modbus bind address 'plc net'"),
    ({"trigger": {"mode": "timed", "interval_s": 0.01}}, "greater than or equal to 0.05"),
    ({"trigger": {"mode": "sometimes"}}, "'manual' or 'timed'"),
    ({"capture": {"kind": "folder"}}, "a folder source needs the folder"),
    ({"capture": {"kind": "camera"}}, "needs the camera index"),
    ({"capture": {"kind": "stream", "url": "ftp://cam/x"}}, "is not a camera stream URL"),
    ({"capture": {"kind": "camera", "camera": 0, "width": 0}}, "greater than or equal to 1"),
    ({"mqtt": {"hostname": "x"}}, "Extra inputs are not permitted"),
])
def test_bad_values_are_refused_naming_the_field(document: dict[str, Any], says: str) -> None:
    with pytest.raises(ValidationError) as caught:
        StationSetup.model_validate(document)
    section = next(iter(document))
    assert says in str(caught.value) and section in str(caught.value)


def test_good_values_pass_and_blank_optional_fields_mean_none() -> None:
    setup = StationSetup.model_validate({
        "capture": {"kind": "stream", "url": "rtsp://cam.local:554/live", "width": 1920, "height": 1080},
        "trigger": {"mode": "timed", "interval_s": 0.5},
        "mqtt": {"host": "192.168.0.10", "username": "  ", "topic": "line1/results"},
        "webhooks": {"urls": [" http://mes.local/hook ", ""]}, "modbus": {"port": 1502, "host": ""}})
    assert setup.capture.spec == "rtsp://cam.local:554/live"
    assert setup.mqtt.username is None and setup.modbus.host is None
    assert setup.webhooks.urls == ["http://mes.local/hook"]


def test_password_is_stored_kept_by_null_cleared_by_empty_and_never_listed_as_a_change() -> None:
    stored = StationSetup.model_validate({"mqtt": {"host": "b", "password": "s3cret"}})
    assert stored.document()["mqtt"]["password"] == "s3cret"
    assert "s3cret" not in repr(stored) and "s3cret" not in stored.model_dump_json()
    kept = StationSetup.model_validate({"mqtt": {"host": "b", "topic": "t"}}).with_password_of(stored)
    assert kept.mqtt.password == SecretStr("s3cret")
    cleared = StationSetup.model_validate({"mqtt": {"host": "b", "password": ""}}).with_password_of(stored)
    assert cleared.mqtt.password is None
    assert cleared.changes(stored) == ["mqtt.password: changed"]
    assert kept.changes(stored) == ["mqtt.topic: openinspect/results -> t"]


def test_environment_variables_win_and_lock_their_fields(tmp_path: Path) -> None:
    stored = StationSetup.model_validate({"capture": {"kind": "camera", "camera": 1},
                                          "mqtt": {"host": "stored.local", "topic": "stored"},
                                          "modbus": {"port": 1502}})
    settings = Settings(mqtt_host="env.local", capture=str(tmp_path), trigger_interval_s=0.25, mqtt_password="pw")
    setup = effective(stored, settings)
    assert (setup.mqtt.host, setup.mqtt.topic, setup.modbus.port) == ("env.local", "stored", 1502)
    assert (setup.capture.kind, setup.capture.folder, setup.capture.camera) == (SourceKind.FOLDER, str(tmp_path), None)
    assert (setup.trigger.mode, setup.trigger.interval_s) == (TriggerMode.TIMED, 0.25)
    assert setup.mqtt.password == SecretStr("pw")
    locked = locked_fields(settings)
    assert locked["mqtt.host"] == "OPENINSPECT_MQTT_HOST" and locked["capture.folder"] == "OPENINSPECT_CAPTURE"
    assert locked["trigger.interval_s"] == "OPENINSPECT_TRIGGER_INTERVAL_S"
    assert "mqtt.topic" not in locked and "modbus.port" not in locked
    assert effective(stored, Settings()) == stored and locked_fields(Settings()) == {}


def test_environment_names_a_camera_a_stream_or_nothing() -> None:
    assert effective(StationSetup(), Settings(capture="2")).capture.camera == 2
    assert effective(StationSetup(), Settings(capture="rtsp://cam/x")).capture.url == "rtsp://cam/x"
    assert effective(StationSetup(), Settings(capture="")).capture.kind is SourceKind.NONE


class SlowStation:
    """A station whose captures take 480 ms on average; it keeps the source it is given."""

    source: object = None

    def replace_source(self, source: object) -> object:
        old, self.source = self.source, source
        return old

    def add_sink(self, sink: object) -> None:
        pass

    def replace_sink(self, old: object, new: object) -> None:
        pass

    def stats(self) -> StationStats:
        status = StationStatus(True, False, "plate", 20, Outcome.PASS)
        return StationStats(status, dict.fromkeys(Outcome, 5), 1.0, 0, Timings(20, 470.0, 480.0), Timings())


@pytest.fixture
def service(tmp_path: Path) -> SetupService:
    workspace = Workspace(tmp_path / "home")
    (tmp_path / "caps").mkdir()
    (tmp_path / "caps" / "a.png").write_bytes(b"")
    return SetupService(SlowStation(), Settings(home=tmp_path / "home", modbus_host="127.0.0.1"),  # type: ignore[arg-type]
                        SetupStore(workspace.engine, workspace.home), AuditLog(workspace.engine), dict, lambda _s: None)


def test_an_interval_below_the_cycle_time_is_refused_saying_the_least_that_works(service: SetupService,
                                                                                 tmp_path: Path) -> None:
    change = StationSetup.model_validate({"capture": {"kind": "folder", "folder": str(tmp_path / "caps")},
                                          "trigger": {"mode": "timed", "interval_s": 0.3}})
    with pytest.raises(SettingsError, match=r"trigger.interval_s: 0.3 s is shorter than the station's cycle time "
                                            r"\(480 ms on average over the last 20 captures\).*at least 0.5 s"):
        service.update(change, "alice")
    assert service.store.load() is None and service.station.source is None
    interval = change.trigger.model_copy(update={"interval_s": 0.5})
    service.update(change.model_copy(update={"trigger": interval}), "alice")
    assert service.store.load() == change.model_copy(update={"trigger": interval}).document()
    service.close()


def test_a_field_the_environment_sets_cannot_be_changed(service: SetupService) -> None:
    view = service.view()
    assert view.locked == {"modbus.host": "OPENINSPECT_MODBUS_HOST"}
    other = view.setup.model_copy(update={"modbus": view.setup.modbus.model_copy(update={"host": "0.0.0.0"})})
    with pytest.raises(ConflictError, match="modbus.host is set by OPENINSPECT_MODBUS_HOST; change the environment"):
        service.update(other, "alice")
    assert service.store.load() is None
    service.update(StationSetup.model_validate({"mqtt": {"topic": "line1/results"}}), "alice")  # host left out
    assert service.view().setup.modbus.host == "127.0.0.1" and service.view().setup.mqtt.topic == "line1/results"
    assert service.store.load()["modbus"]["host"] is None  # the environment's value is not stored
