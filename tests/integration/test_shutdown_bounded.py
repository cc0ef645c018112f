"""Shutdown is bounded whatever the peers do: a webhook peer that accepts and never answers (issue 11)."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from tests.unit.station.kit import install_plate, part_png

from openinspect.integrations import WebhookSink
from openinspect.station.service import Station
from openinspect.station.sources import Capture
from openinspect.store.results import ResultStore, Retention


class SilentPeer:
    """A loopback TCP server that accepts every connection, reads what comes and never answers."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.connections: list[socket.socket] = []
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}/hook"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:  # closed
                return
            self.connections.append(connection)

    def close(self) -> None:
        self.server.close()
        for connection in self.connections:
            connection.close()


@pytest.fixture
def peer() -> Iterator[SilentPeer]:
    silent = SilentPeer()
    yield silent
    silent.close()


def _closed_within(close, limit: float) -> float:
    """Run ``close`` and return how long it took; fails (without hanging the suite) past ``limit`` s."""
    started = time.monotonic()
    closer = threading.Thread(target=close, daemon=True)
    closer.start()
    closer.join(limit)
    assert not closer.is_alive(), f"close() still running after {limit} s"
    return time.monotonic() - started


def test_station_close_is_bounded_behind_a_peer_that_never_answers(workspace, peer, caplog):
    install_plate(workspace)
    store = ResultStore(workspace.engine, workspace.home / "results", Retention(keep_pass_every=0))
    station = Station(workspace, store, queue_limit=200)
    station.select_recipe("plate")
    station.add_sink(WebhookSink([peer.url], timeout=5.0))
    futures = [station.submit(Capture(f"part-{i}.png", data=part_png(False, i))) for i in range(100)]
    assert all(f.result(30).body["pass"] for f in futures)  # every trigger judged and stored before shutdown
    caplog.set_level(logging.WARNING, logger="openinspect")
    took = _closed_within(station.close, 20)  # before: 100 results x 5 s request timeout, the join unbounded
    assert took < 10.5
    assert f"webhook {peer.url}: 100 result(s) not delivered at shutdown" in caplog.text


def test_webhook_close_counts_queued_and_in_flight_results_as_not_delivered(peer, caplog):
    sink = WebhookSink([peer.url], timeout=5.0)
    for i in range(100):
        sink.publish({"id": str(i)})
    caplog.set_level(logging.WARNING, logger="openinspect")
    assert _closed_within(lambda: sink.close(timeout=0.5), 5) < 1.5
    assert f"webhook {peer.url}: 100 result(s) not delivered at shutdown" in caplog.text
