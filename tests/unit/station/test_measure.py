import cv2
import numpy as np
import pytest

from openinspect.recipe import SegmenterType
from openinspect.station.measure import failed_rules, find_blobs, measure


def _spec(rules):
    return SegmenterType.model_validate({
        "name": "surface", "kind": "segmenter", "min_blob_px": 20,
        "pixel_classes": [{"name": "glue", "color": "#ffd400"}, {"name": "scratch", "color": "#ff3b30"}],
        "rules": rules})


@pytest.fixture
def mask():
    m = np.zeros((100, 200), np.uint8)
    m[10:20, 10:30] = 1          # glue 200 px
    m[50:60, 100:110] = 1        # glue 100 px
    m[80, 5:6] = 1               # glue speck: noise
    cv2.line(m, (150, 10), (150, 89), 2, 1)  # scratch: 80 px long, 1 px wide
    return m


def test_blobs_and_measurements_match_drawn_shapes(mask):
    blobs = find_blobs(mask, ["glue", "scratch"], min_blob_px=20)
    assert sorted((b.class_name, b.area) for b in blobs) == [("glue", 100), ("glue", 200), ("scratch", 80)]
    glue = next(b for b in blobs if b.area == 200)
    assert (glue.bbox.x, glue.bbox.y, glue.bbox.w, glue.bbox.h) == (10, 10, 20, 10)
    values = measure(blobs, ["glue", "scratch"])
    assert values["glue"] == {"area": 300, "count": 2, "max_blob_area": 200, "max_length": 22.0}
    assert values["scratch"]["max_length"] == 80.0 and values["scratch"]["count"] == 1


def test_calibration_adds_mm_figures(mask):
    values = measure(find_blobs(mask, ["glue", "scratch"], 20), ["glue", "scratch"], mm_per_px=0.05)
    assert values["glue"]["area_mm2"] == pytest.approx(300 * 0.0025)
    assert values["scratch"]["max_length_mm"] == pytest.approx(4.0)


def test_rules_report_each_failure_as_written(mask):
    spec = _spec([{"class": "glue", "measure": "area", "op": "<", "value": 100},
                  {"class": "scratch", "measure": "count", "op": "==", "value": 0},
                  {"class": "glue", "measure": "count", "op": "<=", "value": 2}])
    values = measure(find_blobs(mask, spec.class_names(), spec.min_blob_px), spec.class_names())
    assert failed_rules(spec, values) == ["glue area < 100", "scratch count == 0"]


def test_without_rules_any_blob_fails_and_clean_mask_passes(mask):
    spec = _spec([])
    names = spec.class_names()
    assert failed_rules(spec, measure(find_blobs(mask, names, 20), names)) == [
        "no glue blob >= 20 px", "no scratch blob >= 20 px"]
    clean = np.zeros_like(mask)
    clean[0, 0] = 1  # below min_blob_px
    assert failed_rules(spec, measure(find_blobs(clean, names, 20), names)) == []


def test_blob_length_is_the_farthest_pair_of_pixel_centres_for_any_shape():
    """Ragged, hollow and diagonal blobs: the length equals the brute-force farthest pair of pixels, plus one."""
    rng = np.random.default_rng(3)
    noise = np.pad((rng.random((30, 40)) < 0.55).astype(np.uint8), ((15, 15), (20, 20)))
    ring = cv2.circle(np.zeros((60, 80), np.uint8), (40, 30), 20, 1, 2)
    diagonal = cv2.line(np.zeros((60, 80), np.uint8), (3, 57), (70, 2), 1, 1)
    for mask in (noise, ring, diagonal):
        for blob in find_blobs(mask, ["defect"], min_blob_px=2):
            count, labels = cv2.connectedComponents(mask, connectivity=8)
            x, y = blob.bbox.x, blob.bbox.y
            pixels = next(p for k in range(1, count) if len(p := np.argwhere(labels == k)) == blob.area
                          and tuple(p.min(axis=0)) == (y, x))
            far = np.sqrt(((pixels[:, None, :] - pixels[None, :, :]) ** 2).sum(axis=2)).max() + 1
            assert blob.length == pytest.approx(far, abs=1e-4)
