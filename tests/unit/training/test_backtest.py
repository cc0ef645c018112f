"""Backtests: a candidate model version re-judges archived captures and labelled images beside the deployed one."""

import threading
import time
from datetime import timedelta

import pytest
from tests.unit.training.backtest_kit import DEFECTIVE, START, install_backtest_plate, results_store

from openinspect.errors import ModelNotFoundError, StationBusyError
from openinspect.store import Workspace
from openinspect.store.audit import AuditAction, AuditFilter
from openinspect.training.backtest import Backtest, Contenders, Pacing, ReasonCount, Source, run_backtest
from openinspect.training.backtest_jobs import BacktestService, BacktestState


@pytest.fixture
def workspace(tmp_path):
    workspace = Workspace(tmp_path / "home")
    workspace.hashes = install_backtest_plate(workspace)
    yield workspace
    workspace.engine.dispose()


def _run(workspace, **request):
    wanted = Backtest("plate", "surface", **request)
    return run_backtest(Contenders.load(workspace, wanted), workspace, results_store(workspace), wanted)


def test_a_lenient_candidate_passes_the_scratched_captures_and_disagrees_with_their_labels(workspace):
    report = _run(workspace, candidate=2)
    assert (report.deployed, report.candidate, report.captures, report.images) == (1, 2, 5, 2)
    assert report.pass_to_fail == ()
    changed = {(c.source, c.capture) for c in report.fail_to_pass}
    assert changed == {*((Source.RESULT, r) for r in DEFECTIVE), (Source.LABEL, workspace.hashes["scratched"])}
    assert all(c.reasons == ("scratch",) for c in report.fail_to_pass)
    assert report.reasons == (ReasonCount("scratch", 0, 3),)
    assert (report.agreement.rois, report.agreement.deployed, report.agreement.candidate) == (3, 1.0, 0.3333)
    assert report.skipped == ()


def test_a_strict_candidate_fails_every_passing_capture(workspace):
    report = _run(workspace, candidate=3)
    assert sorted(c.capture for c in report.pass_to_fail if c.source is Source.RESULT) == ["r0", "r2", "r4"]
    assert [c.capture for c in report.pass_to_fail if c.source is Source.LABEL] == [workspace.hashes["good"]]
    assert report.fail_to_pass == () and report.agreement.candidate == round(2 / 3, 4)


def test_since_and_limit_choose_the_newest_archived_captures(workspace):
    assert _run(workspace, candidate=2, since=START + timedelta(minutes=2)).captures == 3
    report = _run(workspace, candidate=2, limit=2)
    assert report.captures == 2 and [c.capture for c in report.fail_to_pass if c.source is Source.RESULT] == ["r3"]


def test_an_evicted_capture_is_skipped_with_the_reason(workspace):
    results_store(workspace).capture_path("r1").unlink()
    report = _run(workspace, candidate=2)
    assert report.captures == 4 and len(report.skipped) == 1 and "'r1' was evicted" in report.skipped[0]


def test_a_candidate_trained_for_other_classes_is_refused(workspace):
    with pytest.raises(ModelNotFoundError, match="trained for classes \\['good', 'dent'\\]"):
        Contenders.load(workspace, Backtest("plate", "surface", 4))


def test_the_job_reports_progress_records_its_start_and_runs_one_at_a_time(workspace):
    seen, gate = [], threading.Event()
    service = BacktestService(workspace, results_store(workspace), lambda job: (seen.append(job), gate.wait(10)))
    job = service.start(Backtest("plate", "surface", 2, limit=3), actor="alice")
    assert job.state is BacktestState.RUNNING and (job.deployed, job.candidate, job.limit) == (1, 2, 3)
    with pytest.raises(StationBusyError, match="running"):
        service.start(Backtest("plate", "surface", 3))
    gate.set()
    service.wait(30)
    done = service.latest("plate", "surface")
    assert done.state is BacktestState.DONE and done.report.captures == 3 and done.progress == 1.0
    assert [round(s.progress, 1) for s in seen if s.state is BacktestState.RUNNING] == [0.2, 0.4, 0.6, 0.8, 1.0]
    audit = service.audit.query(AuditFilter(recipe="plate")).items[0]
    assert (audit.actor, audit.action, audit.before, audit.after) == ("alice", AuditAction.BACKTEST_START, "v1", "v2")


def test_pacing_waits_while_the_station_is_busy_then_rests_its_share():
    answers = iter([True, True, False])
    asked = []
    pacing = Pacing(rest=0.5, busy=lambda: asked.append(1) or next(answers), poll=0.001)
    began = time.perf_counter()
    pacing.pause(0.02)
    assert len(asked) == 3 and time.perf_counter() - began >= 0.01 + 0.002
