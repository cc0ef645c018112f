"""render: every kind on a real grayscale tile and a colour capture, masks exact, seeds repeatable, ROIs honoured."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from openinspect.demo.captures import bracket_captures
from openinspect.errors import SynthError
from openinspect.synth import MASK_TOLERANCE, Kind, parse_description, render

DATASET = Path(__file__).resolve().parents[4] / "shared" / "datasets" / "magnetic-tile"
KIND_TEXT = {
    Kind.SCRATCH: "two thin scratches", Kind.CRACK: "a branching crack", Kind.DENT: "a dent", Kind.STAIN: "a stain",
    Kind.SPILL: "a glue spill", Kind.SPLATTER: "red paint splatter", Kind.HOLE: "three pits",
    Kind.BLOWHOLE: "a blowhole", Kind.CHIP: "a chip", Kind.BURN: "a burn", Kind.DUST: "dust and fibres",
    Kind.MISSING: "missing material",
}


@pytest.fixture(scope="module")
def gray() -> np.ndarray:
    """A real good magnetic tile, ``(H, W)`` uint8."""
    tiles = sorted((DATASET / "MT_Free" / "Imgs").glob("*.jpg"))
    if not tiles:
        pytest.skip(f"magnetic-tile dataset not found at {DATASET}")
    return np.asarray(Image.open(tiles[5]).convert("L"))


@pytest.fixture(scope="module")
def colour() -> np.ndarray:
    """The demo's bracket capture around its left nut, ``(320, 460, 3)`` uint8 RGB."""
    return np.ascontiguousarray(bracket_captures(1, seed=3)[0].image[40:360, 60:520])


def _exact(host: np.ndarray, made_image: np.ndarray, mask: np.ndarray) -> None:
    assert made_image.shape == host.shape and made_image.dtype == np.uint8 and mask.shape == host.shape[:2]
    change = np.abs(made_image.astype(np.int16) - host.astype(np.int16))
    change = change.max(axis=2) if change.ndim == 3 else change
    assert np.array_equal(mask, change > MASK_TOLERANCE), "the mask is exactly the pixels changed noticeably"
    assert np.array_equal(made_image[~mask], host[~mask]), "nothing outside the mask changes"


def test_text_for_every_kind() -> None:
    assert set(KIND_TEXT) == set(Kind)
    assert all(parse_description(text).kind is kind for kind, text in KIND_TEXT.items())


@pytest.mark.parametrize("kind", list(Kind))
@pytest.mark.parametrize("host_name", ["gray", "colour"])
def test_every_kind_draws_a_defect_with_an_exact_mask(kind: Kind, host_name: str, request: pytest.FixtureRequest) -> None:
    host = request.getfixturevalue(host_name)
    spec = parse_description(KIND_TEXT[kind])
    areas = []
    for seed in (0, 1, 2):
        made = render(host, spec, seed=seed)
        _exact(host, made.image, made.mask)
        areas.append(int(made.mask.sum()))
        assert made.seed == seed and made.spec is spec
    assert min(areas) > 0, f"{kind}: some seed drew nothing: {areas}"
    assert len(set(areas)) > 1, f"{kind}: samples do not vary: {areas}"


def test_the_same_seed_gives_the_same_image_and_another_seed_another(gray: np.ndarray) -> None:
    spec = parse_description("three thin dark scratches near the top edge")
    first, again, other = render(gray, spec, seed=7), render(gray, spec, seed=7), render(gray, spec, seed=8)
    assert np.array_equal(first.image, again.image) and np.array_equal(first.mask, again.mask)
    assert not np.array_equal(first.mask, other.mask)


def test_defects_stay_inside_the_region(colour: np.ndarray) -> None:
    region = (200, 100, 400, 300)
    for text in ("a large stain", "a chip", "dust", "a long crack"):
        made = render(colour, parse_description(text), seed=3, region=region)
        _exact(colour, made.image, made.mask)
        outside = made.mask.copy()
        outside[100:300, 200:400] = False
        assert made.mask.any() and not outside.any(), text


def test_location_words_place_the_defects(gray: np.ndarray) -> None:
    h, w = gray.shape
    for text, check in (("a small stain near the top edge", lambda ys, xs: ys.max() < h / 2),
                        ("a small stain in the bottom right corner", lambda ys, xs: ys.min() > h / 2 and xs.min() > w / 2),
                        ("a small stain in the centre", lambda ys, xs: abs(ys.mean() - h / 2) < h / 5)):
        for seed in range(3):
            ys, xs = np.nonzero(render(gray, parse_description(text), seed=seed).mask)
            assert check(ys, xs), text


def test_subtle_changes_less_than_obvious(gray: np.ndarray) -> None:
    def strength(text: str) -> float:
        made = render(gray, parse_description(text), seed=4)
        return float(np.abs(made.image.astype(int) - gray.astype(int))[made.mask].mean())

    assert strength("a subtle dark stain") < strength("an obvious dark stain")


def test_a_colour_tints_a_colour_host(colour: np.ndarray) -> None:
    made = render(colour, parse_description("a large blue paint splatter"), seed=2)
    before, after = colour[made.mask].astype(float), made.image[made.mask].astype(float)
    assert (after[:, 2] - before[:, 2]).mean() > (after[:, 0] - before[:, 0]).mean() + 20


@pytest.mark.parametrize(("host", "region", "text", "says"), [
    (np.zeros((10, 10), np.uint8), None, "a scratch", "smaller than any defect"),
    (np.zeros((100, 100), np.uint8), (0, 0, 12, 100), "a scratch", "smaller than any defect"),
    (np.zeros((100, 100), np.uint8), None, "a 300 px stain", "does not fit"),
    (np.zeros((100, 100), np.uint8), (50, 50, 150, 150), "a stain", "not inside"),
    (np.zeros((100, 100, 4), np.uint8), None, "a stain", "uint8"),
    (np.zeros((100, 100), np.float32), None, "a stain", "uint8"),
    (np.zeros((100, 100), np.uint8), None, "a dark stain", "nothing visible: 5 draws"),
])
def test_hosts_that_cannot_take_the_defect_are_refused(host: np.ndarray, region: tuple[int, int, int, int] | None,
                                                       text: str, says: str) -> None:
    with pytest.raises(SynthError, match=says):
        render(host, parse_description(text), seed=0, region=region)
