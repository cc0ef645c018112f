"""A trigger's result record: one frozen type carrying its outcome, from which every output is derived.

The API's JSON, the results table and CSV, the MQTT and webhook messages, the Modbus verdict registers and the
web UI's colours all read :attr:`ResultRecord.outcome`; nothing works the outcome out again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    """How a trigger ended: the one verdict vocabulary of the station."""

    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    """The capture could not be judged (unreadable, does not fit the ROIs, no capture source...)."""
    SKIPPED = "skipped"
    """The station was busy: the trigger was not inspected."""

    @property
    def judged(self) -> bool:
        """A verdict was reached: pass or fail."""
        return self in (Outcome.PASS, Outcome.FAIL)


def outcome_of(result: Mapping[str, Any]) -> Outcome:
    """The outcome of a result as JSON: its ``outcome``, or for an ``inspect --json`` object, what it says.

    >>> outcome_of({"image": "a.png", "pass": False, "rois": []}), outcome_of({"image": "", "skipped": "busy"})
    (<Outcome.FAIL: 'fail'>, <Outcome.SKIPPED: 'skipped'>)
    """
    if "outcome" in result:
        return Outcome(result["outcome"])
    if "skipped" in result:
        return Outcome.SKIPPED
    if "error" in result or "pass" not in result:
        return Outcome.ERROR
    return Outcome.PASS if result["pass"] else Outcome.FAIL


@dataclass(frozen=True)
class ResultRecord:
    """One trigger's stored result.

    ``body`` is the ``openinspect inspect --json`` object (``image``, ``pass``, ``rois``, ``timing_ms``...; or
    ``image`` and ``error``; or ``image`` and ``skipped``).
    """

    id: str
    """uuid4."""
    time: datetime
    """When the trigger arrived (UTC)."""
    recipe: str
    trigger: str
    """``upload``, ``source`` or ``timer``."""
    body: Mapping[str, Any]

    @property
    def outcome(self) -> Outcome:
        """Pass, fail, error (not judged) or skipped."""
        return outcome_of(self.body)

    @property
    def cycle_ms(self) -> float | None:
        """The pipeline's time for a judged capture (decode to verdict), in ms."""
        total = self.body.get("timing_ms", {}).get("total")
        return None if total is None else float(total)

    def to_json(self) -> dict[str, Any]:
        """The record as the API returns it and every output sends it.

        ``id``, ``time``, ``recipe``, ``trigger`` and ``outcome``, then the body's fields.
        """
        return {"id": self.id, "time": self.time.isoformat(), "recipe": self.recipe, "trigger": self.trigger,
                "outcome": self.outcome.value, **self.body}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ResultRecord:
        """The record of :meth:`to_json`'s object (records stored before ``outcome`` was written too)."""
        body = {k: v for k, v in data.items() if k not in ("id", "time", "recipe", "trigger", "outcome")}
        return cls(data["id"], datetime.fromisoformat(data["time"]), data.get("recipe") or "",
                   data.get("trigger", ""), body)
