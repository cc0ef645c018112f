"""Results read back through the API keep the alignment pose and the `alignment` failure reason."""

import json

from fastapi.testclient import TestClient
from tests.conftest import png_bytes, write_png
from tests.unit.imaging.scenes import scene
from tests.unit.station.test_pipeline_alignment import RECIPE, _dark_crop_model

from openinspect.recipe import parse_recipe
from openinspect.server import create_app
from openinspect.settings import Settings
from openinspect.store import Workspace

TOKEN = "eng-token-0123456789"


def test_stored_results_keep_reason_and_alignment(tmp_path):
    home = tmp_path / "home"
    workspace = Workspace(home)
    workspace.save_recipe(parse_recipe(RECIPE))
    write_png(workspace.recipe_path("bracket").parent / "reference.png", scene())
    with workspace.new_model_version("bracket", "nut", "fast") as folder:
        _dark_crop_model(folder / "model.onnx")
        (folder / "meta.json").write_text(json.dumps({"classes": ["present", "missing"], "metrics": {}}))
    with TestClient(create_app(Settings(home=home, tokens={TOKEN: "engineer"}))) as client:
        client.headers["Authorization"] = f"Bearer {TOKEN}"

        def trigger(image):
            answer = client.post("/api/v1/trigger", params={"recipe": "bracket"},
                                 files={"image": ("cap.png", png_bytes(image), "image/png")})
            assert answer.status_code == 200, answer.text
            return client.get(f"/api/v1/results/{answer.json()['id']}").json()

        moved = trigger(scene(-60, 45, 9.0, seed=7))
        assert moved["rois"][0]["class"] == "present" and "reason" not in moved  # the nut ROI followed the part
        assert moved["alignment"]["found"] and abs(moved["alignment"]["angle"] - 9.0) < 0.5
        empty = trigger(scene(part=False, seed=8))
        assert empty["pass"] is False and empty["reason"] == "alignment" and not empty["alignment"]["found"]
