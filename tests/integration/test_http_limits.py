"""The station's front door under a real uvicorn server on loopback: token before body, streaming body limits,
and an event loop that heavy requests do not block. Bodies are sent chunked from a raw socket, as an attacker
would, so no ``Content-Length`` warns the server."""

import json
import select
import socket
import threading
import time

import httpx
from tests.integration.test_station_server import TOKEN, serve
from tests.unit.station.kit import RECIPE, install_plate

from openinspect.server.limits import BodyLimit
from openinspect.store import Workspace

MiB = 2**20
PART = (b'--B\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\n'
        b"Content-Type: image/png\r\n\r\n\x89PNG\r\n\x1a\n")


class Received:
    """Wraps the station's ASGI app and counts the request-body bytes the server hands to it."""

    def __init__(self, app):
        self.app = app
        self.bytes = 0

    async def __call__(self, scope, receive, send):
        async def counted():
            message = await receive()
            self.bytes += len(message.get("body", b""))
            return message

        await self.app(scope, counted, send)


def chunked_post(address, path, token, *, total, chunk=64 * 1024):
    """POST a multipart body of ``total`` bytes in chunks, stopping when an answer arrives.

    Returns the bytes sent and the raw answer (status line, headers, body).
    """
    host, port = address.split(":")
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: station\r\n{auth}Transfer-Encoding: chunked\r\n"
                     f"Content-Type: multipart/form-data; boundary=B\r\n\r\n".encode())
        sock.sendall(b"%x\r\n%s\r\n" % (len(PART), PART))
        sent, filler = len(PART), b"\0" * chunk
        while sent < total and not select.select([sock], [], [], 0.01)[0]:
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (chunk, filler))
            except OSError:  # the server closed the connection after answering
                break
            sent += chunk
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            if not (data := sock.recv(65536)):
                break
            answer += data
    return sent, answer


def parse_answer(answer):
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, json.loads(body)


def test_anonymous_upload_is_answered_401_before_its_body_is_read(tmp_path):
    install_plate(Workspace(tmp_path / "home"))
    received = {}

    def count(app):
        received["app"] = Received(app)
        return received["app"]

    with serve(tmp_path / "home", wrap=count) as address:
        sent, answer = chunked_post(address, "/api/v1/trigger", None, total=512 * MiB)
    status, headers, body = parse_answer(answer)
    assert status == 401 and body["error"]["type"] == "unauthorized", answer[:300]
    assert headers["connection"] == "close"
    assert received["app"].bytes == 0  # not a byte of the body was read
    assert sent < 16 * MiB  # the client stopped at the answer (a chunk or two on busy cores), not after 512 MiB


def test_chunked_upload_over_the_limit_is_refused_within_the_limit(tmp_path):
    install_plate(Workspace(tmp_path / "home"))
    received = {}

    def count(app):
        received["app"] = Received(app)
        return received["app"]

    with serve(tmp_path / "home", wrap=count, max_upload_mb=1) as address:
        sent, answer = chunked_post(address, "/api/v1/trigger", TOKEN, total=256 * MiB)
        with httpx.Client(base_url=f"http://{address}/api/v1", headers={"Authorization": f"Bearer {TOKEN}"}) as api:
            assert api.get("/results").json()["total"] == 0  # nothing judged, nothing half-stored
    status, headers, body = parse_answer(answer)
    assert status == 413 and body["error"]["type"] == "too_large", answer[:300]
    assert "OPENINSPECT_MAX_UPLOAD_MB" in body["error"]["message"] and headers["connection"] == "close"
    # at most one read past the limit: uvicorn hands over what one socket read gave (asyncio reads up to 256 KiB)
    assert received["app"].bytes <= 1 * MiB + BodyLimit.ENVELOPE + 256 * 1024
    assert sent < 16 * MiB  # what the client got into the socket buffers before the answer, not 256 MiB


def test_chunked_archive_over_its_limit_names_the_archive_setting(tmp_path):
    with serve(tmp_path / "home", max_upload_mb=1, max_archive_mb=2) as address:
        _, answer = chunked_post(address, "/api/v1/recipes/import", TOKEN, total=64 * MiB)
    status, _, body = parse_answer(answer)
    assert status == 413 and "OPENINSPECT_MAX_ARCHIVE_MB" in body["error"]["message"]


def test_health_answers_at_once_while_a_heavy_recipe_body_is_parsed(tmp_path):
    heavy = RECIPE + "notes: [" + ", ".join(["1"] * 250_000) + "]\n"  # seconds of YAML parsing
    with serve(tmp_path / "home") as address, httpx.Client(
            base_url=f"http://{address}/api/v1", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=120) as api:
        answers = []
        worker = threading.Thread(target=lambda: answers.append(api.post("/recipes/validate", content=heavy)))
        started = time.monotonic()
        worker.start()
        latencies = []
        while worker.is_alive():
            asked = time.monotonic()
            assert api.get("/health").status_code == 200
            latencies.append(time.monotonic() - asked)
            time.sleep(0.05)
        heavy_s = time.monotonic() - started
    assert answers[0].status_code == 200 and answers[0].json()["valid"] is False
    assert heavy_s > 2 and len(latencies) > 10, heavy_s  # heavy enough that a blocked loop would show
    # A blocked loop answers once the parse is done: about heavy_s. Off the loop, /health answers at once, but for
    # libyaml's C composer, which holds the GIL while it builds the nodes of the whole body (up to ~1 s here).
    assert sorted(latencies)[len(latencies) // 2] < 0.25 and max(latencies) < heavy_s / 3, (sorted(latencies)[-5:],
                                                                                              heavy_s)
