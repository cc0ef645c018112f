"""Test kit for the station: a recipe with a hand-built ONNX classifier whose behaviour is known exactly.

The model calls a crop ``scratch`` when its darkest pixel is below 70 grey levels, else ``good`` (the
synthetic parts of ``tests.conftest.part_capture`` are ~150 with noise, a scratch is 40); ONNX Runtime
runs it like any trained classifier, so the station is tested end to end without training.
"""

from __future__ import annotations

import threading

import onnx
from onnx import TensorProto, helper
from tests.conftest import part_capture, png_bytes

from openinspect.recipe import parse_recipe
from openinspect.station.sources import Capture
from openinspect.store import ModelMeta, Workspace

RECIPE = """
name: plate
profile: single-model
types:
  - name: surface
    kind: classifier
    mode: fast
    classes:
      - {name: good, pass: true}
      - {name: scratch, pass: false}
rois:
  - {name: left, type: surface, x: 0, y: 0, w: 64, h: 96}
  - {name: right, type: surface, x: 64, y: 0, w: 64, h: 96}
"""


def dark_pixel_classifier(path, size=(96, 64), limit=70.0):
    """ONNX graph: ``(N, h, w, 3)`` uint8 -> ``(N, 2)`` probs [good, scratch], scratch when min < ``limit``."""
    height, width = size
    nodes = [
        helper.make_node("Cast", ["image"], ["f"], to=TensorProto.FLOAT),
        helper.make_node("ReduceMin", ["f", "axes"], ["low"], keepdims=0),
        helper.make_node("Sub", ["limit", "low"], ["margin"]),
        helper.make_node("Div", ["margin", "scale"], ["logit"]),
        helper.make_node("Sigmoid", ["logit"], ["bad"]),
        helper.make_node("Sub", ["one", "bad"], ["good"]),
        helper.make_node("Unsqueeze", ["good", "last"], ["good2"]),
        helper.make_node("Unsqueeze", ["bad", "last"], ["bad2"]),
        helper.make_node("Concat", ["good2", "bad2"], ["probs"], axis=1),
    ]
    graph = helper.make_graph(
        nodes, "dark", [helper.make_tensor_value_info("image", TensorProto.UINT8, ["N", height, width, 3])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["N", 2])],
        [helper.make_tensor("axes", TensorProto.INT64, [3], [1, 2, 3]),
         helper.make_tensor("limit", TensorProto.FLOAT, [], [limit]),
         helper.make_tensor("scale", TensorProto.FLOAT, [], [5.0]),
         helper.make_tensor("one", TensorProto.FLOAT, [], [1.0]),
         helper.make_tensor("last", TensorProto.INT64, [1], [1])])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]), path)


def install_plate(workspace: Workspace, recipe: str = RECIPE) -> str:
    """Store the ``plate`` recipe (or a variant) with the known model as v1 of its type; returns its name."""
    parsed = parse_recipe(recipe)
    workspace.save_recipe(parsed)
    with workspace.new_model_version(parsed.name, "surface", "fast") as folder:
        dark_pixel_classifier(folder / "model.onnx")
        ModelMeta(["good", "scratch"], metrics={}).write(folder)
    return parsed.name


def part_png(defect: bool, seed: int = 0) -> bytes:
    """A 128x96 synthetic part as PNG; with ``defect`` both ROIs hold a scratch."""
    return png_bytes(part_capture(defect, seed))


class GatedSource:
    """A capture source that hands out a part only when the test opens the gate: holds the worker busy."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.waiting = threading.Event()
        self.count = 0

    def capture(self) -> Capture:
        self.waiting.set()
        assert self.gate.wait(10), "the test never opened the gate"
        self.count += 1
        return Capture(f"gated-{self.count}.png", data=part_png(False, self.count))

    def close(self) -> None:
        self.gate.set()


class ListSink:
    """A result sink that keeps what it was given."""

    def __init__(self) -> None:
        self.results: list[dict] = []
        self.closed = False

    def publish(self, result: dict) -> None:
        self.results.append(result)

    def close(self) -> None:
        self.closed = True
