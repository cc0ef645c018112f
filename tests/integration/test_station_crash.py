"""A station process killed (SIGKILL) while triggers are in flight loses nothing it had answered: every
answered result is in the database and every archived capture is whole (SQLite WAL, atomic writes)."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx
from tests.unit.station.kit import install_plate, part_png

from openinspect.imaging import decode_image
from openinspect.store import Workspace
from openinspect.store.results import ResultFilter, ResultStore, Retention

TOKEN = "crash-token-0123456789"


def _start(home):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "OPENINSPECT_TOKENS": f'{{"{TOKEN}": "operator"}}', "OPENINSPECT_KEEP_PASS_EVERY": "1"}
    server = subprocess.Popen([sys.executable, "-c", "from openinspect.cli import main; raise SystemExit(main())",
                               "--home", str(home), "serve", "--port", str(port), "--recipe", "plate"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/api/v1"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/health").status_code == 200:
                return server, base
        except httpx.TransportError:
            assert time.monotonic() < deadline and server.poll() is None, "the station did not start"
            time.sleep(0.2)


def test_kill_mid_stream_keeps_every_answered_result(tmp_path):
    home = tmp_path / "home"
    install_plate(Workspace(home))
    server, base = _start(home)
    answered, stop = [], threading.Event()

    def shoot():
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10) as client:
            for index in range(400):
                if stop.is_set():
                    return
                try:
                    response = client.post("/trigger", files={"image": (f"{index}.png", part_png(index % 3 == 0, index))})
                except httpx.TransportError:
                    return
                answered.append(response.json()["id"])

    shooters = [threading.Thread(target=shoot) for _ in range(2)]
    for thread in shooters:
        thread.start()
    while len(answered) < 20 and server.poll() is None:
        time.sleep(0.01)
    server.send_signal(signal.SIGKILL)
    server.wait(10)
    stop.set()
    for thread in shooters:
        thread.join(10)
    workspace = Workspace(home)
    store = ResultStore(workspace.engine, home / "results", Retention())
    stored = {r.id for r in store.query(ResultFilter(), limit=1000).items}
    assert len(answered) >= 20 and set(answered) <= stored
    for result_id in answered:
        image = decode_image(store.capture_path(result_id).read_bytes(), result_id)  # whole, not half-written
        assert image.shape == (96, 128, 3)
