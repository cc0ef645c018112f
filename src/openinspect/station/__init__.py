"""The inspection pipeline: capture in, verdict out, with per-stage timings."""

from openinspect.station.pipeline import Inspector
from openinspect.station.results import ClassifierRoiResult, InspectionResult, RoiResult, SegmenterRoiResult
from openinspect.station.runners import ClassifierRunner, SegmenterRunner

__all__ = [
    "ClassifierRoiResult",
    "ClassifierRunner",
    "InspectionResult",
    "Inspector",
    "RoiResult",
    "SegmenterRoiResult",
    "SegmenterRunner",
]
