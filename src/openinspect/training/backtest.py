"""Backtest a candidate model version before deploying it: re-judge what the station has seen, twice.

The archived captures of a recipe (the results store keeps every failing one and a sample of passing ones) and
the images labelled for the inspection type are judged with the deployed model version and with the candidate,
by two :class:`~openinspect.station.Inspector` s loaded with ``versions=``. The report counts the captures whose
verdict would change (pass to fail, fail to pass, per fail class or failed rule), names each one (result id, or
the labelled image's content hash), and how often each version agrees with the human labels.

This is batch work beside the station and never imported by it: one ONNX Runtime thread per model, each capture
decoded, aligned and (where both versions take the same input) cropped once, and a :class:`Pacing` between
captures, so a running station keeps its cycle time.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from openinspect.errors import OpenInspectError
from openinspect.imaging import MAX_PIXELS, decode_image
from openinspect.station import ClassifierRoiResult, Inspector, RoiResult, SegmenterRoiResult
from openinspect.station.pipeline import InspectorPlan
from openinspect.station.runners import Runner
from openinspect.store import Workspace
from openinspect.store.results import ResultFilter, ResultStore

Progress = Callable[[float, str], None]
"""Called with the fraction done (0 to 1) and the stage in words after every capture."""


@dataclass(frozen=True)
class Backtest:
    """What to backtest: a candidate version of a type, on the archived captures since a time (newest first)."""

    recipe: str
    type: str
    candidate: int
    since: datetime | None = None
    """Archived captures at or after this time; ``None``: all."""
    limit: int | None = None
    """At most this many archived captures, the newest; ``None``: all. Labelled images are always judged."""


class Source(StrEnum):
    """Where a backtested capture came from."""

    RESULT = "result"
    """An archived capture; it is named by its result id."""
    LABEL = "label"
    """A labelled image of the type; it is named by its content hash."""


@dataclass(frozen=True)
class VerdictChange:
    """One capture whose verdict the candidate changes."""

    capture: str
    """The result id, or the labelled image's content hash."""
    source: Source
    reasons: tuple[str, ...]
    """Why the failing side fails: fail classes (classifiers), failed rules (segmenters), else the type."""


@dataclass(frozen=True)
class ReasonCount:
    """How many changed verdicts one fail class or failed rule accounts for."""

    reason: str
    pass_to_fail: int
    fail_to_pass: int


@dataclass(frozen=True)
class Agreement:
    """Agreement with the human labels: the fraction of labelled ROIs whose class matches the label."""

    rois: int
    """Labelled ROIs judged."""
    deployed: float | None
    """``None`` when no labelled ROI was judged."""
    candidate: float | None


@dataclass(frozen=True)
class BacktestReport:
    """What deploying the candidate would have changed."""

    recipe: str
    type: str
    deployed: int
    candidate: int
    captures: int
    """Archived captures judged by both versions."""
    images: int
    """Labelled images judged by both versions."""
    pass_to_fail: tuple[VerdictChange, ...]
    fail_to_pass: tuple[VerdictChange, ...]
    reasons: tuple[ReasonCount, ...]
    agreement: Agreement
    skipped: tuple[str, ...]
    """Captures neither version could judge (evicted, unreadable, part not found), with why."""


@dataclass(frozen=True)
class Contenders:
    """The deployed and the candidate version of one type, each in its own inspector (one ONNX thread each)."""

    type: str
    deployed: Inspector
    candidate: Inspector
    plans: tuple[InspectorPlan, ...] = ()
    """What ``deployed`` and ``candidate`` were opened from, for a batch job's workers to open their own."""

    @classmethod
    def load(cls, workspace: Workspace, request: Backtest, max_pixels: int = MAX_PIXELS) -> Contenders:
        """Load both versions, checking first that the candidate fits the recipe.

        Raises:
            NotFoundError: unknown recipe or candidate version.
            RecipeError: unknown type.
            ModelNotFoundError: the type has no deployed version, or the candidate was trained for other classes.
        """
        candidate = InspectorPlan.load(workspace, request.recipe, max_pixels,
                                       versions={request.type: request.candidate})
        version = workspace.deployed_model(request.recipe, request.type).version
        deployed = InspectorPlan.load(workspace, request.recipe, max_pixels, versions={request.type: version})
        return cls.of(request.type, (deployed, candidate))

    @classmethod
    def of(cls, type_name: str, plans: tuple[InspectorPlan, ...], threads: int = 1) -> Contenders:
        """Open the deployed and the candidate plan (``threads`` ONNX Runtime threads a model: one beside a station)."""
        deployed, candidate = plans
        return cls(type_name, Inspector.of(deployed, threads), Inspector.of(candidate, threads), plans)

    def judge(self, data: bytes, name: str) -> tuple[list[RoiResult], list[RoiResult]]:
        """Every ROI's result for an encoded capture, with the deployed version and with the candidate.

        The capture is decoded and aligned once, the other types judged once, and the type's crops cut and
        prepared once when both versions take the same input.

        Raises:
            OpenInspectError: the capture cannot be judged (unreadable, too large, part not found, ROI outside).
        """
        inspector = self.deployed
        image = decode_image(data, name, inspector.max_pixels)
        pose = inspector.cropper.locate(image, name)
        others = [result for spec in inspector.runners if spec != self.type
                  for result in inspector.judge_type(image, spec, name, pose)]
        deployed, candidate = inspector.runners[self.type], self.candidate.runners[self.type]
        if not _same_input(deployed, candidate):
            return (others + inspector.judge_type(image, self.type, name, pose),
                    others + self.candidate.judge_type(image, self.type, name, pose))
        rois = inspector.recipe.rois_of(self.type)
        prepared = deployed.prepare(inspector.cropper.crops(image, rois, name, pose))
        names, rects = [roi.name for roi in rois], [inspector.cropper.rect(r, image, pose) for r in rois]
        return others + deployed.judge(prepared, names, rects), others + candidate.judge(prepared, names, rects)


def _same_input(deployed: Runner, candidate: Runner) -> bool:
    """Whether one prepared batch fits both runners: same kind (tiling is the type's) and model input size."""
    return type(deployed) is type(candidate) and deployed.model.input_size == candidate.model.input_size


@dataclass(frozen=True)
class Pacing:
    """How the backtest thread gives way to a station's triggers between captures."""

    rest: float = 0.0
    """Sleep this many times the last capture's judging time after it (0: only yield the interpreter)."""
    busy: Callable[[], bool] | None = None
    """While this says the station is judging a trigger, wait (polling every :attr:`poll` s) before the next."""
    poll: float = 0.0005

    def pause(self, judged_s: float) -> None:
        """Give way after a capture that took ``judged_s`` seconds to judge."""
        time.sleep(self.rest * judged_s)  # sleep(0) still yields the interpreter
        while self.busy is not None and self.busy():
            time.sleep(self.poll)


@dataclass(frozen=True)
class _Item:
    """One capture to backtest."""

    key: str
    source: Source
    path: Path
    labels: dict[str, str]
    """The human class of each labelled ROI."""


class _Tally:
    """The report under construction."""

    def __init__(self) -> None:
        self.changes: dict[bool, list[VerdictChange]] = {True: [], False: []}
        self.judged: Counter[Source] = Counter()
        self.agree: Counter[str] = Counter()
        self.skipped: list[str] = []

    def add(self, item: _Item, deployed: list[RoiResult], candidate: list[RoiResult]) -> None:
        self.judged[item.source] += 1
        before, after = all(r.passes for r in deployed), all(r.passes for r in candidate)
        if before != after:
            self.changes[before].append(VerdictChange(item.key, item.source, _reasons(candidate if before
                                                                                       else deployed)))
        for side, results in (("deployed", deployed), ("candidate", candidate)):
            self.agree[side] += sum(_class_of(r) == item.labels[r.roi] for r in results if r.roi in item.labels)
        self.agree["rois"] += sum(r.roi in item.labels for r in deployed)

    def report(self, contenders: Contenders) -> BacktestReport:
        counts = {flip: Counter(reason for change in self.changes[flip] for reason in change.reasons)
                  for flip in (True, False)}
        reasons = tuple(ReasonCount(reason, counts[True][reason], counts[False][reason])
                        for reason in sorted(counts[True].keys() | counts[False].keys()))
        rois = self.agree["rois"]
        agreement = Agreement(rois, *(round(self.agree[side] / rois, 4) if rois else None
                                      for side in ("deployed", "candidate")))
        return BacktestReport(contenders.deployed.recipe.name, contenders.type,
                              contenders.deployed.models[contenders.type].version,
                              contenders.candidate.models[contenders.type].version,
                              self.judged[Source.RESULT], self.judged[Source.LABEL], tuple(self.changes[True]),
                              tuple(self.changes[False]), reasons, agreement, tuple(self.skipped))


Outcome = tuple[list[RoiResult], list[RoiResult]] | OpenInspectError | OSError
"""One capture backtested: every ROI's result with the deployed version and with the candidate, or why not."""
Judges = Callable[[list[Path]], Iterable[Outcome]]
"""Backtests capture files, an outcome per path in order: in this process, or on a cluster's workers."""


def contend(contenders: Contenders, path: Path) -> Outcome:
    """Backtest one capture file with both versions (:meth:`Contenders.judge`); an unusable one gives its error."""
    try:
        return contenders.judge(path.read_bytes(), path.name)  # errors name the file, never the workspace's folders
    except (OpenInspectError, OSError) as err:
        return err


def contend_files(inspectors: list[Inspector], paths: list[Path], type_name: str) -> list[Outcome]:
    """:func:`contend` on each path with the job's two inspectors, deployed and candidate (``backtest --ray``)."""
    contenders = Contenders(type_name, inspectors[0], inspectors[1])
    return [contend(contenders, path) for path in paths]


def run_backtest(contenders: Contenders, workspace: Workspace, results: ResultStore, request: Backtest,
                 progress: Progress | None = None, pacing: Pacing = Pacing(), judges: Judges | None = None
                 ) -> BacktestReport:
    """Judge the request's archived captures and the type's labelled images with both versions.

    Captures that cannot be judged are listed in the report's ``skipped``, not fatal. Between captures the
    thread gives way as ``pacing`` says, so that a station's trigger worker gets the CPU first. ``judges``: where
    the captures are judged (:func:`contend` on each, on a cluster's workers); by default here, one at a time.
    """
    items = list(_archived(results, request)) + list(_labelled(workspace, request))
    tally = _Tally()
    paths = [item.path for item in items]
    outcomes = judges(paths) if judges else (contend(contenders, path) for path in paths)
    began = time.perf_counter()
    for done, (item, outcome) in enumerate(zip(items, outcomes, strict=True), 1):
        if isinstance(outcome, tuple):
            tally.add(item, *outcome)
        else:
            tally.skipped.append(f"{item.source.value} {item.key}: {_why(item, outcome)}")
        if progress is not None:
            progress(done / len(items), f"judged {done} of {len(items)} captures")
        pacing.pause(time.perf_counter() - began)
        began = time.perf_counter()
    return tally.report(contenders)


def _why(item: _Item, error: OpenInspectError | OSError) -> str:
    if isinstance(error, FileNotFoundError) and item.source is Source.RESULT:
        return f"the capture of result '{item.key}' was evicted during the backtest"
    return str(error)


def _archived(results: ResultStore, request: Backtest) -> Iterator[_Item]:
    where = ResultFilter(since=request.since, recipe=request.recipe, archived=True)
    for result_id, path in results.archived(where, request.limit):
        yield _Item(result_id, Source.RESULT, path, {})


def _labelled(workspace: Workspace, request: Backtest) -> Iterator[_Item]:
    images = {image.sha256: image for image, _ in workspace.masks(request.recipe, request.type)}
    labels: dict[str, dict[str, str]] = {}
    for label in workspace.labels(request.recipe, request.type):
        images[label.image.sha256] = label.image
        labels.setdefault(label.image.sha256, {})[label.roi] = label.class_name
    for sha256, image in images.items():
        yield _Item(sha256, Source.LABEL, image.path, labels.get(sha256, {}))


def _reasons(results: list[RoiResult]) -> tuple[str, ...]:
    reasons: set[str] = set()
    for result in results:
        if result.passes:
            continue
        if isinstance(result, ClassifierRoiResult):
            reasons.add(result.class_name)
        elif isinstance(result, SegmenterRoiResult) and result.failed_rules:
            reasons.update(result.failed_rules)
        else:
            reasons.add(result.type)
    return tuple(sorted(reasons))


def _class_of(result: RoiResult) -> str | None:
    return result.class_name if isinstance(result, ClassifierRoiResult) else None
