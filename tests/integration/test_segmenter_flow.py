"""A segmenter end to end through the command line: masks in, measurements, rules, overlays and masks out."""

import json
import shutil

import cv2
import numpy as np
import pytest
from PIL import Image
from tests.conftest import run_cli, write_png

pytestmark = pytest.mark.slow

RECIPE = """
name: seam
profile: multi-model
types:
  - name: surface
    kind: segmenter
    pixel_classes: [{name: scratch, color: "#ff3b30"}]
    min_blob_px: 15
    rules: [{class: scratch, measure: count, op: "==", value: 0}]
    augment: {hflip: true, vflip: true}
calibration: {mm_per_px: 0.1}
rois:
  - {name: left, type: surface, x: 0, y: 0, w: 96, h: 96}
  - {name: right, type: surface, x: 96, y: 0, w: 96, h: 96}
"""


def _capture(seed, scratches):
    """A grey textured part 192x96 with dark scratches; returns (RGB image, 0/255 mask)."""
    rng = np.random.default_rng(seed)
    gray = rng.normal(160, 8, (96, 192)).clip(0, 255).astype(np.uint8)
    mask = np.zeros((96, 192), np.uint8)
    for x0 in scratches:
        y0 = int(rng.integers(15, 40))
        cv2.line(mask, (x0, y0), (x0 + 25, y0 + 40), 255, 3)
    gray[mask > 0] = 50
    return np.repeat(gray[:, :, None], 3, axis=2), mask


def _cli(home):
    """``cli(*args)`` on the workspace ``home``: fails the test on a usage error; returns (exit code, stdout)."""

    def cli(*args):
        code, out, err = run_cli(home, *args)
        assert code in (0, 1), err
        return code, out

    return cli


@pytest.fixture(scope="session")
def seam_trained(tmp_path_factory):
    """A workspace with the seam recipe, 11 captures with their masks and a trained segmenter: built once, since
    training is what takes the time; tests get copies through ``trained``."""
    folder = tmp_path_factory.mktemp("seam")
    cli = _cli(folder / "home")
    (folder / "seam.yaml").write_text(RECIPE)
    cli("recipe", "add", folder / "seam.yaml")
    for i in range(8):
        image, mask = _capture(i, [20] if i % 2 else [20, 130])
        write_png(folder / "train" / f"c{i}.png", image)
        write_png(folder / "train" / "masks" / f"c{i}.png", mask)
    for i in range(3):
        write_png(folder / "train" / f"clean{i}.png", _capture(50 + i, [])[0])
    _, out = cli("label", "import", "seam", "--type", "surface", "--images", folder / "train",
                 "--masks", folder / "train" / "masks", "--missing-mask-is-background")
    assert "imported new captures: 11 (8 of all imported with labelled pixels)" in out
    _, out = cli("train", "seam", "--type", "surface")  # steps, not a time budget: same model under any load
    assert "validation (hold-out)" in out and "scratch: IoU" in out
    return folder / "home"


@pytest.fixture
def trained(tmp_path, seam_trained):
    """``cli(*args)`` on this test's own copy of the trained workspace."""
    shutil.copytree(seam_trained, tmp_path / "home")
    return _cli(tmp_path / "home")


def test_inspect_reports_measurements_blobs_rules_and_writes_pictures(tmp_path, trained):
    image, mask = _capture(99, [130])  # a scratch in the right ROI only
    write_png(tmp_path / "new" / "part.png", image)
    code, out = trained("inspect", "seam", tmp_path / "new" / "part.png", "--json",
                        "--overlay", tmp_path / "overlay", "--masks", tmp_path / "masks")
    line = json.loads(out)
    left, right = line["rois"]
    assert code == 0 and line["pass"] is False
    assert left["pass"] is True and left["failed_rules"] == [] and left["measurements"]["scratch"]["count"] == 0
    assert right["pass"] is False and right["failed_rules"] == ["scratch count == 0"]
    scratch = right["measurements"]["scratch"]
    assert scratch["count"] == 1
    assert 0.5 * (mask > 0).sum() < scratch["area"] < 1.6 * (mask > 0).sum()
    assert scratch["max_length_mm"] == pytest.approx(scratch["max_length"] * 0.1, abs=0.01)
    x, y, w, _h = right["blobs"][0]["bbox"]
    assert 120 <= x <= 140 and x + w <= 192 and y >= 10  # capture coordinates, not ROI coordinates
    predicted = np.asarray(Image.open(tmp_path / "masks" / "part.png"))
    assert predicted.shape == (96, 192) and set(np.unique(predicted)) <= {0, 1}
    truth = mask > 0
    iou = (truth & (predicted == 1)).sum() / (truth | (predicted == 1)).sum()
    assert iou > 0.3
    overlay = np.asarray(Image.open(tmp_path / "overlay" / "part.png"))
    assert overlay.shape == (96, 192, 3)
    assert tuple(overlay[48, 95]) != tuple(image[48, 95])  # ROI outline drawn
    red_tint = overlay[truth & (predicted == 1)].astype(int)
    assert (red_tint[:, 0] - red_tint[:, 2]).mean() > 40  # scratch painted in its colour


def test_eval_reports_iou_and_detection(tmp_path, trained):
    for i in range(4):
        image, mask = _capture(200 + i, [20, 130] if i < 2 else [])
        write_png(tmp_path / "test" / f"t{i}.png", image)
        if i < 2:
            write_png(tmp_path / "test" / "masks" / f"t{i}.png", mask)
    _, out = trained("eval", "seam", "--type", "surface", "--images", tmp_path / "test",
                     "--masks", tmp_path / "test" / "masks", "--json")
    metrics = json.loads(out)
    assert metrics["n"] == 8 and metrics["defect_images"] == 4 and metrics["clean_images"] == 4
    assert metrics["per_class"]["scratch"]["iou"] > 0.3
    assert metrics["detection_rate"] >= 0.75


def test_training_records_the_precision_choice_and_info_reports_the_one_loaded(tmp_path, trained):
    from openinspect.models.runtime import fast_int8

    folder = tmp_path / "home" / "models" / "seam" / "surface" / "v1"
    meta = json.loads((folder / "meta.json").read_text())
    choice = meta["int8"]
    assert meta["precision"] == choice["precision"] in ("fp32", "int8")
    assert (folder / "model.int8.onnx").is_file() == (meta["precision"] == "int8")
    if fast_int8():
        assert choice["metric"] == "pooled IoU" and choice["crops"] == 4  # the held-out fifth of 11 captures x 2 ROIs
        kept = choice["fp32"] - choice["int8"] <= 0.02 and choice["int8_ms"] < choice["fp32_ms"]
        assert kept == (meta["precision"] == "int8"), choice["reason"]
    code, out = trained("info", "seam", "--calls", "2", "--json")
    (model,) = json.loads(out)["models"]
    assert code == 0 and model["kind"] == "segmenter" and model["precision"] == meta["precision"]
    assert model["model_ms"] > 0
