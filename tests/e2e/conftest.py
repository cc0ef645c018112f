"""Browser tests: a real station server (uvicorn on a free loopback port) and Debian's Chromium via Playwright.

The demo workspace (both demo recipes, labelled and Fast-trained) is built once per session and
copied into each test's own temporary folder, so every test starts from the same state and no
test sees another's results. Screenshots go to ``test-artifacts/e2e/``.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.peers import require_program

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
TOKEN = "e2e-engineer-token"
OPERATOR_TOKEN = "e2e-operator-token"
CENTRE = 134.0
"""Mean grey level where the hand-built classifiers switch class: the demo captures fall on both sides."""

playwright_sync = pytest.importorskip("playwright.sync_api", reason="browser tests need `pip install playwright`")


@dataclass(frozen=True)
class Station:
    """A running station server."""

    url: str
    home: Path
    token: str = TOKEN
    operator_token: str = OPERATOR_TOKEN

    def signed_in(self, path: str = "/") -> str:
        """The address of ``path`` with the engineer token as a sign-in link."""
        hash_part = ""
        if "#" in path:
            path, hash_part = path.split("#", 1)
            hash_part = "#" + hash_part
        return f"{self.url}{path}?token={self.token}{hash_part}"


def brightness_classifier(path: Path, classes: int, size: int = 64) -> None:
    """A hand-built ONNX classifier: ``(N, size, size, 3)`` uint8 -> ``(N, classes)`` probabilities.

    The class follows the crop's mean grey level, so captures get differing classes and confidences
    without training (training on the shared CI cores takes minutes; the Training tests train for real).
    """
    import onnx
    from onnx import TensorProto, helper

    weights = [[0.08 * (k - (classes - 1) / 2) for k in range(classes)]]
    nodes = [
        helper.make_node("Cast", ["image"], ["f"], to=TensorProto.FLOAT),
        helper.make_node("ReduceMean", ["f", "axes"], ["mean"], keepdims=0),
        helper.make_node("Sub", ["mean", "centre"], ["shifted"]),
        helper.make_node("Unsqueeze", ["shifted", "last"], ["column"]),
        helper.make_node("MatMul", ["column", "weights"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probs"], axis=1),
    ]
    graph = helper.make_graph(
        nodes, "brightness", [helper.make_tensor_value_info("image", TensorProto.UINT8, ["N", size, size, 3])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["N", classes])],
        [helper.make_tensor("axes", TensorProto.INT64, [3], [1, 2, 3]),
         helper.make_tensor("centre", TensorProto.FLOAT, [], [CENTRE]),
         helper.make_tensor("last", TensorProto.INT64, [1], [1]),
         helper.make_tensor("weights", TensorProto.FLOAT, [1, classes], weights[0])])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]), str(path))


def paint_stroke(page: playwright_sync.Page, half_width: float, steps: int) -> int:
    """Drag a horizontal brush stroke ``2 * half_width`` px long across the paint canvas's centre, as a user does;
    wait until the page has saved it and return the pixels painted, as the page reports them."""
    status = page.get_by_test_id("paint-status")
    box = page.get_by_test_id("paint-canvas").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx - half_width, cy)
    page.mouse.down()
    page.mouse.move(cx + half_width, cy, steps=steps)
    page.mouse.up()
    playwright_sync.expect(status).to_contain_text("Saved")
    return int(status.get_attribute("data-painted"))


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with both demo recipes, their labelled captures and a hand-built model per type."""

    from openinspect.demo.run import ensure_demo
    from openinspect.store import ModelMeta, Workspace

    home = tmp_path_factory.mktemp("demo") / "home"
    workspace = Workspace(home)
    for name in ensure_demo(workspace, lambda _line: None, train=0):
        for spec in workspace.recipe(name).types:
            classes = spec.class_names()
            with workspace.new_model_version(name, spec.name, "fast") as folder:
                brightness_classifier(folder / "model.onnx", len(classes))
                metrics = {"balanced_accuracy": 0.9, "accuracy": 0.9}
                ModelMeta(classes, metrics=metrics).write(folder)
    workspace.engine.dispose()
    return home


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def station(demo_home: Path, tmp_path: Path) -> Iterator[Station]:
    """A station on a copy of the demo workspace: bracket-nuts active, replaying its demo captures."""
    import uvicorn

    from openinspect.demo.run import replay_folder
    from openinspect.server import create_app
    from openinspect.settings import Role, Settings
    from openinspect.store import Workspace

    home = tmp_path / "home"
    shutil.copytree(demo_home, home)
    port = _free_port()
    settings = Settings(home=home, port=port, recipe="bracket-nuts", keep_pass_every=1,
                        tokens={TOKEN: Role.ENGINEER, OPERATOR_TOKEN: Role.OPERATOR},
                        capture=str(replay_folder(Workspace(home), "bracket-nuts")))
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           ws="websockets-sansio", lifespan="on"))
    thread = threading.Thread(target=server.run, name="e2e-station", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the station server did not start")
        time.sleep(0.05)
    yield Station(f"http://127.0.0.1:{port}", home)
    server.should_exit = True
    thread.join(timeout=30)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium, headless; never a downloaded browser."""
    executable = require_program("chromium", "chromium")
    with playwright_sync.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(executable), headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: playwright_sync.Browser, request: pytest.FixtureRequest) -> Iterator[playwright_sync.Page]:
    """A fresh 1440x900 browser page (a common floor PC screen); console errors fail the test, and a screenshot is
    saved at the end."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"))
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> object:
    """``screenshot(page, step)`` saves the page now as ``test-artifacts/e2e/<test>-<step>.png``."""

    def save(page: playwright_sync.Page, step: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{request.node.name}-{step}.png"
        page.screenshot(path=str(path))
        return path

    return save
