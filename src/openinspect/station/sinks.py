"""What the station hands its results to, and what an outside controller may ask of it.

Two protocols, implemented elsewhere:

- :class:`ResultSink`: an output (MQTT, webhook, the WebSocket hub...). The station's dispatcher
  thread calls :meth:`ResultSink.publish` with every stored result, in order; a sink must return
  quickly (queue the result, send it from its own worker) and never raise for a peer that is away.
- :class:`StationControl`: what a PLC-facing integration (Modbus TCP) may do with the station:
  trigger a capture, select the active recipe and read the station's state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from openinspect.store.records import Outcome


@runtime_checkable
class ResultSink(Protocol):
    """An output that receives every stored result.

    ``result`` is the JSON object the HTTP API returns for a trigger (:meth:`ResultRecord.to_json`): the
    ``inspect --json`` object (``image``, ``pass``, ``rois``, ``timing_ms``; or ``image`` and ``error``) plus
    ``id`` (a uuid4 string), ``time`` (ISO 8601, UTC), ``recipe``, ``trigger`` (``upload``, ``source`` or
    ``timer``) and ``outcome`` (``pass``, ``fail``, ``error`` or ``skipped``).
    A trigger the station could not take has
    ``skipped`` (``"busy"``) instead of ``pass``/``error``: every trigger reaches the sinks once.
    Outputs to other machines (MQTT, webhooks) send :func:`for_outputs` of it: without the heat-map previews.
    """

    def publish(self, result: dict[str, Any]) -> None:
        """Take one result; must not block the caller on the peer (queue it and send it elsewhere)."""

    def close(self) -> None:
        """Flush what can be sent quickly and release connections and threads."""


VIEW_ONLY_KEYS = ("heat",)
"""ROI keys for the station's own views only (Live, History): an anomaly ROI's heat-map preview, a few kB."""


def for_outputs(result: dict[str, Any]) -> dict[str, Any]:
    """``result`` as outputs to other machines carry it: every ROI without :data:`VIEW_ONLY_KEYS`.

    An anomaly ROI keeps ``score``, ``threshold``, ``pass``, ``measurements``, ``blobs`` and ``failed_rules``, like a
    segmenter ROI plus its score; ``result`` itself is left as it is (the WebSocket hub and History share it).

    >>> roi = {"roi": "face", "type": "surface", "score": 0.4, "threshold": 0.3, "pass": False, "heat": {}}
    >>> for_outputs({"id": "r1", "rois": [roi]})["rois"], "heat" in roi
    ([{'roi': 'face', 'type': 'surface', 'score': 0.4, 'threshold': 0.3, 'pass': False}], True)
    """
    if not any(key in roi for roi in result.get("rois", ()) for key in VIEW_ONLY_KEYS):
        return result
    rois = [{k: v for k, v in roi.items() if k not in VIEW_ONLY_KEYS} for roi in result["rois"]]
    return {**result, "rois": rois}


@dataclass(frozen=True)
class StationStatus:
    """A snapshot of the station, as a controller sees it."""

    ready: bool
    """A recipe with trained models is loaded and the station takes triggers."""
    busy: bool
    """An inspection is running or waiting in the queue."""
    recipe: str | None
    """The active recipe."""
    results: int
    """Results stored since the station started (skipped triggers included)."""
    last_verdict: Outcome | None
    """The outcome of the most recent judged capture (pass or fail); ``None`` before the first one."""


class StationControl(Protocol):
    """The station as a controller drives it."""

    def trigger(self, recipe: str | None = None) -> dict[str, Any]:
        """Take a capture from the capture source, judge it and return the stored result.

        Args:
            recipe: judge with this recipe instead of the active one.

        Raises:
            StationBusyError: the trigger queue is full (the skipped trigger is stored all the same).
            NotFoundError: unknown recipe.
        """

    def select_recipe(self, name: str, *, actor: str | None = None) -> None:
        """Make ``name`` the active recipe; ``actor``: who, for the audit trail (``None``: the station itself).

        Raises:
            NotFoundError: unknown recipe.
            ModelNotFoundError: the recipe has an inspection type without a trained model.
        """

    def status(self) -> StationStatus:
        """The station's state now."""
