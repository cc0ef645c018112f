"""Recipe revisions in the workspace database: one per saved change, the file and the rows never disagree."""

from __future__ import annotations

import threading

import pytest
from tests.unit.station.kit import RECIPE

from openinspect.errors import NotFoundError
from openinspect.recipe import parse_recipe
from openinspect.store import Workspace, unified_diff
from openinspect.store.files import write_atomic

PLATE = parse_recipe(RECIPE)


def _threshold(value: float) -> str:
    return RECIPE.replace("{name: scratch, pass: false}", f"{{name: scratch, pass: false, threshold: {value}}}")


def test_every_saved_change_is_a_numbered_revision_with_actor_and_summary(workspace: Workspace) -> None:
    first = workspace.save_recipe(PLATE, actor="alice")
    second = workspace.save_recipe(parse_recipe(_threshold(0.8)), actor="bob")
    again = workspace.save_recipe(parse_recipe(_threshold(0.8)), actor="carol")
    history = workspace.recipe_revisions("plate")
    assert [(r.number, r.actor) for r in history] == [(1, "alice"), (2, "bob")], "saving the same makes none"
    assert again == second and first.summary == "created"
    assert second.summary == "threshold only: surface/scratch none -> 0.8"
    assert history[-1].yaml == workspace.recipe_path("plate").read_text(encoding="utf-8")
    assert workspace.recipe_revision("plate", 1).parsed() == PLATE


def test_a_file_edited_by_hand_becomes_the_next_revision(workspace: Workspace) -> None:
    workspace.save_recipe(PLATE, actor="alice")
    path = workspace.recipe_path("plate")
    path.write_text(path.read_text(encoding="utf-8").replace("w: 64", "w: 60"), encoding="utf-8")
    head = workspace.recipe_head("plate")
    assert (head.number, head.actor) == (2, "file")
    assert "differs from revision 1" in head.summary and "rois: changed left, right" in head.summary
    assert workspace.recipe_head("plate") == head, "recorded once"


def test_a_save_interrupted_after_its_row_is_recorded_again_from_the_file(workspace: Workspace) -> None:
    """The row is written first: a crash before the file leaves the old file, which becomes the latest again."""
    workspace.save_recipe(PLATE, actor="alice")
    old = workspace.recipe_path("plate").read_bytes()
    workspace.save_recipe(parse_recipe(_threshold(0.5)), actor="bob")
    write_atomic(workspace.recipe_path("plate"), old)  # as if the file write of revision 2 never happened
    head = workspace.recipe_head("plate")
    assert head.number == 3 and head.yaml == old.decode() and head.parsed() == PLATE


def test_a_workspace_from_before_revisions_records_its_recipe_as_revision_1(workspace: Workspace) -> None:
    write_atomic(workspace.recipe_path("plate"), RECIPE.encode())
    assert [(r.number, r.actor, r.summary) for r in workspace.recipe_revisions("plate")] == [
        (1, "file", "recorded from the file on disk")]


def test_a_deleted_recipe_keeps_its_history_and_a_new_one_continues_it(workspace: Workspace) -> None:
    workspace.save_recipe(PLATE)
    workspace.recipe_path("plate").unlink()
    assert [r.number for r in workspace.recipe_revisions("plate")] == [1]
    assert workspace.save_recipe(PLATE).number == 2
    with pytest.raises(NotFoundError, match="no recipe named 'other'"):
        workspace.recipe_revisions("other")
    with pytest.raises(NotFoundError, match="has no revision 9; its revisions are 1 to 2"):
        workspace.recipe_revision("plate", 9)


def test_unified_diff_shows_the_changed_lines(workspace: Workspace) -> None:
    a = workspace.save_recipe(PLATE)
    b = workspace.save_recipe(parse_recipe(_threshold(0.7)))
    diff = unified_diff(a, b)
    assert diff.startswith("--- plate revision 1\n+++ plate revision 2\n")
    assert "   - name: scratch\n     pass: false\n+    threshold: 0.7\n rois:\n" in diff
    assert unified_diff(a, a) == ""


def test_saves_from_several_processes_at_once_get_consecutive_revisions_and_lose_none(workspace: Workspace) -> None:
    """Each thread has its own workspace and engine on the same folder, as the CLI beside a running station has."""
    workspace.save_recipe(PLATE, actor="first")
    errors: list[Exception] = []

    def save(k: int) -> None:
        mine = Workspace(workspace.home)
        for i in range(15):
            try:
                mine.save_recipe(parse_recipe(_threshold(round(0.5 + (k * 15 + i) / 1000, 3))), actor=f"writer-{k}")
            except Exception as err:  # the test's point: no save may fail for another's
                errors.append(err)
        mine.engine.dispose()

    writers = [threading.Thread(target=save, args=(k,)) for k in range(3)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    assert errors == []
    history = workspace.recipe_revisions("plate")
    assert [r.number for r in history] == list(range(1, len(history) + 1))
    saved = {r.yaml for r in history if r.actor.startswith("writer-")}
    assert len(saved) == 45, "every save is a revision of its own"
    assert workspace.recipe_head("plate").yaml == workspace.recipe_path("plate").read_text(encoding="utf-8")
