"""The resolution check: downscale factor, the smallest defect still visible, and what to do when it vanishes."""

import math

import pytest

from openinspect.advice import AdviceError, Sizes, check_resolution
from openinspect.advice.resolution import TILE_OVERLAP
from openinspect.imaging.tiles import tile_origins
from openinspect.station.runners import TILE_OVERLAP as STATION_OVERLAP


def test_a_roi_within_the_model_side_keeps_full_resolution():
    check = check_resolution((400, 300), defect_px=4)
    assert check.downscale == 1.0 and check.smallest_visible_px == 3 and check.visible
    assert check.recommendations == []


def test_a_large_roi_reports_its_downscale_and_the_smallest_visible_defect():
    check = check_resolution((1536, 1000))
    assert check.downscale == 3.0 and check.smallest_visible_px == 9.0 and check.visible is None
    assert check_resolution((1536, 1000), defect_px=9).visible is True
    assert check_resolution((1536, 1000), defect_px=8.9).visible is False


def test_a_vanishing_defect_gets_smaller_rois_a_split_and_tiling_with_numbers():
    check = check_resolution((3000, 2000), defect_px=5)
    side = math.floor(512 * 5 / 3)
    assert check.max_roi_side == side == 853
    assert check.split == (math.ceil(3000 / side), math.ceil(2000 / side)) == (4, 3)
    assert check.tiles == len(tile_origins(3000, 512, 64)) * len(tile_origins(2000, 512, 64))
    text = "\n".join(check.recommendations)
    assert "A 5 px defect becomes 0.9 px at the model's 512 px input" in text
    assert "at most 853 px on the longest side" in text
    assert "split the area into 12 ROIs (4 x 3) of about 750x667 px" in text
    assert f"turn on tiling: {check.tiles} full-resolution tiles" in text
    # the advised split really keeps the defect visible
    assert check_resolution((750, 667), defect_px=5).visible


def test_a_defect_under_three_pixels_needs_finer_pixels_not_smaller_rois():
    check = check_resolution((300, 300), defect_px=2, mm_per_px=0.1)
    assert check.visible is False and check.max_roi_side is None
    assert "under 3 px even at full resolution" in check.recommendations[0]
    assert "about 0.0667 mm per px" in check.recommendations[0]


def test_sizes_in_mm_are_converted_with_the_pixel_size():
    check = Sizes(roi=(2048, 2048), defect_mm=0.5, mm_per_px=0.05).check()
    assert check is not None and check.defect_px == 10 and check.defect_after_px == 2.5 and not check.visible
    assert check.to_json()["smallest_visible_mm"] == 0.6


def test_the_capture_alone_is_the_roi():
    check = Sizes(image=(1024, 768)).check()
    assert check is not None and check.roi == (1024, 768) and check.downscale == 2.0
    assert Sizes().check() is None


@pytest.mark.parametrize(("sizes", "message"), [
    (Sizes(image=(800, 600), roi=(100, 100, 900, 900)),
     "ROI 100,100,900,900 reaches to x=1000, y=1000, outside the 800x600 capture"),
    (Sizes(roi=(-5, 0, 10, 10)), "x and y must be 0 or more, width and height above 0"),
    (Sizes(roi=(0, 0)), "width and height above 0"),
    (Sizes(roi=(1, 2, 3)), "a ROI is X,Y,W,H"),
    (Sizes(roi=(500, 500), defect_px=-3), "--defect-size must be a positive number, got -3"),
    (Sizes(roi=(500, 500), defect_mm=0.2), "--defect-size-mm needs --mm-per-px"),
    (Sizes(roi=(500, 500), defect_mm=0.2, mm_per_px=0), "--mm-per-px must be a positive number"),
    (Sizes(roi=(500, 500), defect_px=float("nan")), "--defect-size must be a positive number"),
])
def test_bad_sizes_get_a_clear_message(sizes, message):
    with pytest.raises(AdviceError, match=message.replace("(", r"\(")):
        sizes.check()


def test_the_tile_overlap_is_the_stations():
    assert TILE_OVERLAP == STATION_OVERLAP
