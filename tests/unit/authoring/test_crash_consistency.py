"""A deploy or a recipe revert killed at any moment leaves the old state or the new one, each change with its record.

Each test runs the real command line in a child process and SIGKILLs it after a random delay, again and again,
checking the workspace after every run. The delays are spread over the end of a complete run (measured first):
the start is imports, where a kill proves nothing. A seeded generator makes a failure reproducible.
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.unit.station.kit import RECIPE, dark_pixel_classifier, install_plate

from openinspect.recipe import parse_recipe
from openinspect.store import ModelMeta, Workspace
from openinspect.store.audit import AuditAction, AuditFilter, AuditLog

RUNS = 12
_CLI = "import sys; from openinspect.cli import main; sys.exit(main(sys.argv[1:]))"


def _run(home: Path, args: list[str], delay: float | None = None) -> bool:
    """Run ``openinspect --home HOME ARGS``, SIGKILLed after ``delay`` s if still running; whether it completed."""
    child = subprocess.Popen([sys.executable, "-c", _CLI, "--home", str(home), *args],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        code = child.wait(delay)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
        return False
    assert code == 0, f"openinspect {' '.join(args)} failed with exit code {code}"
    return True


def _delays(home: Path, args: list[str]) -> list[float]:
    """Kill delays for :data:`RUNS` runs, over the last 40 % of a complete run and a little past it."""
    started = time.perf_counter()
    _run(home, args)
    whole = time.perf_counter() - started
    generator = random.Random(15)
    return [whole * generator.uniform(0.6, 1.1) for _ in range(RUNS)]


def _audit(workspace: Workspace, action: AuditAction) -> list[str | None]:
    """The ``after`` of each record of ``action``, oldest first."""
    items = AuditLog(workspace.engine).query(AuditFilter(), limit=10_000).items
    return [r.after for r in reversed(items) if r.action is action]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """``plate`` with v1 deployed and v2 a candidate for the same classes."""
    workspace = Workspace(tmp_path / "home")
    install_plate(workspace)
    with workspace.new_model_version("plate", "surface", "accurate") as folder:
        dark_pixel_classifier(folder / "model.onnx", limit=256.0)
        ModelMeta(["good", "scratch"]).write(folder)
    workspace.engine.dispose()
    return workspace.home


def _deploy_args(home: Path) -> tuple[int, list[str]]:
    """The version in force and the command that deploys the other one."""
    workspace = Workspace(home)
    in_force = workspace.deployed_version("plate", "surface")
    workspace.engine.dispose()
    assert in_force in (1, 2)
    return in_force, ["model", "deploy", "plate", "--type", "surface", "--version", str(3 - in_force)]


def _check_deployments(home: Path, in_force: int, completed: bool) -> int:
    """The deployment is the old or the new version (the new one if the run completed), every change audited."""
    workspace = Workspace(home)
    now = workspace.deployed_version("plate", "surface")
    changes = [f"v{d.version}" for d in reversed(workspace.deployments("plate", "surface")) if d.previous is not None]
    audited = _audit(workspace, AuditAction.MODEL_DEPLOY)
    workspace.engine.dispose()
    assert now == 3 - in_force if completed else now in (in_force, 3 - in_force)
    assert audited == changes  # one record per deployment change, in the change's own transaction
    return now


def test_a_killed_deploy_leaves_the_old_or_the_new_version_in_force_and_each_change_audited(home):
    in_force, args = _deploy_args(home)
    delays = _delays(home, args)
    in_force = _check_deployments(home, in_force, completed=True)
    outcomes = []
    for delay in delays:
        in_force, args = _deploy_args(home)
        completed = _run(home, args, delay)
        outcomes.append(completed)
        _check_deployments(home, in_force, completed)
    assert False in outcomes  # the loop did kill runs, not only watch them finish


def _revisions(home: Path) -> tuple[str, int, list[str | None]]:
    """The recipe file's text, the revision the workspace says it is, and the revert records' ``after``.

    Every revision a revert made has its record (both are one transaction).
    """
    workspace = Workspace(home)
    text = workspace.recipe_path("plate").read_text(encoding="utf-8")
    head = workspace.recipe_head("plate")
    assert head.yaml == text  # the file is its latest revision (an interrupted save is recorded as one)
    audited = _audit(workspace, AuditAction.RECIPE_REVERT)
    reverts = [f"revision {r.number}" for r in workspace.recipe_revisions("plate") if r.summary.startswith("reverted")]
    workspace.engine.dispose()
    assert audited == reverts
    return text, head.number, audited


def test_a_killed_revert_leaves_the_file_as_its_latest_revision_and_each_revert_audited(home, tmp_path):
    changed = tmp_path / "plate.yaml"
    changed.write_text(RECIPE.replace("{name: scratch, pass: false}", "{name: scratch, pass: false, threshold: 0.7}"))
    assert _run(home, ["recipe", "add", str(changed), "--replace"])
    contents = [parse_recipe(RECIPE), parse_recipe(changed.read_text())]
    delays = _delays(home, ["recipe", "revert", "plate", "1"])
    outcomes = []
    for delay in delays:
        text, number, before = _revisions(home)
        target = "2" if parse_recipe(text) == parse_recipe(RECIPE) else "1"
        completed = _run(home, ["recipe", "revert", "plate", target], delay)
        outcomes.append(completed)
        text, after_number, audited = _revisions(home)
        assert parse_recipe(text) in contents
        if completed:
            assert after_number > number and audited[len(before):] == [f"revision {after_number}"]
    assert False in outcomes
