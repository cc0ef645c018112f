"""The recipe library: recipes by PLC number, as a Modbus server asks for them on every poll."""

from __future__ import annotations

import logging

import pytest
from tests.unit.station.kit import RECIPE

from openinspect.errors import RecipeError
from openinspect.recipe import parse_recipe
from openinspect.station.library import Library
from openinspect.store import Workspace


def _recipe(name: str, number: int | None) -> str:
    text = RECIPE.replace("name: plate", f"name: {name}")
    return text if number is None else f"{text}plc_number: {number}\n"


def test_plc_numbers_follow_recipes_as_they_are_stored_changed_and_removed(workspace: Workspace) -> None:
    library = Library(workspace)
    assert library.plc_numbers() == {}
    library.save(_recipe("plate", 3), replace=False)
    library.save(_recipe("unnumbered", None), replace=False)
    assert library.plc_numbers() == {3: "plate"}
    library.save(_recipe("a-first", 1), replace=False)
    assert library.plc_numbers() == {1: "a-first", 3: "plate"}, "another recipe's number never shifts"
    library.save(_recipe("plate", 4), replace=True)
    assert library.plc_numbers() == {1: "a-first", 4: "plate"}
    library.delete("a-first")
    assert library.plc_numbers() == {4: "plate"}


def test_saving_a_recipe_with_a_taken_plc_number_is_refused(workspace: Workspace) -> None:
    library = Library(workspace)
    library.save(_recipe("plate", 3), replace=False)
    with pytest.raises(RecipeError, match=r"plc_number 3 of recipe 'other' is recipe 'plate''s already, .*give "
                                          r"'other' a number no other recipe has \(taken: 3\) or remove its "
                                          r"plc_number, or first change 'plate''s"):
        library.save(_recipe("other", 3), replace=False)
    assert library.names() == ["plate"]
    library.save(_recipe("plate", 3), replace=True)  # a recipe keeps its own number


def test_a_number_two_recipe_files_carry_selects_neither(workspace: Workspace,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    for name in ("left", "right"):  # copied by hand, past the workspace's check
        workspace.recipe_path(name).parent.mkdir(parents=True)
        workspace.recipe_path(name).write_text(_recipe(name, 5))
    workspace.save_recipe(parse_recipe(_recipe("third", 6)))
    with caplog.at_level(logging.WARNING):
        assert Library(workspace).plc_numbers() == {6: "third"}
    assert "recipes left, right all carry plc_number 5" in caplog.text
