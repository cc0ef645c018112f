"""The first-run demo: generated captures and recipes, so the product shows itself with no outside data."""

from openinspect.demo.captures import (
    DemoCapture,
    DemoScene,
    bracket_captures,
    bracket_scene,
    shaft_captures,
    shaft_scene,
)

__all__ = [
    "DemoCapture",
    "DemoScene",
    "bracket_captures",
    "bracket_scene",
    "shaft_captures",
    "shaft_scene",
]
