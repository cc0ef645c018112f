"""POST every result as JSON to configured URLs, retrying with exponential backoff in the background.

Each URL has its own worker thread and bounded :class:`Outbox`, so a slow or dead endpoint delays
neither the inspection nor the other URLs. A request is retried after a connection error, a timeout,
HTTP 408, 429 or any 5xx, waiting ``backoff``, ``2 * backoff``, ``4 * backoff``... (at most
``backoff_max``) between attempts; after ``attempts`` tries, or at once for any other 4xx (the
endpoint rejects the payload, retrying cannot help), the result is given up, counted and logged.
"""

from __future__ import annotations

import copy
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any

from openinspect import __version__
from openinspect.integrations._queue import Outbox, OutboxClosedError
from openinspect.station.sinks import for_outputs

log = logging.getLogger(__name__)

_RETRY_STATUS = frozenset({408, 429})


class WebhookSink:
    """A result sink that POSTs each result to every configured URL.

    Args:
        urls: the endpoints; each gets every result.
        timeout: seconds one request may take.
        attempts: tries per result and URL before it is given up.
        backoff: seconds before the first retry; doubled for each further one.
        backoff_max: the longest wait between two tries, in seconds.
        limit: the most results held per URL while it is unreachable.

    """

    def __init__(self, urls: Sequence[str], *, timeout: float = 5.0, attempts: int = 5, backoff: float = 0.5,
                 backoff_max: float = 30.0, limit: int = 1000) -> None:
        self._options = (timeout, attempts, backoff, backoff_max, limit)
        self.workers = [_Worker(url, *self._options) for url in urls]

    def with_urls(self, urls: Sequence[str]) -> tuple[WebhookSink, WebhookSink]:
        """A sink for ``urls`` that keeps this one's worker, and so its queued results, for every URL it keeps.

        Returns:
            The new sink, and a sink of the workers of the URLs dropped, for the caller to close.
        """
        kept = {worker.url: worker for worker in self.workers}
        new, dropped = copy.copy(self), copy.copy(self)
        new.workers = [kept.pop(url) if url in kept else _Worker(url, *self._options) for url in urls]
        dropped.workers = list(kept.values())
        return new, dropped

    def publish(self, result: dict[str, Any]) -> None:
        """Queue a result (as :func:`~openinspect.station.sinks.for_outputs` has it) for every URL; returns at once."""
        payload = json.dumps(for_outputs(result), separators=(",", ":")).encode("utf-8")
        for worker in self.workers:
            worker.outbox.put(payload)

    def close(self, timeout: float = 2.0) -> None:
        """Deliver what is queued for up to ``timeout`` s, then stop whatever the peers do.

        Results still queued, and a request still waiting on its peer, are counted and logged as not delivered
        (:meth:`Outbox.abandon`); a request in flight is left to its own ``timeout`` in its daemon thread.
        """
        deadline = time.monotonic() + timeout
        for worker in self.workers:
            worker.outbox.close()
        for worker in self.workers:
            worker.thread.join(max(0.0, deadline - time.monotonic()))
        for worker in self.workers:
            worker.stop()


class _Worker:
    """Delivers one URL's results in order, one at a time."""

    def __init__(self, url: str, timeout: float, attempts: int, backoff: float, backoff_max: float,
                 limit: int) -> None:
        self.url, self.timeout, self.attempts = url, timeout, max(1, attempts)
        self.backoff, self.backoff_max = backoff, backoff_max
        self.outbox = Outbox(f"webhook {url}", limit)
        self.delivered = 0
        self.failed = 0
        self.sending = False
        """A result is out of the outbox and not yet delivered or given up."""
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"openinspect-webhook {url}", daemon=True)
        self.thread.start()

    def stop(self) -> int:
        """Stop at once: give up what is queued and any retry; returns how many results were not delivered."""
        self.stopping.set()
        return self.outbox.abandon(in_flight=int(self.sending and self.thread.is_alive()))

    def _run(self) -> None:
        while not self.stopping.is_set():
            try:
                payload = self.outbox.get()
            except OutboxClosedError:
                return
            if payload is not None and not self.stopping.is_set():
                self.sending = True
                self._deliver(payload)
                self.sending = False

    def _deliver(self, payload: bytes) -> None:
        for attempt in range(self.attempts):
            error, retry = self._post(payload)
            if error is None:
                self.delivered += 1
                return
            if not retry or attempt + 1 == self.attempts:
                break
            delay = min(self.backoff * 2**attempt, self.backoff_max)
            log.info("webhook %s: %s; retry %d in %.2f s", self.url, error, attempt + 1, delay)
            if self.stopping.wait(delay):
                break
        self.failed += 1
        log.error("webhook %s: result not delivered after %d attempt(s): %s", self.url, attempt + 1, error)

    def _post(self, payload: bytes) -> tuple[str | None, bool]:
        """One POST; returns ``(error, worth retrying)``, ``(None, False)`` on success."""
        status, error = post_json(self.url, payload, self.timeout)
        if error is None:
            return None, False
        return error, status is None or status >= 500 or status in _RETRY_STATUS


def post_json(url: str, payload: bytes, timeout: float) -> tuple[int | None, str | None]:
    """POST ``payload`` as JSON once; returns the HTTP status (``None``: no answer) and the error (``None``: 2xx)."""
    request = urllib.request.Request(url, data=payload, method="POST", headers={
        "Content-Type": "application/json", "User-Agent": f"openinspect/{__version__}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
            return response.status, None
    except urllib.error.HTTPError as err:
        err.close()
        return err.code, f"HTTP {err.code} {err.reason}"
    except (urllib.error.URLError, TimeoutError, OSError) as err:
        return None, f"{type(err).__name__}: {getattr(err, 'reason', err)}"
