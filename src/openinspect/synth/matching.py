"""Match my labelled defects: synthetic defects sized, shaped and toned like a class's real examples.

A hand-written description can be off (a "large stain" drawn far darker or smaller than the real marks), and
a model trained on such defects learns the description, not the defect. :func:`measure_defects` reads the
painted masks of a few labelled examples: each region's size, length and thickness (as shares of its image's
shorter side, so they carry over to hosts of another size), how much darker or lighter it is than the surface
around it, and whether it lies at an edge. :meth:`DefectProfile.spec_for` then turns a description's kind into
one image's specification drawn from one example, and :func:`render_matched` draws it with the contrast
corrected so the synthetic defect differs from its host as much as the example differs from its surroundings.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import cv2
import numpy as np

from openinspect.errors import SynthError
from openinspect.synth.render import Synthesized, render
from openinspect.synth.spec import MAX_COUNT, DefectSpec, Kind, Tone

MIN_REGION_AREA = 4
"""Mask regions smaller than this (px) are paint specks, not defects."""
EDGE_SHARE = 0.05
"""A region whose box comes within this share of the image's shorter side of a border lies at an edge."""
MIN_CONTRAST = 0.03
"""Contrast is never matched below this: the Defect Creator must change pixels noticeably."""
MAX_REGION_SIZE = 0.5
"""Examples with a region wider than this share of the image's shorter side (the disc of the same area) are not
imitated: such diffuse marks (uneven shading, wide frays) come out as large faint stains whose masks cover what the
image barely shows, and on magnetic tiles synthetic copies of them made a segmenter find fewer real defects
(``bench/README.md``, Defect Creator, tuning seeds)."""
CALIBRATIONS = 3
"""Draws after the first that bring the contrast (and the area shown) to the example's."""
_BLOB_KINDS = frozenset((Kind.DENT, Kind.STAIN, Kind.SPILL, Kind.SPLATTER, Kind.HOLE, Kind.BLOWHOLE, Kind.CHIP,
                         Kind.BURN, Kind.MISSING))


@dataclass(frozen=True)
class Region:
    """One labelled defect region, measured; lengths are shares of its image's shorter side."""

    size: float
    """Diameter of the disc of the same area."""
    length: float
    """Long side of the smallest rotated box around it."""
    thickness: float
    """Mean width: the box's short side, or the area over the length where that is less (curved lines)."""
    contrast: float
    """``|surroundings - inside| / surroundings`` of the mean grey level."""
    light: bool
    """Lighter than its surroundings."""
    edge: bool


@dataclass(frozen=True)
class Example:
    """The regions of one labelled image."""

    regions: tuple[Region, ...]


@dataclass(frozen=True)
class DefectProfile:
    """What a class's labelled defects look like: the measured regions of each example image."""

    examples: tuple[Example, ...]
    left_out: int = 0
    """Labelled examples not imitated: a region wider than :data:`MAX_REGION_SIZE`."""

    def summary(self) -> list[str]:
        """One line per measure (median and range over every region), as a person reads them."""
        regions = [r for e in self.examples for r in e.regions]
        rows = []
        for name, values in (("size", [r.size for r in regions]), ("length", [r.length for r in regions]),
                             ("thickness", [r.thickness for r in regions]),
                             ("contrast", [r.contrast for r in regions])):
            unit = " of the shorter side" if name != "contrast" else ""
            rows.append(f"{name}: {np.median(values):.0%} ({min(values):.0%} to {max(values):.0%}){unit}")
        counts = [len(e.regions) for e in self.examples]
        rows.append(f"regions per image: {min(counts)} to {max(counts)}")
        rows.append(f"lighter than the surface: {sum(r.light for r in regions)} of {len(regions)}; "
                    f"at an edge: {sum(r.edge for r in regions)} of {len(regions)}")
        if self.left_out:
            rows.append(f"left out: {self.left_out} labelled image(s) whose defect spans more than "
                        f"{MAX_REGION_SIZE:.0%} of the shorter side (diffuse marks are not imitated)")
        return [f"matched to {len(self.examples)} labelled image(s)", *rows]

    def to_dict(self) -> dict[str, object]:
        """The profile as JSON-able data."""
        return {"examples": [[dataclasses.asdict(r) for r in e.regions] for e in self.examples],
                "left_out": self.left_out, "summary": self.summary()}

    def spec_for(self, spec: DefectSpec, rng: np.random.Generator, short_side: float) -> DefectSpec:
        """``spec`` with size, length, thickness, count, tone, contrast and location taken from one example.

        Args:
            spec: the description's specification; its kind (and colour, where one was named) is kept.
            rng: chooses the example.
            short_side: the host region's shorter side (px), to turn the example's shares into pixels.
        """
        example = self.examples[int(rng.integers(len(self.examples)))]
        region = sorted(example.regions, key=lambda r: r.size)[len(example.regions) // 2]
        # blobs are drawn by diameter and aspect; lines by length and width
        aspect = math.sqrt(max(region.length, 1e-6) / max(region.thickness, 1e-6))
        fit = 0.8 * short_side / 0.9 - 1  # what render() accepts for a size
        size = min(region.size * short_side, fit) if spec.kind in _BLOB_KINDS else None
        tone = spec.tone if spec.tone.rgb is not None else Tone("light" if region.light else "dark")
        edge = sum(r.edge for r in example.regions) * 2 > len(example.regions)
        location = spec.location if spec.location != "anywhere" or not edge else "edge"
        return dataclasses.replace(
            spec, count=(min(len(example.regions), MAX_COUNT),) * 2, tone=tone, location=location,
            size_px=None if size is None else max(size, 2.0), length_px=min(region.length * short_side, short_side),
            thickness_px=min(max(region.thickness * short_side, 1.0), 0.8 * short_side / 0.9 - 1),
            contrast=max(region.contrast, MIN_CONTRAST), aspect=min(aspect, 4.0))


def measure_defects(images: list[np.ndarray], masks: list[np.ndarray]) -> DefectProfile:
    """Measure labelled defects: the regions of each ``(H, W)`` mask (non-zero = defect) on its image.

    Examples with a region wider than :data:`MAX_REGION_SIZE` of the shorter side are left out (counted in
    :attr:`DefectProfile.left_out`).

    Args:
        images: ``(H, W)`` or ``(H, W, 3)`` uint8 images.
        masks: same-size masks; every one must mark a defect.

    Raises:
        SynthError: no example, a mask of another size than its image, a mask that marks no defect, or every
            example too wide to imitate.
    """
    if not images or len(images) != len(masks):
        raise SynthError(f"matching needs labelled examples with one mask each, got {len(images)} image(s) and "
                         f"{len(masks)} mask(s): paint the defect on at least one image of the class first")
    examples = []
    for i, (image, mask) in enumerate(zip(images, masks, strict=True)):
        if mask.shape[:2] != image.shape[:2]:
            raise SynthError(f"example {i}: its mask is {mask.shape[1]}x{mask.shape[0]} px but the image is "
                             f"{image.shape[1]}x{image.shape[0]}: repaint the mask on this image")
        regions = _regions(image, mask > 0)
        if not regions:
            raise SynthError(f"example {i}: its mask marks no defect (no region of {MIN_REGION_AREA} px or more): "
                             "paint the defect, or leave this image out of the examples")
        examples.append(Example(tuple(regions)))
    widest = [max(r.size for r in e.regions) for e in examples]
    kept = tuple(e for e, size in zip(examples, widest, strict=True) if size <= MAX_REGION_SIZE)
    if not kept:
        raise SynthError(f"every labelled example has a defect spanning more than {MAX_REGION_SIZE:.0%} of the "
                         f"image's shorter side ({min(widest):.0%} to {max(widest):.0%}): such diffuse marks (uneven "
                         "shading, wide frays) are not imitated, as synthetic copies of them taught a segmenter "
                         "shading instead of the defect; label more real images of this class instead")
    return DefectProfile(kept, left_out=len(examples) - len(kept))


def render_matched(host: np.ndarray, spec: DefectSpec, profile: DefectProfile, *, seed: int,
                   region: tuple[int, int, int, int] | None = None) -> Synthesized:
    """Draw one image of ``spec``'s kind looking like one of ``profile``'s examples (chosen by ``seed``).

    The kinds' effects blur and mottle what they draw, so each draw's contrast is measured against the host
    and the image is drawn again (same seed, same shapes, up to :data:`CALIBRATIONS` times) with the contrast
    scaled to the example's, or doubled while most of the example's area would change less than noticeably.

    Raises:
        SynthError: as :func:`render`.
    """
    x0, y0, x1, y1 = region if region is not None else (0, 0, host.shape[1], host.shape[0])
    matched = profile.spec_for(spec, np.random.default_rng(seed), float(min(x1 - x0, y1 - y0)))
    target = matched.contrast or MIN_CONTRAST
    expected = _expected_area(matched)
    made = _visible(host, matched, seed, region)
    for _ in range(CALIBRATIONS):
        change = _contrast(host, made)
        drawn = made.spec.contrast or target
        if int(made.mask.sum()) < 0.3 * expected:  # mostly below the noticeable change: stronger
            drawn = min(2 * drawn, 0.95)
        elif change > 0 and abs(change - target) > 0.1 * target:
            drawn = min(max(drawn * min(max(target / change, 0.25), 4.0), MIN_CONTRAST), 0.95)
        else:
            break
        if drawn == made.spec.contrast:
            break
        try:
            made = render(host, dataclasses.replace(matched, contrast=drawn), seed=seed, region=region)
        except SynthError:  # faded to nothing on this host: the last visible draw stands
            break
    return made


def _expected_area(spec: DefectSpec) -> float:
    """Pixels the matched defects should cover: the example's area, once per defect."""
    if spec.size_px is not None:
        one = math.pi / 4 * spec.size_px ** 2
    else:
        one = (spec.length_px or 1.0) * (spec.thickness_px or 1.0)
    return one * spec.count[0]


def _visible(host: np.ndarray, spec: DefectSpec, seed: int, region: tuple[int, int, int, int] | None) -> Synthesized:
    """:func:`render`, doubling a faint example's contrast (up to three times) until the host shows the defect."""
    for _ in range(3):
        try:
            return render(host, spec, seed=seed, region=region)
        except SynthError:
            spec = dataclasses.replace(spec, contrast=min(2 * (spec.contrast or MIN_CONTRAST), 0.95))
    return render(host, spec, seed=seed, region=region)


def _regions(image: np.ndarray, mask: np.ndarray) -> list[Region]:
    lum = _lum(image)
    short = float(min(mask.shape))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    out = []
    for k in range(1, count):
        area = int(stats[k, cv2.CC_STAT_AREA])
        if area < MIN_REGION_AREA:
            continue
        x, y, w, h = (int(v) for v in stats[k, :4])
        points = np.argwhere(labels == k)[:, ::-1].astype(np.float32)
        _, (a, b), _ = cv2.minAreaRect(points)
        inside = labels == k
        reach = max(3, round(0.15 * math.sqrt(area)))
        ring = cv2.dilate(inside.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * reach + 1,) * 2))
        ring = (ring > 0) & ~mask
        around = float(lum[ring].mean()) if ring.any() else float(lum[~mask].mean())
        mean = float(lum[inside].mean())
        gap = min(x, y, mask.shape[1] - x - w, mask.shape[0] - y - h)
        length = max(a, b, 1.0)  # a curved crack's box is wider than the crack: its area over its length is not
        out.append(Region(size=2 * math.sqrt(area / math.pi) / short, length=length / short,
                          thickness=max(min(a, b, area / length), 1.0) / short,
                          contrast=abs(around - mean) / max(around, 1.0), light=mean > around,
                          edge=gap <= EDGE_SHARE * short))
    return out


def _lum(image: np.ndarray) -> np.ndarray:
    return (image.astype(np.float32) if image.ndim == 2 else image.astype(np.float32).mean(2))


def _contrast(host: np.ndarray, made: Synthesized) -> float:
    """How much the drawn defect differs from the host there: ``|host - image| / host`` over the mask."""
    if not made.mask.any():
        return 0.0
    before = float(_lum(host)[made.mask].mean())
    return abs(before - float(_lum(made.image)[made.mask].mean())) / max(before, 1.0)
