"""Recipe parsing stays bounded whatever the YAML: no alias expansion, error messages of bounded size."""

import time

import pytest

from openinspect.errors import RecipeError
from openinspect.recipe import parse_recipe
from openinspect.recipe.io import MAX_PROBLEMS

ALIAS_BOMB = """name: b
types: []
a: &a [x,x,x,x,x,x,x,x,x,x]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]
rois: [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]
"""
"""312 bytes declaring 10^8 values; before aliases were refused it took 17 s and a 500 MB error message."""

TYPES = "types: [{name: t, kind: classifier, classes: [{name: good, pass: true}, {name: bad, pass: false}]}]\n"


def test_alias_bomb_is_refused_at_once_with_a_short_message():
    assert len(ALIAS_BOMB.encode()) < 350
    started = time.perf_counter()
    with pytest.raises(RecipeError) as caught:
        parse_recipe(ALIAS_BOMB, "bomb.yaml")
    assert time.perf_counter() - started < 0.5
    message = str(caught.value)
    assert message.startswith("bomb.yaml: YAML anchors and aliases (&name, *name) are not allowed in a recipe: "
                              "found anchor &a at line 3, column 4")
    assert len(message) < 300


def test_a_lone_alias_or_merge_key_is_refused_naming_it():
    with pytest.raises(RecipeError, match=r"found alias \*base at line 3"):
        parse_recipe("name: r\n" + TYPES + "rois: [*base]\n", "r.yaml")
    with pytest.raises(RecipeError, match="found anchor &base"):
        parse_recipe("name: r\n" + TYPES + "rois: [&base {name: a, type: t}, {<<: *base, name: b}]\n", "r.yaml")


def test_many_problems_are_counted_not_all_listed():
    rois = ", ".join(f"{{name: r{i}, type: t, colour: red}}" for i in range(100))
    with pytest.raises(RecipeError) as caught:
        parse_recipe(f"name: r\n{TYPES}rois: [{rois}]\n")
    lines = str(caught.value).splitlines()
    assert len(lines) == 1 + MAX_PROBLEMS + 1
    assert lines[-1] == f"  - ... and {100 - MAX_PROBLEMS} more problem(s); fix these first"


def test_a_huge_rejected_value_is_shown_cut_short():
    rois = "[" + ", ".join(["[" + ", ".join(["x"] * 100) + "]"] * 50) + "]"
    with pytest.raises(RecipeError) as caught:
        parse_recipe(f"name: r\n{TYPES}rois: {rois}\n")
    message = str(caught.value)
    assert "rois[0]: ['x', 'x', 'x', 'x', 'x', 'x', ...] is not allowed" in message
    assert len(message) < (MAX_PROBLEMS + 2) * 400

