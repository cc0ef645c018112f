"""Cut a capture into the ROI crops of a recipe, as training, evaluation and inspection all do.

:class:`RoiCropper` is the one way to get "the ROI crops of this capture for this recipe": when the
recipe aligns, it finds the part first and the crops move and turn with it. Training, evaluation and
the station all cut through it, so a model is trained on exactly the crops it is judged on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from openinspect.errors import ImageError, NotFoundError, PartNotFoundError
from openinspect.imaging import Aligner, Pose, Rect, crop, read_image, resize_to
from openinspect.recipe import Recipe, Roi
from openinspect.store import Workspace


@dataclass(frozen=True)
class RoiPlace:
    """Where the crop of one ROI is cut from a capture: ``rect`` turned by ``angle`` about its centre, shown upright.

    Attributes:
        rect: the crop's size, centred where its centre lies on the capture.
        angle: degrees the crop is turned, counter-clockwise as the capture is displayed: the part's rotation
            when the ROI moves with the part, else 0.

    """

    rect: Rect
    angle: float


@dataclass(frozen=True)
class RoiCropper:
    """The ROI crops of captures for one recipe, aligned to its reference capture when the recipe aligns.

    Attributes:
        recipe: the recipe whose ROIs are cut.
        aligner: finds the part; ``None`` when the recipe does not align (ROIs stay where they are drawn).

    """

    recipe: Recipe
    aligner: Aligner | None = None

    @classmethod
    def load(cls, workspace: Workspace, recipe: Recipe) -> RoiCropper:
        """The cropper of a stored recipe, with its aligner when it has alignment.

        Raises:
            NotFoundError: the reference capture is neither in the recipe's folder nor in the workspace.
            RecipeError: the template does not lie inside the reference.

        """
        spec = recipe.alignment
        if spec is None:
            return cls(recipe)
        path = cls.reference_path(workspace, recipe)
        return cls(recipe, Aligner(read_image(path), spec.template.rect(), spec.min_score, spec.max_angle))

    @staticmethod
    def reference_path(workspace: Workspace, recipe: Recipe) -> Path:
        """The reference capture of a recipe that aligns: a file in its folder, or else a workspace image by hash.

        Raises:
            NotFoundError: it is neither.
            ValueError: the recipe does not align (a bug of the caller).

        """
        if recipe.alignment is None:
            raise ValueError(f"recipe '{recipe.name}' does not align: it has no reference capture")
        reference = recipe.alignment.reference
        path = workspace.recipe_path(recipe.name).parent / reference
        if path.is_file():
            return path
        stored = workspace.image(reference, missing_ok=True) if len(reference) == 64 else None
        if stored is None:
            raise NotFoundError(f"recipe '{recipe.name}': alignment reference '{reference}' is neither a file in "
                                f"{path.parent} nor a workspace image; put the reference capture there")
        return stored.path

    def locate(self, image: np.ndarray, name: str) -> Pose | None:
        """Find the part in a capture.

        Args:
            image: ``(H, W, 3)`` uint8 RGB capture.
            name: what to call the capture in errors (usually its path).

        Returns:
            Where the part lies; ``None`` when the recipe does not align.

        Raises:
            PartNotFoundError: the template scores below the recipe's ``min_score``; the error carries the pose.
            ImageError: the capture is smaller than the template.

        """
        if self.aligner is None:
            return None
        pose = self.aligner.locate(image)
        if not pose.found:
            raise PartNotFoundError(
                f"{name}: the part was not found (alignment score {pose.score:.2f}, recipe '{self.recipe.name}' "
                f"needs {self.aligner.min_score:.2f}); check that the part is in view, or lower min_score", pose)
        return pose

    def crops(self, image: np.ndarray, rois: list[Roi], name: str, pose: Pose | None, *,
              nearest: bool = False) -> list[np.ndarray]:
        """Cut ROIs out of a capture (or a class map of it) where :meth:`locate` found the part.

        Args:
            image: ``(H, W, C)`` uint8 capture or class map.
            rois: the ROIs to cut, in order.
            name: what to call the capture in errors.
            pose: what :meth:`locate` returned for this capture.
            nearest: class maps: no interpolation when a crop turns with the part.

        Raises:
            ImageError: a ROI does not lie inside the capture.
            ValueError: the recipe aligns and no pose was given (a bug of the caller).

        """
        if pose is None and self.aligner is not None:
            raise ValueError(f"recipe '{self.recipe.name}' aligns: locate the part before cutting ROIs of {name}")
        return roi_crops(image, self.recipe, rois, name, pose, nearest=nearest)

    def cut(self, image: np.ndarray, rois: list[Roi], name: str) -> list[np.ndarray]:
        """The ROI crops of a capture as the station judges them: the part located first when the recipe aligns.

        Args:
            image: ``(H, W, 3)`` uint8 RGB capture.
            rois: the ROIs to cut, in order.
            name: what to call the capture in errors.

        Returns:
            One ``(h, w, 3)`` uint8 RGB crop per ROI.

        Raises:
            PartNotFoundError: the recipe aligns and the part is not in the capture.
            ImageError: a ROI does not lie inside the capture.

        """
        return self.crops(image, rois, name, self.locate(image, name))

    @staticmethod
    def place(roi: Roi, width: int, height: int, pose: Pose | None) -> RoiPlace:
        """Where the crop of a ROI is cut from a ``width`` x ``height`` capture, as :meth:`crops` cuts it.

        Args:
            roi: the ROI, drawn on the reference capture.
            width: the capture's width in px.
            height: the capture's height in px.
            pose: what :meth:`locate` returned for the capture.

        Returns:
            The ROI as drawn, or, when the recipe aligns, moved and turned with the part (a ROI without a
            rectangle stays the whole capture).

        """
        rect = roi.rect(width, height)
        if pose is None or roi.x is None:
            return RoiPlace(rect, 0.0)
        return RoiPlace(pose.moved_rect(rect), pose.angle)

    @staticmethod
    def rect(roi: Roi, image: np.ndarray, pose: Pose | None) -> Rect:
        """Where a ROI lies on a capture: moved with the part when the recipe aligns (see :meth:`place`)."""
        return RoiCropper.place(roi, image.shape[1], image.shape[0], pose).rect


def roi_crops(image: np.ndarray, recipe: Recipe, rois: list[Roi], name: str,
              pose: Pose | None = None, *, nearest: bool = False) -> list[np.ndarray]:
    """Cut each ROI out of a capture; :meth:`RoiCropper.crops` is the way for a recipe that may align.

    Called directly, without a pose, it checks that a capture fits a recipe's ROIs as drawn.

    Args:
        image: ``(H, W, C)`` uint8 capture (``C`` = 3, RGB) or class map (``C`` = 1).
        recipe: the recipe the ROIs belong to (named in errors).
        rois: the ROIs to cut, in order.
        name: what to call the capture in errors (usually its path).
        pose: where the recipe's aligner found the part; ROI rectangles, given on the reference
            capture, then move and turn with it (a ROI without a rectangle stays the whole capture).
        nearest: with a pose, take nearest pixels instead of interpolating (class maps).

    Returns:
        One ``(h, w, C)`` uint8 crop per ROI (a view into ``image`` when not aligned).

    Raises:
        ImageError: a ROI does not lie inside the capture; the message names the ROI and both sizes.

    """
    height, width = image.shape[:2]
    crops = []
    for roi in rois:
        rect = roi.rect(width, height)
        if pose is not None and roi.x is not None:
            crops.append(_aligned(image, rect, pose, nearest, f"{name}: ROI '{roi.name}' of recipe '{recipe.name}'"))
            continue
        if not rect.fits(width, height):
            raise ImageError(
                f"{name}: capture is {width}x{height} px but ROI '{roi.name}' of recipe '{recipe.name}' spans "
                f"x {rect.x}..{rect.x + rect.w}, y {rect.y}..{rect.y + rect.h}; use captures of the recipe's "
                f"camera set-up or move the ROI inside the image")
        crops.append(crop(image, rect))
    return crops


def _aligned(image: np.ndarray, rect: Rect, pose: Pose, nearest: bool, what: str) -> np.ndarray:
    try:
        return pose.crop(image, rect, nearest=nearest)
    except ImageError as err:
        raise ImageError(f"{what}: {err}") from err


def model_batch(crops: list[np.ndarray], size: tuple[int, int]) -> np.ndarray:
    """Resize crops to a model's ``(height, width)`` and stack them: ``(N, height, width, 3)`` uint8 RGB."""
    return np.stack([resize_to(c, size) for c in crops])
