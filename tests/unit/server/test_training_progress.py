"""GET /training and the WebSocket's training messages carry the structured progress: fold, step, epoch, loss curve."""

import pytest
from fastapi.testclient import TestClient
from tests.unit.station.kit import RECIPE, install_plate, part_png

from openinspect.models.progress import LOSS_POINTS
from openinspect.server import create_app
from openinspect.settings import Settings
from openinspect.store import Workspace

ENGINEER = "eng-token-0123456789"
PROGRESS_FIELDS = ("fold", "folds", "step", "steps", "epoch", "epochs", "loss", "loss_curve", "stage", "remaining_s",
                   "updated")
TINY = RECIPE.replace("    mode: fast\n", "    mode: fast\n    input_size: 32\n")
"""The kit's recipe with 32 px model inputs: an Accurate step takes a fraction of a second."""


@pytest.fixture
def api(tmp_path):
    home = tmp_path / "home"
    install_plate(Workspace(home), TINY)
    with TestClient(create_app(Settings(home=home, tokens={ENGINEER: "engineer"}))) as client:
        client.headers["Authorization"] = f"Bearer {ENGINEER}"
        yield client


def test_openapi_documents_the_progress_fields(api):
    schema = api.get("/openapi.json").json()["components"]["schemas"]["TrainingPublic"]["properties"]
    assert all(schema[name].get("description") for name in PROGRESS_FIELDS)
    assert f"at most {LOSS_POINTS} points" in schema["loss_curve"]["description"]


@pytest.mark.slow
def test_accurate_job_reports_step_epoch_and_loss_curve_on_get_and_websocket(api):
    for seed, cls in enumerate(["good", "scratch"]):
        api.post("/api/v1/recipes/plate/labels", data={"type": "surface", "class": cls},
                 files={"image": (f"{cls}.png", part_png(cls == "scratch", seed), "image/png")}).raise_for_status()
    with api.websocket_connect(f"/api/v1/ws?token={ENGINEER}") as socket:
        assert api.post("/api/v1/training", json={"recipe": "plate", "type": "surface", "mode": "accurate"}).is_success
        pushed = {"state": "running", "step": None}
        while pushed["state"] == "running" and pushed["step"] is None:
            message = socket.receive_json()
            pushed = message["data"] if message["event"] == "training" else pushed
    job = api.get("/api/v1/training").json()
    api.delete("/api/v1/training")

    assert pushed["state"] == "running", pushed.get("error")
    assert set(job) == set(pushed)
    for body in (pushed, job):
        assert (body["fold"], body["folds"], body["steps"], body["epochs"]) == (None, 0, 120, 480)  # 4 crops, batch 16
        assert body["step"] >= 1 and body["epoch"] == body["step"] * 4 and body["loss"] > 0
        assert body["loss_curve"][-1] == [body["step"], body["loss"]] and len(body["loss_curve"]) == body["step"]
        assert body["message"] == "fine-tuning"
