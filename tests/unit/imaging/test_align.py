import cv2
import numpy as np
import pytest
from tests.unit.imaging.scenes import NUT, TEMPLATE, scene, truth

from openinspect.errors import ImageError, RecipeError
from openinspect.imaging import Aligner, Pose, Rect, crop

PROBES = np.array([[TEMPLATE.x, TEMPLATE.y], [TEMPLATE.x + TEMPLATE.w, TEMPLATE.y + TEMPLATE.h], [NUT.x, NUT.y],
                   [540.0, 330.0], [320.0, 380.0]])
"""Points on the part (template corners, the nut, the plate's outer corners)."""


@pytest.fixture(scope="module")
def aligner() -> Aligner:
    return Aligner(scene(), TEMPLATE, min_score=0.5, max_angle=15)


@pytest.mark.parametrize(("dx", "dy", "angle", "gain", "offset"), [
    (0, 0, 0, 1.0, 0),
    (23, -17, 0, 0.6, 50),
    (-40, 31, 4.0, 1.3, -30),
    (12.5, 8.25, -7.3, 0.7, 20),
    (60, -50, 12, 0.8, 10),
    (5, 5, -14.6, 1.2, -10),
])
def test_locate_recovers_shift_and_rotation_despite_lighting_change(aligner, dx, dy, angle, gain, offset):
    pose = aligner.locate(scene(dx, dy, angle, gain=gain, offset=offset, seed=1))
    expected = truth(dx, dy, angle)
    assert pose.found and pose.score > 0.8
    assert abs(pose.angle - angle) < 0.5
    error = np.abs(pose.map_points(PROBES) - (PROBES @ expected[:, :2].T + expected[:, 2]))
    assert error.max() < 1.0, error


def test_locate_reports_not_found_for_a_capture_without_the_part(aligner):
    pose = aligner.locate(scene(part=False, seed=2))
    assert not pose.found and pose.score < aligner.min_score
    assert not aligner.locate(np.zeros((600, 800, 3), np.uint8)).found


def test_pose_moves_roi_rectangles_with_the_part(aligner):
    capture = scene(-25, 18, 6.0, seed=3)
    pose = aligner.locate(capture)
    expected = truth(-25, 18, 6.0)
    corners = np.array([[NUT.x, NUT.y], [NUT.x + NUT.w, NUT.y], [NUT.x + NUT.w, NUT.y + NUT.h],
                        [NUT.x, NUT.y + NUT.h]], np.float64)
    assert np.abs(pose.roi_corners(NUT) - (corners @ expected[:, :2].T + expected[:, 2])).max() < 1.0
    moved = pose.crop(capture, NUT)
    assert moved.shape == (NUT.h, NUT.w, 3)
    inner = (slice(3, -3), slice(3, -3))
    assert np.abs(moved[inner].astype(int) - crop(scene(seed=3), NUT)[inner].astype(int)).mean() < 6
    assert crop(capture, NUT)[inner].mean() > 100, "without alignment the ROI misses the dark nut"
    centre = pose.map_points(np.array([[NUT.x + NUT.w / 2, NUT.y + NUT.h / 2]]))[0]
    rect = pose.moved_rect(NUT)
    assert (rect.w, rect.h) == (NUT.w, NUT.h)
    assert abs(rect.x + rect.w / 2 - centre[0]) <= 0.5 and abs(rect.y + rect.h / 2 - centre[1]) <= 0.5


def test_crop_with_a_pure_pixel_shift_equals_a_plain_crop():
    image = np.random.default_rng(4).integers(0, 256, (60, 80, 3), dtype=np.uint8)
    pose = Pose(True, 1.0, 7, -3, 0.0, np.array([[1.0, 0.0, 7.0], [0.0, 1.0, -3.0]]))
    assert np.array_equal(pose.crop(image, Rect(10, 20, 30, 15)), crop(image, Rect(17, 17, 30, 15)))


def test_crop_raises_when_the_moved_roi_leaves_the_capture():
    pose = Pose(True, 1.0, 50, 0, 0.0, np.array([[1.0, 0.0, 50.0], [0.0, 1.0, 0.0]]))
    with pytest.raises(ImageError, match="leaves the 80x60 capture"):
        pose.crop(np.zeros((60, 80, 3), np.uint8), Rect(10, 10, 30, 20))


def test_max_angle_zero_searches_shift_only():
    aligner = Aligner(scene(), TEMPLATE, max_angle=0)
    pose = aligner.locate(scene(31, -12, seed=5))
    assert pose.found and pose.angle == 0.0
    assert abs(pose.dx - 31) < 1 and abs(pose.dy + 12) < 1


def test_template_must_lie_inside_the_reference():
    with pytest.raises(RecipeError, match="must lie inside the 800x600 reference"):
        Aligner(scene(), Rect(700, 500, 200, 200))


@pytest.mark.parametrize("region", [Rect(20, 20, 200, 150), Rect(600, 460, 150, 120)])
def test_a_flat_template_is_refused_before_any_search(region):
    with pytest.raises(RecipeError, match=rf"alignment template x {region.x}, y {region.y}, {region.w}x{region.h} is "
                                          r"too flat to find: 0\.0% of it shows edges, the aligner needs 2%; choose a "
                                          r"distinctive, rigid feature"):
        Aligner(scene(), region)


def test_locate_rejects_a_capture_smaller_than_the_template(aligner):
    with pytest.raises(ImageError, match="smaller than the 260x240 alignment template"):
        aligner.locate(np.zeros((100, 100, 3), np.uint8))


def test_pose_to_json_rounds_for_the_result_record():
    pose = Pose(True, 0.912345, 1.234, -5.678, 3.14159, np.eye(2, 3))
    assert pose.to_json() == {"found": True, "score": 0.9123, "dx": 1.23, "dy": -5.68, "angle": 3.14}


def test_crop_of_a_class_map_keeps_its_channel_and_its_class_values():
    class_map = np.zeros((60, 80, 1), np.uint8)
    class_map[20:40, 30:50] = 2
    pose = Pose(True, 1.0, 0, 0, 30.0, np.asarray(cv2.getRotationMatrix2D((40, 30), 30, 1.0)))
    moved = pose.crop(class_map, Rect(20, 10, 40, 40), nearest=True)
    assert moved.shape == (40, 40, 1)
    assert set(np.unique(moved).tolist()) == {0, 2}
