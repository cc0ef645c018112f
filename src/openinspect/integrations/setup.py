"""The station's set-up in force: builds its capture source, timer and outputs, and changes them while it runs.

:class:`SetupService` owns what :class:`~openinspect.integrations.config.StationSetup` describes: the capture
source, the timer of timed triggering, the MQTT and webhook outputs and the Modbus server. Saving a changed
set-up rebuilds only the parts whose section changed, without a restart and without losing a result:

- the station publishes each record to the outputs of one moment (:meth:`Station.replace_sink`), so a record
  already handed to an old output is in its queue; the old MQTT output sends what it holds for up to 2 s and hands
  what is left to the new one; a webhook URL that stays keeps its worker and queue;
- the new capture source and Modbus server are opened before anything is stored: a camera that does not open or a
  port that cannot be bound refuses the change with its reason and leaves the running set-up as it was.

Each section's check (:meth:`SetupService.check_capture`, ``check_mqtt``, ``check_webhooks``, ``check_modbus``)
reports the real result of connecting with the values given, saved or not.
"""

from __future__ import annotations

import json
import logging
import math
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from pydantic import ValidationError
from pymodbus.client import ModbusTcpClient
from pymodbus.exceptions import ModbusException

from openinspect.errors import ConflictError, ImageError, OpenInspectError, SettingsError
from openinspect.integrations.config import (
    CaptureSetup,
    ModbusSetup,
    MqttSetup,
    SourceKind,
    StationSetup,
    TriggerMode,
    WebhookSetup,
    effective,
    field_value,
    locked_fields,
)
from openinspect.integrations.modbus import InputRegister, ModbusServer
from openinspect.integrations.outputs import modbus_server, mqtt_sink, webhook_sink
from openinspect.integrations.webhook import WebhookSink, post_json
from openinspect.settings import Settings
from openinspect.station.service import Station
from openinspect.station.sources import (
    CameraSource,
    Capture,
    CaptureSource,
    FolderSource,
    IntervalTrigger,
    TriggerSource,
)
from openinspect.store.audit import AuditAction, AuditLog
from openinspect.store.setup import SetupStore

log = logging.getLogger(__name__)

CHECK_TIMEOUT_S = 5.0
"""How long a check waits for its peer."""
PREVIEW_WIDTH = 640
"""The widest preview a capture check returns, px."""


@dataclass(frozen=True)
class TimerState:
    """Timed triggering now."""

    mode: TriggerMode
    interval_s: float
    running: bool


@dataclass(frozen=True)
class SetupView:
    """The set-up in force, which fields the environment sets, the timer, and what did not start."""

    setup: StationSetup
    locked: dict[str, str]
    """``section.field`` -> the environment variable that sets it (read-only in the UI and API)."""
    timer: TimerState
    problems: dict[str, str]
    """Section (``capture``, ``modbus``) -> why its stored setting did not start with the station; saving the section
    anew tries again."""


@dataclass(frozen=True)
class CheckReport:
    """What a section's Test found."""

    ok: bool
    message: str
    preview: bytes | None = None
    """A capture check's frame as JPEG, at most :data:`PREVIEW_WIDTH` wide."""


def open_capture(setup: CaptureSetup) -> CaptureSource | None:
    """The capture source ``setup`` describes, opened; ``None`` for kind none.

    Raises:
        ImageError: the folder does not exist, or the camera or stream does not open.
    """
    if setup.kind is SourceKind.NONE:
        return None
    if setup.kind is SourceKind.FOLDER:
        folder = Path(setup.folder or "")
        if not folder.is_dir():
            raise ImageError(f"capture folder {folder} does not exist on the station (or is not a folder): give "
                             f"the path of a folder of captures as the station sees it")
        return FolderSource(folder)
    camera = setup.kind is SourceKind.CAMERA and setup.camera is not None
    device: int | str = setup.camera if camera and setup.camera is not None else setup.url or ""
    return CameraSource(device, setup.width, setup.height, setup.exposure)


class SetupService:
    """The station's capture source, timer and outputs, as stored in the workspace and overridden by the environment.

    Args:
        station: the running station; its source and sinks are set here.
        settings: the process's settings: the environment's values win over stored ones.
        store: where the set-up is kept.
        audit: where changes and Start/Stop of the timer are recorded.
        recipes: the selectable recipes by PLC number, for the Modbus server.
        on_timer: told of every change of the timer's state (the live feed), from any thread.
        source: a capture source to use instead of the one the set-up names, until the capture source changes.

    Raises:
        OpenInspectError: a capture source the environment names does not open (a stored one that does not is
            reported in :attr:`SetupView.problems` and the station starts without it).
    """

    def __init__(self, station: Station, settings: Settings, store: SetupStore, audit: AuditLog,
                 recipes: Callable[[], Mapping[int, str]], on_timer: Callable[[TimerState], None],
                 source: CaptureSource | None = None) -> None:
        self.station, self.settings, self.store, self.audit = station, settings, store, audit
        self.recipes, self.on_timer = recipes, on_timer
        self._lock = threading.RLock()
        self._stored = _stored(store)
        self._locked = locked_fields(settings)
        self._setup = effective(self._stored, settings)
        self._problems: dict[str, str] = {}
        if source is None:
            source = self._open_at_start()
        station.replace_source(source)
        limit = settings.output_queue_limit
        self._mqtt = mqtt_sink(self._setup.mqtt, limit)
        self._webhooks = webhook_sink(self._setup.webhooks, limit)
        self._modbus = modbus_server(settings, station, recipes, self._setup)
        for sink in (self._mqtt, self._webhooks, self._modbus):
            if sink is not None:
                station.add_sink(sink)
        self._timer: IntervalTrigger | None = None

    def _open_at_start(self) -> CaptureSource | None:
        try:
            return open_capture(self._setup.capture)
        except OpenInspectError as err:
            if "capture.kind" in self._locked:
                raise
            self._problems["capture"] = f"the stored capture source did not open at start: {err}"
            log.error("the stored capture source is not used: %s", err)
            return None

    # -- running ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Open the Modbus server and, in timed mode, start the timer.

        A stored Modbus port that cannot be opened is reported in :attr:`SetupView.problems` and the station runs
        without the server.

        Raises:
            OSError: the Modbus port the environment sets cannot be opened.
        """
        if self._modbus is not None:
            try:
                self._modbus.start()
            except OSError as err:
                if "modbus.port" in self._locked:
                    raise
                self._install_modbus(self._modbus, None)
                self._problems["modbus"] = f"the Modbus server did not start: {err}; choose another port and save"
                log.error("the stored Modbus settings are not used: %s", err)
        if self._setup.trigger.mode is TriggerMode.TIMED and self.station.source is not None:
            self._start_timer()

    def close(self) -> None:
        """Stop the timer and the Modbus server; the station closes the other outputs and the source."""
        with self._lock:
            self._stop_timer()
            if self._modbus is not None:
                self._modbus.close()

    def view(self) -> SetupView:
        """The set-up in force, with what the environment sets."""
        return SetupView(self._setup, dict(self._locked), self.timer_state(), dict(self._problems))

    def timer_state(self) -> TimerState:
        """Timed triggering now."""
        trigger = self._setup.trigger
        return TimerState(trigger.mode, trigger.interval_s, self._timer is not None)

    def set_timer(self, running: bool, actor: str) -> TimerState:
        """Start or stop timed triggering (the Live page's Start/Stop); every browser hears of it.

        Raises:
            ConflictError: starting while the trigger mode is manual or without a capture source.
        """
        with self._lock:
            if running == (self._timer is not None):
                return self.timer_state()
            if running:
                if self._setup.trigger.mode is not TriggerMode.TIMED:
                    raise ConflictError("timed triggering is off (trigger mode manual): an engineer sets the trigger "
                                        "mode to timed, with its interval, on the Station settings page")
                if self.station.source is None:
                    raise ConflictError("timed triggering needs a capture source: an engineer sets one on the "
                                        "Station settings page")
                self._start_timer()
            else:
                self._stop_timer()
            state = self.timer_state()
            self.audit.record(actor, AuditAction.TIMER_START if running else AuditAction.TIMER_STOP,
                              "timed triggering", after=f"every {state.interval_s:g} s" if running else "stopped")
        self.on_timer(state)
        return state

    def _start_timer(self) -> None:
        self._timer = IntervalTrigger(lambda: self.station.submit(source=TriggerSource.TIMER),
                                      self._setup.trigger.interval_s, lambda err: log.warning("timer trigger: %s", err))
        self._timer.start()

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    # -- changing --------------------------------------------------------------------------------

    def default_folder(self, folder: Path, actor: str) -> None:
        """Make ``folder`` the capture source where none is set yet (by the environment or a saved setting).

        A stored, audited setting like one saved on the Station page, so the user can change it there; a source
        already chosen stays. ``serve --demo`` replays its captures this way.
        """
        current = self.view().setup
        if current.capture.kind is SourceKind.NONE:
            capture = CaptureSetup(kind=SourceKind.FOLDER, folder=str(folder))
            self.update(current.model_copy(update={"capture": capture}), actor)

    def update(self, change: StationSetup, actor: str) -> SetupView:
        """Check, apply and store a new set-up; the running station uses it at once.

        Args:
            change: the whole set-up; ``mqtt.password`` null keeps the stored password, empty clears it. Fields the
                environment sets must be given as they are in force (or left at what :meth:`view` shows).
            actor: who, for the audit trail.

        Raises:
            ConflictError: a field the environment sets was given another value.
            SettingsError: the timer's interval is below the station's cycle time, or timed triggering has no
                capture source, or the Modbus port cannot be opened.
            ImageError: the new capture source does not open.
            StorageError: the workspace database cannot be written (nothing changed).
        """
        with self._lock:
            self._check_locked(change)
            stored = self._keep_locked(change.with_password_of(self._stored))
            new = effective(stored, self.settings)
            changes = stored.changes(self._stored)
            if not changes:
                return self.view()
            self._check(new)
            source_changed = new.capture != self._setup.capture
            source = open_capture(new.capture) if source_changed else None
            try:
                restore_modbus = self._swap_modbus(new) if new.modbus != self._setup.modbus else None
            except BaseException:
                if source is not None:
                    source.close()
                raise
            try:
                self.store.save(stored.document(), actor, lambda conn: self.audit.record(
                    actor, AuditAction.STATION_SETTINGS, "station settings", before=None, after=None,
                    detail="; ".join(changes), within=conn))
            except BaseException:
                if source is not None:
                    source.close()
                if restore_modbus is not None:
                    restore_modbus()
                raise
            old, self._stored, self._setup = self._setup, stored, new
            if source_changed:
                self._problems.pop("capture", None)
            if new.modbus != old.modbus:
                self._problems.pop("modbus", None)
            if source_changed:
                previous = self.station.replace_source(source)
                if previous is not None:
                    previous.close()
            self._swap_outputs(old, new)
            timer_changed = self._retime(old, new)
        if timer_changed:
            self.on_timer(self.timer_state())
        return self.view()

    def _check_locked(self, change: StationSetup) -> None:
        """Refuse a field the environment sets, given with another value than the one in force.

        A field left out of the update is not given; a password is given when it is not null.
        """
        for path, variable in self._locked.items():
            section, name = path.split(".")
            if section not in change.model_fields_set or name not in getattr(change, section).model_fields_set:
                continue
            value = field_value(change, path)
            if value != field_value(self._setup, path) and not (path == "mqtt.password" and value is None):
                raise ConflictError(f"{path} is set by {variable}; change the environment to change it")

    def _keep_locked(self, change: StationSetup) -> StationSetup:
        """``change`` with the stored value in every field the environment sets (the stored one stays stored)."""
        sections: dict[str, dict[str, object]] = {}
        for path in self._locked:
            section, name = path.split(".")
            sections.setdefault(section, {})[name] = field_value(self._stored, path)
        return change.model_copy(update={section: getattr(change, section).model_copy(update=values)
                                         for section, values in sections.items()})

    def _check(self, new: StationSetup) -> None:
        if new.trigger.mode is not TriggerMode.TIMED:
            return
        if new.capture.kind is SourceKind.NONE and (new.capture != self._setup.capture or self.station.source is None):
            raise SettingsError("trigger.mode: timed triggering needs a capture source: set the capture source (a "
                                "folder, a camera or a stream) or choose manual")
        cycle = self.station.stats().cycle_ms
        if cycle.mean is not None and new.trigger.interval_s * 1000 < cycle.mean:
            least = math.ceil(cycle.mean / 100) / 10
            raise SettingsError(f"trigger.interval_s: {new.trigger.interval_s:g} s is shorter than the station's "
                                f"cycle time ({cycle.mean:g} ms on average over the last {cycle.count} captures): "
                                f"triggers would pile up and be skipped as busy; set at least {least:g} s")

    def _swap_modbus(self, new: StationSetup) -> Callable[[], None]:
        """Replace the Modbus server by one for ``new`` (closing the old first: it may hold the port).

        Returns:
            What puts the old server's settings back (when storing the change fails).

        Raises:
            SettingsError: the new port cannot be opened; the old server runs again.
        """
        old_setup = self._setup
        old = self._modbus
        fresh = modbus_server(self.settings, self.station, self.recipes, new)
        self._install_modbus(old, None)
        try:
            if fresh is not None:
                fresh.start()
        except OSError as err:
            self._install_modbus(None, modbus_server(self.settings, self.station, self.recipes, old_setup),
                                 start=True)
            raise SettingsError(f"modbus.port: {err}; choose another port (ports below 1024 need privileges) or "
                                f"stop the program that holds it") from err
        self._install_modbus(None, fresh)

        def restore() -> None:
            self._install_modbus(fresh, modbus_server(self.settings, self.station, self.recipes, old_setup),
                                 start=True)

        return restore

    def _install_modbus(self, old: ModbusServer | None, new: ModbusServer | None, start: bool = False) -> None:
        if old is not None:
            self.station.replace_sink(old, None)
            old.close()
        if new is not None:
            if start:
                try:
                    new.start()
                except OSError as err:
                    log.error("the Modbus server could not be opened again: %s", err)
                    return
            self.station.replace_sink(None, new)
        self._modbus = new

    def _swap_outputs(self, old: StationSetup, new: StationSetup) -> None:
        limit = self.settings.output_queue_limit
        if new.mqtt != old.mqtt:
            before, self._mqtt = self._mqtt, mqtt_sink(new.mqtt, limit)
            self.station.replace_sink(before, self._mqtt)
            if before is not None:
                before.close(successor=self._mqtt)
        if new.webhooks != old.webhooks:
            before_hooks = self._webhooks
            dropped: WebhookSink | None = before_hooks
            if before_hooks is not None and new.webhooks.urls:
                self._webhooks, dropped = before_hooks.with_urls(new.webhooks.urls)
            else:
                self._webhooks = webhook_sink(new.webhooks, limit)
            self.station.replace_sink(before_hooks, self._webhooks)
            if dropped is not None:
                dropped.close()

    def _retime(self, old: StationSetup, new: StationSetup) -> bool:
        """Follow a changed trigger section: manual stops the timer, a new interval restarts it, timed starts it."""
        if new.trigger == old.trigger and new.capture == old.capture:
            return False
        running = self._timer is not None
        self._stop_timer()
        timed = new.trigger.mode is TriggerMode.TIMED and self.station.source is not None
        if timed and (running or old.trigger.mode is not TriggerMode.TIMED):
            self._start_timer()
        return running != (self._timer is not None) or new.trigger != old.trigger

    # -- checks ----------------------------------------------------------------------------------

    def check_capture(self, setup: CaptureSetup) -> CheckReport:
        """Take one capture from ``setup``'s source and show it, or say why not.

        A camera or stream in use is asked for a frame where it runs (a device opens once); a folder is opened anew,
        so the check does not move the station's replay on.
        """
        in_use = setup == self._setup.capture and setup.kind in (SourceKind.CAMERA, SourceKind.STREAM)
        running = self.station.source if in_use else None
        try:
            source = running or open_capture(setup)
            if source is None:
                return CheckReport(False, "no capture source: choose a folder, a camera or a stream")
            try:
                capture = source.capture()
            finally:
                if source is not running:
                    source.close()
        except OpenInspectError as err:
            return CheckReport(False, str(err))
        preview = _preview(capture)
        if preview is None:
            return CheckReport(False, f"took {capture.name}, but it does not decode as an image")
        jpeg, (width, height) = preview
        return CheckReport(True, f"took {capture.name}: {width} x {height} px", jpeg)

    def check_mqtt(self, setup: MqttSetup) -> CheckReport:
        """Connect as ``setup`` says (the stored password when it gives none) and publish a test message."""
        setup = StationSetup(mqtt=setup).with_password_of(self._stored).mqtt
        if not setup.host:
            return CheckReport(False, "no broker host: give the MQTT broker's host name or address")
        where = f"{setup.host}:{setup.port}"
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="")
        answered = threading.Event()
        refused: list[str] = []

        def on_connect(_c: mqtt.Client, _u: object, _f: object, reason: mqtt.ReasonCode, _p: object) -> None:
            if reason.is_failure:
                refused.append(str(reason))
            answered.set()

        client.on_connect = on_connect
        if setup.username:
            client.username_pw_set(setup.username, setup.password.get_secret_value() if setup.password else None)
        try:
            client.connect(setup.host, setup.port, keepalive=10)
        except (OSError, ValueError) as err:
            return CheckReport(False, f"cannot reach the broker at {where}: {_reason(err)}")
        client.loop_start()
        try:
            if not answered.wait(CHECK_TIMEOUT_S):
                return CheckReport(False, f"the broker at {where} did not answer within {CHECK_TIMEOUT_S:g} s")
            if refused:
                return CheckReport(False, f"the broker at {where} refused the connection: {refused[0]} (check the "
                                          f"user name and password)")
            info = client.publish(setup.topic, _test_message(), qos=max(setup.qos, 1))
            info.wait_for_publish(CHECK_TIMEOUT_S)
            if not info.is_published():
                return CheckReport(False, f"connected to {where}, but the broker did not acknowledge the test message "
                                          f"on {setup.topic} within {CHECK_TIMEOUT_S:g} s")
        finally:
            client.disconnect()
            client.loop_stop()
            client.on_connect = None
        return CheckReport(True, f"connected to {where} and published a test message on {setup.topic}")

    def check_webhooks(self, setup: WebhookSetup) -> CheckReport:
        """POST a test message to every URL once and report each answer."""
        if not setup.urls:
            return CheckReport(False, "no webhook URL: give at least one, e.g. http://mes.local/hook")
        lines, ok = [], True
        for url in setup.urls:
            status, error = post_json(url, _test_message(), CHECK_TIMEOUT_S)
            ok = ok and error is None
            lines.append(f"{url}: {error}" if error else f"{url}: HTTP {status}")
        return CheckReport(ok, "; ".join(lines))

    def check_modbus(self, setup: ModbusSetup) -> CheckReport:
        """The running server: read its registers as a PLC does; another address: check that its port can be opened."""
        if setup.port is None:
            return CheckReport(False, "no port: give the TCP port the Modbus server listens on (502 is the standard)")
        host = setup.host or self.settings.host
        server = self._modbus
        if server is not None and (server.host, server.port) == (host, setup.port):
            return _read_registers("127.0.0.1" if host in ("0.0.0.0", "::") else host, setup.port)
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            try:
                probe.bind((host, setup.port))
            except OSError as err:
                return CheckReport(False, f"cannot listen on {host}:{setup.port}: {_reason(err)}"
                                          + (" (ports below 1024 need privileges)" if setup.port < 1024 else ""))
        return CheckReport(True, f"port {setup.port} on {host} is free: save to start the Modbus server there")


def _stored(store: SetupStore) -> StationSetup:
    document = store.load()
    try:
        return StationSetup.model_validate(document or {})
    except ValidationError as err:
        log.error("the stored station settings are not valid and are not used (%s); save them again on the Station "
                  "settings page", err)
        return StationSetup()


def _preview(capture: Capture) -> tuple[bytes, tuple[int, int]] | None:
    """A capture as a JPEG at most :data:`PREVIEW_WIDTH` wide, and its full size; ``None`` when it does not decode."""
    if capture.pixels is not None:
        bgr = cv2.cvtColor(capture.pixels, cv2.COLOR_RGB2BGR)
    else:
        decoded = cv2.imdecode(np.frombuffer(capture.data or b"", np.uint8), cv2.IMREAD_COLOR)
        if decoded is None:
            return None
        bgr = decoded
    height, width = bgr.shape[:2]
    if width > PREVIEW_WIDTH:
        bgr = cv2.resize(bgr, (PREVIEW_WIDTH, round(height * PREVIEW_WIDTH / width)), interpolation=cv2.INTER_AREA)
    ok, jpeg = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return (jpeg.tobytes(), (width, height)) if ok else None


def _read_registers(host: str, port: int) -> CheckReport:
    client = ModbusTcpClient(host, port=port, timeout=CHECK_TIMEOUT_S)
    try:
        if not client.connect():
            return CheckReport(False, f"cannot connect to the Modbus server at {host}:{port}")
        registers = client.read_input_registers(0, count=len(InputRegister)).registers
    except ModbusException as err:
        return CheckReport(False, f"the Modbus server at {host}:{port} did not answer a register read: {err}")
    finally:
        client.close()
    return CheckReport(True, f"a PLC at {host}:{port} reads verdict {registers[InputRegister.VERDICT]}, result counter "
                             f"{registers[InputRegister.RESULT_COUNTER]}, {registers[InputRegister.RECIPE_COUNT]} "
                             f"recipe(s) with a PLC number")


def _test_message() -> bytes:
    return json.dumps({"test": True, "message": "OpenInspect station settings test: not a result",
                       "time": datetime.now(UTC).isoformat()}).encode("utf-8")


def _reason(err: BaseException) -> str:
    return getattr(err, "strerror", None) or str(err) or type(err).__name__

