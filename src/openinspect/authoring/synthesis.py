"""The Defect Creator on a recipe: which captures host the defects, where (the ROIs), and making the batch.

The engine (``openinspect.synth``) draws into an image inside a box; this module supplies the recipe's side:
the description read with the recipe's calibration, the inspection type, ROI and class checked, the host
captures (by default those labelled with a pass class for the type), the ROI boxes on each host (moved with the
part when the recipe aligns), and a whole batch made in memory, so a caller stores all of it or nothing.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from openinspect.dataset.crops import RoiCropper
from openinspect.errors import DatasetError, ImageError, RecipeError, SynthError
from openinspect.imaging import IMAGE_SUFFIXES, read_image
from openinspect.recipe import ClassifierType, Recipe, Roi, SegmenterType
from openinspect.store import StoredImage, Workspace
from openinspect.store.files import write_atomic, write_png
from openinspect.synth import DefectSpec, Synthesized, parse_description, render

MAX_BATCH = 200
"""The most synthetic images one request makes."""

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class SynthTarget:
    """What the synthetic images are for: an inspection type, its ROIs that get defects, and the class they show.

    Attributes:
        type_name: the inspection type.
        kind: ``classifier``, ``segmenter`` or ``anomaly``.
        rois: the ROIs defects go into (the one named, or every ROI of the type).
        class_name: classifier: the fail class the images are labelled; segmenter: the pixel class of the
            mask; anomaly: ``anomalous``.
        class_index: segmenter: the mask value of ``class_name`` (1-based); else 1.
    """

    type_name: str
    kind: str
    rois: tuple[Roi, ...]
    class_name: str
    class_index: int


@dataclass(frozen=True)
class SynthHost:
    """A good capture defects are drawn into, and the box of each target ROI on it.

    Attributes:
        name: what to call it (the file or the library image's original name).
        image: ``(H, W, 3)`` uint8 RGB.
        regions: ``(roi name, (x0, y0, x1, y1))`` per target ROI, where that ROI lies on this capture.
        stored: the library image when the host came from the recipe's labelled captures.
    """

    name: str
    image: np.ndarray
    regions: tuple[tuple[str, Box], ...]
    stored: StoredImage | None = None


@dataclass(frozen=True)
class SynthSample:
    """One synthetic capture: its host, the ROI that got the defects, and the engine's image and mask."""

    host: SynthHost
    roi: str
    made: Synthesized

    @property
    def stem(self) -> str:
        """A file stem naming the host, the ROI and the seed: ``bracket-03-nut-left-synth-7``."""
        return f"{Path(self.host.name).stem}-{self.roi}-synth-{self.made.seed}"


def read_spec(recipe: Recipe, text: str) -> DefectSpec:
    """Parse a description with the recipe's calibration (sizes in mm need it).

    Raises:
        SynthError: the description cannot be used (see :func:`openinspect.synth.parse_description`).
    """
    calibration = recipe.calibration
    return parse_description(text, mm_per_px=calibration.mm_per_px if calibration else None)


def synth_target(recipe: Recipe, type_name: str, roi: str | None = None, class_name: str | None = None) -> SynthTarget:
    """Check the type, ROI and class a request names, defaulting the ROIs (all of the type's) and the class.

    Raises:
        RecipeError: the recipe has no such type, ROI (of that type) or class; the message lists what it has.
    """
    spec = recipe.inspection_type(type_name)
    rois = recipe.rois_of(type_name)
    if roi is not None:
        rois = [r for r in rois if r.name == roi]
        if not rois:
            raise RecipeError(f"recipe '{recipe.name}' has no ROI '{roi}' of type '{type_name}'; its ROIs: "
                              f"{', '.join(r.name for r in recipe.rois_of(type_name)) or 'none'}")
    if not rois:
        raise RecipeError(f"type '{type_name}' of recipe '{recipe.name}' has no ROI: add one before making defects")
    if isinstance(spec, ClassifierType):
        choices = [c.name for c in spec.classes if not c.passes]
        what = "fail class"
    elif isinstance(spec, SegmenterType):
        choices = spec.class_names()
        what = "pixel class"
    else:
        choices = spec.region_names()
        what = "class"
    chosen = class_name or (choices[0] if choices else None)
    if chosen not in choices:
        raise RecipeError(f"type '{type_name}' of recipe '{recipe.name}' has no {what} '{class_name}'; "
                          f"defects can be labelled: {', '.join(choices) or 'nothing (it has no fail class)'}")
    index = choices.index(chosen) + 1 if isinstance(spec, SegmenterType) else 1
    return SynthTarget(type_name, str(spec.kind), tuple(rois), str(chosen), index)


def synth_hosts(workspace: Workspace, recipe: Recipe, target: SynthTarget,
                on: list[Path] | None = None) -> list[SynthHost]:
    """The good captures to draw into, each with the boxes of the target ROIs on it.

    Args:
        workspace: where the recipe's labelled captures are.
        recipe: the recipe.
        target: from :func:`synth_target`.
        on: image files or folders to use instead of the recipe's captures labelled good.

    Raises:
        DatasetError: no host capture (the message says how to label some or pass ``on``).
        ImageError: a file cannot be read, or a ROI does not lie inside a capture.
        PartNotFoundError: the recipe aligns and the part is not found on a capture.
    """
    cropper = RoiCropper.load(workspace, recipe)
    if on:
        files = _files(on)
        if not files:
            raise DatasetError(f"no images in {', '.join(map(str, on))} "
                               f"(looked for {', '.join(sorted(IMAGE_SUFFIXES))})")
        return [_host(cropper, target, path.name, read_image(path), None) for path in files]
    good = _good_images(workspace, recipe, target)
    if not good:
        raise DatasetError(f"recipe '{recipe.name}' has no capture labelled good for type '{target.type_name}' to draw "
                           "defects into: label some good captures first, or give host images with --on")
    return [_host(cropper, target, image.original_name, read_image(image.path), image) for image in good]


def synthesize(hosts: list[SynthHost], spec: DefectSpec, *, count: int, seed: int) -> list[SynthSample]:
    """Make ``count`` synthetic captures, going round the hosts and their ROIs; image ``i`` has seed ``seed + i``.

    Every image is made before any is returned, so a failure leaves nothing half done.

    Raises:
        SynthError: ``count`` out of range, no host, or a host's ROI too small for the described defect.
    """
    if not 1 <= count <= MAX_BATCH:
        raise SynthError(f"count {count} is out of range: make 1 to {MAX_BATCH} images at a time")
    slots = [(host, roi, box) for host in hosts for roi, box in host.regions]
    if not slots:
        raise SynthError("no host capture to draw into: give host images or label good captures first")
    samples = []
    for i in range(count):
        host, roi, box = slots[i % len(slots)]
        try:
            made = render(host.image, spec, seed=seed + i, region=box)
        except SynthError as err:
            raise SynthError(f"{host.name}, ROI '{roi}': {err}") from err
        samples.append(SynthSample(host, roi, made))
    return samples


def write_batch(samples: list[SynthSample], target: SynthTarget, out: Path) -> list[dict[str, object]]:
    """Write ``out/images/<stem>.png``, the same-stem mask ``out/masks/<stem>.png`` and ``out/synth.json``.

    The masks import as they are (``label import --images out/images --masks out/masks``): 0/255 for a type's
    first class, else the class map (value = the pixel class's number). Returns the manifest's entries.
    """
    entries: list[dict[str, object]] = []
    for sample in samples:
        mask = sample.made.mask.astype(np.uint8) * (255 if target.class_index == 1 else target.class_index)
        write_png(out / "images" / f"{sample.stem}.png", sample.made.image)
        write_png(out / "masks" / f"{sample.stem}.png", mask)
        entries.append({"image": f"images/{sample.stem}.png", "mask": f"masks/{sample.stem}.png",
                        "host": sample.host.name, "roi": sample.roi, "seed": sample.made.seed,
                        "class": target.class_name, "defect_px": int(sample.made.mask.sum())})
    manifest = {"description": samples[0].made.spec.text if samples else "", "type": target.type_name,
                "spec": samples[0].made.spec.to_dict() if samples else None, "images": entries}
    write_atomic(out / "synth.json", json.dumps(manifest, indent=1).encode())
    return entries


def _files(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        elif path.is_file():
            found.append(path)
        else:
            raise ImageError(f"{path}: no such file or folder; give host images or folders of them")
    return found


def _good_images(workspace: Workspace, recipe: Recipe, target: SynthTarget) -> list[StoredImage]:
    """Library images whose target ROIs are all labelled with a pass class (segmenter: an empty mask)."""
    names = {roi.name for roi in target.rois}
    spec = recipe.inspection_type(target.type_name)
    if isinstance(spec, SegmenterType):
        return [image for image, path in workspace.masks(recipe.name, target.type_name)
                if not np.asarray(read_image(path))[..., 0].any()]
    passing = {c.name for c in spec.classes if c.passes} if isinstance(spec, ClassifierType) else {"good"}
    verdicts: dict[str, tuple[StoredImage, set[str], bool]] = {}
    for label in workspace.labels(recipe.name, target.type_name):
        if label.roi in names:
            image, seen, good = verdicts.get(label.image.sha256, (label.image, set(), True))
            verdicts[label.image.sha256] = (image, seen | {label.roi}, good and label.class_name in passing)
    return [image for image, seen, good in verdicts.values() if good and seen == names]


def _host(cropper: RoiCropper, target: SynthTarget, name: str, image: np.ndarray,
          stored: StoredImage | None) -> SynthHost:
    pose = cropper.locate(image, name)
    height, width = image.shape[:2]
    regions = []
    for roi in target.rois:
        place = cropper.place(roi, width, height, pose)
        box = _upright_box(place.rect.x, place.rect.y, place.rect.w, place.rect.h, place.angle)
        if not (0 <= box[0] < box[2] <= width and 0 <= box[1] < box[3] <= height):
            raise ImageError(f"{name}: ROI '{roi.name}' lies outside the {width}x{height} capture; use captures of "
                             "the recipe's camera set-up")
        regions.append((roi.name, box))
    return SynthHost(name, image, tuple(regions), stored)


def _upright_box(x: int, y: int, w: int, h: int, angle: float) -> Box:
    """The largest upright box of the ROI's proportions, centred like it, inside the ROI turned by ``angle`` degrees.

    >>> _upright_box(0, 0, 100, 50, 0.0), _upright_box(0, 0, 100, 50, 90.0)
    ((0, 0, 100, 50), (25, -25, 75, 75))
    """
    turn = math.radians(abs(angle) % 180)
    turn = min(turn, math.pi - turn)
    if turn > math.pi / 4:  # turned more than 45 degrees: the ROI lies the other way round
        w, h, x, y = h, w, round(x + (w - h) / 2), round(y + (h - w) / 2)
        turn = math.pi / 2 - turn
    cos, sin = math.cos(turn), math.sin(turn)
    scale = min(w / (w * cos + h * sin), h / (w * sin + h * cos))  # the ROI's shape shrunk until its corners fit
    inner_w, inner_h = w * scale, h * scale
    cx, cy = x + w / 2, y + h / 2
    return (round(cx - inner_w / 2), round(cy - inner_h / 2), round(cx + inner_w / 2), round(cy + inner_h / 2))
