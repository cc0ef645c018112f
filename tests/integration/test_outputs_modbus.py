"""The Modbus TCP server driven by a real pymodbus client doing what a PLC does, on loopback."""

from __future__ import annotations

import gc
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from pymodbus.client import ModbusTcpClient

from openinspect.errors import NotFoundError, StationBusyError
from openinspect.integrations import ModbusServer
from openinspect.integrations.modbus import (
    NO_RECIPE,
    Coil,
    DiscreteInput,
    HoldingRegister,
    InputRegister,
    ReasonCode,
    VerdictCode,
)
from openinspect.station.sinks import StationStatus
from openinspect.store import Workspace
from openinspect.store.records import Outcome

RECIPES = {10: "bracket", 20: "shaft", 30: "tiles"}
"""The recipes by PLC number: stable numbers, not positions in a list."""


class FakeStation:
    """A station whose next results are scripted; a trigger takes ``delay`` seconds."""

    def __init__(self, delay: float = 0.2) -> None:
        self.delay = delay
        self.recipe: str | None = None
        self.selected_by: str | None = None
        self.triggered: list[str | None] = []
        self.script: list[dict[str, Any] | Exception] = []
        self.results = 0
        self.running = threading.Event()

    def trigger(self, recipe: str | None = None) -> dict[str, Any]:
        self.running.set()
        time.sleep(self.delay)
        self.triggered.append(self.recipe)
        self.results += 1
        self.running.clear()
        body = self.script.pop(0)
        if isinstance(body, Exception):
            raise body
        return {"id": f"r{self.results}", "time": "2026-11-25T23:00:00+00:00", "recipe": self.recipe,
                "trigger": "modbus", **body}

    def select_recipe(self, name: str, *, actor: str | None = None) -> None:
        if name == "tiles":
            raise NotFoundError("recipe 'tiles' has no trained model")
        self.recipe, self.selected_by = name, actor

    def status(self) -> StationStatus:
        return StationStatus(ready=self.recipe is not None, busy=self.running.is_set(), recipe=self.recipe,
                             results=self.results, last_verdict=Outcome.PASS if self.results else None)


def roi(name: str, passes: bool) -> dict[str, Any]:
    return {"roi": name, "type": "nut", "class": "good" if passes else "loose", "confidence": 0.9, "pass": passes}


@pytest.fixture
def station() -> FakeStation:
    return FakeStation()


@pytest.fixture
def catalog() -> dict[int, str]:
    """The station's recipes by PLC number; a test changes it as recipes come and go."""
    return dict(RECIPES)


@pytest.fixture
def plc(station: FakeStation, catalog: dict[int, str]) -> Iterator[tuple[ModbusServer, ModbusTcpClient]]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = ModbusServer(station, lambda: dict(catalog), host="127.0.0.1", port=port)
    server.start()
    client = ModbusTcpClient("127.0.0.1", port=port, timeout=3)
    assert client.connect()
    yield server, client
    client.close()
    server.close()


def inputs(client: ModbusTcpClient) -> dict[str, int]:
    registers = client.read_input_registers(0, count=len(InputRegister)).registers
    return {reg.name: registers[reg] for reg in InputRegister}


def flags(client: ModbusTcpClient) -> dict[str, bool]:
    bits = client.read_discrete_inputs(0, count=len(DiscreteInput)).bits
    return {bit.name: bits[bit] for bit in DiscreteInput}


def inspect_like_a_plc(client: ModbusTcpClient, timeout: float = 5.0) -> dict[str, int]:
    """Pulse the trigger coil, wait for the result counter to change, read the result registers."""
    before = inputs(client)["RESULT_COUNTER"]
    assert not client.write_coil(Coil.TRIGGER, True).isError()
    deadline = time.monotonic() + timeout
    while (now := inputs(client))["RESULT_COUNTER"] == before:
        assert time.monotonic() < deadline, "result counter never changed"
        time.sleep(0.02)
    return now


def test_plc_selects_recipe_triggers_and_reads_verdicts(station: FakeStation, plc: Any) -> None:
    _, client = plc
    assert client.read_holding_registers(HoldingRegister.RECIPE, count=1).registers == [NO_RECIPE]
    assert inputs(client) == {"VERDICT": VerdictCode.NONE, "RESULT_COUNTER": 0, "ROI_FAIL_MASK": 0,
                              "REASON": ReasonCode.NONE, "RECIPE_COUNT": 3}
    assert not flags(client)["READY"]

    assert not client.write_register(HoldingRegister.RECIPE, 20).isError()
    assert station.recipe == "shaft" and station.selected_by == "plc:modbus"
    assert client.read_holding_registers(HoldingRegister.RECIPE, count=1).registers == [20]
    assert flags(client) == {"READY": True, "BUSY": False, "PASS": False, "FAIL": False}

    station.script = [{"pass": True, "rois": [roi("a", True), roi("b", True)]},
                      {"pass": False, "rois": [roi("a", True), roi("b", False), roi("c", False)]},
                      {"pass": False, "reason": "alignment", "rois": []},
                      {"error": "cannot decode capture"}]
    assert inspect_like_a_plc(client) == {"VERDICT": VerdictCode.PASS, "RESULT_COUNTER": 1, "ROI_FAIL_MASK": 0,
                                          "REASON": ReasonCode.NONE, "RECIPE_COUNT": 3}
    assert flags(client) == {"READY": True, "BUSY": False, "PASS": True, "FAIL": False}
    assert client.read_coils(Coil.TRIGGER, count=1).bits[0] is False
    assert inspect_like_a_plc(client) == {"VERDICT": VerdictCode.FAIL, "RESULT_COUNTER": 2,
                                          "ROI_FAIL_MASK": 0b110, "REASON": ReasonCode.ROI, "RECIPE_COUNT": 3}
    assert flags(client)["FAIL"] and not flags(client)["PASS"]
    assert inspect_like_a_plc(client)["REASON"] == ReasonCode.ALIGNMENT
    last = inspect_like_a_plc(client)
    assert (last["VERDICT"], last["REASON"], last["RESULT_COUNTER"]) == (VerdictCode.FAIL, ReasonCode.ERROR, 4)
    assert station.triggered == ["shaft"] * 4


def test_trigger_coil_and_busy_read_1_while_inspecting_and_a_second_trigger_is_refused(
        station: FakeStation, plc: Any) -> None:
    _, client = plc
    client.write_register(HoldingRegister.RECIPE, 10)
    station.delay = 0.5
    station.script = [{"pass": True, "rois": []}]
    assert not client.write_coil(Coil.TRIGGER, True).isError()
    assert client.read_coils(Coil.TRIGGER, count=1).bits[0] is True
    assert flags(client)["BUSY"] and not flags(client)["READY"]
    second = client.write_coil(Coil.TRIGGER, True)
    assert second.isError() and second.exception_code == 6  # device busy
    deadline = time.monotonic() + 5
    while client.read_coils(Coil.TRIGGER, count=1).bits[0]:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert inputs(client)["RESULT_COUNTER"] == 1 and len(station.triggered) == 1


def test_a_trigger_the_station_is_too_busy_for_still_changes_the_counter(station: FakeStation, plc: Any) -> None:
    _, client = plc
    client.write_register(HoldingRegister.RECIPE, 10)
    station.script = [{"pass": False, "rois": [roi("a", False)]}, StationBusyError("station busy: stored as skipped")]
    inspect_like_a_plc(client)
    after = inspect_like_a_plc(client)
    assert (after["VERDICT"], after["REASON"], after["RESULT_COUNTER"]) == (VerdictCode.FAIL, ReasonCode.SKIPPED, 2)


def test_recipe_number_no_recipe_carries_or_not_selectable_answers_an_exception(station: FakeStation,
                                                                                plc: Any) -> None:
    _, client = plc
    for unknown in (0, 1, len(RECIPES), NO_RECIPE):
        refused = client.write_register(HoldingRegister.RECIPE, unknown)
        assert refused.isError() and refused.exception_code == 3  # illegal data value
    untrained = client.write_register(HoldingRegister.RECIPE, 30)
    assert untrained.isError() and untrained.exception_code == 4  # device failure
    assert station.recipe is None
    assert client.read_holding_registers(HoldingRegister.RECIPE, count=1).registers == [NO_RECIPE]


def test_results_published_by_the_station_update_registers_once_per_id(plc: Any) -> None:
    server, client = plc
    server.publish({"id": "x1", "pass": False, "rois": [roi("a", False)]})
    server.publish({"id": "x1", "pass": False, "rois": [roi("a", False)]})
    server.publish({"id": "x2", "image": "", "skipped": "busy"})
    assert inputs(client) == {"VERDICT": VerdictCode.FAIL, "RESULT_COUNTER": 2, "ROI_FAIL_MASK": 0,
                              "REASON": ReasonCode.SKIPPED, "RECIPE_COUNT": 3}


def test_recipes_added_or_removed_while_running_are_selectable_at_once_and_numbers_do_not_shift(
        station: FakeStation, catalog: dict[int, str], plc: Any) -> None:
    _, client = plc
    catalog[5] = "aaa-first-by-name"  # sorts before every other recipe: a list position would shift them all
    assert inputs(client)["RECIPE_COUNT"] == 4
    assert not client.write_register(HoldingRegister.RECIPE, 5).isError()
    assert station.recipe == "aaa-first-by-name"
    assert not client.write_register(HoldingRegister.RECIPE, 20).isError()
    assert station.recipe == "shaft"
    del catalog[5]
    gone = client.write_register(HoldingRegister.RECIPE, 5)
    assert gone.isError() and gone.exception_code == 3
    assert station.recipe == "shaft" and inputs(client)["RECIPE_COUNT"] == 3


def test_start_fails_with_a_clear_error_when_the_port_is_taken(station: FakeStation, plc: Any) -> None:
    server, _ = plc
    for _ in range(30):  # closing races the failed server's thread ending (its loop closes): it lost 1 in 30
        clash = ModbusServer(station, lambda: RECIPES, host="127.0.0.1", port=server.port)
        with pytest.raises(OSError, match="cannot listen"):
            clash.start()
        clash.close()  # a station that could not open the port stops it at once (stored settings that no longer open)


def test_a_connection_arriving_as_the_server_stops_is_closed_with_it(station: FakeStation) -> None:
    """A PLC connecting in the turn the server stops: its socket was left open (ResourceWarning) 1 time in 2."""
    for _ in range(30):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        server = ModbusServer(station, lambda: RECIPES, host="127.0.0.1", port=port)
        server.start()
        socket.create_connection(("127.0.0.1", port)).close()
        server.close()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            gc.collect()  # a socket nobody closed warns as it is collected
        assert not [w.message for w in caught if issubclass(w.category, ResourceWarning)]


def test_a_recipe_stored_while_the_station_runs_is_selected_by_its_plc_number(workspace: Workspace) -> None:
    """The real station and recipe library behind the server: no restart between storing a recipe and using it."""
    from tests.unit.station.kit import RECIPE as PLATE
    from tests.unit.station.kit import install_plate

    from openinspect.authoring import RecipeService
    from openinspect.station.service import Station
    from openinspect.store.audit import AuditFilter
    from openinspect.store.results import ResultStore, Retention

    install_plate(workspace, f"{PLATE}plc_number: 7\n")
    station = Station(workspace, ResultStore(workspace.engine, workspace.home / "results", Retention()))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = ModbusServer(station, RecipeService(workspace).plc_numbers, host="127.0.0.1", port=port)
    server.start()
    client = ModbusTcpClient("127.0.0.1", port=port, timeout=3)
    try:
        assert client.connect()
        assert not client.write_register(HoldingRegister.RECIPE, 7).isError()
        assert station.active_recipe == "plate"
        assert client.write_register(HoldingRegister.RECIPE, 8).exception_code == 3
        install_plate(workspace, f"{PLATE.replace('name: plate', 'name: a-new-plate')}plc_number: 8\n")
        assert inputs(client)["RECIPE_COUNT"] == 2
        assert not client.write_register(HoldingRegister.RECIPE, 8).isError()
        assert station.active_recipe == "a-new-plate"
        assert not client.write_register(HoldingRegister.RECIPE, 7).isError()
        assert station.active_recipe == "plate"
        changes = [(r.actor, r.before, r.after) for r in station.audit.query(AuditFilter()).items]
        assert changes[:3] == [("plc:modbus", "a-new-plate", "plate"), ("plc:modbus", "plate", "a-new-plate"),
                               ("plc:modbus", None, "plate")], "every selection by the PLC is in the audit trail"
    finally:
        client.close()
        server.close()
        station.close()
