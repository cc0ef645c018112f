"""Deployed model versions: the first deploys itself, later ones stay candidates, deploy and rollback keep a history."""

import sqlite3

import pytest

from openinspect.errors import ConflictError, ModelNotFoundError, NotFoundError
from openinspect.store import ModelMeta, Workspace


def _train(workspace: Workspace, *, deploy: bool = False, recipe: str = "r1") -> None:
    with workspace.new_model_version(recipe, "t", "fast", deploy=deploy) as folder:
        (folder / "model.onnx").write_bytes(b"onnx")
        ModelMeta(["good", "bad"]).write(folder)


def test_the_first_model_deploys_itself_and_later_ones_stay_candidates(workspace):
    with pytest.raises(ModelNotFoundError, match="train one"):
        workspace.deployed_model("r1", "t")
    _train(workspace)
    _train(workspace)
    assert workspace.deployed_model("r1", "t").version == 1
    assert workspace.latest_model("r1", "t").version == 2
    _train(workspace, deploy=True)
    assert workspace.deployed_version("r1", "t") == 3
    assert [(d.version, d.previous) for d in workspace.deployments("r1", "t")] == [(3, 1), (1, None)]


def test_rollback_walks_back_through_the_deployments_then_says_there_is_none(workspace):
    for _ in range(3):
        _train(workspace)
    workspace.deploy_model("r1", "t", 2)
    workspace.deploy_model("r1", "t", 3)
    assert workspace.roll_back_model("r1", "t").version == 2
    back = workspace.roll_back_model("r1", "t")
    assert (back.version, back.previous, back.action) == (1, None, "rollback")
    with pytest.raises(ConflictError, match="nothing to roll back to: .* has had only v1 deployed"):
        workspace.roll_back_model("r1", "t")
    assert workspace.deployed_version("r1", "t") == 1


def test_deploying_the_version_in_force_changes_nothing_and_an_unknown_one_is_refused(workspace):
    _train(workspace)
    workspace.deploy_model("r1", "t", 1)
    with pytest.raises(NotFoundError, match="has no model v7; its versions: v1"):
        workspace.deploy_model("r1", "t", 7)
    assert len(workspace.deployments("r1", "t")) == 1


def test_a_crash_after_writing_the_deployment_row_leaves_the_previous_version_in_force(workspace):
    _train(workspace)
    _train(workspace)
    with pytest.raises(RuntimeError), workspace.transaction():
        workspace.deploy_model("r1", "t", 2)
        raise RuntimeError("power cut")
    assert [d.version for d in workspace.deployments("r1", "t")] == [1]
    workspace.deploy_model("r1", "t", 2)
    with pytest.raises(RuntimeError), workspace.transaction():
        workspace.roll_back_model("r1", "t")
        raise RuntimeError("power cut")
    assert workspace.deployed_version("r1", "t") == 2


def test_a_type_trained_before_deployments_were_recorded_keeps_its_newest_model_until_one_is_deployed(tmp_path):
    workspace = Workspace(tmp_path / "home")
    _train(workspace)
    _train(workspace)
    workspace.engine.dispose()
    with sqlite3.connect(tmp_path / "home" / "openinspect.db") as conn:  # a database of the release before
        conn.execute("DROP TABLE deployments")
    old = Workspace(tmp_path / "home")
    assert old.deployed_version("r1", "t") == 2
    _train(old)  # a new model stays a candidate: v2 stays in force
    assert old.deployed_version("r1", "t") == 2
    old.deploy_model("r1", "t", 3)
    assert old.roll_back_model("r1", "t").version == 2
