"""The webhook sink against a real local HTTP server that fails a number of requests first."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from openinspect.integrations import WebhookSink

RESULT = {"id": "r1", "image": "cap-001.png", "pass": False,
          "rois": [{"roi": "nut-left", "type": "nut", "class": "loose", "confidence": 0.98, "pass": False}],
          "timing_ms": {"decode": 1.9, "total": 7.4}}


class Endpoint(ThreadingHTTPServer):
    """Answers ``fail_status`` to the first ``failures`` POSTs, then 204; records every request."""

    def __init__(self, failures: int, fail_status: int = 503) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.failures, self.fail_status = failures, fail_status
        self.requests: list[tuple[float, str, dict[str, str], bytes]] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


class _Handler(BaseHTTPRequestHandler):
    server: Endpoint

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with self.server.lock:
            self.server.requests.append((time.monotonic(), self.path, dict(self.headers), body))
            failing = len(self.server.requests) <= self.server.failures
        self.send_response(self.server.fail_status if failing else 204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass


@pytest.fixture
def endpoint(request: pytest.FixtureRequest) -> Iterator[Endpoint]:
    failures, status = getattr(request, "param", (0, 503))
    server = Endpoint(failures, status)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def wait_for(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.mark.parametrize("endpoint", [(3, 503)], indirect=True)
def test_webhook_retries_with_exponential_backoff_until_the_endpoint_accepts(endpoint: Endpoint) -> None:
    sink = WebhookSink([endpoint.url], backoff=0.05, attempts=5)
    started = time.perf_counter()
    sink.publish(RESULT)
    assert time.perf_counter() - started < 0.01, "publish waited for the HTTP request"
    worker = sink.workers[0]
    wait_for(lambda: worker.delivered == 1)
    sink.close()
    times = [t for t, *_ in endpoint.requests]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert len(endpoint.requests) == 4 and worker.failed == 0
    assert gaps[0] >= 0.05 and gaps[1] >= 0.1 and gaps[2] >= 0.2, gaps
    assert gaps[2] > 1.5 * gaps[0]
    _, path, headers, body = endpoint.requests[-1]
    assert path == "/hook" and headers["Content-Type"] == "application/json"
    assert json.loads(body) == RESULT
    assert {b for *_, b in endpoint.requests} == {body}, "every retry sends the same payload"


@pytest.mark.parametrize("endpoint", [(10, 500)], indirect=True)
def test_webhook_gives_up_after_the_configured_attempts(endpoint: Endpoint, caplog: pytest.LogCaptureFixture) -> None:
    sink = WebhookSink([endpoint.url], backoff=0.01, attempts=3)
    sink.publish(RESULT)
    worker = sink.workers[0]
    wait_for(lambda: worker.failed == 1)
    sink.close()
    assert len(endpoint.requests) == 3 and worker.delivered == 0
    assert "not delivered after 3 attempt(s): HTTP 500" in caplog.text


@pytest.mark.parametrize("endpoint", [(1, 400)], indirect=True)
def test_webhook_does_not_retry_a_payload_the_endpoint_rejects(endpoint: Endpoint) -> None:
    sink = WebhookSink([endpoint.url], backoff=0.01)
    sink.publish(RESULT)
    sink.publish({**RESULT, "id": "r2"})
    worker = sink.workers[0]
    wait_for(lambda: worker.failed + worker.delivered == 2)
    sink.close()
    assert len(endpoint.requests) == 2 and worker.failed == 1 and worker.delivered == 1
    assert json.loads(endpoint.requests[1][3])["id"] == "r2"


def test_webhook_posts_every_result_to_every_url_in_order(endpoint: Endpoint) -> None:
    other = Endpoint(0)
    thread = threading.Thread(target=other.serve_forever, daemon=True)
    thread.start()
    sink = WebhookSink([endpoint.url, other.url])
    for n in range(5):
        sink.publish({**RESULT, "id": f"r{n}"})
    sink.close(timeout=10)
    other.shutdown()
    other.server_close()
    thread.join()
    for server in (endpoint, other):
        assert [json.loads(body)["id"] for *_, body in server.requests] == [f"r{n}" for n in range(5)]


ANOMALY_ROI = {"roi": "face", "type": "surface", "score": 0.48, "threshold": 0.32, "pass": False,
               "measurements": {"anomalous": {"area": 664, "count": 1, "max_blob_area": 664, "max_length": 31.7}},
               "blobs": [{"class": "anomalous", "area": 664, "length": 31.7, "bbox": [109, 50, 30, 27]}],
               "failed_rules": ["no anomalous blob >= 20 px"],
               "heat": {"rect": [0, 0, 256, 192], "size": [36, 48], "levels": "AAAB" * 432}}


def test_webhook_posts_an_anomaly_roi_without_its_heat_preview(endpoint: Endpoint) -> None:
    sink = WebhookSink([endpoint.url])
    result = {**RESULT, "rois": [RESULT["rois"][0], ANOMALY_ROI]}
    sink.publish(result)
    sink.close(timeout=10)
    (posted,) = [json.loads(body) for *_, body in endpoint.requests]
    expected = {k: v for k, v in ANOMALY_ROI.items() if k != "heat"}
    assert posted["rois"] == [RESULT["rois"][0], expected]  # score, threshold, pass, blobs, measurements, rules
    assert "heat" in result["rois"][1]  # the station's own views (WebSocket, History) keep it
