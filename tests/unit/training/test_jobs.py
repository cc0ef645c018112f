"""The training job's structured progress: step, epoch, loss and loss curve of the model training now, per fold.

A scripted trainer stands in for :func:`openinspect.training.train_type`: it reports what a real run would, so the
job is tested without torch.
"""

from datetime import UTC, datetime

import pytest
from tests.unit.station.kit import dark_pixel_classifier, install_plate

from openinspect.models.progress import LOSS_POINTS, Fold, Progress, Step
from openinspect.store import ModelMeta, ModelVersion, Workspace
from openinspect.store.audit import AuditFilter, AuditLog
from openinspect.training.jobs import TrainingJob, TrainingService, TrainingState


def _scripted(*reports: tuple[float, str, Step | None, Fold | None]):
    """A trainer that sends ``reports`` to the job's progress callback, then 'publishes' v2."""

    def train(workspace: Workspace, recipe, type_name: str, *, progress: Progress, **_options) -> ModelVersion:
        for fraction, status, step, fold in reports:
            progress(fraction, status, step=step, fold=fold)
        return ModelVersion(recipe.name, type_name, 2, "accurate", workspace.home, datetime.now(UTC), {})

    return train


def _run(tmp_path, train) -> list[TrainingJob]:
    workspace = Workspace(tmp_path / "home")
    install_plate(workspace)
    snapshots: list[TrainingJob] = []
    service = TrainingService(workspace, snapshots.append, train=train)
    service.start("plate", "surface")
    assert service.wait(30).state is TrainingState.DONE
    workspace.engine.dispose()
    return snapshots


def test_job_carries_step_epoch_loss_and_curve_of_the_model_training_now(tmp_path) -> None:
    fold1, final = Fold(1, 2), Fold(None, 2)
    snapshots = _run(tmp_path, _scripted(
        (0.1, "extracting features", None, fold1),
        (0.2, "fine-tuning", Step.of(1, 2, 16, 8, 0.9), fold1),
        (0.3, "fine-tuning", Step.of(2, 2, 16, 8, 0.7), fold1),
        (0.6, "fine-tuning", Step.of(1, 3, 16, 12, 0.8), final),
        (0.9, "done", None, final),
        (1.0, "exporting", None, None)))

    first, stepped, fold_end, next_model, done = snapshots[0], snapshots[1], snapshots[2], snapshots[3], snapshots[-1]
    assert (first.fold, first.folds, first.step, first.loss_curve) == (1, 2, None, ())
    assert (stepped.step, stepped.steps, stepped.epoch, stepped.epochs, stepped.loss) == (1, 2, 2.0, 4.0, 0.9)
    assert fold_end.loss_curve == ((1, 0.9), (2, 0.7))
    assert (next_model.fold, next_model.step, next_model.epoch, next_model.loss_curve) == (None, 1, 1.33, ((1, 0.8),))
    assert done.state is TrainingState.DONE and done.version == 2
    assert (done.fold, done.step, done.steps, done.loss, done.loss_curve) == (None, 1, 3, 0.8, ((1, 0.8),))


@pytest.mark.parametrize("steps", [LOSS_POINTS + 1, 1000])
def test_every_snapshot_keeps_the_curve_within_its_bound(tmp_path, steps) -> None:
    reports = [(s / steps, "training", Step.of(s, steps, 8, 4, 1 / s), None) for s in range(1, steps + 1)]
    snapshots = _run(tmp_path, _scripted(*reports))
    assert max(len(job.loss_curve) for job in snapshots) <= LOSS_POINTS
    assert snapshots[-1].loss_curve[-1] == (steps, round(1 / steps, 4)) and snapshots[-1].epochs == steps * 2


def _publishing(workspace: Workspace, recipe, type_name: str, *, deploy: bool, **_options) -> ModelVersion:
    """A trainer that publishes a copy of the installed model as the next version, deployed when asked."""
    with workspace.new_model_version(recipe.name, type_name, "fast", deploy=deploy) as folder:
        dark_pixel_classifier(folder / "model.onnx")
        ModelMeta(["good", "scratch"]).write(folder)
    return workspace.latest_model(recipe.name, type_name)


@pytest.mark.parametrize(("deploy", "deployed", "message"), [(False, 1, "model v2 published as a candidate"),
                                                             (True, 2, "model v2 published and deployed")])
def test_a_job_deploys_its_version_only_when_asked(tmp_path, deploy, deployed, message) -> None:
    workspace = Workspace(tmp_path / "home")
    install_plate(workspace)
    service = TrainingService(workspace, lambda _job: None, train=_publishing)
    service.start("plate", "surface", deploy=deploy, actor="alice")
    done = service.wait(30)
    assert (done.state, done.version, done.deployed, done.message) == (TrainingState.DONE, 2, deploy, message)
    assert workspace.deployed_version("plate", "surface") == deployed
    records = [(r.actor, r.action.value, r.before, r.after, r.detail)
               for r in reversed(AuditLog(workspace.engine).query(AuditFilter()).items)]
    start = ("alice", "training.start", "v1", None, "mode: as the recipe says")
    assert records == ([start, ("alice", "model.deploy", "v1", "v2", "deployed by its training")] if deploy
                       else [start])
    workspace.engine.dispose()


def test_a_done_job_carries_the_warnings_about_its_training_data(tmp_path) -> None:
    warning = "class 'scratch' has 2 labelled crop(s): fewer than 3 cannot show what varies within it"

    def train(workspace: Workspace, recipe, type_name: str, **_options) -> ModelVersion:
        folder = workspace.home / "published"
        folder.mkdir()
        ModelMeta(["good", "scratch"], warnings=[warning]).write(folder)
        return ModelVersion(recipe.name, type_name, 2, "fast", folder, datetime.now(UTC), {})

    snapshots = _run(tmp_path, train)
    assert snapshots[-1].state is TrainingState.DONE and snapshots[-1].warnings == (warning,)
    assert all(s.warnings == () for s in snapshots[:-1])
