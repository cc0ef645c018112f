"""An anomaly model's review and results as the web UI reads them: each validation crop's score and label now,
and a result's heat map shrunk so that its cells at level 128 or more are exactly the anomalous region's."""

import base64

import numpy as np
import pytest
from fastapi.testclient import TestClient
from tests.unit.station.kit import part_png

from openinspect.imaging import Rect
from openinspect.models.heatmap import anomalous_region
from openinspect.server import create_app
from openinspect.server.schemas import RoiPublic
from openinspect.settings import Settings
from openinspect.station.results import AnomalyRoiResult, heat_preview
from openinspect.store import ModelMeta, Workspace
from openinspect.training.validation import CropSource, ValidationCrop, write_validation_crops

ENGINEER = "eng-token-0123456789"
RECIPE = {"name": "tiles", "types": [{"name": "surface", "kind": "anomaly"}], "rois": [{"name": "tile", "type": "surface"}]}
SAMPLES = "/api/v1/recipes/tiles/types/surface/samples"


@pytest.fixture
def api(tmp_path):
    app = create_app(Settings(home=tmp_path / "home", tokens={ENGINEER: "engineer"}))
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {ENGINEER}"
        yield client, tmp_path / "home"


def test_validation_review_of_an_anomaly_model_carries_scores_and_the_labels_now(api):
    client, home = api
    assert client.post("/api/v1/recipes", json=RECIPE).status_code == 201
    files = [("images", (f"c{i}.png", part_png(bool(i), i), "image/png")) for i in range(2)]
    good, bad = (a["image"] for a in client.post("/api/v1/recipes/tiles/captures", files=files).json())
    for image, cls in ((good, "good"), (bad, "anomalous")):
        client.put(f"{SAMPLES}/{image}/labels", json={"labels": {"tile": cls}}).raise_for_status()
    crops = [ValidationCrop(CropSource(good, "tile", Rect(0, 0, 128, 96)), "good", "good", score=0.21),
             ValidationCrop(CropSource(bad, "tile", Rect(0, 0, 128, 96)), "anomalous", "good", score=0.29)]
    with Workspace(home).new_model_version("tiles", "surface", "accurate") as folder:
        (folder / "model.onnx").write_bytes(b"not judged here")
        ModelMeta(["good", "anomalous"], "anomaly", "tiles", "surface", "accurate", threshold=0.3,
                  validation={"method": "leave-one-out", "reason": "threshold 0.3000 from the 1 good crops"}).write(folder)
        write_validation_crops(folder, crops)
    client.put(f"{SAMPLES}/{bad}/labels", json={"labels": {"tile": "good"}}).raise_for_status()  # relabelled since

    review = client.get("/api/v1/recipes/tiles/types/surface/models/latest/validation").json()
    assert (review["kind"], review["method"], review["tradeoffs"]) == ("anomaly", "leave-one-out", [])
    assert review["reason"].startswith("threshold 0.3000")
    by_image = {c["image"]: c for c in review["crops"]}
    assert (by_image[good]["score"], by_image[good]["correct"], by_image[good]["label"]) == (0.21, True, "good")
    missed = by_image[bad]
    assert (missed["score"], missed["correct"], missed["true_class"], missed["label"]) == (0.29, False, "anomalous",
                                                                                         "good")


def test_heat_preview_cells_at_128_or_more_are_the_anomalous_region():
    rng = np.random.default_rng(3)
    heat = rng.gamma(2.0, 0.05, (200, 300)).astype(np.float32)
    heat[120:126, 40:47] = 0.9                                    # a small hot spot
    threshold = 0.45
    preview = heat_preview(heat, threshold, Rect(10, 20, 300, 200))
    rows, cols = preview["size"]
    assert (rows, cols) == (32, 48)
    levels = np.frombuffer(base64.b64decode(preview["levels"]), np.uint8).reshape(rows, cols)
    region = anomalous_region(heat, threshold)
    row_edges = np.linspace(0, 200, rows + 1).astype(int)
    col_edges = np.linspace(0, 300, cols + 1).astype(int)
    for r in range(rows):
        for c in range(cols):
            cell = region[row_edges[r]:row_edges[r + 1], col_edges[c]:col_edges[c + 1]]
            assert (levels[r, c] >= 128) == bool(cell.any()), (r, c)
    assert levels.max() == 255                                   # twice the threshold or more: capped
    assert levels[rows * 123 // 200, cols * 43 // 300] == 255


def test_an_anomaly_result_line_carries_its_heat_map_through_the_api_schema():
    heat = np.zeros((96, 128), np.float32)
    heat[40:44, 60:64] = 0.5
    mask = anomalous_region(heat, 0.25)
    result = AnomalyRoiResult("tile", "surface", False, Rect(5, 6, 128, 96), mask, {}, [], [], 0.5, 0.25, heat)
    line = RoiPublic.model_validate(result.to_json()).model_dump(by_alias=True, exclude_none=True)
    assert (line["score"], line["threshold"], line["pass"]) == (0.5, 0.25, False)
    assert line["heat"]["rect"] == [5, 6, 128, 96] and line["heat"]["size"] == [36, 48]
    levels = np.frombuffer(base64.b64decode(line["heat"]["levels"]), np.uint8)
    assert sorted(set(levels.tolist())) == [0, 255] and (levels == 255).sum() == 4
