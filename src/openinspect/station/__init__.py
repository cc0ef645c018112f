"""The inspection pipeline: capture in, verdict out, with per-stage timings."""

from openinspect.station.pipeline import Inspector
from openinspect.station.results import (
    AnomalyRoiResult,
    ClassifierRoiResult,
    InspectionResult,
    RoiResult,
    SegmenterRoiResult,
)
from openinspect.station.runners import AnomalyRunner, ClassifierRunner, SegmenterRunner

__all__ = [
    "AnomalyRoiResult",
    "AnomalyRunner",
    "ClassifierRoiResult",
    "ClassifierRunner",
    "InspectionResult",
    "Inspector",
    "RoiResult",
    "SegmenterRoiResult",
    "SegmenterRunner",
]
