"""Generated demo captures and recipes for the first-run demo, modelled on two real line cases.

- Bracket with two nuts (inspection type ``nut``): each nut ``good`` (seated, torque marks lined up)
  or ``loose`` (backed off: raised on its bolt with thread showing, turned, longer shadow).
- Shaft in a bearing housing (inspection type ``shaft``): ``seated``, ``partial`` (a gap at the
  shoulder) or ``out`` (pulled far back or missing).

Every capture carries the camera's imperfections (position jitter of a few px, a degree or so of
rotation, lighting drift, blur, sensor noise, JPEG), so a model must learn the defect, not the pixels.

Example:
    >>> capture = bracket_captures(2, seed=0)[0]
    >>> capture.image.shape, capture.image.dtype.name, sorted(capture.labels)
    ((400, 800, 3), 'uint8', ['nut-left', 'nut-right'])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from openinspect.demo import _bracket, _shaft


@dataclass(frozen=True)
class DemoCapture:
    """One generated capture and the truth for each of its ROIs.

    Attributes:
        image: ``(H, W, 3)`` uint8 RGB, 0-255.
        labels: ROI name -> class name, e.g. ``{"nut-left": "good", "nut-right": "loose"}``.
    """

    image: np.ndarray
    labels: dict[str, str]


@dataclass(frozen=True)
class DemoScene:
    """A demo recipe and the inspection type its captures are labelled for.

    Attributes:
        recipe_yaml: a complete recipe in the recipe YAML format.
        type_name: the recipe's one inspection type (``nut`` or ``shaft``).
    """

    recipe_yaml: str
    type_name: str


@dataclass(frozen=True)
class _Roi:
    name: str
    x: int
    y: int
    w: int
    h: int


NUT_CLASSES = (("good", True), ("loose", False))
SHAFT_CLASSES = (("seated", True), ("partial", False), ("out", False))
NUT_ROIS = (_Roi("nut-left", 120, 80, 200, 200), _Roi("nut-right", 480, 80, 200, 200))
SHAFT_ROIS = (_Roi("shaft", 232, 176, 168, 172),)
"""On the shoulder and the housing face, where seated, partial and out differ; the housing body tells nothing."""


def bracket_scene() -> DemoScene:
    """The bracket-nuts recipe: one ``nut`` classifier stamped on both nuts."""
    return DemoScene(_recipe_yaml("bracket-nuts", "nut", NUT_CLASSES, NUT_ROIS), "nut")


def shaft_scene() -> DemoScene:
    """The shaft-depth recipe: one ``shaft`` classifier on the shoulder and housing face."""
    return DemoScene(_recipe_yaml("shaft-depth", "shaft", SHAFT_CLASSES, SHAFT_ROIS), "shaft")


def bracket_captures(count: int, seed: int) -> list[DemoCapture]:
    """Generate 800 x 400 bracket captures; per ROI, both classes occur equally often (±1).

    Args:
        count: how many captures.
        seed: the same seed gives the same captures.
    """
    rng = np.random.default_rng(seed)
    draws = {roi.name: _balanced(rng, [name for name, _ in NUT_CLASSES], count) for roi in NUT_ROIS}
    labels = [{roi: draws[roi][index] for roi in draws} for index in range(count)]
    return [DemoCapture(_bracket.render(rng, truth), truth) for truth in labels]


def shaft_captures(count: int, seed: int) -> list[DemoCapture]:
    """Generate 640 x 480 shaft captures; the three classes occur equally often (±1).

    Args:
        count: how many captures.
        seed: the same seed gives the same captures.
    """
    rng = np.random.default_rng(seed)
    classes = _balanced(rng, [name for name, _ in SHAFT_CLASSES], count)
    return [DemoCapture(_shaft.render(rng, name), {SHAFT_ROIS[0].name: name}) for name in classes]


def _balanced(rng: np.random.Generator, classes: list[str], count: int) -> list[str]:
    """Classes repeated in turn up to ``count``, then shuffled."""
    return [classes[int(i)] for i in rng.permutation(np.arange(count) % len(classes))]


def _recipe_yaml(name: str, type_name: str, classes: tuple[tuple[str, bool], ...], rois: tuple[_Roi, ...]) -> str:
    lines = [
        f"name: {name}",
        "profile: single-model",
        "types:",
        f"  - name: {type_name}",
        "    kind: classifier",
        "    mode: fast",
        "    classes:",
    ]
    lines += [f"      - {{name: {cls}, pass: {str(passes).lower()}}}" for cls, passes in classes]
    lines += ["rois:"]
    lines += [f"  - {{name: {r.name}, type: {type_name}, x: {r.x}, y: {r.y}, w: {r.w}, h: {r.h}}}" for r in rois]
    return "\n".join(lines) + "\n"
