"""The HTTP API's request and response bodies: ``XCreate`` in, ``XPublic`` out."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from openinspect.recipe import TrainingMode, Verdict
from openinspect.station.service import StationStats, Timings
from openinspect.station.sources import TriggerSource
from openinspect.station.training import TrainingJob, TrainingState
from openinspect.store import ModelVersion
from openinspect.store.results import Outcome


class _Public(BaseModel):
    model_config = ConfigDict(populate_by_name=True, from_attributes=True)


class BlobPublic(_Public):
    """One blob a segmenter found; ``bbox`` is ``[x, y, w, h]`` in capture pixels."""

    class_name: str = Field(alias="class")
    area: float
    length: float
    bbox: list[int]


class RoiPublic(_Public):
    """One ROI's judgement: classifiers give ``class`` and ``confidence``, segmenters measurements."""

    roi: str
    type: str
    class_name: str | None = Field(default=None, alias="class")
    confidence: float | None = None
    passes: bool = Field(alias="pass")
    measurements: dict[str, dict[str, float | int | None]] | None = None
    blobs: list[BlobPublic] | None = None
    failed_rules: list[str] | None = None


class InspectionPublic(_Public):
    """A trigger's stored record.

    ``openinspect inspect --json``'s object plus ``id``, ``time``, ``recipe`` and ``trigger``; an
    unjudged capture has ``error``, a trigger the station had no room for ``skipped``.
    """

    id: str = Field(description="uuid4")
    time: str = Field(description="ISO 8601, UTC: when the trigger arrived")
    recipe: str
    trigger: TriggerSource
    image: str
    passes: bool | None = Field(default=None, alias="pass")
    rois: list[RoiPublic] | None = None
    timing_ms: dict[str, float] | None = None
    error: str | None = None
    skipped: str | None = None
    reason: str | None = Field(default=None, description="`alignment` when the part was not found; no model ran")
    alignment: dict[str, Any] | None = Field(default=None, description="where the part was found (recipes with "
                                             "alignment): found, score, dx, dy, angle")


class ResultPagePublic(_Public):
    """Records matching a query, newest first."""

    total: int
    limit: int
    offset: int
    items: list[InspectionPublic]


class TimingsPublic(_Public):
    """Statistics over the last 1000 captures, in ms."""

    count: int
    last: float | None
    mean: float | None
    p50: float | None
    p95: float | None
    max: float | None


class StatusPublic(_Public):
    """The station now: readiness, load, counters since start, pass rate and cycle times."""

    ready: bool
    busy: bool
    recipe: str | None
    waiting: int
    results: int
    last_verdict: Verdict | None
    counts: dict[Outcome, int]
    pass_rate: float | None
    cycle_ms: TimingsPublic = Field(description="decode to verdict")
    latency_ms: TimingsPublic = Field(description="trigger to stored record")
    archive_mb: float

    @classmethod
    def of(cls, stats: StationStats, archived_bytes: int) -> StatusPublic:
        """Build from the station's statistics."""
        status = stats.status

        def timings(t: Timings) -> TimingsPublic:
            return TimingsPublic.model_validate(t)

        return cls(ready=status.ready, busy=status.busy, recipe=status.recipe, waiting=stats.waiting,
                   results=status.results, last_verdict=status.last_verdict, counts=stats.counts,
                   pass_rate=stats.pass_rate, cycle_ms=timings(stats.cycle_ms), latency_ms=timings(stats.latency_ms),
                   archive_mb=round(archived_bytes / 2**20, 3))


class ActiveRecipeUpdate(BaseModel):
    """Which recipe triggers use when they name none."""

    name: str


class ActiveRecipePublic(_Public):
    """The active recipe."""

    name: str | None


class ModelPublic(_Public):
    """A trained model version."""

    version: int
    mode: str
    created_at: datetime
    metrics: dict[str, object]

    @classmethod
    def of(cls, model: ModelVersion | None) -> ModelPublic | None:
        """``None`` stays ``None``."""
        return None if model is None else cls.model_validate(model)


class TypeStatePublic(_Public):
    """An inspection type with its label counts and latest model."""

    name: str
    kind: str
    labels: dict[str, int]
    model: ModelPublic | None


class RecipePublic(_Public):
    """A stored recipe: its YAML, its types' labels and models, and downscale warnings."""

    name: str
    profile: str
    rois: int
    types: list[TypeStatePublic]
    warnings: list[str]
    yaml: str


class RecipeValidationPublic(_Public):
    """Whether a recipe body is valid, and why not."""

    valid: bool
    name: str | None = None
    errors: list[str] = []
    warnings: list[str] = []


class LabelPublic(_Public):
    """What a labelled upload did."""

    image: str = Field(description="the capture's content hash in the image library")
    added: bool = Field(description="false: the capture was in the library already; its labels were replaced")
    labels: dict[str, str] = Field(description="class per ROI")


class ClassMetricsPublic(_Public):
    """Per-class figures of an evaluation."""

    precision: float | None
    recall: float | None
    support: int


class EvaluationPublic(_Public):
    """A classifier's figures on labelled captures it has not seen."""

    n: int
    accuracy: float | None
    balanced_accuracy: float | None
    per_class: dict[str, ClassMetricsPublic]
    confusion: list[list[int]]
    model_version: int
    skipped: list[str]


class TrainingCreate(BaseModel):
    """What to train."""

    recipe: str
    type: str
    mode: TrainingMode | None = Field(default=None, description="default: the type's mode")
    seed: int = 0


class TrainingPublic(_Public):
    """A training job's state; also pushed on the WebSocket as ``{"event": "training", "data": ...}``."""

    recipe: str
    type: str
    mode: TrainingMode | None
    state: TrainingState
    progress: float
    message: str
    started: float
    finished: float | None
    version: int | None
    error: str | None

    @classmethod
    def of(cls, job: TrainingJob) -> TrainingPublic:
        """Build from a job snapshot."""
        return cls.model_validate(job)


class HealthPublic(_Public):
    """The server answers."""

    status: Annotated[str, Field(examples=["ok"])]
