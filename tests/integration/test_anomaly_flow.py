"""An anomaly type end to end on real magnetic tiles: good crops in, scores, regions, overlays, masks, API out.

One model is trained once per session on six good ``MT_Free`` tiles (the only training here); the recipe mixes it
with a classifier type (a hand-built ONNX model, ``tests.unit.station.kit``) as a multi-model recipe.
"""

import json
import re
import shutil

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from tests.conftest import DATASET, run_cli, write_png
from tests.unit.station.kit import ListSink, dark_pixel_classifier

from openinspect.imaging import read_image, resize_to
from openinspect.server import create_app
from openinspect.settings import Settings
from openinspect.store import ModelMeta, Workspace

pytestmark = pytest.mark.slow

TOKEN = "eng-token-0123456789"
RECIPE = """
name: tile
profile: multi-model
types:
  - name: surface
    kind: anomaly
  - name: dark
    kind: classifier
    mode: fast
    classes: [{name: good, pass: true}, {name: scratch, pass: false}]
rois:
  - {name: face, type: surface, x: 30, y: 20, w: 160, h: 160}
  - {name: corner, type: dark, x: 0, y: 0, w: 64, h: 96}
"""
PIT = (120, 60)
"""Where the planted pit lies on the test capture, ``(x, y)`` in capture pixels (inside ROI ``face``)."""


def _capture(tile: np.ndarray) -> np.ndarray:
    """A 220x200 capture: mid grey with a 160 px magnetic tile at (30, 20)."""
    capture = np.full((200, 220, 3), 128, np.uint8)
    capture[20:180, 30:190] = resize_to(tile, (160, 160))
    return capture


def _pitted(capture: np.ndarray) -> np.ndarray:
    out = capture.copy()
    cv2.circle(out, PIT, 6, (25, 25, 25), -1)
    return out


def _cli(home):
    def cli(*args):
        code, out, err = run_cli(home, *args)
        assert code in (0, 1), err
        return code, out, err

    return cli


@pytest.fixture(scope="session")
def tile_trained(tmp_path_factory):
    """The tile recipe with an anomaly model trained on 6 good tiles (1 pitted tile validates) and the classifier
    installed; ``captures/`` holds a held-out good capture and a pitted one. Built once: tests copy it."""
    if not DATASET.is_dir():
        pytest.skip(f"magnetic-tile dataset not found at {DATASET}")
    folder = tmp_path_factory.mktemp("tile")
    cli = _cli(folder / "home")
    (folder / "tile.yaml").write_text(RECIPE)
    cli("recipe", "add", folder / "tile.yaml")
    tiles = [read_image(p) for p in sorted((DATASET / "MT_Free" / "Imgs").glob("*.jpg"))[:9]]
    for i, tile in enumerate(tiles[:6]):
        write_png(folder / "train" / "good" / f"g{i}.png", _capture(tile))
    write_png(folder / "train" / "anomalous" / "a0.png", _pitted(_capture(tiles[6])))
    _, out, _ = cli("label", "import", "tile", "--type", "surface", "--folders", folder / "train")
    assert "imported new captures: anomalous 1, good 6" in out
    workspace = Workspace(folder / "home")
    (pitted,) = [label.image for label in workspace.labels("tile", "surface") if label.class_name == "anomalous"]
    region = np.zeros((200, 220), np.uint8)
    cv2.circle(region, PIT, 6, 1, -1)
    workspace.set_mask("tile", "surface", pitted, region)     # its painted region: pixel-level figures
    _, out, _ = cli("train", "tile", "--type", "surface")
    assert "validation (leave-one-out)" in out and "threshold:" in out and "AUROC: 1.000" in out
    pixel_auroc, iou = re.search(r"painted regions \(1 crop\(s\)\): pixel AUROC (\S+)   region IoU (\S+)", out).groups()
    assert float(pixel_auroc) > 0.9 and float(iou) > 0.05  # the heat is on the pit, the region overlaps it
    assert ModelMeta.read(workspace.latest_model("tile", "surface").path).backbone == "lite1"  # its encoder
    with Workspace(folder / "home").new_model_version("tile", "dark", "fast") as version:
        dark_pixel_classifier(version / "model.onnx", limit=5.0)  # nothing in these captures is that dark
        ModelMeta(["good", "scratch"]).write(version)
    write_png(folder / "captures" / "good.png", _capture(tiles[7]))
    write_png(folder / "captures" / "pitted.png", _pitted(_capture(tiles[8])))
    return folder


@pytest.fixture
def home(tmp_path, tile_trained):
    """This test's own copy of the trained workspace; ``home.parent / "captures"`` the two test captures."""
    shutil.copytree(tile_trained / "home", tmp_path / "home")
    shutil.copytree(tile_trained / "captures", tmp_path / "captures")
    return tmp_path / "home"


def _inspect(home, *args):
    code, out, err = run_cli(home, "inspect", "tile", home.parent / "captures", "--json", *args)
    return code, {json.loads(line)["image"].rsplit("/", 1)[-1]: json.loads(line) for line in out.splitlines()}, err


def test_inspect_json_scores_outlines_and_mixes_with_a_classifier(home) -> None:
    code, lines, err = _inspect(home)
    assert code == 0, err  # judged (a failing verdict is not an error)
    good, pitted = lines["good.png"], lines["pitted.png"]
    face = pitted["rois"][0]
    assert list(face) == ["roi", "type", "score", "threshold", "pass", "measurements", "blobs", "failed_rules",
                          "heat"]  # heat: the map shrunk for Live and History (station/results.py heat_preview)
    assert face["roi"] == "face" and face["type"] == "surface" and face["pass"] is False
    assert face["score"] > face["threshold"] > good["rois"][0]["score"]
    assert good["pass"] is True and good["rois"][0]["blobs"] == [] and good["rois"][0]["failed_rules"] == []
    assert face["failed_rules"] == ["no anomalous blob >= 20 px"]
    assert face["measurements"]["anomalous"]["count"] == len(face["blobs"]) >= 1
    # capture coordinates: the ROI's offset is added; one blob holds the pit (not always the largest: with six
    # 160 px training tiles the stride-32 features also light up a strip at the tile's edge, see bench/README.md)
    assert any(x <= PIT[0] < x + w and y <= PIT[1] < y + h for x, y, w, h in (b["bbox"] for b in face["blobs"]))
    assert face["blobs"][0]["class"] == "anomalous"
    corner = pitted["rois"][1]
    assert (corner["roi"], corner["type"], corner["class"], corner["pass"]) == ("corner", "dark", "good", True)
    assert set(pitted["models"]) == {"surface", "dark"}


def test_overlay_paints_the_heat_map_and_masks_hold_the_region(home, tmp_path) -> None:
    code, _, err = _inspect(home, "--overlay", tmp_path / "over", "--masks", tmp_path / "masks")
    assert code == 0, err
    capture = read_image(home.parent / "captures" / "pitted.png")
    overlay = read_image(tmp_path / "over" / "pitted.png")
    outside = np.abs(overlay[190:, 200:].astype(int) - capture[190:, 200:]).max()
    inside = np.abs(overlay[40:160, 50:170].astype(int) - capture[40:160, 50:170]).mean()
    assert outside == 0 and inside > 10  # the heat map covers the ROI only
    assert (overlay[PIT[1] - 20 : PIT[1] + 20, PIT[0] - 20 : PIT[0] + 20] == 255).all(axis=2).any()  # white outline
    mask = np.asarray(Image.open(tmp_path / "masks" / "pitted.png"))
    assert mask[PIT[1], PIT[0]] == 1 and set(np.unique(mask)) == {0, 1}
    assert not mask[:20].any() and not mask[:, :30].any()  # nothing outside the ROI
    assert not np.asarray(Image.open(tmp_path / "masks" / "good.png")).any()


def test_eval_reports_auroc_detection_and_false_rejects(home) -> None:
    folders = home.parent / "eval"
    shutil.copy(home.parent / "captures" / "good.png", (folders / "good").mkdir(parents=True) or folders / "good")
    shutil.copy(home.parent / "captures" / "pitted.png", (folders / "anomalous").mkdir() or folders / "anomalous")
    code, out, err = run_cli(home, "eval", "tile", "--type", "surface", "--folders", folders, "--json")
    assert code == 0, err
    metrics = json.loads(out)
    assert metrics["auroc"] == 1.0 and metrics["detection_rate"] == 1.0 and metrics["false_reject_rate"] == 0.0
    assert len(metrics["scores"]["good"]) == len(metrics["scores"]["anomalous"]) == 1


@pytest.mark.parametrize(("change", "message"), [
    ("w: 160", "was trained for 160x160 px crops, ROI 'face' is now 128x160 px"),
    ("kind: anomaly", "was trained with tiling: false, the recipe now says tiling: true"),
])
def test_model_for_another_roi_size_or_tiling_is_refused_at_load(home, tmp_path, change, message) -> None:
    changed = RECIPE.replace("w: 160", "w: 128") if change == "w: 160" else \
        RECIPE.replace("kind: anomaly", "kind: anomaly\n    tiling: true")
    (tmp_path / "tile.yaml").write_text(changed)
    code, _, err = run_cli(home, "recipe", "add", tmp_path / "tile.yaml", "--replace")
    assert code == 0, err
    code, _, err = run_cli(home, "inspect", "tile", home.parent / "captures", "--json")
    assert code == 2 and message in err and "openinspect train tile --type surface" in err


def test_api_trigger_history_outputs_and_anomalous_labels(home) -> None:
    sink = ListSink()
    app = create_app(Settings(home=home, tokens={TOKEN: "engineer"}, recipe="tile"), sinks=[sink])
    pitted = (home.parent / "captures" / "pitted.png").read_bytes()
    with TestClient(app) as api:
        api.headers["Authorization"] = f"Bearer {TOKEN}"
        body = api.post("/api/v1/trigger", files={"image": ("p.png", pitted, "image/png")}).json()
        face = body["rois"][0]
        assert body["pass"] is False and face["score"] > face["threshold"] and face["blobs"]
        stored = api.get(f"/api/v1/results/{body['id']}").json()
        assert stored["rois"][0] == face  # History keeps the score, threshold, region blobs
        label = api.post("/api/v1/recipes/tile/labels", files={"image": ("p.png", pitted)},
                         data={"type": "surface", "class": "anomalous"})
        assert label.status_code == 201, label.text
        assert label.json()["labels"] == {"face": "anomalous"}
        assert api.get("/api/v1/recipes/tile").json()["types"][0]["labels"] == {"good": 6, "anomalous": 2}
    assert sink.results and sink.results[0]["rois"][0] == face  # every sink gets this JSON (MQTT, webhooks drop heat)



def test_int8_where_the_processor_has_a_fast_int8_dot_product_recorded_and_loaded(home) -> None:
    from openinspect.models.runtime import fast_int8

    version = Workspace(home).latest_model("tile", "surface")
    meta = json.loads((version.path / "meta.json").read_text())
    choice = meta["int8"]
    assert meta["precision"] == choice["precision"] == ("int8" if fast_int8() else "fp32"), choice["reason"]
    assert version.int8_path.is_file() == (meta["precision"] == "int8")
    if fast_int8():  # the keep-rule's figures: int8 features agree with fp32's, and the encoder is faster
        assert choice["metric"] == "distance correlation" and choice["int8"] >= 0.95 and choice["crops"] == 6
        assert choice["int8_ms"] < choice["fp32_ms"] and choice["quantized"] == "Conv+Clip+Add"
        assert "int8 encoder" in meta["validation"]["reason"]  # its threshold: from the int8 model's own scores
    code, out, err = run_cli(home, "info", "tile", "--calls", "2", "--json")
    assert code == 0, err
    (surface,) = [model for model in json.loads(out)["models"] if model["type"] == "surface"]
    assert surface["kind"] == "anomaly" and surface["precision"] == meta["precision"] and surface["model_ms"] > 0
