import pytest

from openinspect.errors import RecipeError
from openinspect.recipe import Profile, dump_recipe, parse_recipe

RECIPE = """
name: nut-check
profile: multi-model
types:
  - name: nut
    kind: classifier
    mode: accurate
    classes:
      - {name: good, pass: true}
      - {name: loose, pass: false, threshold: 0.6}
rois:
  - {name: nut-left,  type: nut, x: 120, y: 80, w: 200, h: 200}
  - {name: nut-right, type: nut, x: 620, y: 80, w: 200, h: 200}
  - {name: whole, type: nut}
"""


def test_issue_example_parses_with_all_fields():
    recipe = parse_recipe(RECIPE)
    assert recipe.profile is Profile.MULTI_MODEL
    nut = recipe.inspection_type("nut")
    assert nut.class_names() == ["good", "loose"]
    assert nut.classes[1].threshold == 0.6 and not nut.classes[1].passes
    assert [r.name for r in recipe.rois_of("nut")] == ["nut-left", "nut-right", "whole"]
    assert recipe.rois[2].rect(640, 480).w == 640


def test_dump_then_parse_round_trips():
    recipe = parse_recipe(RECIPE)
    again = parse_recipe(dump_recipe(recipe))
    assert again == recipe
    assert "pass: false" in dump_recipe(recipe)


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("mode: accurate", "mode: fsat", r"types\[0\] \(nut\)\.mode: 'fsat' is not allowed.*'fast' or 'accurate'"),
    ("kind: classifier", "kind: classifer", r"types\[0\] \(nut\).kind: 'classifer' is not allowed; allowed values: classifier, segmenter"),
    ("threshold: 0.6", "treshold: 0.6", r"classes\[1\] \(loose\)\.treshold: unknown field; allowed fields: "
                                         r"name, pass, threshold"),
    ("profile: multi-model", "profile: multi", r"profile: 'multi' is not allowed.*'single-model' or 'multi-model'"),
    ("threshold: 0.6", "threshold: 1.6", r"threshold.*less than or equal to 1"),
    ("name: nut-right", "name: nut-left", "duplicate ROI name 'nut-left'"),
    ("type: nut}", "type: bolt}", "ROI 'whole' uses type 'bolt', which is not defined; defined types: nut"),
    ("x: 120, ", "", "ROI 'nut-left': give all of x, y, w, h, or none"),
    ("      - {name: good, pass: true}\n", "", "List should have at least 2 items"),
    ("{name: good, pass: true}", "{name: good, pass: false}", "no class with pass: true"),
    ("name: nut-check", "name: ../etc", r"name: name '../etc' is not allowed; use 1-64 letters"),
])
def test_invalid_recipe_message_names_field_and_allowed_values(old, new, expected):
    assert old in RECIPE
    with pytest.raises(RecipeError, match=expected):
        parse_recipe(RECIPE.replace(old, new), "nut.yaml")


def test_duplicate_type_names_rejected():
    text = RECIPE.replace("rois:", """  - name: nut
    kind: classifier
    classes: [{name: a, pass: true}, {name: b, pass: false}]
rois:""")
    with pytest.raises(RecipeError, match="duplicate inspection type name 'nut'"):
        parse_recipe(text)


def test_single_model_profile_refuses_two_types():
    text = RECIPE.replace("profile: multi-model", "profile: single-model").replace("rois:", """  - name: bolt
    kind: classifier
    classes: [{name: a, pass: true}, {name: b, pass: false}]
rois:""")
    with pytest.raises(RecipeError, match="single-model runs one inspection type.*use profile: multi-model"):
        parse_recipe(text)


def test_malformed_yaml_is_reported():
    with pytest.raises(RecipeError, match="not valid YAML"):
        parse_recipe("name: [unclosed", "broken.yaml")


def test_large_roi_warns_with_detail_lost():
    recipe = parse_recipe(RECIPE.replace("w: 200, h: 200}\n  - {name: nut-right", "w: 2000, h: 2000}\n  - {name: nut-right"))
    warnings = recipe.downscale_warnings()
    assert len(warnings) == 1
    assert "nut-left" in warnings[0] and "512x512" in warnings[0] and "3.9x less detail" in warnings[0]


def test_fail_class_threshold_defers_to_next_class():
    nut = parse_recipe(RECIPE).inspection_type("nut")
    assert nut.decide([0.45, 0.55]) == 0  # loose is likeliest but below its 0.6 threshold
    assert nut.decide([0.35, 0.65]) == 1
    assert nut.decide([0.9, 0.1]) == 0
