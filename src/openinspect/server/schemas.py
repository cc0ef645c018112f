"""The HTTP API's request and response bodies: ``XCreate`` in, ``XPublic`` out."""

from __future__ import annotations

from base64 import b64encode
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from openinspect.authoring import Correction, ModelEntry, ModelState, Prediction, Sample, TemplateInfo, TrainingAddition
from openinspect.authoring.synthetic import MAX_COUNT, SynthBatch, SynthReport, preview_pngs
from openinspect.dataset import RoiPlace
from openinspect.integrations.config import (
    CaptureSetup,
    ModbusSetup,
    StationSetup,
    TriggerMode,
    TriggerSetup,
    WebhookSetup,
)
from openinspect.integrations.setup import CheckReport, SetupView, TimerState
from openinspect.models.progress import LOSS_POINTS
from openinspect.recipe import TrainingMode
from openinspect.settings import Role
from openinspect.station.service import StationStats, Timings
from openinspect.station.shift import Shift
from openinspect.station.sources import TriggerSource
from openinspect.station.speed import SpeedReport
from openinspect.store import Deployment, ModelVersion, Revision, StoredImage, SyntheticOrigin
from openinspect.store.audit import AuditAction
from openinspect.store.records import Outcome
from openinspect.synth import DefectSpec
from openinspect.training.backtest import Source
from openinspect.training.backtest_jobs import BacktestJob, BacktestState
from openinspect.training.jobs import TrainingJob, TrainingState
from openinspect.training.review import ValidationReview
from openinspect.training.validation import ValidationCrop


class _Public(BaseModel):
    model_config = ConfigDict(populate_by_name=True, from_attributes=True)


class BlobPublic(_Public):
    """One blob a segmenter or anomaly type found; ``bbox`` is ``[x, y, w, h]`` in capture pixels."""

    class_name: str = Field(alias="class")
    area: float
    length: float
    bbox: list[int]


class HeatPublic(_Public):
    """An anomaly ROI's heat map, shrunk for a view (see :func:`openinspect.station.results.heat_preview`)."""

    rect: list[int] = Field(description="[x, y, w, h]: where the ROI lay on the capture")
    size: list[int] = Field(description="[rows, columns] of the shrunk map")
    levels: str = Field(description="base64 of rows * columns bytes, row by row: 128 * the cell's hottest score / "
                                    "threshold, capped at 255 (128 or more: at or above the threshold)")


class RoiPublic(_Public):
    """One ROI's judgement: classifiers give ``class`` and ``confidence``, segmenters measurements.

    Anomaly types give ``score`` and ``threshold`` besides a segmenter's fields (pixel class ``anomalous``).
    """

    roi: str
    type: str
    class_name: str | None = Field(default=None, alias="class")
    confidence: float | None = None
    score: float | None = Field(default=None, description="anomaly types: higher is more anomalous")
    threshold: float | None = Field(default=None, description="anomaly types: the score from which a crop fails")
    heat: HeatPublic | None = Field(default=None, description="anomaly types: the heat map, shrunk for a view")
    passes: bool = Field(alias="pass")
    measurements: dict[str, dict[str, float | int | None]] | None = None
    blobs: list[BlobPublic] | None = None
    failed_rules: list[str] | None = None


class ModelRefPublic(_Public):
    """The model version that judged an inspection type's ROIs."""

    version: int
    sha256: str = Field(description="of the version's model.onnx")


class InspectionPublic(_Public):
    """A trigger's stored record.

    ``openinspect inspect --json``'s object plus ``id``, ``time``, ``recipe``, ``trigger`` and ``outcome``; an
    unjudged capture has ``error``, a trigger the station had no room for ``skipped``.
    """

    id: str = Field(description="uuid4")
    time: str = Field(description="ISO 8601, UTC: when the trigger arrived")
    recipe: str
    trigger: TriggerSource
    outcome: Outcome = Field(description="pass, fail, error (not judged) or skipped: what every output and the "
                                         "Modbus verdict register derive from")
    image: str
    passes: bool | None = Field(default=None, alias="pass")
    rois: list[RoiPublic] | None = None
    timing_ms: dict[str, float] | None = None
    error: str | None = None
    skipped: str | None = None
    reason: str | None = Field(default=None, description="`alignment` when the part was not found; no model ran")
    alignment: dict[str, Any] | None = Field(default=None, description="where the part was found (recipes with "
                                             "alignment): found, score, dx, dy, angle")
    recipe_revision: int | None = Field(default=None, description="the recipe revision that judged the capture")
    models: dict[str, ModelRefPublic] | None = Field(
        default=None, description="per inspection type, the model version in force and its file hash: what judged "
                                  "the capture (absent when it was not judged)")


class ResultPagePublic(_Public):
    """Records matching a query, newest first."""

    total: int
    limit: int
    offset: int
    items: list[InspectionPublic]


class AuditRecordPublic(_Public):
    """One change in the audit trail."""

    id: int
    time: datetime
    actor: str = Field(description="the token's holder, `cli:<user>`, or `openinspect`")
    action: AuditAction
    recipe: str | None = None
    object: str = Field(description="what was changed, in words")
    before: str | None = Field(default=None, description="the state before: `revision 3`, `v2`, a recipe name")
    after: str | None = None
    detail: str = Field(description="what changed (a recipe save: `threshold only: ...` when only a threshold did)")


class AuditPagePublic(_Public):
    """Audit records matching a query, newest first."""

    total: int
    limit: int
    offset: int
    items: list[AuditRecordPublic]


class TimingsPublic(_Public):
    """Statistics over the last 1000 captures, in ms."""

    count: int
    last: float | None
    mean: float | None
    p50: float | None
    p95: float | None
    max: float | None


class TimerPublic(_Public):
    """Timed triggering: the trigger mode, the interval and whether the timer runs now."""

    mode: TriggerMode
    interval_s: float
    running: bool


class TimerUpdate(BaseModel):
    """Start (``true``) or stop (``false``) timed triggering."""

    running: bool


class MqttPublic(_Public):
    """The MQTT output as shown: never the password, only whether one is set."""

    host: str | None
    port: int
    topic: str
    qos: int
    retain: bool
    username: str | None
    password_set: bool


class StationSettingsPublic(_Public):
    """The station's set-up in force (stored, the environment winning), what the environment sets, the timer."""

    capture: CaptureSetup
    trigger: TriggerSetup
    mqtt: MqttPublic
    webhooks: WebhookSetup
    modbus: ModbusSetup
    locked: dict[str, str] = Field(description="`section.field` -> the environment variable that sets it: read-only")
    timer: TimerPublic
    problems: dict[str, str] = Field(description="section -> why its stored setting did not start with the station")

    @classmethod
    def of(cls, view: SetupView) -> StationSettingsPublic:
        """Build from the set-up service's view."""
        setup = view.setup
        mqtt = MqttPublic(**setup.mqtt.model_dump(exclude={"password"}), password_set=setup.mqtt.password is not None)
        return cls(capture=setup.capture, trigger=setup.trigger, mqtt=mqtt, webhooks=setup.webhooks,
                   modbus=setup.modbus, locked=view.locked, timer=TimerPublic.model_validate(view.timer),
                   problems=view.problems)


class StationSettingsUpdate(StationSetup):
    """The whole set-up to apply.

    ``mqtt.password`` null keeps the stored password, ``""`` removes it; fields the environment sets must be sent as
    they are.
    """


class CheckPublic(_Public):
    """What a Test found: ``ok``, the message, and for a capture source the frame taken (a JPEG data URL)."""

    ok: bool
    message: str
    image: str | None = None

    @classmethod
    def of(cls, report: CheckReport) -> CheckPublic:
        """Build from a check's report."""
        image = None if report.preview is None else "data:image/jpeg;base64," + b64encode(report.preview).decode()
        return cls(ok=report.ok, message=report.message, image=image)


class LoadedModelPublic(_Public):
    """A loaded model: what runs for one inspection type, in which precision, and how long it takes."""

    recipe: str
    type: str
    kind: str = Field(description="classifier, segmenter or anomaly")
    version: int
    precision: Literal["fp32", "int8"]
    input_size: tuple[int, int] = Field(description="model input (height, width) in px")
    rois: int = Field(description="ROIs of the type, judged in one model call per capture")
    model_ms: float | None = Field(description="median of the model's latest calls (one per capture), in ms; null "
                                               "before the first")


class RuntimePublic(_Public):
    """Why the station is as fast as it is: the processor, ONNX Runtime's threads and the loaded models."""

    instruction_sets: dict[str, bool] = Field(description="avx2, avx512f, avx512_vnni, avx_vnni, amx (int8 tiles)")
    fast_int8: bool = Field(description="a fast int8 dot product: models trained here with an int8 copy run in int8")
    onnxruntime: str
    threads: dict[str, int | bool | str] = Field(description="ONNX Runtime session settings of every model")
    cpus: int
    models: list[LoadedModelPublic]

    @classmethod
    def of(cls, report: SpeedReport) -> RuntimePublic:
        """Build from the station's speed report."""
        return cls.model_validate(report.to_json())


class StatusPublic(_Public):
    """The station now: readiness, load, counters since start, pass rate and cycle times."""

    ready: bool
    busy: bool
    recipe: str | None
    waiting: int
    results: int
    last_verdict: Outcome | None
    counts: dict[Outcome, int]
    pass_rate: float | None
    cycle_ms: TimingsPublic = Field(description="decode to verdict")
    latency_ms: TimingsPublic = Field(description="trigger to stored record")
    archive_mb: float
    timer: TimerPublic = Field(description="timed triggering: mode, interval and whether it runs")
    runtime: RuntimePublic = Field(description="instruction sets, thread settings, loaded models' precision and time")

    @classmethod
    def of(cls, stats: StationStats, archived_bytes: int, timer: TimerState, speed: SpeedReport) -> StatusPublic:
        """Build from the station's statistics."""
        status = stats.status

        def timings(t: Timings) -> TimingsPublic:
            return TimingsPublic.model_validate(t)

        return cls(ready=status.ready, busy=status.busy, recipe=status.recipe, waiting=stats.waiting,
                   results=status.results, last_verdict=status.last_verdict, counts=stats.counts,
                   pass_rate=stats.pass_rate, cycle_ms=timings(stats.cycle_ms), latency_ms=timings(stats.latency_ms),
                   archive_mb=round(archived_bytes / 2**20, 3), timer=TimerPublic.model_validate(timer),
                   runtime=RuntimePublic.of(speed))


class ShiftPublic(_Public):
    """The shift counters every client shows: triggers since the last reset (or since the station started)."""

    started: datetime = Field(description="when the shift began")
    started_by: str | None = Field(description="who reset the counters; null: not reset since the station started")
    total: int = Field(description="every trigger of the shift, judged or not")
    counts: dict[Outcome, int]
    pass_rate: float | None = Field(description="passing share of the judged captures; null before the first")

    @classmethod
    def of(cls, shift: Shift) -> ShiftPublic:
        """Build from the station's shift."""
        return cls(started=shift.started, started_by=shift.started_by, total=shift.total, counts=shift.counts,
                   pass_rate=shift.pass_rate)


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


class ModelVersionPublic(ModelPublic):
    """A model version of a type and where it stands."""

    state: ModelState = Field(description="deployed (the station runs it), candidate (never deployed) or retired "
                                          "(deployed once)")
    problem: str | None = Field(description="why it cannot be deployed: trained for other classes than the recipe "
                                            "lists now; null: it can")

    @classmethod
    def of_entry(cls, entry: ModelEntry) -> ModelVersionPublic:
        """From the model service's entry."""
        return cls(**ModelPublic.model_validate(entry.model).model_dump(), state=entry.state, problem=entry.problem)


class ModelListPublic(_Public):
    """A type's model versions, newest first, and the one deployed."""

    recipe: str
    type: str
    deployed: int | None = Field(description="the version the station runs; null: not trained")
    versions: list[ModelVersionPublic]

    @classmethod
    def of(cls, recipe: str, type_name: str, entries: list[ModelEntry]) -> ModelListPublic:
        """From the model service's entries."""
        deployed = next((e.model.version for e in entries if e.state is ModelState.DEPLOYED), None)
        return cls(recipe=recipe, type=type_name, deployed=deployed,
                   versions=[ModelVersionPublic.of_entry(e) for e in entries])


class DeploymentUpdate(BaseModel):
    """Which model version to deploy."""

    version: int = Field(ge=1)


class DeploymentPublic(_Public):
    """A type's deployment now: the station runs ``version`` from its next trigger."""

    recipe: str
    type: str
    version: int
    previous: int | None = Field(description="the version a rollback goes back to; null: none")
    action: str = Field(description="deploy or rollback")
    deployed_at: datetime

    @classmethod
    def of(cls, deployment: Deployment) -> DeploymentPublic:
        """From a deployment."""
        return cls.model_validate(deployment)


class TypeStatePublic(_Public):
    """An inspection type with its label counts and latest model."""

    name: str
    kind: str
    labels: dict[str, int]
    model: ModelPublic | None
    synthetic: int = Field(default=0, description="synthetic images (Defect Creator) made for the type, counted in "
                                                  "`labels` too; training may leave them out and never validates on "
                                                  "them")


class RecipePublic(_Public):
    """A stored recipe: its YAML, its types' labels and models, and downscale warnings."""

    name: str
    profile: str
    rois: int
    types: list[TypeStatePublic]
    warnings: list[str]
    yaml: str
    revision: int = Field(description="the recipe's revision now; send it as `If-Match` when you replace the recipe")
    ready: bool = Field(description="ready for production: every type's deployed model is Accurate (or a segmenter or "
                                    "anomaly model), meets the recipe's `min_validation` on enough validation crops")
    readiness: str = Field(description="`Ready for production`, or what is missing, e.g. `Fast model: train Accurate; "
                                       "validation 0.72 < 0.90; only 6 validation crops of class 'partial'`")


class RevisionPublic(_Public):
    """One saved state of a recipe (``GET /recipes/{name}/revisions``)."""

    revision: int
    created_at: datetime
    actor: str = Field(description="who saved it: a token's name, `cli:<user>`, `openinspect` or `file` (changed on "
                                   "disk)")
    summary: str = Field(description="what changed from the revision before")

    @classmethod
    def of(cls, revision: Revision) -> RevisionPublic:
        """The revision's public form, without its YAML."""
        return cls(revision=revision.number, created_at=revision.created_at, actor=revision.actor,
                   summary=revision.summary)


class RevisionDetailPublic(RevisionPublic):
    """One saved state of a recipe with its YAML."""

    yaml: str


class RecipeDiffPublic(_Public):
    """The change between two revisions of a recipe."""

    a: int
    b: int
    diff: str = Field(description="a unified diff of the YAML; empty when the two are the same")


class RevertCreate(_Public):
    """Which revision's content becomes the recipe's next revision."""

    revision: int = Field(ge=1)


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
    skipped: list[str] = Field(description="captures not counted: unreadable, or not fitting the ROIs")
    alignment_failed: list[str] = Field(description="captures not counted: alignment did not find the part")
    trained_on: list[str] = Field(default=[], description="captures counted that the model trained on (same "
                                  "content): the figures are optimistic")
    warnings: list[str] = Field(default=[], description="what makes the figures less than honest, in words")


class TrainingCreate(BaseModel):
    """What to train."""

    recipe: str
    type: str
    mode: TrainingMode | None = Field(default=None, description="default: the type's mode")
    seed: int = 0
    deploy: bool = Field(default=False, description="deploy the new version at once; else it is a candidate until "
                                                    "deployed (a type's first version deploys itself)")
    synthetic: bool = Field(default=True, description="train on the recipe's synthetic images (Defect Creator) "
                                                      "too; they are never validation crops")
    unlabelled: bool = Field(default=True, description="Accurate classifiers: learn from unlabelled captures too "
                             "(the recipe's captures without a label for the type, the station's archived results): "
                             "a Fast teacher gives them classes, the confident ones join training, never validation")


class TrainingPublic(_Public):
    """A training job's state; also pushed on the WebSocket as ``{"event": "training", "data": ...}``.

    A run may train several models: one per validation fold (Fast's leave-one-out or k-fold), then the final one
    it publishes. ``step`` to ``loss_curve`` describe the model training now (``fold``); Fast fits no loss, so
    they stay null and ``message`` names its stages.
    """

    recipe: str
    type: str
    mode: TrainingMode | None
    state: TrainingState
    progress: float = Field(description="fraction done of the whole run, 0 to 1")
    message: str = Field(description="the stage in words, e.g. `extracting features`, `fine-tuning`, `exporting`")
    stage: str = Field(description="what to show a person: the model training now, when the run trains several, "
                                   "and its stage, e.g. `fold 2 of 5 · memory bank 1 of 2`; once over, the end message")
    remaining_s: float | None = Field(description="estimated seconds left at `updated` (time spent x the fraction "
                                                  "left / the fraction done); null early on and once over")
    updated: float = Field(description="Unix time of this snapshot")
    fold: int | None = Field(description="the validation fold whose model is training, from 1; null: the final model")
    folds: int = Field(description="validation folds the run trains a model for before the final one; 0: one model")
    step: int | None = Field(description="optimiser steps done by the model training now; null before its first "
                                         "and for Fast")
    steps: int | None = Field(description="its planned steps")
    epoch: float | None = Field(description="its passes over the training crops so far: step x batch / crops")
    epochs: float | None = Field(description="its planned passes")
    loss: float | None = Field(description="its latest training loss")
    loss_curve: list[tuple[int, float]] = Field(
        description="its training loss so far as [step, mean loss] points, each the mean over an equal run of steps "
                    f"ending at `step`; at most {LOSS_POINTS} points however long the run")
    started: float = Field(description="Unix time")
    finished: float | None
    version: int | None
    error: str | None
    deploy: bool = Field(description="the job deploys the version it publishes")
    synthetic: bool = Field(default=True, description="the job trains on the recipe's synthetic images too")
    unlabelled: bool = Field(default=True, description="an Accurate classifier job learns from unlabelled captures too")
    unlabelled_images: int | None = Field(default=None, description="once done: unlabelled captures the model learnt "
                                          "from; null: none were asked for (not Accurate, or `unlabelled` false)")
    deployed: bool = Field(description="the published version is the one the station runs now")
    warnings: list[str] = Field(default=[], description="once done: what in the training set will not generalise "
                                "(near-duplicate images, classes under 3 crops, imbalance over 4:1), with the fix")

    @classmethod
    def of(cls, job: TrainingJob) -> TrainingPublic:
        """Build from a job snapshot."""
        return cls.model_validate(job)


class BacktestCreate(BaseModel):
    """Which candidate version to backtest, and on which archived captures (the type's labelled images always)."""

    candidate: int = Field(ge=1, description="the model version to try beside the deployed one")
    since: datetime | None = Field(default=None, description="archived captures at or after this time; null: all")
    limit: int | None = Field(default=None, ge=1, description="at most this many archived captures, the newest")


class VerdictChangePublic(_Public):
    """A capture whose verdict the candidate changes."""

    capture: str = Field(description="the result id (GET /api/v1/results/{id}), or the labelled image's hash")
    source: Source
    reasons: list[str] = Field(description="why the failing side fails: fail classes, or failed rules")


class ReasonCountPublic(_Public):
    """Changed verdicts that one fail class or failed rule accounts for."""

    reason: str
    pass_to_fail: int
    fail_to_pass: int


class AgreementPublic(_Public):
    """The fraction of labelled ROIs whose class matches the human label; null when none was judged."""

    rois: int
    deployed: float | None
    candidate: float | None


class BacktestReportPublic(_Public):
    """What deploying the candidate would have changed on the captures the station has seen."""

    recipe: str
    type: str
    deployed: int
    candidate: int
    captures: int = Field(description="archived captures judged by both versions")
    images: int = Field(description="labelled images judged by both versions")
    pass_to_fail: list[VerdictChangePublic]
    fail_to_pass: list[VerdictChangePublic]
    reasons: list[ReasonCountPublic]
    agreement: AgreementPublic
    skipped: list[str] = Field(description="captures neither version could judge, with why")


class BacktestPublic(_Public):
    """A backtest job; also pushed on the WebSocket as ``{"event": "backtest", "data": ...}``."""

    recipe: str
    type: str
    candidate: int
    deployed: int
    since: str | None
    limit: int | None
    state: BacktestState
    progress: float = Field(description="fraction of the captures judged, 0 to 1")
    message: str
    started: float = Field(description="Unix time")
    finished: float | None
    report: BacktestReportPublic | None = Field(description="once done")
    error: str | None

    @classmethod
    def of(cls, job: BacktestJob) -> BacktestPublic:
        """Build from a job snapshot."""
        return cls.model_validate(job)


class ValidationCropPublic(_Public):
    """What a model, trained without it, said about one validation crop.

    Classifiers fill ``true_class``, ``predicted_class``, ``confidence``, ``probabilities`` and ``label``;
    segmenters ``defect``, ``detected`` and ``iou``; anomaly types ``true_class``, ``predicted_class``, ``score``
    and ``label``.
    """

    image: str = Field(description="the capture's content hash; GET /api/v1/images/{image} gives the file")
    roi: str
    rect: list[int] = Field(description="[x, y, w, h]: where the ROI lay on the capture")
    correct: bool
    true_class: str | None = Field(default=None, description="the crop's label when the model was trained")
    predicted_class: str | None = Field(default=None, description="by the type's decision rule at training time")
    confidence: float | None = Field(default=None, description="the predicted class's probability")
    probabilities: dict[str, float] | None = None
    label: str | None = Field(default=None, description="the crop's label now (null: unlabelled since); "
                                                        "differs from true_class once relabelled")
    defect: bool | None = Field(default=None, description="the true mask has defect pixels")
    detected: bool | None = Field(default=None, description="the predicted mask has a blob over min_blob_px")
    iou: float | None = Field(default=None, description="defect pixels of the right pixel class over defect "
                                                        "pixels in either mask; null when both are clean")
    score: float | None = Field(default=None, description="anomaly types: the crop's score (good crops scored by a "
                                                          "model that did not learn them)")

    @classmethod
    def of(cls, crop: ValidationCrop, labels: dict[tuple[str, str], str]) -> ValidationCropPublic:
        """Build from a recorded crop and the type's labels now."""
        key = (crop.source.image, crop.source.roi)
        probabilities = crop.probabilities or {}
        return cls(**crop.to_json(), correct=crop.correct, label=labels.get(key),
                   confidence=probabilities.get(crop.predicted_class or ""))


class TradeoffPointPublic(_Public):
    """The validation crops' errors with one threshold."""

    threshold: float | None = Field(description="null: no threshold (the most probable class wins)")
    good_rejected: int = Field(description="crops of a pass class judged as a fail class")
    defects_missed: int = Field(description="crops of a fail class judged as a pass class")


class ThresholdTradeoffPublic(_Public):
    """One fail class's threshold swept from none and 0.01 to 1.00; the other classes keep the recipe's."""

    class_name: str = Field(alias="class")
    threshold: float | None = Field(description="the recipe's threshold for the class now")
    good: int = Field(description="validation crops of pass classes")
    defects: int = Field(description="validation crops of fail classes")
    points: list[TradeoffPointPublic]


class ValidationPublic(_Public):
    """How a type's latest model was validated, its validation crops and its fail classes' threshold trade-offs."""

    recipe: str
    type: str
    kind: str
    version: int
    mode: str
    method: str | None = Field(description="leave-one-out, k-fold, hold-out or none; null: not recorded")
    reason: str = Field(description="why it was not validated (method none)")
    classes: list[str] = Field(description="the model's classes as trained")
    recorded: bool = Field(description="false: the version predates recorded validation crops; train again")
    crops: list[ValidationCropPublic]
    tradeoffs: list[ThresholdTradeoffPublic]
    problem: str | None = Field(description="why a classifier with validation crops has no threshold trade-off")
    warnings: list[str] = Field(default=[], description="what in its training set will not generalise "
                                "(near-duplicate images, classes under 3 crops, imbalance over 4:1), with the fix")
    synthetic_images: int = Field(default=0, description="synthetic images (Defect Creator) it trained on; never "
                                  "validation crops")
    unlabelled_images: int | None = Field(default=None, description="unlabelled captures it learnt from (never "
                                          "validation crops); null: it was not asked to")
    pseudo_labelled: int = Field(default=0, description="crops of them it trained on, with the class its Fast "
                                 "teacher was confident of")

    @classmethod
    def of(cls, review: ValidationReview) -> ValidationPublic:
        """Build from a validation review."""
        crops = [ValidationCropPublic.of(c, review.labels) for c in review.crops or []]
        tradeoffs = [ThresholdTradeoffPublic.model_validate(t) for t in review.tradeoffs]
        return cls(recipe=review.recipe, type=review.type, kind=review.kind, version=review.version,
                   mode=review.mode, method=review.method, reason=review.reason, classes=review.classes,
                   recorded=review.crops is not None, crops=crops, tradeoffs=tradeoffs, problem=review.problem,
                   warnings=review.warnings, synthetic_images=review.synthetic_images,
                   unlabelled_images=review.unlabelled_images, pseudo_labelled=review.pseudo_labelled)


class HealthPublic(_Public):
    """The server answers."""

    status: Annotated[str, Field(examples=["ok"])]


class SessionPublic(BaseModel):
    """The caller's token, as the station sees it."""

    name: str = Field(description="the token's holder, as OPENINSPECT_TOKENS names them")
    role: Role


class ImagePublic(BaseModel):
    """An image of the library."""

    image: str = Field(description="content hash (sha256); GET /api/v1/images/{image} gives the file")
    name: str = Field(description="the file's original name")
    width: int
    height: int
    added: datetime | None = Field(default=None, description="when the image entered the library")

    @classmethod
    def of(cls, stored: StoredImage) -> ImagePublic:
        """From a stored image."""
        return cls(image=stored.sha256, name=stored.original_name, width=stored.width, height=stored.height,
                   added=stored.added_at)


class PredictionPublic(BaseModel):
    """The deployed model's class for one ROI crop."""

    model_config = ConfigDict(populate_by_name=True)

    class_name: str = Field(alias="class")
    confidence: float = Field(description="the class's probability, 0 to 1")

    @classmethod
    def of(cls, prediction: Prediction) -> PredictionPublic:
        """From a prediction."""
        return cls.model_validate({"class": prediction.class_name, "confidence": round(prediction.confidence, 4)})


class RoiPlacePublic(BaseModel):
    """Where a ROI's crop is cut from a capture, as training and the station cut it.

    The crop is the ``w`` x ``h`` rectangle at ``x``, ``y``, turned by ``angle`` about its centre and shown upright.
    """

    x: int
    y: int
    w: int
    h: int
    angle: float = Field(description="degrees the crop is turned, counter-clockwise as the capture is displayed: the "
                                     "part's rotation where the recipe aligns, else 0")

    @classmethod
    def of(cls, place: RoiPlace) -> RoiPlacePublic:
        """From a placement."""
        rect = place.rect
        return cls(x=rect.x, y=rect.y, w=rect.w, h=rect.h, angle=round(place.angle, 3))


class SyntheticPublic(_Public):
    """How the Defect Creator made a synthetic image."""

    description: str
    seed: int
    host: str = Field(description="the content hash of the capture it was made from")
    rois: list[str] = Field(description="the ROIs its defects lie in")

    @classmethod
    def of(cls, origin: SyntheticOrigin) -> SyntheticPublic:
        """From the stored origin."""
        return cls(description=origin.description, seed=origin.seed, host=origin.host, rois=origin.rois)


class SamplePublic(ImagePublic):
    """A capture of a recipe with its labels for one inspection type."""

    labels: dict[str, str] = Field(description="class per ROI (classifier types)")
    masked: bool = Field(description="a mask is stored (segmenter types)")
    predictions: dict[str, PredictionPublic] | None = Field(
        default=None, description="with predict=true: the deployed model's class per ROI (empty for a capture the "
                                  "ROIs do not fit or where alignment does not find the part)")
    rois: dict[str, RoiPlacePublic] = Field(
        description="where each ROI of the type is cut on this capture: as drawn, or moved and turned with the part "
                    "where the recipe aligns; empty where the part is not found")
    alignment: dict[str, Any] | None = Field(
        default=None, description="recipes that align: where the part was found (found, score, dx, dy, angle); "
                                  "found false: the part is not there, and training skips the capture")
    synthetic: SyntheticPublic | None = Field(
        default=None, description="made by the Defect Creator (never validation data); null: a real capture")

    @classmethod
    def of_sample(cls, sample: Sample) -> SamplePublic:
        """From a sample."""
        predictions = None if sample.predictions is None else \
            {roi: PredictionPublic.of(p) for roi, p in sample.predictions.items()}
        pose = sample.placement.pose
        return cls(**ImagePublic.of(sample.image).model_dump(), labels=sample.labels, masked=sample.masked,
                   predictions=predictions,
                   rois={name: RoiPlacePublic.of(place) for name, place in sample.placement.rois.items()},
                   alignment=None if pose is None else pose.to_json(),
                   synthetic=None if sample.synthetic is None else SyntheticPublic.of(sample.synthetic))


class TemplatePublic(BaseModel):
    """The recipe's template capture."""

    reference: str = Field(description="its file name in the recipe's folder: the `alignment.reference` of a "
                                       "recipe that aligns on it")
    width: int
    height: int

    @classmethod
    def of(cls, info: TemplateInfo) -> TemplatePublic:
        """From the template service's info."""
        return cls(reference=info.reference, width=info.width, height=info.height)


class LabelsUpdate(BaseModel):
    """Classes for ROIs of one image."""

    labels: dict[str, str] = Field(description='class per ROI: {"nut-left": "loose"}')


class LabelsPublic(BaseModel):
    """Every label of one image for one type."""

    image: str
    labels: dict[str, str]


class MaskPublic(BaseModel):
    """What a stored mask holds."""

    image: str
    labelled_px: int = Field(description="pixels with a pixel class; 0: marked good (no defect)")


class CorrectionCreate(BaseModel):
    """What to learn from one ROI of a result."""

    model_config = ConfigDict(populate_by_name=True)

    roi: str
    type: str = Field(description="the ROI's inspection type, as the result names it")
    class_name: str | None = Field(default=None, alias="class", description="classifier ROIs: the correct class")
    mask: Literal["background"] | None = Field(
        default=None, description='segmenter ROIs: "background" stores an all-background mask of the capture (no '
                                  "defect, for every ROI of the type); leave it out to add the capture for painting "
                                  "on the Label page")

    def correction(self) -> Correction:
        """As the correction service takes it."""
        return Correction(self.roi, self.type, self.class_name, self.mask == "background")


class ResultLabelsCreate(BaseModel):
    """Corrected labels for ROIs of a result."""

    labels: list[CorrectionCreate] = Field(description='e.g. [{"roi": "nut-left", "type": "nut", "class": "loose"}]')


class TrainingAdditionPublic(BaseModel):
    """What adding a result's capture to the training set did."""

    recipe: str
    image: str = Field(description="the capture's content hash in the image library (GET /api/v1/images/{image})")
    added: bool = Field(description="false: the capture was in the library already; nothing was copied")
    labels: dict[str, str] = Field(description="class per classifier ROI, as set now")
    marked_good: list[str] = Field(description="segmenter types given an all-background mask")
    to_paint: list[str] = Field(description="segmenter types whose mask is left to paint on the Label page")

    @classmethod
    def of(cls, recipe: str, addition: TrainingAddition) -> TrainingAdditionPublic:
        """From the correction service's report."""
        return cls(recipe=recipe, image=addition.image.sha256, added=addition.added, labels=addition.labels,
                   marked_good=addition.marked_good, to_paint=addition.to_paint)


class AdviceCreate(BaseModel):
    """A described application to advise on, with the sizes for the resolution check (all optional)."""

    model_config = ConfigDict(extra="forbid")

    description: str = Field(max_length=2000, description='e.g. "check that both screws are present on the bracket"')
    image_width: int | None = Field(default=None, gt=0, description="the capture's width in px (with image_height)")
    image_height: int | None = Field(default=None, gt=0, description="the capture's height in px")
    roi: list[int] | None = Field(default=None, description="[x, y, w, h] on the capture, or its size [w, h]")
    defect_size_px: float | None = Field(default=None, description="the smallest defect to catch, in capture px")
    defect_size_mm: float | None = Field(default=None, description="the same in mm (needs mm_per_px)")
    mm_per_px: float | None = Field(default=None, description="the pixel size on the part")


class AdvicePublic(BaseModel):
    """The assistant's advice: the recommended type(s), a starting recipe's types, the reasons and the questions."""

    recommendation: Literal["classifier", "segmenter", "anomaly"]
    profile: Literal["single-model", "multi-model"]
    types: list[dict[str, Any]] = Field(description="a starting recipe's inspection types, as the recipe holds them")
    reasons: list[str]
    confidence: float = Field(ge=0, le=1)
    ask: list[str] = Field(description="questions whose answers would decide or refine the advice")
    images_to_label: dict[str, dict[str, Any]] = Field(description="per type: how many images to label to start")
    resolution: dict[str, Any] | None = Field(description="the downscale check, when a ROI or capture size was given")


class SynthParse(BaseModel):
    """A defect description to read."""

    description: str = Field(max_length=1000, description="the defect in plain English, e.g. `three thin dark "
                                                          "scratches near the top edge`")


class SynthSpecPublic(_Public):
    """The specification the Defect Creator understood from a description."""

    kind: str = Field(description="the defect kind: scratch, crack, dent, stain...")
    spec: dict[str, Any] = Field(description="every attribute as understood (count, size, thickness, length, shape, "
                                             "tone, orientation, location, subtlety...)")
    summary: list[str] = Field(description="the specification in lines a person reads")
    ignored: list[str] = Field(description="words of the description it did not use: rephrase them to be understood")

    @classmethod
    def of(cls, spec: DefectSpec) -> SynthSpecPublic:
        """From a parsed specification."""
        data = spec.to_dict()
        return cls(kind=str(data.get("kind", "")), spec=data, summary=list(spec.describe()), ignored=list(spec.ignored))


class SynthCreate(BaseModel):
    """What to make: a description, where, on which captures, how many, from which seed."""

    model_config = ConfigDict(populate_by_name=True)

    description: str = Field(max_length=1000)
    rois: list[str] = Field(default=[], description="the type's ROIs to put defects in; empty: all of them")
    hosts: list[str] = Field(default=[], max_length=500, description="content hashes of the captures to paint on; "
                             "empty: the recipe's captures labelled good for the type (or with a clean mask)")
    count: int = Field(default=8, ge=1, le=MAX_COUNT)
    seed: int = Field(default=0, ge=0, le=2**31 - 1, description="image i is made with seed + i")
    class_name: str | None = Field(default=None, alias="class", description="the fail class (classifier) or pixel "
                                   "class (segmenter) it is labelled with; default: the type's only one")
    match: bool = Field(default=False, description="segmenter types: draw the defects the size, shape, contrast and "
                        "place of the pixel class's real painted examples (the description names the kind)")


class SynthAccept(SynthCreate):
    """A batch to add to the data set: the same request as its preview makes the same images."""

    pick: list[int] | None = Field(default=None, max_length=MAX_COUNT, description="the batch indices to add; "
                                   "null: all")


class SynthSamplePublic(_Public):
    """One previewed synthetic image (not stored)."""

    index: int = Field(description="its place in the batch, for `pick`")
    host: str = Field(description="the content hash of the capture it was made from")
    seed: int
    image: str = Field(description="PNG data URL: the image around the chosen ROIs, at most 320 px")
    outlined: str = Field(description="the same with the defects' mask outlined")
    defect_px: int = Field(description="pixels the defects changed (the mask's area) on the full image")


class SynthPreviewPublic(_Public):
    """A previewed batch: nothing is stored until it is accepted with the same request."""

    spec: SynthSpecPublic
    label: str = Field(description="the class or pixel class the images get when accepted")
    rois: list[str]
    samples: list[SynthSamplePublic]
    matched: list[str] | None = Field(default=None, description="with `match`: what the real examples measured "
                                      "(sizes, contrast, place), one line each")

    @classmethod
    def of(cls, batch: SynthBatch) -> SynthPreviewPublic:
        """From a made batch."""
        samples = []
        for sample in batch.samples:
            image, outlined = preview_pngs(sample)
            samples.append(SynthSamplePublic(index=sample.index, host=sample.host.sha256, seed=sample.seed,
                                             image=_png_url(image), outlined=_png_url(outlined),
                                             defect_px=int(sample.mask.sum())))
        return cls(spec=SynthSpecPublic.of(batch.spec), label=batch.label, rois=batch.rois, samples=samples,
                   matched=None if batch.profile is None else batch.profile.summary())


class SynthAddedPublic(_Public):
    """What accepting a batch added to the data set."""

    label: str
    images: list[str] = Field(description="content hashes of the added synthetic images, in batch order")
    seeds: list[int]

    @classmethod
    def of(cls, report: SynthReport) -> SynthAddedPublic:
        """From the service's report."""
        return cls(label=report.label, images=report.images, seeds=report.seeds)


def _png_url(png: bytes) -> str:
    return "data:image/png;base64," + b64encode(png).decode()
