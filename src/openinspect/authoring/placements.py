"""Where a recipe's ROIs are cut on library captures, so the labelling page shows the crops the model sees.

The page draws each crop in the browser. On a recipe that aligns, a crop is not the ROI rectangle as
drawn but that rectangle moved and turned with the part, as :class:`RoiCropper` cuts it for training
and the station. Finding the part takes a decode and a template search per capture, so poses are kept
per image and alignment revision (the recipe's alignment settings and its reference capture's content):
page loads after the first cost a hash of the reference capture.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from openinspect.dataset import RoiCropper, RoiPlace
from openinspect.errors import ImageError, OpenInspectError, PartNotFoundError
from openinspect.imaging import Pose, read_image
from openinspect.recipe import Recipe, Roi
from openinspect.store import StoredImage, Workspace, content_id

log = logging.getLogger(__name__)

CACHE_SIZE = 20_000
"""Poses kept (a few hundred bytes each); the least recently used go first."""


@dataclass(frozen=True)
class Placement:
    """Where the ROIs of one capture are cut."""

    rois: dict[str, RoiPlace]
    """Per ROI name; empty where the part is not found or the capture does not decode."""
    pose: Pose | None = None
    """Where the part lies, for a recipe that aligns; ``found`` is false when the part is not there."""


class RoiPlacer:
    """Places ROIs on library images as :class:`RoiCropper` cuts them, keeping the part's poses.

    Args:
        workspace: the recipes and images.
        read: decodes a library image file into ``(H, W, 3)`` uint8 RGB.
        cache_size: poses kept.
    """

    def __init__(self, workspace: Workspace, *, read: Callable[[Path], np.ndarray] = read_image,
                 cache_size: int = CACHE_SIZE) -> None:
        self.workspace = workspace
        self._read = read
        self._croppers: dict[str, tuple[str, RoiCropper]] = {}
        self._poses: OrderedDict[tuple[str, str], Pose] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def place(self, recipe: Recipe, rois: list[Roi], images: list[StoredImage]) -> dict[str, Placement]:
        """Where each ROI is cut on each image: as drawn, or moved and turned with the part when the recipe aligns.

        A recipe whose alignment cannot load (reference capture gone or broken: logged) places ROIs as drawn;
        training and the station refuse it with the reason.

        Returns:
            Per image hash, the placement of ``rois``.
        """
        aligned = self._cropper(recipe)
        if aligned is None:
            return {image.sha256: _placement(rois, image, None) for image in images}
        revision, cropper = aligned
        return {image.sha256: self._aligned(revision, cropper, rois, image) for image in images}

    def _cropper(self, recipe: Recipe) -> tuple[str, RoiCropper] | None:
        """The recipe's cropper and alignment revision; ``None`` when it does not align, or cannot."""
        if recipe.alignment is None:
            return None
        try:
            reference = RoiCropper.reference_path(self.workspace, recipe).read_bytes()
            revision = content_id(recipe.alignment.model_dump_json().encode("utf-8") + reference)
            with self._lock:
                held = self._croppers.get(recipe.name)
            if held is None or held[0] != revision:
                held = (revision, RoiCropper.load(self.workspace, recipe))
                with self._lock:
                    self._croppers[recipe.name] = held
        except (OpenInspectError, OSError) as err:
            log.warning("recipe '%s': ROIs shown as drawn, its alignment does not load: %s", recipe.name, err)
            return None
        return held

    def _aligned(self, revision: str, cropper: RoiCropper, rois: list[Roi], image: StoredImage) -> Placement:
        key = (revision, image.sha256)
        with self._lock:
            pose = self._poses.get(key)
            if pose is not None:
                self._poses.move_to_end(key)
        if pose is None:
            try:
                pose = self._locate(cropper, image)
            except ImageError as err:  # does not decode, or is smaller than the template
                log.info("no ROI placement for %s: %s", image.original_name, err)
                return Placement({})
            with self._lock:
                self._poses[key] = pose
                while len(self._poses) > self._cache_size:
                    self._poses.popitem(last=False)
        return _placement(rois, image, pose)

    def _locate(self, cropper: RoiCropper, image: StoredImage) -> Pose:
        try:
            pose = cropper.locate(self._read(image.path), image.original_name)
        except PartNotFoundError as err:
            return err.pose
        assert pose is not None  # the cropper aligns
        return pose


def _placement(rois: list[Roi], image: StoredImage, pose: Pose | None) -> Placement:
    if pose is not None and not pose.found:
        return Placement({}, pose)
    return Placement({roi.name: RoiCropper.place(roi, image.width, image.height, pose) for roi in rois}, pose)
