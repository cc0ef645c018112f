"""Recipes, labelled captures and evaluation as the station's HTTP API offers them (the CLI's verbs).

Request strings never become paths here except recipe names, which the schema's name pattern
validates first; uploaded captures are stored by content hash, evaluation captures under generated
names in a temporary folder.
"""

from __future__ import annotations

import contextlib
import logging
import re
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from openinspect.dataset import RoiCropper, roi_crops
from openinspect.errors import ConflictError, DatasetError, NotFoundError, RecipeError
from openinspect.imaging import Aligner, Rect, decode_image, read_image
from openinspect.recipe import Alignment, ClassifierType, Recipe, Roi, dump_recipe, parse_recipe
from openinspect.recipe.schema import NAME_PATTERN
from openinspect.station.sources import image_suffix
from openinspect.store import ModelVersion, Workspace

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TypeState:
    """An inspection type with its labels and latest model."""

    name: str
    kind: str
    labels: dict[str, int]
    """Labelled crops per class (classifiers) or masked captures (segmenters, under ``masks``)."""
    model: ModelVersion | None


@dataclass(frozen=True)
class RecipeState:
    """A stored recipe with what the station knows about it."""

    recipe: Recipe
    types: list[TypeState]
    warnings: list[str]

    @property
    def yaml(self) -> str:
        """The recipe as YAML, as ``openinspect recipe export`` prints it."""
        return dump_recipe(self.recipe)


@dataclass(frozen=True)
class LabelReport:
    """What one labelled upload did."""

    image: str
    """The capture's content hash in the image library."""
    added: bool
    """``False``: the capture was in the library already (its labels were replaced)."""
    labels: dict[str, str]
    """Class per ROI."""


def check_name(name: str) -> str:
    """A recipe name from a request, checked against the schema's pattern before it names a folder.

    Raises:
        NotFoundError: the name cannot be a recipe's (so no such recipe exists).
    """
    if name in (".", "..") or not re.match(NAME_PATTERN, name):
        raise NotFoundError(f"no recipe named {name!r}: recipe names are 1-64 letters, digits, '-', '_' or '.'")
    return name


class Library:
    """Recipes, labels and evaluation on one workspace."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._plc: tuple[list[tuple[str, int, int]], dict[int, str]] = ([], {})
        self._plc_lock = threading.Lock()

    def names(self) -> list[str]:
        """Stored recipe names, sorted."""
        return self.workspace.recipe_names()

    def plc_numbers(self) -> dict[int, str]:
        """The recipes a PLC can select, by their ``plc_number``, as stored now.

        Cheap enough for every PLC poll: the recipe files are read again only after one changed. A number
        two recipes carry selects neither (logged): a PLC must never get a recipe it did not mean.
        """
        stamp = []
        for name in self.workspace.recipe_names():
            with contextlib.suppress(FileNotFoundError):  # removed meanwhile
                stat = self.workspace.recipe_path(name).stat()
                stamp.append((name, stat.st_ino, stat.st_mtime_ns))
        with self._plc_lock:
            if stamp == self._plc[0]:
                return dict(self._plc[1])
        holders = self.workspace.plc_holders([name for name, _, _ in stamp])
        for number, names in holders.items():
            if len(names) > 1:
                log.warning("recipes %s all carry plc_number %d: a PLC can select none of them until each has its "
                            "own number", ", ".join(names), number)
        numbers = {number: names[0] for number, names in holders.items() if len(names) == 1}
        with self._plc_lock:
            self._plc = (stamp, numbers)
        return dict(numbers)

    def state(self, name: str) -> RecipeState:
        """A stored recipe with label counts and model versions.

        Raises:
            NotFoundError: unknown recipe.
        """
        recipe = self.workspace.recipe(check_name(name))
        warnings = recipe.downscale_warnings()
        if recipe.alignment is not None and self._reference(recipe) is None:
            warnings.append(f"alignment reference '{recipe.alignment.reference}' is not there yet: upload the template "
                            f"capture (the editor, or `openinspect recipe template`); until then the station cannot "
                            f"judge captures of '{recipe.name}'")
        return RecipeState(recipe, [self._type_state(recipe, spec.name) for spec in recipe.types], warnings)

    def _reference(self, recipe: Recipe) -> Path | None:
        """The aligning recipe's reference capture, or ``None`` while it is not there."""
        try:
            return RoiCropper.reference_path(self.workspace, recipe)
        except NotFoundError:
            return None

    def _type_state(self, recipe: Recipe, type_name: str) -> TypeState:
        spec = recipe.inspection_type(type_name)
        if isinstance(spec, ClassifierType):
            classes = [label.class_name for label in self.workspace.labels(recipe.name, spec.name)]
            counts = {c: classes.count(c) for c in spec.class_names()}
        else:
            counts = {"masks": len(self.workspace.masks(recipe.name, spec.name))}
        try:
            model: ModelVersion | None = self.workspace.latest_model(recipe.name, spec.name)
        except NotFoundError:
            model = None
        return TypeState(spec.name, spec.kind.value, counts, model)

    def validate(self, text: str) -> Recipe:
        """Parse and validate recipe YAML or JSON (JSON is YAML).

        Raises:
            RecipeError: malformed, or the schema is violated; the message names each field.
        """
        return parse_recipe(text, "request body")

    def save(self, text: str, *, replace: bool, name: str | None = None) -> RecipeState:
        """Validate and store a recipe; labels and models of a replaced recipe are kept.

        Args:
            text: recipe YAML or JSON.
            replace: replace a stored recipe of the same name (else that is an error).
            name: the name the request addressed; the recipe must carry it.

        Raises:
            RecipeError: invalid, a name mismatch, its
                ``plc_number`` is another recipe's, or its alignment cannot find the part (:func:`check_alignment`
                on the reference capture; one that is not there yet is a warning of the state, and the template
                upload checks the region then).
            ImageError: the alignment's reference capture does not decode.
            NotFoundError: ``replace`` and no recipe of that name exists.
            ConflictError: the recipe exists and ``replace`` is false.
        """
        recipe = self.validate(text)
        exists = recipe.name in self.names()
        if name is not None and recipe.name != name:
            raise RecipeError(f"the recipe in the body is named '{recipe.name}', the request addresses '{name}'")
        if replace and not exists:
            raise NotFoundError(f"no recipe named '{recipe.name}' to replace; create it with POST /api/v1/recipes")
        if exists and not replace:
            raise ConflictError(f"a recipe named '{recipe.name}' exists already; replace it with "
                                f"PUT /api/v1/recipes/{recipe.name} (its labels and models are kept)")
        if recipe.alignment is not None and (reference := self._reference(recipe)) is not None:
            check_alignment(recipe.name, recipe.alignment, read_image(reference))
        self.workspace.save_recipe(recipe)
        return self.state(recipe.name)

    def delete(self, name: str) -> None:
        """Remove a recipe file; its labels, images and model versions stay in the workspace.

        Raises:
            NotFoundError: unknown recipe.
        """
        self.workspace.recipe(check_name(name))
        shutil.rmtree(self.workspace.recipe_path(name).parent)

    def set_alignment(self, name: str, data: bytes, filename: str, region: Rect,
                      max_angle: float | None = None) -> Alignment:
        """Make a capture the recipe's reference and align every capture on a region of it.

        The capture becomes the recipe's template capture, as the editor's upload makes it
        (``PUT /api/v1/recipes/{name}/template``); ROIs are then drawn on it.

        Args:
            name: recipe.
            data: the encoded reference capture.
            filename: what to call the capture in errors.
            region: the alignment template: a distinctive, rigid feature of the part on the capture.
            max_angle: the largest rotation searched, in degrees either way; default: the recipe's, else 15.

        Returns:
            The recipe's alignment as stored (its ``min_score`` is kept).

        Raises:
            NotFoundError: unknown recipe.
            ImageError: the capture does not decode.
            RecipeError: the region does not lie inside the capture, is under 8x8 px or is too flat to find
                (:func:`check_alignment`), or ``max_angle`` is outside 0..180.
        """
        from openinspect.station.workbench import TEMPLATE_STEM, Workbench  # it imports this module

        recipe = self.workspace.recipe(check_name(name))
        settings = recipe.alignment.model_dump(include={"min_score", "max_angle"}) if recipe.alignment else {}
        if max_angle is not None:
            settings["max_angle"] = max_angle
        template = {"x": region.x, "y": region.y, "w": region.w, "h": region.h}
        try:  # the reference is named once the file is written, after its type
            alignment = Alignment.model_validate({"template": template, "reference": TEMPLATE_STEM, **settings})
        except ValidationError as err:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())
            raise RecipeError(f"recipe '{recipe.name}': invalid alignment: {problems}") from err
        Workbench(self.workspace).set_template(recipe.name, data, filename, alignment)
        stored = self.workspace.recipe(recipe.name).alignment
        assert stored is not None, "set_template stores the alignment it is given"
        return stored

    def label(self, name: str, type_name: str, data: bytes, filename: str, labels: dict[str, str]) -> LabelReport:
        """Add a capture to the library and label ROIs of a classifier type in it.

        Args:
            name: recipe.
            type_name: classifier type.
            data: the encoded capture.
            filename: the uploaded file's name (kept as the capture's original name only).
            labels: class per ROI; the key ``*`` labels every ROI of the type.

        Raises:
            RecipeError: unknown type, ROI or class, or the type is a segmenter.
            ImageError: the capture does not decode or does not fit the type's ROIs.
        """
        from openinspect.training import inspection_type

        recipe = self.workspace.recipe(check_name(name))
        spec = inspection_type(recipe, type_name)
        if not isinstance(spec, ClassifierType):
            raise RecipeError(f"'{spec.name}' is a segmenter: label its captures with masks "
                              f"(`openinspect label import {recipe.name} --type {spec.name} --images DIR --masks DIR`)")
        rois = {roi.name: roi for roi in recipe.rois_of(spec.name)}
        chosen = dict.fromkeys(rois, labels["*"]) if "*" in labels else labels
        check_roi_labels(spec, rois, chosen)
        roi_crops(decode_image(data, filename), recipe, [rois[r] for r in chosen], filename)
        known = self.workspace.image_known(data)
        stored = self.workspace.add_image(data, _safe_name(filename, data))
        for roi, class_name in chosen.items():
            self.workspace.set_label(recipe.name, spec.name, stored, roi, class_name)
        return LabelReport(stored.sha256, not known, chosen)

    def evaluate(self, name: str, type_name: str, captures: list[tuple[str, bytes]]) -> dict[str, Any]:
        """Evaluate a classifier type's latest model on labelled captures (``(class, encoded bytes)`` pairs).

        Returns:
            :func:`openinspect.training.evaluate.evaluate_folders`'s metrics.

        Raises:
            DatasetError: no captures, or a class the type does not have.
            ModelNotFoundError: the type has no trained model.
        """
        from openinspect.station.pipeline import Inspector
        from openinspect.training import inspection_type
        from openinspect.training.evaluate import evaluate_folders

        inspector = Inspector.load(self.workspace, check_name(name))
        spec = inspection_type(inspector.recipe, type_name)
        if not isinstance(spec, ClassifierType):
            raise RecipeError(f"'{type_name}' is a segmenter: evaluate it with `openinspect eval {name} --type "
                              f"{type_name} --images DIR --masks DIR`")
        if not captures:
            raise DatasetError("no captures to evaluate: send image files, each with its class")
        bad = sorted({c for c, _ in captures if c not in spec.class_names()})
        if bad:
            raise DatasetError(f"class(es) {', '.join(bad)} not in type '{type_name}'; classes: "
                               f"{', '.join(spec.class_names())}")
        with tempfile.TemporaryDirectory(prefix="openinspect-eval-") as tmp:
            for index, (class_name, data) in enumerate(captures):
                path = Path(tmp) / class_name / f"{index:06d}{image_suffix(data) or '.img'}"
                path.parent.mkdir(exist_ok=True)
                path.write_bytes(data)
            metrics = evaluate_folders(inspector, type_name, Path(tmp))
        for problems in ("skipped", "alignment_failed"):
            metrics[problems] = [s.replace(tmp, "upload") for s in metrics[problems]]
        return metrics


def check_alignment(recipe: str, alignment: Alignment, reference: np.ndarray) -> None:
    """The station's own check that an alignment can find the part: its aligner is built on the reference capture.

    ``openinspect recipe template``, every recipe the library saves (the API, so the editor) and a replaced
    template capture are checked here, so each refuses what the station could not align on.

    Args:
        recipe: the recipe's name, for the message.
        alignment: the alignment to check.
        reference: ``(H, W, 3)`` uint8 RGB reference capture.

    Raises:
        RecipeError: the template region does not lie inside the capture, is under 8x8 px or is too flat to find.
    """
    try:
        Aligner(reference, alignment.template.rect(), alignment.min_score, alignment.max_angle)
    except RecipeError as err:
        raise RecipeError(f"recipe '{recipe}': {err}") from None


def _safe_name(filename: str, data: bytes) -> str:
    """The uploaded name without folders (it is a label only; the library names files by content)."""
    base = Path(filename.replace("\\", "/")).name[:128]
    return base if base and base not in (".", "..") else f"upload{image_suffix(data) or '.img'}"


def check_roi_labels(spec: ClassifierType, rois: dict[str, Roi], labels: dict[str, str]) -> None:
    """Check ``{ROI name: class name}`` labels against a classifier type.

    Raises:
        RecipeError: no labels, a ROI that is not the type's, or a class the type does not have.
    """
    unknown = sorted(set(labels) - set(rois))
    if unknown or not labels:
        raise RecipeError(f"ROI(s) {', '.join(unknown) or '(none given)'} are not ROIs of type '{spec.name}'; "
                          f"its ROIs: {', '.join(rois)}")
    bad = sorted({c for c in labels.values() if c not in spec.class_names()})
    if bad:
        raise RecipeError(f"class(es) {', '.join(bad)} not in type '{spec.name}'; classes: "
                          f"{', '.join(spec.class_names())}")
