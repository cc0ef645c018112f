"""The recipe service: recipes by PLC number, as a Modbus server asks for them on every poll, and the alignment
check every saved recipe passes."""

from __future__ import annotations

import logging
import re

import pytest
from tests.conftest import write_png
from tests.unit.imaging.scenes import TEMPLATE, scene
from tests.unit.station.kit import RECIPE

from openinspect.authoring import RecipeService
from openinspect.errors import RecipeError
from openinspect.imaging import Rect
from openinspect.recipe import parse_recipe
from openinspect.store import Workspace


def _recipe(name: str, number: int | None) -> str:
    text = RECIPE.replace("name: plate", f"name: {name}")
    return text if number is None else f"{text}plc_number: {number}\n"


def test_plc_numbers_follow_recipes_as_they_are_stored_changed_and_removed(workspace: Workspace) -> None:
    library = RecipeService(workspace)
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


def _aligned(region: Rect) -> str:
    return (f"{RECIPE}alignment:\n  template: {{x: {region.x}, y: {region.y}, w: {region.w}, h: {region.h}}}\n"
            f"  reference: reference.png\n")


def test_saving_a_recipe_checks_its_alignment_on_the_reference_capture(workspace: Workspace) -> None:
    library = RecipeService(workspace)
    library.save(RECIPE, replace=False)
    library.save(_aligned(Rect(20, 20, 200, 150)), replace=True)  # as YAML before its template: checked on upload
    assert library.state("plate").warnings == [
        "alignment reference 'reference.png' is not there yet: upload the template capture (the editor, or "
        "`openinspect recipe template`); until then the station cannot judge captures of 'plate'"]
    library.save(RECIPE, replace=True)
    write_png(workspace.recipe_path("plate").parent / "reference.png", scene())
    for region, message in [
        (Rect(20, 20, 200, 150), "recipe 'plate': alignment template x 20, y 20, 200x150 is too flat to find"),
        (Rect(700, 500, 200, 200), "recipe 'plate': alignment template x 700, y 500, 200x200 must lie inside the "
                                   "800x600 reference"),
    ]:
        with pytest.raises(RecipeError, match=re.escape(message)):
            library.save(_aligned(region), replace=True)
        assert workspace.recipe("plate").alignment is None, "nothing is stored"
    alignment = library.save(_aligned(TEMPLATE), replace=True).recipe.alignment
    assert alignment is not None and alignment.template.rect() == TEMPLATE


def test_saving_a_recipe_with_a_taken_plc_number_is_refused(workspace: Workspace) -> None:
    library = RecipeService(workspace)
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
        assert RecipeService(workspace).plc_numbers() == {6: "third"}
    assert "recipes left, right all carry plc_number 5" in caplog.text
