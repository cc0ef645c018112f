"""Where the labelling page draws each crop: as RoiCropper cuts it, moved and turned with the part, poses cached."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from tests.conftest import png_bytes, write_png
from tests.unit.imaging.scenes import NUT, scene, truth
from tests.unit.station.kit import RECIPE as PLAIN
from tests.unit.station.test_pipeline_alignment import RECIPE as ALIGNED

from openinspect.authoring.placements import RoiPlacer
from openinspect.dataset import RoiCropper
from openinspect.imaging import read_image
from openinspect.recipe import parse_recipe
from openinspect.store import StoredImage, Workspace


class CountingReader:
    """Decodes images like the station, counting the files it reads."""

    def __init__(self) -> None:
        self.paths: list[Path] = []

    def __call__(self, path: Path) -> np.ndarray:
        self.paths.append(path)
        return read_image(path)


@pytest.fixture
def reader() -> CountingReader:
    return CountingReader()


@pytest.fixture
def bracket(workspace: Workspace) -> Workspace:
    workspace.save_recipe(parse_recipe(ALIGNED))
    write_png(workspace.recipe_path("bracket").parent / "reference.png", scene())
    return workspace


def _add(workspace: Workspace, pixels: np.ndarray, name: str) -> StoredImage:
    return workspace.add_image(png_bytes(pixels), name)


def _upright(capture: np.ndarray, centre: tuple[float, float], size: tuple[int, int], angle: float) -> np.ndarray:
    """The ``size`` rectangle centred at ``centre``, turned by ``angle`` (counter-clockwise), cut out upright."""
    w, h = size
    to_capture = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    to_capture[:, 2] += np.subtract(centre, (w / 2, h / 2))
    return cv2.warpAffine(capture, to_capture, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_REPLICATE)


def test_rois_are_placed_where_the_part_moved_them(bracket: Workspace, reader: CountingReader) -> None:
    shifted = _add(bracket, scene(-60, 45, seed=1), "shifted.png")
    placed = RoiPlacer(bracket, read=reader).place(bracket.recipe("bracket"), bracket.recipe("bracket").rois,
                                                   [shifted])[shifted.sha256]
    assert placed.pose is not None and placed.pose.found
    nut, whole = placed.rois["nut"], placed.rois["whole"]
    assert abs(nut.rect.x - (NUT.x - 60)) <= 1 and abs(nut.rect.y - (NUT.y + 45)) <= 1
    assert (nut.rect.w, nut.rect.h) == (NUT.w, NUT.h) and abs(nut.angle) < 0.5
    assert (whole.rect.x, whole.rect.y, whole.rect.w, whole.rect.h, whole.angle) == (0, 0, 800, 600, 0.0)


def test_a_turned_part_gives_the_crop_the_cropper_cuts(bracket: Workspace, reader: CountingReader) -> None:
    capture = scene(-40, 30, 9.0, seed=2)
    turned = _add(bracket, capture, "turned.png")
    recipe = bracket.recipe("bracket")
    nut = RoiPlacer(bracket, read=reader).place(recipe, recipe.rois, [turned])[turned.sha256].rois["nut"]
    (cx, cy), = cv2.transform(np.array([[[NUT.x + NUT.w / 2, NUT.y + NUT.h / 2]]]), truth(-40, 30, 9.0))[0]
    assert abs(nut.rect.x + nut.rect.w / 2 - cx) <= 1 and abs(nut.rect.y + nut.rect.h / 2 - cy) <= 1
    assert abs(nut.angle - 9.0) < 0.5
    (cut, _) = RoiCropper.load(bracket, recipe).cut(read_image(turned.path), recipe.rois, "turned.png")
    drawn = _upright(read_image(turned.path), (nut.rect.x + nut.rect.w / 2, nut.rect.y + nut.rect.h / 2),
                     (nut.rect.w, nut.rect.h), nut.angle)
    assert np.abs(drawn.astype(int) - cut.astype(int)).mean() < 6  # the same crop, but for sub-pixel rounding


def test_a_capture_without_the_part_gets_no_rois_and_a_pose_that_says_so(bracket: Workspace,
                                                                         reader: CountingReader) -> None:
    empty = _add(bracket, scene(part=False, seed=3), "empty.png")
    placed = RoiPlacer(bracket, read=reader).place(bracket.recipe("bracket"), bracket.recipe("bracket").rois,
                                                   [empty])[empty.sha256]
    assert placed.rois == {} and placed.pose is not None and not placed.pose.found


def test_poses_are_cached_until_the_reference_capture_changes(bracket: Workspace, reader: CountingReader) -> None:
    shifted = _add(bracket, scene(-60, 45, seed=1), "shifted.png")
    recipe = bracket.recipe("bracket")
    placer = RoiPlacer(bracket, read=reader)
    first = placer.place(recipe, recipe.rois, [shifted])
    assert placer.place(recipe, recipe.rois, [shifted]) == first and reader.paths == [shifted.path]
    write_png(bracket.recipe_path("bracket").parent / "reference.png", scene(30, 0))  # the part moved on it
    again = placer.place(recipe, recipe.rois, [shifted])[shifted.sha256].rois["nut"]
    assert len(reader.paths) == 2 and abs(again.rect.x - (NUT.x - 90)) <= 1


def test_rois_of_a_recipe_that_does_not_align_stay_as_drawn_without_reading_images(
        workspace: Workspace, reader: CountingReader) -> None:
    recipe = parse_recipe(PLAIN)
    workspace.save_recipe(recipe)
    image = _add(workspace, scene(), "capture.png")
    placed = RoiPlacer(workspace, read=reader).place(recipe, recipe.rois, [image])[image.sha256]
    assert placed.pose is None and reader.paths == []
    assert {name: (p.rect.x, p.rect.y, p.rect.w, p.rect.h, p.angle) for name, p in placed.rois.items()} == {
        "left": (0, 0, 64, 96, 0.0), "right": (64, 0, 64, 96, 0.0)}
