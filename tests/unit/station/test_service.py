"""The station service with real inspectors (a known ONNX model), a real SQLite results store and sinks."""

import threading

import cv2
import numpy as np
import pytest
from tests.conftest import part_capture
from tests.unit.station.kit import GatedSource, ListSink, install_plate, part_png

from openinspect.errors import NotFoundError, StationBusyError
from openinspect.station.service import RECENT_CAPTURES, RecentCaptures, Station
from openinspect.station.sinks import ResultSink
from openinspect.station.sources import CameraSource, Capture, FolderSource, IntervalTrigger, open_source
from openinspect.store.records import Outcome
from openinspect.store.results import ResultFilter, ResultStore, Retention


@pytest.fixture
def store(workspace):
    return ResultStore(workspace.engine, workspace.home / "results", Retention(keep_pass_every=1))


def _station(workspace, store, **kwargs):
    install_plate(workspace)
    station = Station(workspace, store, **kwargs)
    station.select_recipe("plate")
    return station


def test_upload_trigger_is_judged_stored_and_published(workspace, store):
    station = _station(workspace, store)
    sink = ListSink()
    assert isinstance(sink, ResultSink)
    station.add_sink(sink)
    record = station.submit(Capture("bad.png", data=part_png(True, 3))).result(5).to_json()
    station.close()
    assert record["pass"] is False and record["recipe"] == "plate" and record["image"] == "bad.png"
    assert [r["class"] for r in record["rois"]] == ["scratch", "scratch"]
    assert len(record["id"]) == 36 and record["time"].endswith("+00:00")
    assert store.get(record["id"]).to_json() == record
    assert sink.results == [record] and sink.closed
    assert store.capture_path(record["id"]).read_bytes() == part_png(True, 3)
    status = station.status()
    assert status.results == 1 and status.last_verdict is Outcome.FAIL and status.ready and not status.busy


def test_full_queue_answers_busy_and_stores_a_skipped_record(workspace, store):
    source = GatedSource()
    station = _station(workspace, store, source=source, queue_limit=2)
    sink = ListSink()
    station.add_sink(sink)
    accepted = [station.submit()]
    assert source.waiting.wait(5)  # the first trigger is being captured: it holds the worker
    accepted += [station.submit(), station.submit()]
    with pytest.raises(StationBusyError, match="2 trigger\\(s\\) already wait"):
        station.submit()
    assert station.stats().waiting == 2 and station.status().busy
    source.gate.set()
    records = [f.result(5).to_json() for f in accepted]
    station.close()
    assert [r["image"] for r in records] == ["gated-1.png", "gated-2.png", "gated-3.png"]
    page = store.query(ResultFilter())
    assert page.total == 4
    skipped = store.query(ResultFilter(outcome=Outcome.SKIPPED)).items
    assert len(skipped) == 1 and skipped[0].body["skipped"] == "busy" and "pass" not in skipped[0].body
    assert len(sink.results) == 4  # every trigger reached the outputs, the skipped one too
    assert station.stats().counts == {Outcome.PASS: 3, Outcome.FAIL: 0, Outcome.ERROR: 0, Outcome.SKIPPED: 1}


def test_unreadable_capture_is_stored_as_error_not_lost(workspace, store):
    station = _station(workspace, store)
    record = station.submit(Capture("broken.png", data=part_png(False)[:80])).result(5).to_json()
    station.close()
    assert "error" in record and "pass" not in record
    assert store.query(ResultFilter(outcome=Outcome.ERROR)).total == 1
    assert store.capture_path(record["id"]).is_file()  # unjudged captures are kept to look at


def test_trigger_without_source_or_recipe_explains(workspace, store):
    station = Station(workspace, store)
    with pytest.raises(NotFoundError, match="no active recipe"):
        station.submit()
    install_plate(workspace)
    record = station.submit(recipe="plate").result(5).to_json()
    station.close()
    assert "no capture source" in record["error"]


def test_folder_source_replays_in_name_order_and_loops(tmp_path, workspace, store):
    for name, defect in (("b.png", True), ("a.png", False)):
        (tmp_path / "caps" / name).parent.mkdir(exist_ok=True)
        (tmp_path / "caps" / name).write_bytes(part_png(defect))
    station = _station(workspace, store, source=open_source(str(tmp_path / "caps")))
    records = [station.trigger() for _ in range(3)]
    station.close()
    assert [(r["image"], r["pass"]) for r in records] == [("a.png", True), ("b.png", False), ("a.png", True)]


def test_camera_source_reads_frames_through_videocapture(tmp_path, workspace, store):
    video = tmp_path / "line.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10, (128, 96))
    for defect in (False, True, False):
        writer.write(cv2.cvtColor(part_capture(defect, 7), cv2.COLOR_RGB2BGR))
    writer.release()
    camera = open_source(str(video), width=128, height=96)
    assert isinstance(camera, CameraSource)
    station = _station(workspace, store, source=camera)
    records = [station.trigger() for _ in range(3)]
    fourth = station.trigger()
    station.close()
    assert [r["pass"] for r in records] == [True, False, True]
    assert [r["image"] for r in records] == ["camera-000001", "camera-000002", "camera-000003"]
    assert "gave no frame" in fourth["error"]
    assert store.capture_path(records[1]["id"]).suffix == ".png"


def test_camera_that_does_not_open_is_an_error_naming_it(tmp_path):
    with pytest.raises(Exception, match="cannot open camera"):
        CameraSource(str(tmp_path / "missing.avi"))


def test_empty_capture_folder_gives_error_record(tmp_path, workspace, store):
    (tmp_path / "empty").mkdir()
    station = _station(workspace, store, source=FolderSource(tmp_path / "empty"))
    record = station.trigger()
    station.close()
    assert "holds no images" in record["error"]


def test_interval_trigger_fires_until_stopped_and_reports_errors():
    fired, errors, four = [], [], threading.Event()

    def fire():
        fired.append(1)
        if len(fired) == 2:
            raise StationBusyError("busy")
        if len(fired) == 4:
            four.set()

    timer = IntervalTrigger(fire, 0.01, errors.append)
    timer.start()
    assert four.wait(5)
    timer.stop()
    count = len(fired)
    assert count >= 4 and len(errors) == 1 and isinstance(errors[0], StationBusyError)
    assert len(fired) == count


def test_recipe_change_is_picked_up_after_reload(workspace, store):
    station = _station(workspace, store)
    first = station.submit(Capture("x.png", data=part_png(True))).result(5).to_json()
    workspace.save_recipe(station.inspector("plate").recipe.model_copy(
        update={"rois": station.inspector("plate").recipe.rois[:1]}))
    station.reload("plate")
    second = station.submit(Capture("x.png", data=part_png(True))).result(5).to_json()
    station.close()
    assert len(first["rois"]) == 2 and [r["roi"] for r in second["rois"]] == ["left"]


def test_stats_report_pass_rate_and_cycle_times(workspace, store):
    station = _station(workspace, store)
    for defect in (False, False, False, True):
        station.submit(Capture("p.png", data=part_png(defect, 9))).result(5).to_json()
    stats = station.stats()
    station.close()
    assert stats.pass_rate == 0.75 and stats.cycle_ms.count == 4 and stats.latency_ms.count == 4
    assert 0 < stats.cycle_ms.p50 <= stats.cycle_ms.max and stats.latency_ms.p50 >= stats.cycle_ms.p50 * 0.5
    assert np.isfinite(stats.cycle_ms.mean)


def test_latest_captures_are_held_in_memory_when_retention_does_not_archive_them(workspace):
    store = ResultStore(workspace.engine, workspace.home / "results", Retention(keep_pass_every=0))
    station = _station(workspace, store)
    records = [station.submit(Capture(f"good-{i}.png", data=part_png(False, i))).result(5).to_json()
               for i in range(RECENT_CAPTURES + 1)]
    station.close()
    assert all(r["pass"] for r in records)
    with pytest.raises(NotFoundError, match="not archived"):
        store.capture_path(records[-1]["id"])
    assert station.capture(records[-1]["id"]) == (part_png(False, RECENT_CAPTURES), ".png")
    with pytest.raises(NotFoundError, match="not archived"):  # the oldest left memory: 16 are kept
        station.capture(records[0]["id"])


def test_recent_captures_stay_within_their_memory_budget_and_encode_camera_frames_on_demand():
    frame = np.zeros((100, 100, 3), np.uint8)
    recent = RecentCaptures(count=16, max_bytes=2 * frame.nbytes)
    for i in range(3):
        recent.add(f"r{i}", Capture(f"camera-{i}", pixels=frame))
    assert recent.encoded("r0") is None, "over the byte budget: the oldest frame goes"
    data, suffix = recent.encoded("r2")
    assert suffix == ".png" and cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR).shape == (100, 100, 3)
    huge = RecentCaptures(count=16, max_bytes=10)
    huge.add("big", Capture("camera-big", pixels=frame))
    assert huge.encoded("big") is not None, "the newest capture is kept whatever its size"
