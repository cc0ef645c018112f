"""The bounded hand-over between the inspection thread and an output's background worker."""

from __future__ import annotations

import logging
import threading
from collections import deque

log = logging.getLogger(__name__)


class OutboxClosedError(Exception):
    """The outbox was closed and holds nothing more to send."""


class Outbox:
    """A bounded FIFO of encoded results that never blocks the producer.

    When it is full the *oldest* result is dropped, so a peer that comes back gets the latest
    results; every drop is counted in :attr:`overflow` and logged (the first one, then every 100th,
    so a long outage does not flood the log).

    Args:
        name: what the log calls this output (``"mqtt"``, a webhook URL...).
        limit: the most results held at once.

    """

    def __init__(self, name: str, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"an outbox holds at least 1 result, got limit={limit}")
        self.name = name
        self.overflow = 0
        self._items: deque[bytes] = deque()
        self._limit = limit
        self._closed = False
        self._ready = threading.Condition()

    def put(self, item: bytes) -> None:
        """Add a result; drop the oldest one when full. Never blocks on the consumer."""
        with self._ready:
            if self._closed:
                log.warning("%s: output closed, result not sent", self.name)
                return
            if len(self._items) >= self._limit:
                self._items.popleft()
                self.overflow += 1
                if self.overflow % 100 == 1:
                    log.warning("%s: %d results held (the limit) while the peer is unreachable; dropped the "
                                "oldest, %d dropped so far", self.name, self._limit, self.overflow)
            self._items.append(item)
            self._ready.notify()

    def put_back(self, item: bytes) -> None:
        """Return a result that could not be sent to the front, unless newer ones filled the outbox."""
        with self._ready:
            if len(self._items) >= self._limit:
                self.overflow += 1
                log.warning("%s: outbox full, dropped a result that could not be sent", self.name)
                return
            self._items.appendleft(item)
            self._ready.notify()

    def get(self, timeout: float | None = None) -> bytes | None:
        """The oldest result, waiting up to ``timeout`` s; ``None`` on timeout.

        Raises:
            OutboxClosedError: the outbox is closed and empty.

        """
        with self._ready:
            if not self._ready.wait_for(lambda: self._items or self._closed, timeout):
                return None
            if self._items:
                return self._items.popleft()
            raise OutboxClosedError(self.name)

    def close(self) -> None:
        """Take no more results; :meth:`get` still hands out what is held, then raises."""
        with self._ready:
            self._closed = True
            self._ready.notify_all()

    def abandon(self, in_flight: int = 0) -> int:
        """Close and empty the outbox at shutdown; logs and returns how many results were not delivered.

        Args:
            in_flight: results the worker had taken out and not delivered yet, counted with those held.

        """
        with self._ready:
            self._closed = True
            left = len(self._items) + in_flight
            self._items.clear()
            self._ready.notify_all()
        if left:
            log.warning("%s: %d result(s) not delivered at shutdown (the peer did not take them in time)",
                        self.name, left)
        return left

    def drain(self) -> list[bytes]:
        """Close the outbox and take out everything it holds, oldest first (to hand to a successor)."""
        with self._ready:
            self._closed = True
            items = list(self._items)
            self._items.clear()
            self._ready.notify_all()
        return items

    def put_front(self, items: list[bytes]) -> None:
        """Put results held by a predecessor ahead of what is queued, within the limit (the oldest go first)."""
        with self._ready:
            keep = self._limit - len(self._items)
            dropped = max(0, len(items) - keep)
            if dropped:
                self.overflow += dropped
                log.warning("%s: %d handed-over result(s) dropped, the outbox is full", self.name, dropped)
            self._items.extendleft(reversed(items[dropped:]))
            self._ready.notify()

    @property
    def finished(self) -> bool:
        """Closed and empty: nothing more will come out."""
        with self._ready:
            return self._closed and not self._items

    def __len__(self) -> int:
        with self._ready:
            return len(self._items)
