"""Synthetic images from the Defect Creator: defects described in plain English, painted onto good captures.

A batch is made from host captures (by default the recipe's captures labelled with a pass class for the type, or
with a clean mask) inside the chosen ROIs, as they lie on each host (moved with the part when the recipe aligns).
Previewing makes a batch in memory; adding makes it again from the same seed (the same images) and stores it
all or nothing, labelled for the type and flagged synthetic with its description, seed and parsed specification,
so training learns from it but never validates on it. Classifier types get a fail class per ROI with defects,
segmenter types the defect's pixels as the pixel class, anomaly types ``anomalous`` per ROI (they store no masks).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from openinspect.authoring.captures import CaptureService
from openinspect.authoring.placements import RoiPlacer
from openinspect.dataset import RoiPlace
from openinspect.errors import ImageError, RecipeError, SynthError
from openinspect.imaging import IMAGE_SUFFIXES, decode_image, read_image
from openinspect.recipe import ANOMALOUS, GOOD, AnomalyType, InspectionType, Recipe, SegmenterType
from openinspect.store import StoredImage, SyntheticOrigin, Workspace, content_id
from openinspect.store.audit import AuditAction, AuditLog
from openinspect.store.files import encode_png, write_atomic
from openinspect.store.revisions import SYSTEM_ACTOR
from openinspect.synth import DefectSpec, parse_description, render
from openinspect.synth.matching import DefectProfile, measure_defects, render_matched

PREVIEW_SIDE = 320
"""Longest side in px of a preview: the part of the image around the sample's ROIs."""
OUTLINE_RGB = (255, 40, 200)
"""The colour a preview outlines the defects in: magenta, rare on parts."""
MAX_COUNT = 48
"""The most images one batch makes: every image is made (in memory) before any is stored."""
ROI_SEED_STRIDE = 100_003
"""The k-th chosen ROI of an image is rendered with the image's seed plus ``k`` times this (independent defects)."""


@dataclass(frozen=True)
class SynthRequest:
    """What to make: a description, where, on which captures, how many and from which seed.

    ``rois`` empty: every ROI of the type. ``hosts`` empty: the recipe's good captures of the type
    (:meth:`SyntheticService.default_hosts`). ``label`` ``None``: the type's only fail class or pixel class.
    Image ``i`` of the batch is made from host ``i`` modulo the hosts, with seed ``seed + i``.
    """

    recipe: str
    type: str
    description: str
    rois: tuple[str, ...] = ()
    hosts: tuple[StoredImage, ...] = ()
    count: int = 8
    seed: int = 0
    label: str | None = None
    match: bool = False
    """Match the label's painted examples (segmenter types): size, shape, contrast and place come from the real
    masks of that pixel class (:mod:`openinspect.synth.matching`); the description gives the kind."""


@dataclass(frozen=True)
class SynthSample:
    """One synthetic image of a batch, not stored yet."""

    index: int
    host: StoredImage
    seed: int
    image: np.ndarray
    """``(H, W, 3)`` uint8 RGB, the host's size."""
    mask: np.ndarray
    """``(H, W)`` bool: the pixels the defects changed."""
    regions: list[tuple[int, int, int, int]] = field(default_factory=list)
    """The boxes ``(x0, y0, x1, y1)`` the defects were placed in, one per chosen ROI."""


@dataclass(frozen=True)
class SynthBatch:
    """A made batch: the specification understood, the label it gets, its ROIs and images."""

    spec: DefectSpec
    label: str
    rois: list[str]
    samples: list[SynthSample] = field(default_factory=list)
    label_index: int = 1
    """The label's value in a class map: the pixel class's number (segmenter types), else 1."""
    profile: DefectProfile | None = None
    """The examples matched (``match``), else None."""


@dataclass(frozen=True)
class SynthReport:
    """What adding a batch stored."""

    label: str
    images: list[str]
    """Content hashes of the stored synthetic images, in batch order."""
    seeds: list[int]


class SyntheticService:
    """Makes synthetic images of a recipe's types and adds them to its data set.

    Args:
        workspace: the station's workspace.
        captures: the recipes' captures (added images join them).
        placer: where ROIs lie on a host (aligned when the recipe aligns); by default one on ``workspace``.
        audit: where every added batch is recorded; by default the workspace database's trail.
    """

    def __init__(self, workspace: Workspace, captures: CaptureService | None = None,
                 placer: RoiPlacer | None = None, audit: AuditLog | None = None) -> None:
        self.workspace = workspace
        self.captures = captures or CaptureService(workspace)
        self.placer = placer or RoiPlacer(workspace)
        self.audit = audit or AuditLog(workspace.engine)

    def parse(self, recipe: str, description: str) -> DefectSpec:
        """The specification understood from a description, sizes in mm by the recipe's calibration.

        Raises:
            NotFoundError: unknown recipe.
            SynthError: no defect kind, out-of-range count or size (the message names the problem).
        """
        calibration = self.workspace.recipe(recipe).calibration
        return parse_description(description, mm_per_px=None if calibration is None else calibration.mm_per_px)

    def default_hosts(self, recipe: str, type_name: str, rois: tuple[str, ...] = ()) -> list[StoredImage]:
        """The recipe's real captures that are good for the type on every chosen ROI (default: all its ROIs).

        Classifier and anomaly types: every chosen ROI labelled with a pass class; segmenter types: a mask
        without any pixel class. Synthetic images are never hosts by default.
        """
        found = self.workspace.recipe(recipe)
        spec = found.inspection_type(type_name)
        chosen = set(self._rois(found, spec, rois))
        synthetic = self.workspace.synthetic(recipe)
        if isinstance(spec, SegmenterType):
            return [image for image, path in self.workspace.masks(recipe, spec.name)
                    if image.sha256 not in synthetic and not _mask_values(path).any()]
        passing = {GOOD} if isinstance(spec, AnomalyType) else {c.name for c in spec.classes if c.passes}
        good: dict[str, set[str]] = {}
        images: dict[str, StoredImage] = {}
        for label in self.workspace.labels(recipe, spec.name):
            if label.class_name in passing and label.image.sha256 not in synthetic:
                good.setdefault(label.image.sha256, set()).add(label.roi)
                images[label.image.sha256] = label.image
        return [images[sha] for sha, rois_ok in good.items() if chosen <= rois_ok]

    def host(self, sha256: str) -> StoredImage:
        """A library image as a host.

        Raises:
            NotFoundError: no such image.
        """
        return self.captures.image(sha256)

    def make(self, request: SynthRequest, only: list[int] | None = None) -> SynthBatch:
        """Make a batch in memory (nothing is stored): the same request always makes the same images.

        ``only``: make just these batch indices (each image depends on its index alone: its host and seed).

        Raises:
            NotFoundError: unknown recipe or host image.
            RecipeError: unknown type, ROI or class, a pass class for a classifier, or no host.
            SynthError: the description cannot be made (no defect kind, out of range, a ROI too small for it), or
                ``only`` names an image the batch does not have.
            ImageError: a host does not decode or a ROI does not lie on it.
        """
        if not 1 <= request.count <= MAX_COUNT:
            raise SynthError(f"count {request.count} is out of range: make 1 to {MAX_COUNT} images per batch")
        wrong = [i for i in only or [] if not 0 <= i < request.count]
        if wrong:
            raise SynthError(f"the batch has images 0 to {request.count - 1}; image {wrong[0]} is not one of them")
        recipe = self.workspace.recipe(request.recipe)
        spec = recipe.inspection_type(request.type)
        rois = self._rois(recipe, spec, request.rois)
        label = fail_label(spec, request.label)
        parsed = self.parse(recipe.name, request.description)
        hosts = list(request.hosts) or self.default_hosts(recipe.name, spec.name, tuple(rois))
        if not hosts:
            raise RecipeError(f"no good capture of type '{spec.name}' to paint defects on: label captures with a "
                              f"pass class{' (or a clean mask)' if isinstance(spec, SegmenterType) else ''} first, or "
                              f"choose host images")
        index = spec.class_names().index(label) + 1 if isinstance(spec, SegmenterType) else 1
        profile = self._profile(recipe, spec, label, rois) if request.match else None
        places = self.placer.place(recipe, recipe.rois_of(spec.name), hosts)
        pixels: dict[str, np.ndarray] = {}
        samples = []
        for at in range(request.count) if only is None else list(dict.fromkeys(only)):
            host = hosts[at % len(hosts)]
            if host.sha256 not in pixels:
                pixels[host.sha256] = _read(host)
            seed = request.seed + at
            samples.append(self._sample(at, host, pixels[host.sha256], parsed, seed,
                                        [_region(places[host.sha256].rois, roi, host) for roi in rois], profile))
        return SynthBatch(parsed, label, rois, samples, index, profile)

    def matched(self, request: SynthRequest) -> DefectProfile:
        """What ``request.match`` matches: the real painted examples of its pixel class, measured in its ROIs.

        Raises:
            NotFoundError: unknown recipe.
            RecipeError: unknown type, ROI or class.
            SynthError: as :meth:`make` when matching finds nothing to match.
        """
        recipe = self.workspace.recipe(request.recipe)
        spec = recipe.inspection_type(request.type)
        return self._profile(recipe, spec, fail_label(spec, request.label), self._rois(recipe, spec, request.rois))

    def _profile(self, recipe: Recipe, spec: InspectionType, label: str, rois: list[str]) -> DefectProfile:
        """The recipe's real painted examples of a segmenter's pixel class, measured inside the chosen ROIs.

        Raises:
            SynthError: not a segmenter type (classifier and anomaly labels carry no painted mask to measure), or
                no real mask of the recipe shows the pixel class inside the ROIs.
        """
        if not isinstance(spec, SegmenterType):
            raise SynthError(f"matching measures painted masks, and '{spec.name}' is a {spec.kind.value} type whose "
                             "labels have none: describe the defect's size and darkness in words instead")
        value = spec.class_names().index(label) + 1
        synthetic = self.workspace.synthetic(recipe.name)
        held = [(image, path) for image, path in self.workspace.masks(recipe.name, spec.name)
                if image.sha256 not in synthetic]
        places = self.placer.place(recipe, recipe.rois_of(spec.name), [image for image, _ in held]) if held else {}
        crops: list[np.ndarray] = []
        masks: list[np.ndarray] = []
        for image, path in held:
            marked = _mask_values(path) == value
            if not marked.any():
                continue
            pixels = _read(image)
            for roi in rois:
                if roi not in places[image.sha256].rois:
                    continue
                x0, y0, x1, y1 = _region(places[image.sha256].rois, roi, image)
                if marked[y0:y1, x0:x1].any():
                    crops.append(pixels[y0:y1, x0:x1])
                    masks.append(marked[y0:y1, x0:x1])
        if not crops:
            raise SynthError(f"no real image of recipe '{recipe.name}' has '{label}' painted inside ROI(s) "
                             f"{', '.join(rois)} of '{spec.name}': paint the defect on at least one capture to match, "
                             "or leave matching off")
        return measure_defects(crops, masks)

    @staticmethod
    def _sample(index: int, host: StoredImage, pixels: np.ndarray, spec: DefectSpec, seed: int,
                regions: list[tuple[int, int, int, int]], profile: DefectProfile | None = None) -> SynthSample:
        image = pixels
        mask = np.zeros(pixels.shape[:2], bool)
        for k, region in enumerate(regions):
            try:
                at = seed + k * ROI_SEED_STRIDE
                made = (render_matched(image, spec, profile, seed=at, region=region) if profile is not None
                        else render(image, spec, seed=at, region=region))
            except SynthError as err:
                raise SynthError(f"host {host.original_name} ({host.sha256[:12]}), region {region}: {err}") from err
            if not made.mask.any():
                raise SynthError(f"host {host.original_name} ({host.sha256[:12]}), region {region}: the defect "
                                 f"changed no pixel noticeably; describe it less subtle or larger")
            image = made.image
            mask |= made.mask
        return SynthSample(index, host, seed, image, mask, regions)

    def add(self, request: SynthRequest, *, pick: list[int] | None = None,
            actor: str = SYSTEM_ACTOR) -> SynthReport:
        """Make a batch and add it (or the images ``pick`` names, by batch index) to the data set, all or nothing.

        Every image is made before anything is written; the rows (images, labels or masks, synthetic flags and the
        audit record) are committed in one transaction, and files written for a failed batch are removed.

        Raises:
            The errors of :meth:`make`; SynthError: ``pick`` names an image the batch does not have.
        """
        if pick is not None and not pick:
            raise SynthError("no image picked: pick at least one image of the batch, or accept all")
        batch = self.make(request, pick)
        chosen = batch.samples
        recipe = self.workspace.recipe(request.recipe)
        spec = recipe.inspection_type(request.type)
        written: list[Path] = []
        stored: list[StoredImage] = []
        try:
            encoded = [(sample, encode_png(sample.image)) for sample in chosen]
            for sample, png in encoded:
                image = self.workspace.write_image(png, f"synthetic-{Path(sample.host.original_name).stem}-"
                                                        f"{sample.seed}.png")
                written.append(image.path)
                stored.append(image)
            held = {image.sha256: path for image, path in self.workspace.masks(recipe.name, spec.name)} \
                if isinstance(spec, SegmenterType) else {}
            masks = [self._mask(spec, held, batch, sample) for sample in chosen]
            mask_paths = [None if m is None else self.workspace.write_mask(encode_png(m)) for m in masks]
            written += [p for p in mask_paths if p is not None]
            with self.workspace.transaction() as conn:
                for sample, image, mask_path in zip(chosen, stored, mask_paths, strict=True):
                    self._store(recipe, spec, batch, sample, image, mask_path, request)
                self.audit.record(actor, AuditAction.SYNTHETIC_ADD, f"type {spec.name}", recipe=recipe.name,
                                  detail=f"{len(stored)} synthetic image(s) labelled {batch.label} in ROI(s) "
                                         f"{', '.join(batch.rois)}, seed(s) {', '.join(str(c.seed) for c in chosen)}: "
                                         f"{request.description!r}", within=conn)
        except BaseException:
            self.workspace.discard_unrecorded(written)
            raise
        self.captures.append(recipe.name, stored)
        return SynthReport(batch.label, [image.sha256 for image in stored], [sample.seed for sample in chosen])

    @staticmethod
    def _mask(spec: InspectionType, held: dict[str, Path], batch: SynthBatch,
              sample: SynthSample) -> np.ndarray | None:
        """A segmenter sample's class map: the host's mask (``held``) plus the defect; other types keep labels only."""
        if not isinstance(spec, SegmenterType):
            return None
        host = held.get(sample.host.sha256)
        base = _mask_values(host).copy() if host is not None else np.zeros(sample.mask.shape, np.uint8)
        base[sample.mask] = batch.label_index
        return base

    def _store(self, recipe: Recipe, spec: InspectionType, batch: SynthBatch, sample: SynthSample,
               image: StoredImage, mask_path: Path | None, request: SynthRequest) -> None:
        """The rows of one synthetic image, inside the batch's transaction.

        Its ROIs without defects are not labelled (training also leaves a segmenter's out): they copy the host.
        """
        self.workspace.record_image(image)
        if mask_path is not None:
            self.workspace.record_mask(recipe.name, spec.name, image, mask_path)
        if not isinstance(spec, SegmenterType):
            # only the ROIs with defects: the others are copies of the host's crops, which would train twice
            for roi in batch.rois:
                self.workspace.set_label(recipe.name, spec.name, image, roi, batch.label)
        self.workspace.record_synthetic(recipe.name, image, SyntheticOrigin(
            spec.name, batch.rois, sample.host.sha256, request.description, sample.seed, batch.spec.to_dict()))

    @staticmethod
    def _rois(recipe: Recipe, spec: InspectionType, names: tuple[str, ...]) -> list[str]:
        """The chosen ROI names of the type (all its ROIs when none is named)."""
        known = [roi.name for roi in recipe.rois_of(spec.name)]
        unknown = [name for name in names if name not in known]
        if unknown:
            raise RecipeError(f"recipe '{recipe.name}' has no ROI {', '.join(map(repr, unknown))} of type "
                              f"'{spec.name}'; its ROIs: {', '.join(known) or 'none'}")
        if not known:
            raise RecipeError(f"type '{spec.name}' of recipe '{recipe.name}' has no ROI: draw one first")
        return list(dict.fromkeys(names)) or known

    @staticmethod
    def external_host(path: Path) -> StoredImage:
        """An image file outside the library as a host (named by its content, as the library would).

        Raises:
            ImageError: the file cannot be read or decoded.
        """
        try:
            data = path.read_bytes()
        except OSError as err:
            raise ImageError(f"cannot read host image {path}: {err.strerror}") from err
        pixels = decode_image(data, path.name)
        return StoredImage(content_id(data), path, pixels.shape[1], pixels.shape[0], path.name)

    def external_hosts(self, paths: list[Path]) -> list[StoredImage]:
        """Image files, and the image files of folders (sorted), outside the library as hosts.

        Raises:
            ImageError: a path does not exist, a folder holds no image, or a file cannot be decoded.
        """
        files: list[Path] = []
        for path in paths:
            if path.is_dir():
                found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
                if not found:
                    raise ImageError(f"{path} holds no image ({', '.join(sorted(IMAGE_SUFFIXES))})")
                files += found
            elif path.is_file():
                files.append(path)
            else:
                raise ImageError(f"{path}: no such file or folder; give host images or folders of them")
        return [self.external_host(file) for file in files]


def write_batch(batch: SynthBatch, out: Path, type_name: str, description: str) -> list[dict[str, object]]:
    """Write a batch as ``out/images/<stem>.png``, same-stem masks ``out/masks/<stem>.png`` and ``out/synth.json``.

    The stem names the host and the seed (``good-3-synth-7``). A mask holds 255 where the defects are for a type's
    first (or only) class, else the pixel class's number, so the files import as they are (``openinspect label
    import RECIPE --type TYPE --images out/images --masks out/masks``). Returns ``synth.json``'s image entries.
    """
    value = 255 if batch.label_index == 1 else batch.label_index
    entries: list[dict[str, object]] = []
    for sample in batch.samples:
        stem = f"{Path(sample.host.original_name).stem}-synth-{sample.seed}"
        write_atomic(out / "images" / f"{stem}.png", encode_png(sample.image))
        write_atomic(out / "masks" / f"{stem}.png", encode_png(sample.mask.astype(np.uint8) * np.uint8(value)))
        entries.append({"image": f"images/{stem}.png", "mask": f"masks/{stem}.png", "host": sample.host.original_name,
                        "rois": batch.rois, "seed": sample.seed, "class": batch.label,
                        "defect_px": int(sample.mask.sum())})
    manifest = {"description": description, "type": type_name, "spec": batch.spec.to_dict(), "images": entries}
    write_atomic(out / "synth.json", json.dumps(manifest, indent=1).encode("utf-8"))
    return entries


def preview_pngs(sample: SynthSample, side: int = PREVIEW_SIDE) -> tuple[bytes, bytes]:
    """PNGs of a sample for a person to judge: the image around its ROIs, and the same with its defects outlined.

    The view is the box around the sample's defect regions with a margin of a tenth, scaled to at most ``side``
    px on its longest side; the outline is drawn just outside the mask, so no changed pixel is hidden.
    """
    height, width = sample.mask.shape
    x0, y0 = min(r[0] for r in sample.regions), min(r[1] for r in sample.regions)
    x1, y1 = max(r[2] for r in sample.regions), max(r[3] for r in sample.regions)
    margin = max(x1 - x0, y1 - y0) // 10
    x0, y0, x1, y1 = max(0, x0 - margin), max(0, y0 - margin), min(width, x1 + margin), min(height, y1 + margin)
    scale = min(1.0, side / max(x1 - x0, y1 - y0))
    size = (max(1, round((x1 - x0) * scale)), max(1, round((y1 - y0) * scale)))
    view = cv2.resize(sample.image[y0:y1, x0:x1], size, interpolation=cv2.INTER_AREA)
    mask = cv2.resize(sample.mask[y0:y1, x0:x1].astype(np.uint8), size, interpolation=cv2.INTER_NEAREST)
    if scale < 1.0:  # a defect thinner than a preview pixel still shows
        thin = cv2.resize(sample.mask[y0:y1, x0:x1].astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0
        mask = np.maximum(mask, thin.astype(np.uint8))
    ring = cv2.dilate(mask, np.ones((3, 3), np.uint8), iterations=2) & ~mask.astype(bool)
    outlined = view.copy()
    outlined[ring.astype(bool)] = OUTLINE_RGB
    return encode_png(view), encode_png(outlined)


def fail_label(spec: InspectionType, given: str | None) -> str:
    """The class (classifier, anomaly type) or pixel class (segmenter) synthetic defects are labelled with.

    Raises:
        RecipeError: an unknown class, a pass class, or none given where the type has several fail classes.
    """
    if isinstance(spec, SegmenterType):
        names, what = spec.class_names(), "pixel class"
    elif isinstance(spec, AnomalyType):
        names, what = [ANOMALOUS], "class"
    else:
        names, what = [c.name for c in spec.classes if not c.passes], "fail class"
        if given in {c.name for c in spec.classes if c.passes}:
            raise RecipeError(f"type '{spec.name}' has no fail class '{given}' ('{given}' is a pass class): synthetic "
                              f"defects are labelled with a fail class ({', '.join(names)})")
    if given is None:
        if len(names) == 1:
            return names[0]
        raise RecipeError(f"type '{spec.name}' has several {what}es ({', '.join(names)}): choose one with --class")
    if given not in names:
        raise RecipeError(f"type '{spec.name}' has no {what} '{given}'; its {what}es: {', '.join(names)}")
    return given


def _region(places: dict[str, RoiPlace], roi: str, host: StoredImage) -> tuple[int, int, int, int]:
    """The box ``(x0, y0, x1, y1)`` on a host inside a ROI as it lies there (the largest upright box in a turned one).

    Raises:
        ImageError: the part was not found on the host, or the ROI does not lie on it.
    """
    place = places.get(roi)
    if place is None:
        raise ImageError(f"host {host.original_name} ({host.sha256[:12]}): alignment does not find the part, so ROI "
                         f"'{roi}' has no place on it; choose another host")
    rect = place.rect
    cos, sin = abs(math.cos(math.radians(place.angle))), abs(math.sin(math.radians(place.angle)))
    shrink = min(1.0, rect.w / (rect.w * cos + rect.h * sin), rect.h / (rect.w * sin + rect.h * cos))
    cx, cy = rect.x + rect.w / 2, rect.y + rect.h / 2
    half_w, half_h = rect.w * shrink / 2, rect.h * shrink / 2
    box = (max(0, math.ceil(cx - half_w)), max(0, math.ceil(cy - half_h)),
           min(host.width, math.floor(cx + half_w)), min(host.height, math.floor(cy + half_h)))
    if box[2] - box[0] < 1 or box[3] - box[1] < 1:
        raise ImageError(f"ROI '{roi}' does not lie on host {host.original_name} ({host.width}x{host.height} px)")
    return box


def _read(host: StoredImage) -> np.ndarray:
    try:
        return read_image(host.path)
    except OSError as err:
        raise ImageError(f"cannot read host image {host.original_name}: {err.strerror}") from err


def _mask_values(path: Path) -> np.ndarray:
    """A stored class map as ``(H, W)`` uint8."""
    return decode_image(path.read_bytes(), path.name)[:, :, 0]

