"""The deployed model's class for a classifier type's ROI crops, so a person can review labels against it.

The labelling page shows each crop's predicted class and can list the crops whose label the model
contradicts. Predictions run on the station's runtime path (:class:`ClassifierRunner` over
:class:`OnnxModel`, never torch), batched over crops, with crops cut as training and the station cut
them (:class:`RoiCropper`: aligned when the recipe aligns). Class probabilities are cached per model
version, image, ROI rectangle and alignment, so a page reload runs the model only on crops it has not
seen; the class is decided on every call, so changed fail-class thresholds apply at once.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from openinspect.dataset import RoiCropper
from openinspect.errors import ImageError
from openinspect.imaging import Rect, read_image
from openinspect.models.runtime import OnnxModel
from openinspect.recipe import ClassifierType, Recipe, Roi
from openinspect.station.pipeline import fitting_model
from openinspect.station.runners import ClassifierRunner
from openinspect.store import ModelVersion, StoredImage, Workspace

log = logging.getLogger(__name__)

BATCH_CROPS = 32
"""Crops per model call, at most (whole captures go together, so a capture with more ROIs is one call)."""
CACHE_SIZE = 50_000
"""Crops whose probabilities are kept (a few hundred bytes each); the least recently used go first."""

_Key = tuple[str, str, Rect, str]
"""Model version folder, image hash, ROI rectangle, the recipe's alignment (JSON; empty without)."""


@dataclass(frozen=True)
class Prediction:
    """A model's class for one ROI crop."""

    class_name: str
    confidence: float
    """The chosen class's probability, 0 to 1."""


class CropPredictor:
    """Classifies the ROI crops of library images with an inspection type's deployed model.

    Args:
        workspace: where the models and images are.
        threads: CPU threads per model session (``None``: ONNX Runtime's default).
        open_model: opens a model version's session; by default an :class:`OnnxModel` on its ``model.onnx``.
        cache_size: crops whose probabilities are kept.
    """

    def __init__(self, workspace: Workspace, threads: int | None = None, *,
                 open_model: Callable[[ModelVersion], OnnxModel] | None = None, cache_size: int = CACHE_SIZE) -> None:
        self.workspace = workspace
        self._open = open_model or (lambda version: OnnxModel(version.onnx_path, threads))
        self._models: dict[tuple[str, str], tuple[ModelVersion, OnnxModel]] = {}
        self._probs: OrderedDict[_Key, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def predict(self, recipe: Recipe, spec: ClassifierType,
                images: list[StoredImage]) -> dict[str, dict[str, Prediction]]:
        """The deployed model's class and confidence for every ROI of the type on each image.

        An image whose ROIs do not fit, where alignment does not find the part, or that no longer decodes,
        gets no predictions (it is logged).

        Returns:
            Per image hash, the prediction per ROI name.

        Raises:
            ModelNotFoundError: the type has no trained model, or its model was trained for other classes.
            NotFoundError: the recipe aligns and its reference capture is gone.
        """
        runner = self._runner(recipe, spec)
        rois = recipe.rois_of(spec.name)
        keys = {image.sha256: _keys(runner.version, recipe, image, rois) for image in images}
        found = self._cached([key for per_image in keys.values() for key in per_image])
        missing = [image for image in images if not all(key in found for key in keys[image.sha256])]
        if missing:
            cropper = RoiCropper.load(self.workspace, recipe)
            per_call = max(1, BATCH_CROPS // max(1, len(rois)))
            for start in range(0, len(missing), per_call):
                found.update(self._run(runner, cropper, rois, missing[start : start + per_call]))
        return {sha: {roi.name: _decide(spec, found[key]) for roi, key in zip(rois, per_image, strict=True)
                      if key in found}
                for sha, per_image in keys.items()}

    def _runner(self, recipe: Recipe, spec: ClassifierType) -> ClassifierRunner:
        version = fitting_model(self.workspace, recipe, spec)
        with self._lock:
            held = self._models.get((recipe.name, spec.name))
            if held is None or held[0].path != version.path:
                held = self._models[(recipe.name, spec.name)] = (version, self._open(version))
        return ClassifierRunner(spec, held[1], version)

    def _cached(self, keys: list[_Key]) -> dict[_Key, np.ndarray]:
        with self._lock:
            found = {key: self._probs[key] for key in keys if key in self._probs}
            for key in found:
                self._probs.move_to_end(key)
        return found

    def _run(self, runner: ClassifierRunner, cropper: RoiCropper, rois: list[Roi],
             images: list[StoredImage]) -> dict[_Key, np.ndarray]:
        """Classify the crops of some images in one model call."""
        crops: list[np.ndarray] = []
        keys: list[_Key] = []
        for image in images:
            try:
                crops += cropper.cut(read_image(image.path), rois, image.original_name)
            except ImageError as err:  # PartNotFoundError included
                log.info("no predictions for %s: %s", image.original_name, err)
                continue
            keys += _keys(runner.version, cropper.recipe, image, rois)
        if not crops:
            return {}
        rows = dict(zip(keys, runner.model.predict(runner.prepare(crops).batch), strict=True))
        with self._lock:
            self._probs.update(rows)
            while len(self._probs) > self._cache_size:
                self._probs.popitem(last=False)
        return rows


def _keys(version: ModelVersion, recipe: Recipe, image: StoredImage, rois: list[Roi]) -> list[_Key]:
    alignment = recipe.alignment.model_dump_json() if recipe.alignment else ""
    return [(str(version.path), image.sha256, roi.rect(image.width, image.height), alignment) for roi in rois]


def _decide(spec: ClassifierType, probs: np.ndarray) -> Prediction:
    values = probs.tolist()
    index = spec.decide(values)
    return Prediction(spec.classes[index].name, float(values[index]))
