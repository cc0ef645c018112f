"""The Station settings page's API: capture source, trigger mode, outputs, their Tests, and Start/Stop of the timer."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from openinspect.integrations.config import CaptureSetup, ModbusSetup, MqttSetup, WebhookSetup
from openinspect.server.deps import Engineer, Operator, SetupDep
from openinspect.server.errors import ERROR_RESPONSES
from openinspect.server.schemas import (
    CheckPublic,
    StationSettingsPublic,
    StationSettingsUpdate,
    TimerPublic,
    TimerUpdate,
)

router = APIRouter(prefix="/station", tags=["station settings"], responses=ERROR_RESPONSES)


@router.get("/settings")
def settings(setup: SetupDep, _role: Engineer) -> StationSettingsPublic:
    """The set-up in force; ``locked`` names the fields environment variables set (they win over stored values)."""
    return StationSettingsPublic.of(setup.view())


@router.put("/settings")
def save_settings(body: StationSettingsUpdate, setup: SetupDep, caller: Engineer) -> StationSettingsPublic:
    """Check, apply (the running station switches source, timer and outputs, no restart) and store the set-up.

    422 ``invalid_settings`` names the field and the fix (an interval below the cycle time, a port that cannot be
    opened); 409 ``conflict`` for a field an environment variable sets; 422 ``invalid_image`` for a capture source
    that does not open. A refused change changes nothing.
    """
    return StationSettingsPublic.of(setup.update(body, caller.name))


@router.post("/settings/capture/test")
async def test_capture(body: CaptureSetup, setup: SetupDep, _role: Engineer) -> CheckPublic:
    """Take one capture from this source (saved or not) and return it, or why it could not."""
    return CheckPublic.of(await run_in_threadpool(setup.check_capture, body))


@router.post("/settings/mqtt/test")
async def test_mqtt(body: MqttSetup, setup: SetupDep, _role: Engineer) -> CheckPublic:
    """Connect to this broker and publish a test message (``{"test": true, ...}``) on the topic."""
    return CheckPublic.of(await run_in_threadpool(setup.check_mqtt, body))


@router.post("/settings/webhooks/test")
async def test_webhooks(body: WebhookSetup, setup: SetupDep, _role: Engineer) -> CheckPublic:
    """POST a test message (``{"test": true, ...}``) to each URL once and report each status or error."""
    return CheckPublic.of(await run_in_threadpool(setup.check_webhooks, body))


@router.post("/settings/modbus/test")
async def test_modbus(body: ModbusSetup, setup: SetupDep, _role: Engineer) -> CheckPublic:
    """The running server: read its input registers as a PLC does; another address: check its port can be opened."""
    return CheckPublic.of(await run_in_threadpool(setup.check_modbus, body))


@router.get("/timer")
def timer(setup: SetupDep, _role: Operator) -> TimerPublic:
    """Timed triggering: mode, interval and whether it runs."""
    return TimerPublic.model_validate(setup.timer_state())


@router.put("/timer")
def set_timer(body: TimerUpdate, setup: SetupDep, caller: Operator) -> TimerPublic:
    """Start or stop timed triggering (operators too: it is running the line).

    409 in manual mode or without a capture source. Every browser hears of it on the WebSocket
    (``{"event": "station"}``).
    """
    return TimerPublic.model_validate(setup.set_timer(body.running, caller.name))
