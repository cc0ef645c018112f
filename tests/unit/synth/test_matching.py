"""Match my labelled defects: real masks measured, synthetic defects drawn to their size, contrast and place."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from openinspect.errors import SynthError
from openinspect.synth import parse_description
from openinspect.synth.matching import measure_defects, render_matched

DATASET = Path(__file__).resolve().parents[4] / "shared" / "datasets" / "magnetic-tile"


def _pair(folder: str, index: int) -> tuple[np.ndarray, np.ndarray]:
    images = sorted((DATASET / folder / "Imgs").glob("*.jpg"))
    if not images:
        pytest.skip(f"magnetic-tile dataset not found at {DATASET}")
    path = images[index]
    return (np.asarray(Image.open(path).convert("RGB")),
            np.asarray(Image.open(path.with_suffix(".png")).convert("L")) >= 128)


def test_a_drawn_disc_is_measured_as_drawn() -> None:
    image = np.full((200, 400), 100, np.uint8)
    mask = np.zeros((200, 400), bool)
    yy, xx = np.mgrid[:200, :400]
    mask[(yy - 100) ** 2 + (xx - 300) ** 2 <= 20 ** 2] = True  # 40 px across, in the middle of the height
    mask[0:6, 10:60] = True  # a thin strip on the top edge
    image[mask] = 70  # 30 % darker
    profile = measure_defects([image], [mask])
    disc, strip = sorted(profile.examples[0].regions, key=lambda r: r.thickness, reverse=True)
    assert disc.size * 200 == pytest.approx(40, rel=0.05) and disc.length * 200 == pytest.approx(40, rel=0.1)
    assert disc.contrast == pytest.approx(0.3, abs=0.01) and not disc.light and not disc.edge
    assert strip.length * 200 == pytest.approx(50, rel=0.1) and strip.thickness * 200 == pytest.approx(6, rel=0.25)
    assert strip.edge
    assert "matched to 1 labelled image(s)" in profile.summary()[0]


def test_matched_defects_follow_the_examples_not_the_words() -> None:
    """Real blowholes are small and dark; 'a large light stain' still comes out their size and contrast."""
    examples = [_pair("MT_Blowhole", i) for i in (0, 1, 2)]
    profile = measure_defects([image for image, _ in examples], [mask for _, mask in examples])
    regions = [r for e in profile.examples for r in e.regions]
    host, _ = _pair("MT_Free", 5)
    short = min(host.shape[:2])
    spec = parse_description("a large light stain")
    areas, changes = [], []
    for seed in range(6):
        made = render_matched(host, spec, profile, seed=seed)
        again = render_matched(host, spec, profile, seed=seed)
        assert np.array_equal(made.image, again.image) and np.array_equal(made.mask, again.mask), "repeatable"
        lum = host.astype(np.float32).mean(2)
        after = made.image.astype(np.float32).mean(2)
        areas.append(made.mask.sum())
        changes.append((lum[made.mask] - after[made.mask]).mean() / lum[made.mask].mean())
        assert made.spec.tone.name in ("dark", "light") and made.spec.contrast is not None
    real_area = np.median([np.pi / 4 * (r.size * short) ** 2 for r in regions])
    plain = parse_description("a large light stain")
    assert 0.25 * real_area < np.median(areas) < 4 * real_area, "sized like the examples"
    assert np.median(areas) < 0.2 * np.pi / 4 * (0.18 * short) ** 2, f"far smaller than '{plain.size}' would draw"
    real = np.median([r.contrast * (-1 if r.light else 1) for r in regions])
    assert real > 0.1 and np.median(changes) == pytest.approx(real, rel=0.35), "as dark as the examples"


def test_matched_specification_is_shown() -> None:
    image, mask = _pair("MT_Crack", 0)
    profile = measure_defects([image], [mask])
    spec = profile.spec_for(parse_description("a crack"), np.random.default_rng(0), 300.0)
    lines = spec.describe()
    assert any(line.startswith("contrast:") and "(matched)" in line for line in lines)
    assert spec.length_px is not None and spec.thickness_px is not None
    assert spec.to_dict()["contrast"] == spec.contrast


def test_diffuse_examples_wider_than_half_the_image_are_not_imitated() -> None:
    """A band across most of a tile (uneven shading) is left out; the small dark spot beside it is what is drawn."""
    image = np.full((200, 300), 120, np.uint8)
    spot, band = np.zeros((200, 300), bool), np.zeros((200, 300), bool)
    spot[90:110, 140:160] = True  # 20 px: a tenth of the shorter side
    band[120:200, :] = True  # 80 x 300 px: the disc of its area is 175 px across, 87 % of the shorter side
    dark, faint = image.copy(), image.copy()
    dark[spot] = 60
    faint[band] = 112
    profile = measure_defects([dark, faint], [spot, band])
    assert len(profile.examples) == 1 and profile.left_out == 1 and profile.to_dict()["left_out"] == 1
    assert profile.examples[0].regions[0].size * 200 == pytest.approx(22.6, rel=0.05)
    assert any(line.startswith("left out: 1 labelled image(s) whose defect spans more than 50%")
               for line in profile.summary())
    made = render_matched(np.full((200, 300), 120, np.uint8), parse_description("a stain"), profile, seed=0)
    assert 0 < made.mask.sum() < 4 * 20 * 20, "drawn like the spot, not the band"
    with pytest.raises(SynthError, match=r"every labelled example has a defect spanning more than 50% .* \(87% to 87%\)"):
        measure_defects([faint], [band])


def test_bad_examples_are_refused() -> None:
    image = np.full((50, 50), 90, np.uint8)
    with pytest.raises(SynthError, match="paint the defect on at least one image"):
        measure_defects([], [])
    with pytest.raises(SynthError, match="example 0: its mask marks no defect"):
        measure_defects([image], [np.zeros((50, 50), bool)])
    with pytest.raises(SynthError, match="example 0: its mask is 40x50 px but the image is 50x50"):
        measure_defects([image], [np.ones((50, 40), bool)])
