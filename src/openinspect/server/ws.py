"""The live feed: every stored result, training and backtest update and timer state, pushed to WebSocket clients.

:class:`WebSocketHub` is a :class:`~openinspect.station.sinks.ResultSink`: the station's dispatcher
thread hands it results, and it passes them to the event loop without waiting. Each client has a
bounded queue; a client that reads too slowly loses its oldest messages, never the station's time.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import asdict
from enum import StrEnum
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect

from openinspect.training.backtest_jobs import BacktestJob
from openinspect.training.jobs import TrainingJob

CLIENT_QUEUE = 256
"""Messages held per client before its oldest are dropped."""


class Event(StrEnum):
    """The ``event`` of a WebSocket message; ``data`` holds the result or the training job."""

    RESULT = "result"
    TRAINING = "training"
    BACKTEST = "backtest"
    STATION = "station"
    """The timer of timed triggering started or stopped, or its interval changed: ``data`` is its state."""


class WebSocketHub:
    """Fans messages out to the connected clients."""

    def __init__(self) -> None:
        self._clients: set[asyncio.Queue[dict[str, Any]]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    def publish(self, result: dict[str, Any]) -> None:
        """Send a stored result to every client (from any thread; never blocks)."""
        self._broadcast({"event": Event.RESULT.value, "data": result})

    def training(self, job: TrainingJob) -> None:
        """Send a training job's snapshot to every client (from any thread; never blocks)."""
        self._broadcast({"event": Event.TRAINING.value, "data": asdict(job)})

    def backtest(self, job: BacktestJob) -> None:
        """Send a backtest job's snapshot to every client (from any thread; never blocks)."""
        self._broadcast({"event": Event.BACKTEST.value, "data": asdict(job)})

    def station(self, timer: dict[str, Any]) -> None:
        """Send the timer's state (``mode``, ``interval_s``, ``running``) to every client (from any thread)."""
        self._broadcast({"event": Event.STATION.value, "data": {"timer": timer}})

    def close(self) -> None:
        """Nothing to release: clients end with the server."""

    def _broadcast(self, message: dict[str, Any]) -> None:
        loop = self._loop
        if loop is not None and self._clients and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed between the check and the call
                loop.call_soon_threadsafe(self._deliver, message)

    def _deliver(self, message: dict[str, Any]) -> None:
        for inbox in self._clients:
            if inbox.full():
                inbox.get_nowait()
            inbox.put_nowait(message)

    async def serve(self, socket: WebSocket) -> None:
        """Push messages to one accepted client until it disconnects."""
        self._loop = asyncio.get_running_loop()
        inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue(CLIENT_QUEUE)
        self._clients.add(inbox)
        closed = asyncio.ensure_future(_until_closed(socket))
        try:
            while not closed.done():
                sent = asyncio.ensure_future(inbox.get())
                await asyncio.wait({sent, closed}, return_when=asyncio.FIRST_COMPLETED)
                if not sent.done():
                    sent.cancel()
                    break
                await socket.send_json(sent.result())
        except (WebSocketDisconnect, RuntimeError):  # the client left while a message was on its way
            pass
        finally:
            self._clients.discard(inbox)
            closed.cancel()


async def _until_closed(socket: WebSocket) -> None:
    """Read (and ignore) what the client sends until it disconnects."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            await socket.receive_text()
