"""The results store on SQLite: filters, paging, CSV export and archive retention."""

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from openinspect.errors import NotFoundError
from openinspect.store.records import Outcome, ResultRecord
from openinspect.store.results import ResultFilter, ResultStore, Retention

T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def record(minute, verdict=True, recipe="plate", left="good", version=1, **extra):
    body = {"pass": verdict, "rois": [{"roi": "left", "type": "surface", "class": left, "confidence": 0.9,
                                       "pass": left == "good"},
                                      {"roi": "right", "type": "surface", "class": "good", "confidence": 0.9,
                                       "pass": True}],
            "models": {"surface": {"version": version, "sha256": f"{version}" * 64}},
            "timing_ms": {"total": 5.0 + minute}, "recipe_revision": 3}
    if "error" in extra or "skipped" in extra:
        body = {}
    return ResultRecord(str(uuid.uuid4()), T0 + timedelta(minutes=minute), recipe, "upload",
                        {"image": f"cap-{minute}.png", **body, **extra})


def capture(size):
    return lambda: (b"x" * size, ".png")


def fill(store):
    records = [record(0), record(1, False, left="scratch"), record(2, recipe="other"), record(3, error="corrupt"),
               record(4, skipped="busy"), record(5, version=2)]
    for r in records:
        store.add(r)
    return records


def check_filters_and_paging(store):
    """Shared with the PostgreSQL test: the same queries must give the same answers on every dialect."""
    records = fill(store)
    ids = [r.id for r in records]
    everything = store.query(ResultFilter())
    assert everything.total == 6 and [r.id for r in everything.items] == ids[::-1]
    page = store.query(ResultFilter(), limit=2, offset=2)
    assert page.total == 6 and [r.id for r in page.items] == [ids[3], ids[2]]
    window = store.query(ResultFilter(since=T0 + timedelta(minutes=1), until=T0 + timedelta(minutes=3)))
    assert [r.id for r in window.items] == [ids[2], ids[1]]
    naive = store.query(ResultFilter(since=datetime(2026, 11, 25, 8, 5)))
    assert [r.id for r in naive.items] == [ids[5]]
    assert store.query(ResultFilter(recipe="other")).items[0].id == ids[2]
    assert [r.id for r in store.query(ResultFilter(outcome=Outcome.FAIL)).items] == [ids[1]]
    assert [r.id for r in store.query(ResultFilter(outcome=Outcome.SKIPPED)).items] == [ids[4]]
    assert [r.id for r in store.query(ResultFilter(class_name="scratch")).items] == [ids[1]]
    assert store.query(ResultFilter(roi="right", class_name="scratch")).total == 0
    assert store.query(ResultFilter(roi="left")).total == 4
    assert [r.id for r in store.query(ResultFilter(model_version=2)).items] == [ids[5]]
    assert store.query(ResultFilter(model_version=1)).total == 3 and store.query(ResultFilter(model_version=3)).total == 0
    assert store.get(ids[1]) == records[1]
    lines = list(csv.reader(io.StringIO("".join(store.export_csv(ResultFilter(), batch=4)))))
    assert lines[0] == ["id", "time", "recipe", "image", "outcome", "cycle_ms", "rois", "error", "recipe_revision",
                        "models"]
    assert [line[0] for line in lines[1:]] == ids
    assert lines[2][4:7] == ["fail", "6.0", "left=scratch;right=good"]
    assert lines[2][8] == "3" and lines[4][8] == ""  # the revision that judged it; none for an unjudged capture
    assert lines[4][4] == "error" and lines[4][7] == "corrupt" and lines[5][7] == "busy"
    assert [line[9] for line in lines[1:]] == ["surface=v1"] * 3 + ["", "", "surface=v2"]


@pytest.fixture
def store(workspace):
    return ResultStore(workspace.engine, workspace.home / "results", Retention(keep_pass_every=3, budget_bytes=1000))


def test_filters_paging_and_csv_export(store):
    check_filters_and_paging(store)


def test_retention_keeps_fails_and_every_nth_pass(store):
    passes = [record(i) for i in range(6)]
    fail = record(10, False, left="scratch")
    for r in [*passes, fail]:
        store.add(r, capture(10))
    kept = [r.id for r in passes if _archived(store, r.id)]
    assert kept == [passes[0].id, passes[3].id]
    assert _archived(store, fail.id) and store.archived_bytes == 30


def test_budget_evicts_oldest_pass_first_then_oldest_fail(store):
    old_pass, old_fail, new_pass = record(0), record(1, False, left="scratch"), record(3)
    store.add(old_pass, capture(400))
    store.add(old_fail, capture(400))
    store.add(record(2), capture(400))  # the 2nd pass: not sampled (every 3rd)
    store.add(record(2.5), capture(400))
    store.add(new_pass, capture(400))  # the 4th pass: sampled; 1200 > 1000, the oldest pass goes
    assert not _archived(store, old_pass.id) and _archived(store, old_fail.id) and _archived(store, new_pass.id)
    assert store.archived_bytes == 800
    assert not list((store.archive).rglob(f"{old_pass.id}*"))
    late_fail = record(4, False, left="scratch")
    store.add(late_fail, capture(400))  # only fails and the newest pass left: the pass goes first
    assert not _archived(store, new_pass.id) and store.archived_bytes == 800
    store.add(record(5, False, left="scratch"), capture(400))  # no pass left: the oldest fail goes
    assert not _archived(store, old_fail.id) and _archived(store, late_fail.id)
    assert store.get(old_pass.id).id == old_pass.id  # records are never removed


def test_archive_total_survives_a_restart(workspace, store):
    store.add(record(0, False), capture(100))
    again = ResultStore(workspace.engine, workspace.home / "results", Retention())
    assert again.archived_bytes == 100


def test_unknown_result_and_unarchived_capture_are_not_found(store):
    r = record(1)
    store.add(r, capture(10))
    skipped = record(2, skipped="busy")
    store.add(skipped, capture(10))
    with pytest.raises(NotFoundError, match="no result with id"):
        store.get("nope")
    with pytest.raises(NotFoundError, match="not archived"):
        store.capture_path(skipped.id)


def _archived(store, result_id):
    try:
        return store.capture_path(result_id).is_file()
    except NotFoundError:
        return False
