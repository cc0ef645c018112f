"""The Defect Creator: realistic defects with exact masks, drawn into good captures from a plain-English description.

``parse_description`` reads the description into a :class:`DefectSpec` (reporting every word it did not
understand); ``render`` draws it into a host image, inside a region (a ROI) if given, and returns the image
with the mask of exactly the pixels it changed. numpy and OpenCV only: no torch, fast enough to preview live.
"""

from openinspect.synth.render import MASK_TOLERANCE, Synthesized, render
from openinspect.synth.spec import DefectSpec, Kind, Tone, parse_description

__all__ = ["MASK_TOLERANCE", "DefectSpec", "Kind", "Synthesized", "Tone", "parse_description", "render"]
