"""The application assistant's rules: the kinds it recommends, the starting types, the reasons, the questions."""

import pytest
from pydantic import ValidationError

from openinspect.advice import AdviceError, Kind, Sizes, advise
from openinspect.recipe import ModelKind, Recipe

ANOMALY_IN_SCHEMA = "anomaly" in {kind.value for kind in ModelKind}


@pytest.mark.parametrize(("text", "kinds"), [
    ("Detect a loose nut on the wheel hub", ["classifier"]),
    ("is the shaft fully pressed in, or only partially seated?", ["classifier"]),
    ("find bent radiator pins on the cooler", ["classifier"]),
    ("make sure the wrong label never leaves the line", ["classifier"]),
    ("find glue spill around the bond line", ["segmenter"]),
    ("measure the gap between the door and the frame", ["segmenter"]),
    ("counting pills in a tray", ["segmenter"]),
    ("scratches anywhere on a housing", ["segmenter"]),
    ("flag anything unusual on the machined face, we almost never see a defect", ["anomaly"]),
    ("verify both screws are there and measure the glue spill", ["classifier", "segmenter"]),
    ("the screw must be present; also flag anything unusual on the face", ["classifier", "anomaly"]),
])
def test_the_issues_examples_get_their_kinds(text, kinds):
    advice = advise(text)
    assert [t["kind"] for t in advice.types] == kinds
    assert advice.recommendation == Kind(kinds[0])
    assert advice.profile.value == ("multi-model" if len(kinds) > 1 else "single-model")


def test_no_defect_examples_turns_a_surface_check_into_an_anomaly_type():
    assert advise("find scratches anywhere on the panel").recommendation is Kind.SEGMENTER
    advice = advise("find scratches anywhere on the panel; we have no defect examples")
    assert advice.recommendation is Kind.ANOMALY
    spec = advice.types[0]
    assert spec["kind"] == "anomaly" and spec["false_reject_rate"] == 0.01 and spec["rules"] == []
    assert {"min_blob_px", "tiling"} <= spec.keys()
    assert advice.images_to_label["anomaly"]["good_only"] is True
    assert any("no or very few defect examples ('no defect examples')" in r for r in advice.reasons)


def test_reasons_quote_the_users_words_and_name_the_framework():
    advice = advise("count the pills in the blister tray")
    assert any("You need a count ('count')" in r and "segmenter" in r for r in advice.reasons)
    advice = advise("check the connector is seated all the way")
    assert any("'seated'" in r and "classifier" in r for r in advice.reasons)


def test_classifier_types_have_a_pass_class_and_one_fail_class_per_check():
    spec = advise("we need to know if the rivet is there and fully set").types[0]
    assert spec["kind"] == "classifier" and spec["mode"] == "fast"
    assert [(c["name"], c["pass"]) for c in spec["classes"]] == [("good", True), ("missing", False),
                                                                   ("not-seated", False)]
    assert advise("Detect a loose nut").types[0]["classes"][1]["name"] == "loose"
    labelling = advise("Detect a loose nut").images_to_label["state"]
    assert labelling["per_class"] == "3-5" and labelling["images"] == 10


def test_segmenter_types_name_each_defect_kind_and_start_with_a_rule():
    spec = advise("detect dents, scratches and chips on the same cover").types[0]
    assert [p["name"] for p in spec["pixel_classes"]] == ["dent", "scratch", "chip"]
    assert len({p["color"] for p in spec["pixel_classes"]}) == 3
    assert spec["rules"] == [{"class": n, "measure": "count", "op": "==", "value": 0} for n in ("dent", "scratch", "chip")]
    assert any("Several defect kinds in one region" in r for r in advise("detect dents and scratches").reasons)
    counted = advise("count the 12 pills in the tray").types[0]
    assert counted["pixel_classes"][0]["name"] == "pill"
    assert counted["rules"] == [{"class": "pill", "measure": "count", "op": "==", "value": 12}]
    measured = advise("measure the length of cracks on the tile").types[0]
    assert measured["rules"] == [{"class": "crack", "measure": "max_length", "op": "<", "value": 20}]


DESCRIPTIONS = [
    "check that both screws are present on the bracket", "is the sticker upside down?",
    "sort the parts into type A, B or C", "find glue spill around the bond line",
    "detect cracks, blowholes and breaks on magnetic tiles", "count the number of screws lying in the tray",
    "how big is the stain on the fabric?", "verify both screws are there and measure the glue spill",
    "check the clip is latched and detect cracks anywhere on the housing", "inspect the part",
    "flag anything unusual on the machined face, we almost never see a defect",
    "the screw must be present; also flag anything unusual on the face, we have no defect examples",
]


@pytest.mark.parametrize("text", DESCRIPTIONS)
def test_the_advised_types_form_a_valid_recipe(text):
    advice = advise(text, Sizes(roi=(3000, 2000), defect_px=5))
    types = [t for t in advice.types if ANOMALY_IN_SCHEMA or t["kind"] != "anomaly"]
    if not types:
        pytest.skip("the recipe schema does not know the anomaly kind yet")
    profile = advice.profile.value if len(types) == len(advice.types) else "multi-model"
    recipe = Recipe.model_validate({"name": "advised", "profile": profile, "types": types,
                                    "rois": [{"name": f"roi-{t['name']}", "type": t["name"]} for t in types]})
    assert [t.name for t in recipe.types] == [t["name"] for t in types]


def test_a_recipe_schema_check_catches_a_broken_type():
    """The validity test above can fail: the schema refuses a classifier without a pass class."""
    spec = advise("Detect a loose nut").types[0]
    spec["classes"] = [{**c, "pass": False} for c in spec["classes"]]
    with pytest.raises(ValidationError, match="no class with pass: true"):
        Recipe.model_validate({"name": "x", "types": [spec], "rois": [{"name": "r", "type": spec["name"]}]})


def test_a_vague_description_starts_with_a_classifier_with_low_confidence_and_questions():
    advice = advise("check the quality of the bracket")
    assert advice.recommendation is Kind.CLASSIFIER and advice.confidence < 0.5
    assert len(advice.ask) == 3 and "anywhere on the surface" in advice.ask[1]
    assert advise("check that both screws are present on the bracket").confidence >= 0.6


def test_a_defect_without_size_or_place_asks_whether_the_size_matters():
    advice = advise("check for stains on the fabric")
    assert advice.recommendation is Kind.SEGMENTER and advice.confidence <= 0.6
    assert advice.ask[0].startswith("Do you need the stain's size or position, or only whether there is one?")


@pytest.mark.parametrize(("text", "message"), [
    ("", "the description is empty"),
    ("   \n ", "the description is empty"),
    ("hello", "'hello' describes no inspection; say what to check"),
    ("what time is it in Tokyo", "describes no inspection"),
    ("x" * 2001, "keep it under 2000"),
])
def test_bad_descriptions_get_a_clear_message(text, message):
    with pytest.raises(AdviceError, match=message):
        advise(text)


def test_the_resolution_check_sets_tiling_and_the_smallest_blob():
    spec = advise("find scratches anywhere on the sheet", Sizes(roi=(2048, 1024), defect_px=4)).types[0]
    assert spec["tiling"] is True and spec["min_blob_px"] == 8
    spec = advise("find scratches anywhere on the sheet", Sizes(roi=(400, 300), defect_px=4)).types[0]
    assert spec["tiling"] is False


def test_without_defect_examples_a_count_stays_with_the_segmenter_and_a_clear_anomaly_is_confident():
    advice = advise("find scratches anywhere on the panel; we have no defect examples")
    assert advice.recommendation is Kind.ANOMALY and advice.confidence >= 0.6
    assert advise("count the pills in the tray, we have no defect examples").recommendation is Kind.SEGMENTER
