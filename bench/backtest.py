"""Backtest throughput against the station's, and the station's trigger latency while a backtest runs.

A one-classifier-ROI recipe (the test kit's hand-built dark-pixel ONNX model, deployed v1, candidate v2 with
another threshold) and ``--captures`` archived synthetic captures. Measured in one run:

1. the station's own inspection throughput: ``Inspector.inspect_bytes`` on every archived capture;
2. the backtest's: deployed and candidate version on the same captures (``run_backtest``), captures per second,
   as a ratio to (1) per capture and per model run (the backtest runs type T's model twice per capture);
3. a Station's trigger latency (submit to stored record, triggers one after another), p50 without and with a
   backtest running beside it (``BacktestService``: its own thread, one ONNX thread, lower OS priority), once for
   each way the backtest gives way between captures (:class:`Pacing`).

Run from the repository root: ``python bench/backtest.py [--captures 10000] [--triggers 300]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the test kit's model and parts
from tests.unit.station.kit import RECIPE, dark_pixel_classifier, install_plate, part_png

from openinspect.station import Inspector
from openinspect.station.service import Station
from openinspect.station.sources import Capture, TriggerSource
from openinspect.store import ModelMeta, Workspace
from openinspect.store.records import ResultRecord
from openinspect.store.results import ResultFilter, ResultStore, Retention
from openinspect.training.backtest import Backtest, Contenders, Pacing, run_backtest
from openinspect.training.backtest_jobs import BacktestService

ONE_ROI = RECIPE.replace("  - {name: right, type: surface, x: 64, y: 0, w: 64, h: 96}\n", "")
PARTS = 64
"""Distinct synthetic parts, archived in turn under every result id."""


def _workspace(home: Path, captures: int) -> tuple[Workspace, ResultStore, list[bytes]]:
    workspace = Workspace(home)
    install_plate(workspace, ONE_ROI)
    with workspace.new_model_version("plate", "surface", "fast") as folder:
        dark_pixel_classifier(folder / "model.onnx", limit=30.0)
        ModelMeta(["good", "scratch"], metrics={}).write(folder)
    store = ResultStore(workspace.engine, home / "results", Retention(keep_pass_every=1, budget_bytes=8 << 30))
    parts = [part_png(i % 5 == 0, seed=i) for i in range(PARTS)]
    start = datetime(2025, 1, 1, tzinfo=UTC)
    for i in range(captures):
        png = parts[i % PARTS]
        store.add(ResultRecord(f"r{i:06d}", start + timedelta(seconds=i), "plate", "upload",
                               {"image": f"{i}.png", "pass": i % 5 != 0, "rois": []}), lambda png=png: (png, ".png"))
    return workspace, store, parts


def _station_rate(workspace: Workspace, store: ResultStore) -> float:
    inspector = Inspector.load(workspace, "plate", threads=1)
    captures = store.archived(ResultFilter(recipe="plate", archived=True))  # one query, as the backtest's
    began = time.perf_counter()
    for result_id, path in captures:
        inspector.inspect_bytes(path.read_bytes(), result_id)
    return len(captures) / (time.perf_counter() - began)


def _backtest_rate(workspace: Workspace, store: ResultStore) -> float:
    request = Backtest("plate", "surface", 2)
    contenders = Contenders.load(workspace, request)
    began = time.perf_counter()
    report = run_backtest(contenders, workspace, store, request)
    return report.captures / (time.perf_counter() - began)


def _pacings(station: Station) -> dict[str, Pacing]:
    """The ways of giving way compared, by name."""
    def busy() -> bool:
        return station.status().busy
    return {"yield only": Pacing(), "rest 1x capture time": Pacing(rest=1.0), "wait while busy": Pacing(busy=busy),
            "wait while busy + rest 1x": Pacing(rest=1.0, busy=busy)}


def _loaded_p50(workspace: Workspace, store: ResultStore, station: Station, parts: list[bytes], triggers: int,
                pacing: Pacing) -> float:
    service = BacktestService(workspace, store, lambda job: None, pacing=pacing)
    service.start(Backtest("plate", "surface", 2))
    try:
        return _trigger_p50(station, parts, triggers, service)
    finally:
        service.close()


def _trigger_p50(station: Station, parts: list[bytes], triggers: int, busy: BacktestService | None) -> float:
    latencies = []
    for i in range(triggers):
        began = time.perf_counter()
        station.submit(Capture(f"t{i}.png", data=parts[i % len(parts)]), source=TriggerSource.UPLOAD).result()
        latencies.append((time.perf_counter() - began) * 1000)
    if busy is not None:
        assert busy.latest("plate", "surface").state.value == "running", "the backtest ended first: raise --captures"
    return statistics.median(latencies)


def main() -> None:
    """Measure and print the figures side by side."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--captures", type=int, default=2000, help="archived captures (the issue asks 10,000)")
    parser.add_argument("--triggers", type=int, default=200, help="triggers per latency measurement")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="openinspect-bench-backtest-") as tmp:
        workspace, store, parts = _workspace(Path(tmp) / "home", args.captures)
        station_rate = _station_rate(workspace, store)
        backtest_rate = _backtest_rate(workspace, store)
        station = Station(workspace, ResultStore(workspace.engine, Path(tmp) / "live", Retention(keep_pass_every=0)),
                          threads=1)
        station.select_recipe("plate")
        idle = _trigger_p50(station, parts, args.triggers, None)
        loaded = {name: _loaded_p50(workspace, store, station, parts, args.triggers, pacing)
                  for name, pacing in _pacings(station).items()}
        station.close()
        workspace.engine.dispose()
    print(f"captures archived            {args.captures}")
    print(f"station inspect_bytes        {station_rate:8.1f} captures/s")
    print(f"backtest (deployed+cand.)    {backtest_rate:8.1f} captures/s   ratio per capture "
          f"{backtest_rate / station_rate:.2f} (target >= 0.9), per model run {2 * backtest_rate / station_rate:.2f}")
    print(f"trigger p50 without backtest {idle:8.2f} ms")
    for name, p50 in loaded.items():
        print(f"  with backtest, {name:26} {p50:6.2f} ms   ratio {p50 / idle:.2f} (target <= 1.25)")


if __name__ == "__main__":
    main()
