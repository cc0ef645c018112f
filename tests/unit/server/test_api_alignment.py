"""Alignment through the API: results keep the pose and the `alignment` failure reason, the labelling page's
samples say where each ROI is cut on a capture whose part moved, and a saved recipe's region must be one the
aligner can use."""

from contextlib import contextmanager

from fastapi.testclient import TestClient
from tests.conftest import png_bytes, write_png
from tests.unit.imaging.scenes import NUT, scene
from tests.unit.station.test_pipeline_alignment import RECIPE, _dark_crop_model

from openinspect.recipe import parse_recipe
from openinspect.server import create_app
from openinspect.settings import Settings
from openinspect.store import ModelMeta, Workspace

TOKEN = "eng-token-0123456789"


def _bracket(home):
    """A workspace with the aligning bracket recipe and its reference capture."""
    workspace = Workspace(home)
    workspace.save_recipe(parse_recipe(RECIPE))
    write_png(workspace.recipe_path("bracket").parent / "reference.png", scene())
    return workspace


@contextmanager
def _engineer(workspace):
    """An API client on the workspace's station, signed in as an engineer."""
    with TestClient(create_app(Settings(home=workspace.home, tokens={TOKEN: "engineer"}))) as client:
        client.headers["Authorization"] = f"Bearer {TOKEN}"
        yield client


def test_stored_results_keep_reason_and_alignment(tmp_path):
    workspace = _bracket(tmp_path / "home")
    with workspace.new_model_version("bracket", "nut", "fast") as folder:
        _dark_crop_model(folder / "model.onnx")
        ModelMeta(["present", "missing"], metrics={}).write(folder)
    with _engineer(workspace) as client:

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


def test_samples_place_the_rois_where_the_part_moved_and_mark_captures_without_it(tmp_path):
    workspace = _bracket(tmp_path / "home")
    with _engineer(workspace) as client:
        files = [("images", (name, png_bytes(image), "image/png"))
                 for name, image in (("shifted.png", scene(-60, 45, seed=1)), ("empty.png", scene(part=False, seed=2)))]
        assert client.post("/api/v1/recipes/bracket/captures", files=files).status_code == 201
        for _ in range(2):  # the second load comes from the pose cache
            samples = {s["name"]: s for s in client.get("/api/v1/recipes/bracket/types/nut/samples").json()}
            shifted, empty = samples["shifted.png"], samples["empty.png"]
            nut = shifted["rois"]["nut"]
            assert abs(nut["x"] - (NUT.x - 60)) <= 1 and abs(nut["y"] - (NUT.y + 45)) <= 1
            assert (nut["w"], nut["h"]) == (NUT.w, NUT.h) and abs(nut["angle"]) < 0.5
            assert shifted["rois"]["whole"] == {"x": 0, "y": 0, "w": 800, "h": 600, "angle": 0.0}
            assert shifted["alignment"]["found"] is True and abs(shifted["alignment"]["dx"] + 60) < 1
            assert empty["rois"] == {} and empty["alignment"]["found"] is False


def test_a_recipe_saved_with_a_region_the_aligner_cannot_use_is_refused(tmp_path):
    workspace = _bracket(tmp_path / "home")
    with _engineer(workspace) as client:
        doc = client.get("/api/v1/recipes/bracket/document").json()
        flat = {**doc, "alignment": {**doc["alignment"], "template": {"x": 20, "y": 20, "w": 200, "h": 150}}}
        answer = client.put("/api/v1/recipes/bracket", json=flat)
        assert answer.status_code == 422
        error = answer.json()["error"]
        assert error["type"] == "invalid_recipe"
        assert error["message"].startswith("recipe 'bracket': alignment template x 20, y 20, 200x150 is too flat to "
                                           "find: 0.0% of it shows edges")
        assert client.get("/api/v1/recipes/bracket/document").json() == doc, "nothing is stored"
        moved = {**doc, "alignment": {**doc["alignment"], "template": {"x": 300, "y": 200, "w": 240, "h": 220}}}
        assert client.put("/api/v1/recipes/bracket", json=moved).status_code == 200
