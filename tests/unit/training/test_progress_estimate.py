"""The Training page's time left and stage text, replayed from a real Fast run recorded with its timestamps.

``data/fast_job.json`` is what ``train_type`` reported, with the time of each report, while training Fast on 40
magnetic tiles (20 good, 20 defect) with 5-fold validation, recorded by
``python bench/fast_train.py --after-only --record tests/unit/training/data/fast_job.json``. Replaying it through
the real :class:`TrainingService` with the recorded clock gives the snapshots the page shows.
"""

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.unit.station.kit import install_plate

from openinspect.models.progress import Fold, Progress
from openinspect.store import ModelVersion, Workspace
from openinspect.training.jobs import TrainingJob, TrainingService, TrainingState

RECORDED = Path(__file__).parent / "data" / "fast_job.json"
START = 1_800_000_000.0


@pytest.fixture(scope="module")
def replayed(tmp_path_factory) -> tuple[list[TrainingJob], float]:
    """Every snapshot of the replayed job and the run's recorded duration."""
    events = json.loads(RECORDED.read_text())["events"]
    now = [START]

    def replay(workspace: Workspace, recipe, type_name: str, *, progress: Progress, **_options) -> ModelVersion:
        for event in events[:-1]:  # the last one marks the end of the publishing
            now[0] = START + event["t"]
            progress(event["fraction"], event["status"], fold=None if event["fold"] is None else Fold(*event["fold"]))
        now[0] = START + events[-1]["t"]
        return ModelVersion(recipe.name, type_name, 2, "fast", workspace.home, datetime.now(UTC), {})

    workspace = Workspace(tmp_path_factory.mktemp("replay") / "home")
    install_plate(workspace)
    snapshots: list[TrainingJob] = []
    service = TrainingService(workspace, snapshots.append, train=replay, clock=lambda: now[0])
    service.start("plate", "surface")
    assert service.wait(30).state is TrainingState.DONE
    workspace.engine.dispose()
    return snapshots, events[-1]["t"]


def test_recorded_run_is_a_real_fast_run_with_folds() -> None:
    events = json.loads(RECORDED.read_text())["events"]
    assert {tuple(e["fold"]) for e in events if e["fold"]} >= {(1, 5), (5, 5), (None, 5)}
    assert events[-1]["t"] > 5.0, "a real run of 40 tiles takes seconds"


def test_time_left_is_within_30_percent_of_the_real_time_left_from_a_quarter_on(replayed) -> None:
    snapshots, total = replayed
    checked = 0
    for job in snapshots:
        if job.state is not TrainingState.RUNNING or job.progress < 0.25:
            continue
        actual = total - (job.updated - START)
        assert job.remaining_s is not None
        # within 30 % of the time left, or of one second when less than a few seconds remain
        assert abs(job.remaining_s - actual) <= max(0.3 * actual, 1.0), (job.progress, job.stage, job.remaining_s,
                                                                          actual)
        checked += 1
    assert checked >= 10


def test_stage_text_never_contradicts_the_job(replayed) -> None:
    snapshots, _ = replayed
    progress = [job.progress for job in snapshots]
    assert progress == sorted(progress), "the fraction done never goes back"
    for job in snapshots:
        if job.state is TrainingState.RUNNING:
            assert not re.search(r"\b(done|published)\b", job.stage), job.stage
            named = re.match(r"fold (\d+) of (\d+)", job.stage)
            if named:
                assert (int(named[1]), int(named[2])) == (job.fold, job.folds), job
            assert ("final model" in job.stage) == (job.folds > 0 and job.fold is None and "·" in job.stage), job
    assert snapshots[-1].stage.startswith("model v2 published") and snapshots[-1].remaining_s is None
