"""The station as it runs on the line: a real uvicorn server on a free loopback port, real HTTP and WebSocket
clients; with a trained (tiny, Fast) model, training through the API with progress on the WebSocket."""

import contextlib
import json
import socket
import threading
import time

import httpx
import pytest
import uvicorn
from tests.conftest import part_capture, png_bytes
from tests.unit.station.kit import RECIPE, install_plate, part_png
from websockets.sync.client import connect

from openinspect.server import create_app
from openinspect.settings import Settings
from openinspect.store import Workspace

TOKEN = "integration-token-0123456789"


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def serve(home, wrap=lambda app: app, **settings):
    """The station on ``home`` under uvicorn on a free loopback port; ``wrap`` may wrap its ASGI app."""
    port = _free_port()
    app = wrap(create_app(Settings(home=home, port=port, tokens={TOKEN: "engineer"}, **settings)))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="websockets-sansio"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


def _client(address):
    return httpx.Client(base_url=f"http://{address}/api/v1", headers={"Authorization": f"Bearer {TOKEN}"},
                        timeout=60)


def _next(ws, event, timeout=300):
    while True:
        message = json.loads(ws.recv(timeout=timeout))
        if message["event"] == event:
            return message["data"]


def test_trigger_over_http_reaches_websocket_client(tmp_path):
    install_plate(Workspace(tmp_path / "home"))
    with serve(tmp_path / "home") as address, _client(address) as client:
        with connect(f"ws://{address}/api/v1/ws", additional_headers={"Authorization": f"Bearer {TOKEN}"}) as ws:
            sent = client.post("/trigger", files={"image": ("part.png", part_png(True, 4), "image/png")})
            assert sent.status_code == 200, sent.text
            pushed = _next(ws, "result")
        assert pushed == sent.json() and pushed["pass"] is False
        assert client.get("/results").json()["items"] == [sent.json()]
        with pytest.raises(Exception, match="1008|policy|rejected"), connect(f"ws://{address}/api/v1/ws") as anonymous:
            anonymous.recv(timeout=5)


@pytest.mark.slow
def test_label_train_and_inspect_through_the_api(tmp_path):
    with serve(tmp_path / "home") as address, _client(address) as client:
        assert client.post("/recipes", content=RECIPE).status_code == 201
        for seed in range(5):
            for defect, name in ((False, "good"), (True, "scratch")):
                labelled = client.post("/recipes/plate/labels", data={"type": "surface", "class": name},
                                       files={"image": (f"{name}{seed}.png", png_bytes(part_capture(defect, seed)))})
                assert labelled.status_code == 201, labelled.text
        with connect(f"ws://{address}/api/v1/ws?token={TOKEN}") as ws:
            started = client.post("/training", json={"recipe": "plate", "type": "surface", "mode": "fast"})
            assert started.status_code == 202 and started.json()["state"] == "running"
            busy = client.post("/training", json={"recipe": "plate", "type": "surface"})
            assert busy.status_code == 503 and busy.json()["error"]["type"] == "busy"
            updates = []
            while not updates or updates[-1]["state"] == "running":
                updates.append(_next(ws, "training"))
        assert updates[-1]["state"] == "done" and updates[-1]["version"] == 1, updates[-1]
        assert any(0 < u["progress"] < 1 for u in updates)
        assert client.get("/training").json()["state"] == "done"
        assert client.put("/active-recipe", json={"name": "plate"}).status_code == 200
        good = client.post("/trigger", files={"image": ("g.png", png_bytes(part_capture(False, 700)))}).json()
        bad = client.post("/trigger", files={"image": ("b.png", png_bytes(part_capture(True, 701)))}).json()
        assert good["pass"] is True and bad["pass"] is False


@pytest.mark.slow
def test_training_stop_publishes_no_model(tmp_path):
    workspace = Workspace(tmp_path / "home")
    install_plate(workspace)
    with serve(tmp_path / "home") as address, _client(address) as client:
        for seed in range(4):
            for defect, name in ((False, "good"), (True, "scratch")):
                client.post("/recipes/plate/labels", data={"type": "surface", "class": name},
                            files={"image": (f"{name}{seed}.png", png_bytes(part_capture(defect, seed)))})
        client.post("/training", json={"recipe": "plate", "type": "surface", "mode": "fast"})
        stopping = client.delete("/training")
        assert stopping.status_code == 200 and stopping.json()["state"] in ("stopping", "done")
        deadline = time.monotonic() + 120
        while (state := client.get("/training").json())["state"] == "stopping":
            assert time.monotonic() < deadline
            time.sleep(0.2)
    if state["state"] == "cancelled":
        assert workspace.latest_model("plate", "surface").version == 1  # only the installed one
