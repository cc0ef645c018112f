import pytest

from openinspect.errors import RecipeError
from openinspect.recipe import AnomalyType, dump_recipe, parse_recipe, region_model_input

RECIPE = """
name: tiles
profile: multi-model
types:
  - name: surface
    kind: anomaly
    false_reject_rate: 0.02
    min_blob_px: 30
    rules:
      - {class: anomalous, measure: max_blob_area, op: "<", value: 200}
    tiling: false
  - name: nut
    kind: classifier
    classes: [{name: good, pass: true}, {name: loose, pass: false}]
rois:
  - {name: face, type: surface, x: 0, y: 0, w: 300, h: 200}
  - {name: nut, type: nut, x: 300, y: 0, w: 100, h: 100}
"""


def test_anomaly_type_parses_with_implicit_classes_and_round_trips():
    recipe = parse_recipe(RECIPE)
    surface = recipe.inspection_type("surface")
    assert isinstance(surface, AnomalyType)
    assert surface.class_names() == ["good", "anomalous"] and surface.region_names() == ["anomalous"]
    assert (surface.false_reject_rate, surface.min_blob_px, surface.tiling) == (0.02, 30, False)
    assert [str(rule) for rule in surface.rules] == ["anomalous max_blob_area < 200"]
    assert parse_recipe(dump_recipe(recipe)) == recipe


def test_anomaly_defaults_are_the_issue_s():
    spec = AnomalyType(name="s", kind="anomaly")
    assert (spec.false_reject_rate, spec.min_blob_px, spec.rules, spec.tiling) == (0.01, 20, [], False)


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("{class: anomalous,", "{class: crack,",
     "rule 'crack max_blob_area < 200' of anomaly type 'surface' names 'crack'; anomaly rules measure the anomalous "
     "region: write class: anomalous"),
    ("false_reject_rate: 0.02", "false_reject_rate: 0", r"false_reject_rate: 0 is not allowed: Input should be greater"),
    ("false_reject_rate: 0.02", "false_reject_rate: 0.7", r"false_reject_rate: 0.7 is not allowed: Input should be less"),
    ("min_blob_px: 30", "min_blob_px: 0", r"min_blob_px: 0 is not allowed"),
    ("    tiling: false\n", "    tiling: false\n    classes: []\n", r"surface\)\.classes: unknown field; allowed fields: "
     r"name, input_size, augment, kind, mode, false_reject_rate, min_blob_px, rules, tiling"),
    ("    tiling: false\n", "    tiling: false\n    augment: {hflip: true}\n",
     "anomaly type 'surface' learns good crops as they are: remove augment"),
    ("kind: anomaly", "kind: anomally", r"kind: 'anomally' is not allowed; allowed values: classifier, segmenter, anomaly"),
])
def test_bad_anomaly_fields_are_named(old, new, expected):
    assert old in RECIPE
    with pytest.raises(RecipeError, match=expected):
        parse_recipe(RECIPE.replace(old, new))


def test_model_input_is_the_roi_s_own_size_up_to_512_px_or_its_tiles():
    spec = AnomalyType(name="s", kind="anomaly")
    assert region_model_input(spec, 300, 200) == (192, 288)  # its own pixels, sides on the 32 px grid
    assert region_model_input(spec, 1024, 512) == (256, 512)  # downscaled to 512 px
    tiled = AnomalyType(name="s", kind="anomaly", tiling=True)
    assert region_model_input(tiled, 1024, 512) == (512, 512)  # full-resolution tiles
