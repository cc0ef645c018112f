"""Evaluate the latest model of an inspection type on a labelled folder it has not seen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from openinspect.dataset import class_folders, roi_crops
from openinspect.errors import OpenInspectError
from openinspect.imaging import read_image
from openinspect.station import Inspector
from openinspect.store import Workspace
from openinspect.training.metrics import classification_metrics
from openinspect.training.service import inspection_type


def evaluate_folders(workspace: Workspace, recipe_name: str, type_name: str, root: Path,
                     threads: int | None = None) -> dict[str, Any]:
    """Run the type's latest model over ``root/<class>/*`` captures, every ROI of the type.

    Unreadable captures and captures that do not fit the ROIs are counted and listed, not fatal.

    Returns:
        The metrics of :func:`classification_metrics` plus ``model_version`` and ``skipped``
        (one message per unusable capture).

    """
    inspector = Inspector.load(workspace, recipe_name, threads)
    spec = inspection_type(inspector.recipe, type_name)
    runner = inspector.runners[spec.name]
    rois = inspector.recipe.rois_of(spec.name)
    names = spec.class_names()
    truth: list[int] = []
    predicted: list[int] = []
    skipped: list[str] = []
    for class_name, paths in class_folders(root, names).items():
        for path in paths:
            try:
                batch = runner.prepare(roi_crops(read_image(path), inspector.recipe, rois, str(path)))
            except OpenInspectError as err:  # an unusable file is reported, the run goes on
                skipped.append(str(err))
                continue
            results = runner.judge(batch, [roi.name for roi in rois])
            truth += [names.index(class_name)] * len(results)
            predicted += [names.index(r.class_name) for r in results]
    metrics = classification_metrics(np.array(truth, dtype=np.int64), np.array(predicted, dtype=np.int64), names)
    return {**metrics, "model_version": runner.version.version, "skipped": skipped}
