"""The command line's model verbs: `model list`, `model deploy`, `model rollback`, and `inspect --model-version`."""

import getpass
import json

import pytest
from tests.unit.station.kit import dark_pixel_classifier, install_plate, part_png

from openinspect.store import ModelMeta, Workspace
from openinspect.store.audit import AuditFilter, AuditLog


@pytest.fixture
def home(tmp_path):
    """``plate`` with v1 deployed, v2 a candidate that calls every crop a scratch, v3 trained for other classes."""
    workspace = Workspace(tmp_path / "home")
    install_plate(workspace)
    for classes in (["good", "scratch"], ["good", "dent"]):
        with workspace.new_model_version("plate", "surface", "accurate") as folder:
            dark_pixel_classifier(folder / "model.onnx", limit=256.0)
            ModelMeta(classes, metrics={"balanced_accuracy": 0.5}).write(folder)
    workspace.engine.dispose()
    return workspace.home


@pytest.fixture
def capture(tmp_path):
    path = tmp_path / "good.png"
    path.write_bytes(part_png(False))
    return path


def _judged(cli, home, capture, *args):
    code, out, err = cli(home, "inspect", "plate", capture, "--json", *args)
    assert code == 0, err
    line = json.loads(out)
    assert line["recipe_revision"] == Workspace(home).recipe_head("plate").number  # with the model: what judged it
    return line["models"]["surface"]["version"], line["pass"]


def test_model_list_shows_the_deployed_version_candidates_and_what_cannot_be_deployed(cli, home):
    code, out, _ = cli(home, "model", "list", "plate", "--type", "surface")
    rows = [line.split("\t") for line in out.splitlines()]
    assert code == 0 and [row[:4] for row in rows] == [["surface", "v3", "candidate", "accurate"],
                                                       ["surface", "v2", "candidate", "accurate"],
                                                       ["surface", "v1", "deployed",
                                                        "fast, for trying a set-up, not for production"]]
    assert rows[1][4].endswith("validation balanced accuracy 50.0%")
    assert "cannot be deployed: model v3 of type 'surface' was trained for classes ['good', 'dent']" in rows[0][4]
    _, listed, _ = cli(home, "recipe", "list")
    assert "surface (classifier, v1 fast, 2 newer candidate(s)" in listed
    assert listed.rstrip().endswith("not ready for production: Fast model: train Accurate; no validation figure: label at "
                                    "least 10 crops per class and retrain")


def test_inspect_tries_a_candidate_without_deploying_it(cli, home, capture):
    assert _judged(cli, home, capture, "--model-version", 2) == (2, False)
    assert _judged(cli, home, capture, "--model-version", 2, "--type", "surface") == (2, False)
    assert _judged(cli, home, capture) == (1, True)
    code, _, err = cli(home, "inspect", "plate", capture, "--type", "surface")
    assert code == 2 and "give --model-version N too" in err
    code, _, err = cli(home, "inspect", "plate", capture, "--model-version", 3)
    assert code == 2 and "trained for classes ['good', 'dent']" in err


def test_deploy_then_roll_back_changes_what_inspect_uses(cli, home, capture):
    code, out, _ = cli(home, "model", "deploy", "plate", "--type", "surface", "--version", 2)
    assert code == 0 and out.startswith("deployed plate/surface v2") and "goes back to v1" in out
    assert _judged(cli, home, capture) == (2, False)
    code, out, _ = cli(home, "model", "rollback", "plate", "--type", "surface")
    assert code == 0 and out.startswith("rolled back plate/surface to v1")
    assert _judged(cli, home, capture) == (1, True)
    code, _, err = cli(home, "model", "rollback", "plate", "--type", "surface")
    assert code == 2 and "nothing to roll back to" in err


def _trail(home) -> list[tuple[str, str, str, str | None, str | None, str | None]]:
    workspace = Workspace(home)
    records = AuditLog(workspace.engine).query(AuditFilter()).items
    workspace.engine.dispose()
    return [(r.actor, r.action.value, r.object, r.recipe, r.before, r.after) for r in reversed(records)]


def test_deploys_and_rollbacks_are_audited_with_the_os_user_and_the_versions(cli, home):
    user = f"cli:{getpass.getuser()}"
    assert cli(home, "model", "deploy", "plate", "--type", "surface", "--version", 2)[0] == 0
    assert cli(home, "model", "deploy", "plate", "--type", "surface", "--version", 2)[0] == 0  # in force: no change
    assert cli(home, "model", "deploy", "plate", "--type", "surface", "--version", 3)[0] == 2  # refused
    assert cli(home, "model", "rollback", "plate", "--type", "surface")[0] == 0
    assert _trail(home) == [(user, "model.deploy", "type surface", "plate", "v1", "v2"),
                            (user, "model.rollback", "type surface", "plate", "v2", "v1")]


def test_a_misfit_deploy_is_refused_with_the_reason_and_changes_nothing(cli, home, capture):
    code, _, err = cli(home, "model", "deploy", "plate", "--type", "surface", "--version", 3)
    assert code == 2 and "cannot deploy to v3" in err and "the recipe now lists ['good', 'scratch']" in err
    assert Workspace(home).deployed_version("plate", "surface") == 1
    assert [d.version for d in Workspace(home).deployments("plate", "surface")] == [1]


def test_an_archive_keeps_which_version_is_deployed(cli, home, tmp_path):
    cli(home, "model", "deploy", "plate", "--type", "surface", "--version", 2)
    archive = tmp_path / "plate.zip"
    assert cli(home, "recipe", "export", "plate", "--archive", archive)[0] == 0
    elsewhere = tmp_path / "elsewhere"
    assert cli(elsewhere, "recipe", "import", archive)[0] == 0
    assert Workspace(elsewhere).deployed_version("plate", "surface") == 2
