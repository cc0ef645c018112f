"""The segmenter path of the pipeline with a real ONNX model whose behaviour is known exactly.

The model is a hand-built ONNX graph that marks dark pixels (mean < 100) as pixel class 1, run by
ONNX Runtime like any trained segmenter; so tiling, downscaling, stitching, measuring in original
pixels and the rules are checked against ground truth we can compute.
"""


import cv2
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from openinspect.recipe import parse_recipe
from openinspect.station import Inspector, SegmenterRoiResult
from openinspect.station.overlay import capture_mask
from openinspect.store import ModelMeta

RECIPE = """
name: sheet
types:
  - name: surface
    kind: segmenter
    pixel_classes: [{{name: crack, color: "#ff0000"}}]
    min_blob_px: 10
    tiling: {tiling}
rois: [{{name: sheet, type: surface}}]
"""


def _dark_pixel_model(path, size):
    height, width = size
    nodes = [
        helper.make_node("Cast", ["image"], ["f"], to=TensorProto.FLOAT),
        helper.make_node("ReduceMean", ["f", "axes"], ["gray"], keepdims=0),
        helper.make_node("Less", ["gray", "limit"], ["dark"]),
        helper.make_node("Cast", ["dark"], ["mask"], to=TensorProto.UINT8),
    ]
    graph = helper.make_graph(
        nodes, "dark", [helper.make_tensor_value_info("image", TensorProto.UINT8, ["N", height, width, 3])],
        [helper.make_tensor_value_info("mask", TensorProto.UINT8, ["N", height, width])],
        [helper.make_tensor("axes", TensorProto.INT64, [1], [3]), helper.make_tensor("limit", TensorProto.FLOAT, [], [100.0])])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]), path)


def _inspector(workspace, tiling):
    recipe = parse_recipe(RECIPE.format(tiling=str(tiling).lower()))
    workspace.save_recipe(recipe)
    with workspace.new_model_version("sheet", "surface", "accurate") as folder:
        _dark_pixel_model(folder / "model.onnx", (512, 512) if tiling else (160, 512))
        ModelMeta(["crack"], metrics={}).write(folder)
    return Inspector.load(workspace, "sheet")


@pytest.fixture
def sheet():
    """A 2000x600 light sheet with a 2 px wide, 1200 px long dark crack."""
    image = np.full((600, 2000, 3), 170, np.uint8)
    cv2.line(image, (300, 300), (1500, 300), (40, 40, 40), 2)
    return image


def test_tiling_finds_thin_crack_that_downscaling_loses(workspace, sheet):
    downscaled = _inspector(workspace, tiling=False).inspect_image(sheet, "sheet.png")
    assert downscaled.passes, "a 2 px crack should vanish when 2000 px shrink to 512"
    tiled = _inspector(workspace, tiling=True).inspect_image(sheet, "sheet.png")
    roi = tiled.rois[0]
    assert isinstance(roi, SegmenterRoiResult) and not tiled.passes
    assert roi.mask.shape == (600, 2000)
    crack = roi.measurements["crack"]
    assert crack["count"] == 1
    assert crack["max_length"] == pytest.approx(1201, abs=3)
    assert crack["area"] == int((sheet[:, :, 0] < 100).sum())  # exact, stitched across tiles
    assert roi.failed_rules == ["no crack blob >= 10 px"]


def test_downscaled_mask_is_measured_in_original_pixels(workspace):
    image = np.full((600, 2000, 3), 170, np.uint8)
    image[200:300, 400:800] = 30  # a 400x100 px dark patch
    inspector = _inspector(workspace, tiling=False)
    result = inspector.inspect_image(image, "patch.png")
    roi = result.rois[0]
    assert isinstance(roi, SegmenterRoiResult)
    assert roi.measurements["crack"]["area"] == pytest.approx(40000, rel=0.03)
    x, y, w, h = roi.to_json()["blobs"][0]["bbox"]
    assert abs(x - 400) <= 4 and abs(y - 200) <= 4 and abs(w - 400) <= 8 and abs(h - 100) <= 8
    full = capture_mask((600, 2000), result, inspector.recipe)
    assert full.shape == (600, 2000) and set(np.unique(full)) == {0, 1}
    assert abs(int(full.sum()) - 40000) < 1200
