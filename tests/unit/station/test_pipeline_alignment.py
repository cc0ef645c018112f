"""The pipeline with a recipe that aligns: ROIs follow the part, a missing part fails before any model runs.

The classifier is a hand-built ONNX graph run by ONNX Runtime like any trained one: a crop whose mean
gray is below 100 is ``present`` (the dark nut is in the ROI), otherwise ``missing``. A ROI that does
not move with the part misses the nut, so the verdict shows whether alignment was applied.
"""


import onnx
import pytest
from onnx import TensorProto, helper
from tests.conftest import write_png
from tests.unit.imaging.scenes import NUT, TEMPLATE, scene

from openinspect.errors import NotFoundError
from openinspect.recipe import parse_recipe
from openinspect.station import Inspector
from openinspect.store import ModelMeta

RECIPE = f"""
name: bracket
types:
  - name: nut
    kind: classifier
    classes: [{{name: present, pass: true}}, {{name: missing, pass: false}}]
rois:
  - {{name: nut, type: nut, x: {NUT.x}, y: {NUT.y}, w: {NUT.w}, h: {NUT.h}}}
  - {{name: whole, type: nut}}
alignment:
  template: {{x: {TEMPLATE.x}, y: {TEMPLATE.y}, w: {TEMPLATE.w}, h: {TEMPLATE.h}}}
  reference: reference.png
  min_score: 0.5
  max_angle: 15
"""


def _dark_crop_model(path, size=(32, 32)):
    """``(N, H, W, 3)`` uint8 -> ``(N, 2)`` probabilities of (present, missing) from the crop's mean gray."""
    nodes = [
        helper.make_node("Cast", ["image"], ["f"], to=TensorProto.FLOAT),
        helper.make_node("ReduceMean", ["f", "axes"], ["gray"], keepdims=0),
        helper.make_node("Sub", ["gray", "limit"], ["above"]),
        helper.make_node("Unsqueeze", ["above", "one"], ["missing"]),
        helper.make_node("Neg", ["missing"], ["present"]),
        helper.make_node("Concat", ["present", "missing"], ["logits"], axis=1),
        helper.make_node("Softmax", ["logits"], ["probs"], axis=1),
    ]
    graph = helper.make_graph(
        nodes, "dark", [helper.make_tensor_value_info("image", TensorProto.UINT8, ["N", *size, 3])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["N", 2])],
        [helper.make_tensor("axes", TensorProto.INT64, [3], [1, 2, 3]),
         helper.make_tensor("limit", TensorProto.FLOAT, [], [100.0]),
         helper.make_tensor("one", TensorProto.INT64, [1], [1])])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]), path)


@pytest.fixture
def inspector(workspace):
    recipe = parse_recipe(RECIPE)
    workspace.save_recipe(recipe)
    write_png(workspace.recipe_path("bracket").parent / "reference.png", scene())
    with workspace.new_model_version("bracket", "nut", "fast") as folder:
        _dark_crop_model(folder / "model.onnx")
        ModelMeta(["present", "missing"], metrics={}).write(folder)
    return Inspector.load(workspace, "bracket")


def test_rois_move_and_turn_with_the_part(inspector):
    capture = scene(-60, 45, 9.0, gain=0.8, offset=25, seed=7)
    result = inspector.inspect_image(capture, "moved.png")
    line = result.to_json()
    nut = line["rois"][0]
    assert (nut["roi"], nut["class"], nut["pass"]) == ("nut", "present", True)
    assert line["alignment"]["found"] and abs(line["alignment"]["angle"] - 9.0) < 0.5
    assert "reason" not in line
    assert line["timing_ms"]["align"] > 0 and set(line["timing_ms"]) >= {"align", "crop", "models", "total"}
    moved = result.rois[0].rect
    assert (moved.w, moved.h) == (NUT.w, NUT.h) and moved.x < NUT.x - 40


def test_without_alignment_the_same_roi_misses_the_moved_part(inspector):
    plain = Inspector(inspector.recipe, inspector.runners)
    line = plain.inspect_image(scene(-60, 45, 9.0, seed=7), "moved.png").to_json()
    assert line["rois"][0]["class"] == "missing" and "alignment" not in line


def test_capture_without_the_part_fails_with_reason_alignment_and_runs_no_model(inspector):
    result = inspector.inspect_image(scene(part=False, seed=8), "empty.png")
    line = result.to_json()
    assert line["pass"] is False and line["reason"] == "alignment" and line["rois"] == []
    assert not line["alignment"]["found"] and line["alignment"]["score"] < 0.5
    assert line["timing_ms"]["models"] == 0 and line["timing_ms"]["crop"] == 0
    assert not result.passes


def test_load_names_a_missing_reference(workspace, inspector):
    (workspace.recipe_path("bracket").parent / "reference.png").unlink()
    with pytest.raises(NotFoundError, match="alignment reference 'reference.png'"):
        Inspector.load(workspace, "bracket")


def test_reference_may_be_a_workspace_image_by_sha256(workspace, inspector, tmp_path):
    stored = workspace.add_image(write_png(tmp_path / "ref.png", scene()).read_bytes(), "ref.png")
    recipe = inspector.recipe.model_copy(update={"alignment": inspector.recipe.alignment.model_copy(
        update={"reference": stored.sha256})})
    workspace.save_recipe(recipe)
    (workspace.recipe_path("bracket").parent / "reference.png").unlink()
    line = Inspector.load(workspace, "bracket").inspect_image(scene(20, -10, -4, seed=9), "c.png").to_json()
    assert line["alignment"]["found"] and line["rois"][0]["class"] == "present"


def test_eval_counts_aligned_crops_and_reports_captures_without_the_part(inspector, tmp_path):
    from openinspect.training.evaluate import evaluate_folders

    folders = tmp_path / "eval"
    write_png(folders / "present" / "moved.png", scene(-60, 45, 9.0, seed=7))
    write_png(folders / "missing" / "empty.png", scene(part=False, seed=8))
    metrics = evaluate_folders(inspector, "nut", folders)
    assert metrics["n"] == 2 and metrics["skipped"] == []
    assert metrics["confusion"][0][0] == 1, "the nut ROI followed the part and saw the nut"
    assert len(metrics["alignment_failed"]) == 1
    assert "empty.png: the part was not found (alignment score" in metrics["alignment_failed"][0]
