"""A Modbus TCP server through which a PLC selects recipes, triggers inspections and reads verdicts.

Register map (protocol addresses, 0-based; many PLC tools show them +1, e.g. coil 00001,
input register 30001, holding register 40001). The same table is in ``docs/modbus.md``.

======================  =======  ====  ======================================================
table                   address  type  meaning
======================  =======  ====  ======================================================
coil (FC 1/5/15)        0        bit   TRIGGER: write 1 to inspect one capture; reads 1 until
                                       the result is in, then 0. Writing 1 while a trigger is
                                       running answers exception 06 (device busy).
discrete input (FC 2)   0        bit   READY: the station can take a trigger.
discrete input          1        bit   BUSY: an inspection is running.
discrete input          2        bit   PASS: the last result passed.
discrete input          3        bit   FAIL: the last result failed (or could not be judged).
input register (FC 4)   0        u16   VERDICT of the last result: 0 none yet, 1 pass, 2 fail.
input register          1        u16   RESULT_COUNTER: results so far, wraps 65535 -> 0.
input register          2        u16   ROI_FAIL_MASK: bit i set when the recipe's i-th ROI
                                       (in result order, first 16) failed.
input register          3        u16   REASON of the last result: 0 none (pass), 1 a ROI
                                       failed, 2 part not found (alignment), 3 capture could
                                       not be judged (error), 4 trigger skipped (busy).
input register          4        u16   RECIPE_COUNT: how many recipes carry a PLC number.
holding register        0        u16   RECIPE: the ``plc_number`` of the recipe to inspect
(FC 3/6/16)                            with (1..65534); 65535 until one is written. A number
                                       no recipe carries answers exception 03; a recipe that
                                       cannot be made active (no trained model) 04.
======================  =======  ====  ======================================================

Recipe numbers are stable: each recipe carries its own ``plc_number`` (in its YAML), looked up
when the PLC writes holding register 0, so recipes added or removed while the station runs are
selectable at once and no other recipe's number shifts.

The PLC's cycle: write the recipe number to holding register 0 (once per product change), read
input register 1 (the counter), write 1 to coil 0, poll input register 1 until it changes, then read
input registers 0-3 in one request. Verdict, mask, reason and counter change together, atomically.

Every result the station publishes to this server (it is also a result sink) updates these
registers, so a PLC also sees results of triggers from other sources; a result arriving both as the
answer to a Modbus trigger and through the station's dispatcher counts once (by its ``id``); only a
trigger refused as busy may then advance the counter by 2, so a PLC waits for a change, not for +1.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from pymodbus.constants import ExcCodes
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from openinspect.errors import OpenInspectError, StationBusyError
from openinspect.station.sinks import StationControl
from openinspect.store.records import Outcome, outcome_of

log = logging.getLogger(__name__)

NO_RECIPE = 0xFFFF
"""Holding register 0 before the PLC selected a recipe."""


class Coil(IntEnum):
    """Coil addresses (read/write bits)."""

    TRIGGER = 0


class DiscreteInput(IntEnum):
    """Discrete input addresses (read-only bits)."""

    READY = 0
    BUSY = 1
    PASS = 2
    FAIL = 3


class InputRegister(IntEnum):
    """Input register addresses (read-only 16-bit words)."""

    VERDICT = 0
    RESULT_COUNTER = 1
    ROI_FAIL_MASK = 2
    REASON = 3
    RECIPE_COUNT = 4


class HoldingRegister(IntEnum):
    """Holding register addresses (read/write 16-bit words)."""

    RECIPE = 0


class VerdictCode(IntEnum):
    """Values of :attr:`InputRegister.VERDICT`: a result's :class:`Outcome` as the PLC reads it."""

    NONE = 0
    PASS = 1
    FAIL = 2


class ReasonCode(IntEnum):
    """Values of :attr:`InputRegister.REASON`."""

    NONE = 0
    ROI = 1
    ALIGNMENT = 2
    ERROR = 3
    SKIPPED = 4


PLC_ACTOR = "plc:modbus"
"""Who the audit trail says selected a recipe by its PLC number."""
_VERDICT = {Outcome.PASS: VerdictCode.PASS, Outcome.FAIL: VerdictCode.FAIL, Outcome.ERROR: VerdictCode.FAIL}
"""The verdict register after a result (a skipped trigger leaves it as it was)."""
_REASON = {Outcome.PASS: ReasonCode.NONE, Outcome.FAIL: ReasonCode.ROI, Outcome.ERROR: ReasonCode.ERROR,
           Outcome.SKIPPED: ReasonCode.SKIPPED}
"""The reason register after a result (a failed alignment says so instead of ROI)."""


@dataclass(frozen=True)
class LastResult:
    """What the registers say about the latest result."""

    verdict: VerdictCode = VerdictCode.NONE
    counter: int = 0
    roi_fail_mask: int = 0
    reason: ReasonCode = ReasonCode.NONE

    def after(self, result: dict[str, Any]) -> LastResult:
        """The state once ``result`` (a station result record) is in."""
        mask = sum(1 << i for i, roi in enumerate(result.get("rois", [])[:16]) if not roi.get("pass", False))
        outcome = outcome_of(result)
        verdict = self.verdict if outcome is Outcome.SKIPPED else _VERDICT[outcome]
        reason = _REASON[outcome]
        if outcome is Outcome.FAIL and result.get("reason") == "alignment":
            reason = ReasonCode.ALIGNMENT
        return LastResult(verdict, (self.counter + 1) & 0xFFFF, mask, reason)


class ModbusServer:
    """Serves the register map above for one station; also a result sink.

    Args:
        control: the station the PLC drives.
        recipes: the selectable recipe names by PLC number, as stored now; asked at every selection and
            every read of ``RECIPE_COUNT``, so it must be cheap.
        host: the address to listen on (``0.0.0.0`` for every interface).
        port: the TCP port; 502 is the Modbus standard (binding it needs privileges).

    """

    def __init__(self, control: StationControl, recipes: Callable[[], Mapping[int, str]], host: str = "0.0.0.0",
                 port: int = 502) -> None:
        self.control = control
        self.recipes = recipes
        self.host, self.port = host, port
        self._last = LastResult()
        self._recipe = NO_RECIPE
        self._seen: deque[str] = deque(maxlen=64)
        self._running = threading.Event()
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="openinspect-modbus-trigger")
        self._pending: Future[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._started = threading.Event()
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._serve_thread, name="openinspect-modbus", daemon=True)

    @property
    def last(self) -> LastResult:
        """The latest result as the registers show it."""
        with self._lock:
            return self._last

    def start(self, timeout: float = 5.0) -> None:
        """Start listening in a background thread; returns once the port is open.

        Raises:
            OSError: the port cannot be opened (in use, or 502 without privileges).

        """
        self._thread.start()
        if not self._started.wait(timeout):
            raise OSError(f"Modbus server did not start on {self.host}:{self.port} within {timeout} s")
        if self._failure is not None:
            raise OSError(f"Modbus server cannot listen on {self.host}:{self.port}: {self._failure}")

    def publish(self, result: dict[str, Any]) -> None:
        """Take a result the station produced; each result (by ``id``) counts once."""
        with self._lock:
            result_id = result.get("id")
            if result_id is not None:
                if result_id in self._seen:
                    return
                self._seen.append(result_id)
            self._last = self._last.after(result)

    def close(self, timeout: float = 5.0) -> None:
        """Stop listening and wait up to ``timeout`` s for the server and a running trigger to finish."""
        deadline = time.monotonic() + timeout
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(timeout)
        self._executor.shutdown(wait=False)  # shutdown(wait=True) has no bound: wait for the last trigger here
        if self._pending is not None:
            wait([self._pending], max(0.0, deadline - time.monotonic()))

    # -- server thread ---------------------------------------------------------------------------

    def _serve_thread(self) -> None:
        try:
            asyncio.run(self._serve())
        except OSError as err:  # listen() failing surfaces as RuntimeError or OSError by version
            self._failed(err)

    def _failed(self, err: BaseException) -> None:
        """The port did not open: the loop ends by itself, so :meth:`close` must not reach for it."""
        self._failure, self._loop = err, None  # before start() returns: the loop closes while this thread ends
        self._started.set()

    async def _serve(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        device = SimDevice(id=0, action=self._on_access, simdata=(
            [SimData(0, count=16, values=False, datatype=DataType.BITS)],
            [SimData(0, count=16, values=False, datatype=DataType.BITS)],
            [SimData(0, count=len(HoldingRegister), values=NO_RECIPE, datatype=DataType.REGISTERS)],
            [SimData(0, count=len(InputRegister), values=0, datatype=DataType.REGISTERS)],
        ))
        server = ModbusTcpServer(device, address=(self.host, self.port))
        try:
            await server.serve_forever(background=True)
        except RuntimeError as err:
            self._failed(err)
            return
        log.info("modbus: listening on %s:%d", self.host, self.port)
        self._started.set()
        await self._stop.wait()
        # Stop accepting before closing: a connection accepted in the turn the listener closes would fail to attach
        # to it (asyncio asserts on a closed server before Python 3.12) and leak its socket. Give the ones accepted
        # already the turns they need to get a transport and a protocol, so shutdown() closes them.
        for sock in server.transport.sockets if isinstance(server.transport, asyncio.Server) else ():
            self._loop.remove_reader(sock.fileno())
        for _ in range(3):
            await asyncio.sleep(0)
        await server.shutdown()
        # shutdown() closes the PLC connections with call_soon; let those callbacks run before the loop ends,
        # or the sockets are left to the garbage collector (ResourceWarning)
        for _ in range(2):
            await asyncio.sleep(0)

    async def _on_access(self, func_code: int, _start: int, address: int, count: int, registers: list[int],
                         values: list[int] | list[bool] | None) -> ExcCodes | None:
        """Apply writes, then refresh what is read; pymodbus calls this before every access."""
        if values is not None:
            return self._on_write(func_code, address, count, values)
        if func_code == 1:
            registers[0] = int(self._running.is_set()) << Coil.TRIGGER
        elif func_code == 2:
            registers[0] = self._discrete_inputs()
        elif func_code == 3:
            registers[HoldingRegister.RECIPE] = self._recipe
        elif func_code == 4:
            last = self.last
            registers[: len(InputRegister)] = [last.verdict, last.counter, last.roi_fail_mask, last.reason,
                                               len(self.recipes())]
        return None

    def _on_write(self, func_code: int, address: int, count: int,
                  values: list[int] | list[bool]) -> ExcCodes | None:
        if func_code in (5, 15) and address <= Coil.TRIGGER < address + count:
            return self._trigger() if values[Coil.TRIGGER - address] else None
        if func_code in (6, 16) and address <= HoldingRegister.RECIPE < address + count:
            return self._select(int(values[HoldingRegister.RECIPE - address]))
        return None

    def _discrete_inputs(self) -> int:
        status = self.control.status()
        last = self.last
        bits = {DiscreteInput.READY: status.ready and not self._running.is_set(),
                DiscreteInput.BUSY: status.busy or self._running.is_set(),
                DiscreteInput.PASS: last.verdict is VerdictCode.PASS,
                DiscreteInput.FAIL: last.verdict is VerdictCode.FAIL}
        return sum(int(on) << bit for bit, on in bits.items())

    def _trigger(self) -> ExcCodes | None:
        if self._running.is_set():
            log.warning("modbus: trigger while the previous one is still running; answered busy")
            return ExcCodes.DEVICE_BUSY
        self._running.set()
        self._pending = self._executor.submit(self._run_trigger)
        return None

    def _run_trigger(self) -> None:
        try:
            result = self.control.trigger(None)
        except StationBusyError as err:  # stored and published as skipped by the station; the PLC hears it here
            log.warning("modbus: %s", err)
            result = {"skipped": "busy"}
        except Exception as err:  # a PLC must always get an answer, whatever broke
            log.exception("modbus: trigger failed")
            result = {"error": f"trigger failed: {err}"}
        self.publish(result)  # before clearing: the PLC sees the new counter no later than idle
        self._running.clear()

    def _select(self, number: int) -> ExcCodes | None:
        recipes = self.recipes()
        name = recipes.get(number)
        if name is None:
            log.warning("modbus: no recipe carries plc_number %d; numbers: %s", number,
                        ", ".join(f"{n} {recipes[n]}" for n in sorted(recipes)) or "none (set plc_number in recipes)")
            return ExcCodes.ILLEGAL_VALUE
        try:
            self.control.select_recipe(name, actor=PLC_ACTOR)
        except OpenInspectError as err:
            log.warning("modbus: cannot select recipe '%s': %s", name, err)
            return ExcCodes.DEVICE_FAILURE
        self._recipe = number
        return None
