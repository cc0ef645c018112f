"""Shift counters: triggers, passes and fails since the shift began, the same for every browser.

A shift begins when someone resets the counters; the reset is an audit record, so the start survives a restart
of the station and the trail says who started each shift and what the last one counted. Before the first reset
the shift is the station's run since it started. The figures are counted from the stored records, so they are
exactly what History lists for the same period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from openinspect.store.audit import AuditAction, AuditLog
from openinspect.store.records import Outcome
from openinspect.store.results import ResultStore


@dataclass(frozen=True)
class Shift:
    """The counters of the shift in progress."""

    started: datetime
    """When the shift began (UTC)."""
    started_by: str | None
    """Who reset the counters; ``None``: nobody yet, the shift is the station's run since it started."""
    counts: dict[Outcome, int]

    @property
    def total(self) -> int:
        """Every trigger of the shift, judged or not."""
        return sum(self.counts.values())

    @property
    def pass_rate(self) -> float | None:
        """Passing share of the judged captures; ``None`` before the first."""
        judged = self.counts[Outcome.PASS] + self.counts[Outcome.FAIL]
        return self.counts[Outcome.PASS] / judged if judged else None


class ShiftCounter:
    """Counts the shift's records and starts a new shift.

    Args:
        store: the stored records.
        audit: where resets are recorded (and read back: the newest one starts the shift).
        started: when the station started, the shift's start until the first reset.
    """

    def __init__(self, store: ResultStore, audit: AuditLog, started: datetime) -> None:
        self.store = store
        self.audit = audit
        self.started = started

    def current(self) -> Shift:
        """The shift in progress and its counters now."""
        reset = self.audit.latest(AuditAction.SHIFT_RESET)
        if reset is None:
            start, by = self.started, None
        else:
            start, by = reset.time, reset.actor
        return Shift(start, by, self.store.counts(start))

    def reset(self, actor: str) -> Shift:
        """End the shift in progress and start one from zero now, recorded in the audit trail as ``actor``'s."""
        ended = self.current()
        summary = ", ".join(f"{outcome.value} {n}" for outcome, n in ended.counts.items())
        self.audit.record(actor, AuditAction.SHIFT_RESET, "shift counters", before=f"{ended.total} triggers",
                          after="0", detail=f"the shift since {ended.started.isoformat(timespec='seconds')}: {summary}")
        return self.current()

