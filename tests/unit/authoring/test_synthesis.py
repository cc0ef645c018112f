"""The Defect Creator on a recipe: good captures as hosts, defects only inside the ROIs, labels and masks checked."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from tests.conftest import png_bytes, write_png

from openinspect.authoring.synthesis import read_spec, synth_hosts, synth_target, synthesize, write_batch
from openinspect.demo.captures import bracket_captures, bracket_scene
from openinspect.errors import DatasetError, RecipeError, SynthError
from openinspect.recipe import parse_recipe
from openinspect.store import Workspace

SEGMENTER = """
  - name: surface
    kind: segmenter
    pixel_classes: [{name: scratch, color: "#ff0000"}, {name: dent, color: "#00ff00"}]
"""


@pytest.fixture(scope="module")
def captures() -> list[np.ndarray]:
    return [c.image for c in bracket_captures(4, seed=1)]


@pytest.fixture(scope="module")
def bracket(tmp_path_factory: pytest.TempPathFactory, captures: list[np.ndarray]) -> Workspace:
    """The demo's bracket recipe (plus a segmenter type) with four captures: two good, one loose nut, one masked.

    Shared by the module's tests, which only read it.
    """
    workspace = Workspace(tmp_path_factory.mktemp("bracket") / "home")
    yaml = bracket_scene().recipe_yaml.replace("rois:", SEGMENTER.strip("\n").join(["", "\nrois:"]), 1)
    yaml = yaml.replace("types:\n", "calibration: {mm_per_px: 0.5}\ntypes:\n").replace("single-model", "multi-model")
    yaml += "  - {name: plate, type: surface, x: 300, y: 300, w: 300, h: 80}\n"
    recipe = parse_recipe(yaml)
    workspace.save_recipe(recipe)
    stored = [workspace.add_image(png_bytes(image), f"bracket-{i}.png") for i, image in enumerate(captures)]
    for i, image in enumerate(stored[:3]):
        for roi in ("nut-left", "nut-right"):
            workspace.set_label(recipe.name, "nut", image, roi, "loose" if (i, roi) == (2, "nut-left") else "good")
    workspace.set_mask(recipe.name, "surface", stored[0], np.zeros((400, 800), np.uint8))
    dirty = np.zeros((400, 800), np.uint8)
    dirty[320:330, 400:420] = 1
    workspace.set_mask(recipe.name, "surface", stored[1], dirty)
    return workspace


def test_hosts_are_the_captures_labelled_good_with_their_roi_boxes(bracket: Workspace) -> None:
    recipe = bracket.recipe("bracket-nuts")
    target = synth_target(recipe, "nut")
    assert (target.class_name, [r.name for r in target.rois]) == ("loose", ["nut-left", "nut-right"])
    hosts = synth_hosts(bracket, recipe, target)
    assert [h.name for h in hosts] == ["bracket-0.png", "bracket-1.png"]  # bracket-2 has a loose nut
    assert hosts[0].regions == (("nut-left", (120, 80, 320, 280)), ("nut-right", (480, 80, 680, 280)))
    segmenter = synth_hosts(bracket, recipe, synth_target(recipe, "surface", "plate"))
    assert [h.name for h in segmenter] == ["bracket-0.png"]  # bracket-1's mask marks a defect


def test_a_batch_draws_only_inside_the_rois_going_round_hosts_and_rois(bracket: Workspace, tmp_path: Path) -> None:
    recipe = bracket.recipe("bracket-nuts")
    target = synth_target(recipe, "nut")
    hosts = synth_hosts(bracket, recipe, target)
    samples = synthesize(hosts, read_spec(recipe, "two small dark stains"), count=4, seed=10)
    assert [(s.host.name, s.roi, s.made.seed) for s in samples] == [
        ("bracket-0.png", "nut-left", 10), ("bracket-0.png", "nut-right", 11),
        ("bracket-1.png", "nut-left", 12), ("bracket-1.png", "nut-right", 13)]
    for sample in samples:
        x0, y0, x1, y1 = dict(sample.host.regions)[sample.roi]
        inside = np.zeros(sample.made.mask.shape, bool)
        inside[y0:y1, x0:x1] = True
        assert sample.made.mask.any() and not (sample.made.mask & ~inside).any()
        assert np.array_equal(sample.made.image[~inside], sample.host.image[~inside])
    entries = write_batch(samples, target, tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out" / "images").iterdir()) == sorted(
        Path(str(e["image"])).name for e in entries)
    mask = np.asarray(Image.open(tmp_path / "out" / "masks" / f"{samples[0].stem}.png"))
    assert set(np.unique(mask)) == {0, 255} and np.array_equal(mask > 0, samples[0].made.mask)


def test_second_pixel_class_masks_carry_its_number(bracket: Workspace, tmp_path: Path) -> None:
    recipe = bracket.recipe("bracket-nuts")
    target = synth_target(recipe, "surface", class_name="dent")
    assert target.class_index == 2
    samples = synthesize(synth_hosts(bracket, recipe, target), read_spec(recipe, "a dent"), count=1, seed=0)
    write_batch(samples, target, tmp_path)
    assert set(np.unique(np.asarray(Image.open(tmp_path / "masks" / f"{samples[0].stem}.png")))) == {0, 2}


def test_hosts_from_files_and_folders(bracket: Workspace, captures: list[np.ndarray], tmp_path: Path) -> None:
    recipe = bracket.recipe("bracket-nuts")
    for i, image in enumerate(captures[2:]):
        write_png(tmp_path / "hosts" / f"h{i}.png", image)
    hosts = synth_hosts(bracket, recipe, synth_target(recipe, "nut", "nut-right"), [tmp_path / "hosts"])
    assert [(h.name, [r for r, _ in h.regions]) for h in hosts] == [("h0.png", ["nut-right"]), ("h1.png", ["nut-right"])]


def test_sizes_in_mm_use_the_recipe_calibration(bracket: Workspace) -> None:
    assert read_spec(bracket.recipe("bracket-nuts"), "a 10 mm stain").size_px == 20


@pytest.mark.parametrize(("kwargs", "error", "says"), [
    ({"type_name": "bolt"}, RecipeError, "no inspection type 'bolt'"),
    ({"type_name": "nut", "roi": "plate"}, RecipeError, "no ROI 'plate' of type 'nut'; its ROIs: nut-left, nut-right"),
    ({"type_name": "nut", "class_name": "good"}, RecipeError, "no fail class 'good'; defects can be labelled: loose"),
    ({"type_name": "surface", "class_name": "rust"}, RecipeError, "pixel class 'rust'"),
])
def test_a_type_roi_or_class_the_recipe_lacks_is_refused(bracket: Workspace, kwargs: dict, error: type, says: str) -> None:
    with pytest.raises(error, match=says):
        synth_target(bracket.recipe("bracket-nuts"), **kwargs)


def test_no_good_capture_or_a_bad_count_or_a_defect_too_big_is_refused(bracket: Workspace, tmp_path: Path) -> None:
    recipe = bracket.recipe("bracket-nuts")
    empty = Workspace(tmp_path / "empty")
    empty.save_recipe(recipe)
    with pytest.raises(DatasetError, match="no capture labelled good .* --on"):
        synth_hosts(empty, recipe, synth_target(recipe, "nut"))
    hosts = synth_hosts(bracket, recipe, synth_target(recipe, "nut"))
    with pytest.raises(SynthError, match="count 0 is out of range"):
        synthesize(hosts, read_spec(recipe, "a stain"), count=0, seed=0)
    with pytest.raises(SynthError, match="bracket-0.png, ROI 'nut-left': the described size .* does not fit"):
        synthesize(hosts, read_spec(recipe, "a 150 mm stain"), count=2, seed=0)


def test_on_an_aligned_recipe_the_roi_box_moves_with_the_part(tmp_path: Path) -> None:
    from tests.unit.imaging.scenes import NUT, scene
    from tests.unit.station.test_pipeline_alignment import RECIPE as ALIGNED

    workspace = Workspace(tmp_path / "home")
    recipe = parse_recipe(ALIGNED)
    workspace.save_recipe(recipe)
    write_png(workspace.recipe_path("bracket").parent / "reference.png", scene())
    write_png(tmp_path / "hosts" / "shifted.png", scene(-60, 45, seed=1))
    target = synth_target(recipe, "nut", "nut")
    (host,) = synth_hosts(workspace, recipe, target, [tmp_path / "hosts"])
    (_, (x0, y0, x1, y1)), = host.regions
    assert abs(x0 - (NUT.x - 60)) <= 2 and abs(y0 - (NUT.y + 45)) <= 2 and (x1 - x0, y1 - y0) == (NUT.w, NUT.h)
    made = synthesize([host], read_spec(recipe, "a large stain"), count=1, seed=0)[0].made
    ys, xs = np.nonzero(made.mask)
    assert xs.min() >= x0 and xs.max() < x1 and ys.min() >= y0 and ys.max() < y1
