import pytest

from openinspect.errors import RecipeError
from openinspect.recipe import Measure, SegmenterType, parse_recipe

RECIPE = """
name: glue-line
profile: multi-model
types:
  - name: surface
    kind: segmenter
    pixel_classes:
      - {name: glue,    color: "#ffd400"}
      - {name: scratch, color: "#ff3b30"}
    min_blob_px: 20
    rules:
      - {class: glue,    measure: area,  op: "<",  value: 100}
      - {class: scratch, measure: count, op: "==", value: 0}
  - name: nut
    kind: classifier
    classes: [{name: good, pass: true}, {name: loose, pass: false}]
calibration: {mm_per_px: 0.05}
rois:
  - {name: seam, type: surface, x: 0, y: 0, w: 300, h: 100}
  - {name: nut, type: nut, x: 300, y: 0, w: 100, h: 100}
"""


def test_segmenter_type_parses_with_rules_and_calibration():
    recipe = parse_recipe(RECIPE)
    surface = recipe.inspection_type("surface")
    assert isinstance(surface, SegmenterType)
    assert surface.class_names() == ["glue", "scratch"]
    assert surface.pixel_classes[0].rgb() == (255, 212, 0)
    assert [str(rule) for rule in surface.rules] == ["glue area < 100", "scratch count == 0"]
    assert surface.rules[1].measure is Measure.COUNT
    assert recipe.calibration is not None and recipe.calibration.mm_per_px == 0.05
    assert parse_recipe(__import__("openinspect.recipe", fromlist=["dump_recipe"]).dump_recipe(recipe)) == recipe


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("class: glue,    measure: area", "class: glu,    measure: area",
     "rule 'glu area < 100' names pixel class 'glu'.*pixel classes: glue, scratch"),
    ("measure: count", "measure: blobs", r"measure: 'blobs' is not allowed.*'area', 'count', 'max_blob_area' or 'max_length'"),
    ('op: "==",', 'op: "=",', r"op: '=' is not allowed"),
    ('color: "#ff3b30"', 'color: "red"', r"color: 'red' is not allowed.*match pattern"),
    ('color: "#ff3b30"', 'color: "#FFD400"', "duplicate type 'surface' pixel class colour name '#ffd400'"),
    ("    min_blob_px: 20\n", "    min_blob_px: 20\n    mode: fast\n", r"mode: 'fast' is not allowed"),
    ("    min_blob_px: 20\n", "    min_blob_px: 20\n    classes: []\n", r"surface\)\.classes: unknown field; allowed fields: name, "
     r"input_size, augment, kind, mode, pixel_classes, min_blob_px, rules, tiling"),
])
def test_bad_segmenter_fields_are_named(old, new, expected):
    assert old in RECIPE
    with pytest.raises(RecipeError, match=expected):
        parse_recipe(RECIPE.replace(old, new))


def test_single_model_recipe_with_segmenter_and_classifier_is_refused():
    with pytest.raises(RecipeError, match="single-model runs one inspection type, this recipe has 2 "
                                          r"\(surface, nut\); use profile: multi-model"):
        parse_recipe(RECIPE.replace("multi-model", "single-model"))
