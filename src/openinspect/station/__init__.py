"""The inspection pipeline: capture in, verdict out, with per-stage timings."""

from openinspect.station.pipeline import InspectionResult, Inspector, RoiResult, TypeRunner

__all__ = ["InspectionResult", "Inspector", "RoiResult", "TypeRunner"]
