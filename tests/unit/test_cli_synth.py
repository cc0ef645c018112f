"""`openinspect synth`: the README's command as written, the specification printed first, bad input refused."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from tests.conftest import DATASET, run_cli

from openinspect.imaging import read_image
from openinspect.recipe import parse_recipe
from openinspect.store import Workspace

ROOT = Path(__file__).resolve().parents[2]
TILES = """
name: tiles
profile: single-model
types:
  - name: tile
    kind: classifier
    classes:
      - {name: good, pass: true}
      - {name: defect, pass: false}
rois:
  - {name: tile, type: tile}
"""


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The quickstart's ``tiles`` recipe with three real good tiles labelled good and one labelled defect."""
    tiles = sorted((DATASET / "MT_Free" / "Imgs").glob("*.jpg"))[:3]
    if not tiles:
        pytest.skip(f"magnetic-tile dataset not found at {DATASET}")
    workspace = Workspace(tmp_path_factory.mktemp("synth") / "home")
    workspace.save_recipe(parse_recipe(TILES))
    for path in tiles:
        workspace.set_label("tiles", "tile", workspace.add_image(path.read_bytes(), path.name), "tile", "good")
    crack = sorted((DATASET / "MT_Crack" / "Imgs").glob("*.jpg"))[0]
    workspace.set_label("tiles", "tile", workspace.add_image(crack.read_bytes(), crack.name), "tile", "defect")
    workspace.engine.dispose()
    return workspace.home


def _readme_command() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Defect Creator", 1)[1].split("\n## ", 1)[0]
    (line,) = re.findall(r"^openinspect synth .*$", section, flags=re.MULTILINE)
    return shlex.split(line)[1:]


def test_the_readme_command_prints_the_specification_and_writes_images_and_masks(home: Path, tmp_path: Path,
                                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(home, *_readme_command())
    assert code == 0, err
    understood = out.split("  ignored:")[0]
    for line in ("kind: blowhole", "count: 2 to 4", "size: small", "tone: dark", "location: top"):
        assert f"  {line}\n" in understood
    assert "  ignored: nothing\n" in out and out.endswith("(masks in synth/masks)\n")
    images = sorted((tmp_path / "synth" / "images").glob("*.png"))
    assert len(images) == 8
    manifest = json.loads((tmp_path / "synth" / "synth.json").read_text())
    assert [e["seed"] for e in manifest["images"]] == list(range(1, 9))
    assert {e["host"] for e in manifest["images"]} == {p.name for p in sorted(
        (DATASET / "MT_Free" / "Imgs").glob("*.jpg"))[:3]}  # the good captures only, never the cracked one
    for path in images:
        mask = np.asarray(Image.open(tmp_path / "synth" / "masks" / path.name)) > 0
        image = np.asarray(Image.open(path))
        assert mask.any() and mask.shape == image.shape[:2]
        assert mask[: image.shape[0] // 2].sum() > mask[image.shape[0] // 2:].sum()  # near the top edge


def test_json_gives_the_specification_and_ignored_words_as_data(home: Path) -> None:
    code, out, err = run_cli(home, "synth", "tiles", "a wobbly thin scratch", "--type", "tile", "--count", "2", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["spec"]["kind"] == "scratch" and data["spec"]["ignored"] == ["wobbly"]
    assert data["class"] == "defect" and [i["seed"] for i in data["images"]] == [0, 1]


def test_unknown_words_are_named_before_anything_is_made(home: Path) -> None:
    code, out, _ = run_cli(home, "synth", "tiles", "a zorbly dent", "--type", "tile", "--count", "1")
    assert code == 0 and "  ignored: 'zorbly'\n" in out and "nothing written (give --out DIR)" in out


@pytest.mark.parametrize(("args", "says"), [
    (("", "--type", "tile"), "the defect description is empty"),
    (("blah blah", "--type", "tile"), "no defect kind in 'blah blah'"),
    (("a scratch", "--type", "tile", "--count", "0"), "count 0 is out of range"),
    (("300 scratches", "--type", "tile"), "count 300 is out of range"),
    (("a 5 mm dent", "--type", "tile"), "needs the recipe's calibration"),
    (("a 2000 px dent", "--type", "tile"), "does not fit the host region"),
    (("a dent", "--type", "tile", "--roi", "left"), "no ROI 'left' of type 'tile'; its ROIs: tile"),
    (("a dent", "--type", "tile", "--class", "good"), "no fail class 'good'"),
    (("a dent", "--type", "plate"), "no inspection type 'plate'"),
])
def test_bad_input_is_refused_naming_the_problem_and_nothing_is_written(home: Path, tmp_path: Path,
                                                                        args: tuple[str, ...], says: str) -> None:
    code, _, err = run_cli(home, "synth", "tiles", *args, "--out", tmp_path / "out")
    assert code == 2 and says in err, err
    assert not (tmp_path / "out").exists()


def test_hosts_given_with_on(home: Path, tmp_path: Path) -> None:
    tiny = tmp_path / "tiny.png"
    Image.fromarray(np.full((12, 12, 3), 128, np.uint8)).save(tiny)
    code, _, err = run_cli(home, "synth", "tiles", "a dent", "--type", "tile", "--on", tiny)
    assert code == 2 and "smaller than any defect" in err


SEGMENTED = """
name: segtiles
types:
  - name: surface
    kind: segmenter
    pixel_classes: [{name: blowhole, color: "#ff0000"}]
rois:
  - {name: tile, type: surface}
"""


def test_match_draws_defects_like_the_painted_examples_and_says_what_it_matched(tmp_path: Path) -> None:
    """Real blowholes painted on two captures: 'a large stain' comes out blowhole-sized; a classifier is refused."""
    workspace = Workspace(tmp_path / "home")
    workspace.save_recipe(parse_recipe(SEGMENTED))
    for path in sorted((DATASET / "MT_Free" / "Imgs").glob("*.jpg"))[:2]:
        with Image.open(path) as image:
            clean = np.zeros((image.height, image.width), np.uint8)
        workspace.set_mask("segtiles", "surface", workspace.add_image(path.read_bytes(), path.name), clean)
    for path in sorted((DATASET / "MT_Blowhole" / "Imgs").glob("*.jpg"))[:2]:
        with Image.open(path.with_suffix(".png")) as painted:
            mask = (np.asarray(painted.convert("L")) >= 128).astype(np.uint8)
        workspace.set_mask("segtiles", "surface", workspace.add_image(path.read_bytes(), path.name), mask)
    workspace.engine.dispose()
    code, out, err = run_cli(workspace.home, "synth", "segtiles", "a large stain", "--type", "surface", "--match",
                             "--count", "3", "--out", tmp_path / "made")
    assert code == 0, err
    assert "matching:\n  matched to 2 labelled image(s)\n" in out and "  contrast: " in out
    made = [read_image(p)[:, :, 0] > 0 for p in sorted((tmp_path / "made" / "masks").glob("*.png"))]
    plain = [read_image(p)[:, :, 0] > 0 for p in _made(workspace.home, tmp_path / "plain", "a large stain")]
    assert len(made) == 3 and all(m.any() for m in made)
    assert np.median([m.sum() for m in made]) < 0.2 * np.median([m.sum() for m in plain])
    home = tmp_path / "cls"
    cls = Workspace(home)
    cls.save_recipe(parse_recipe(TILES))
    cls.engine.dispose()
    code, _, err = run_cli(home, "synth", "tiles", "a stain", "--type", "tile", "--match")
    assert code == 2 and "matching measures painted masks, and 'tile' is a classifier type" in err


def _made(home: Path, out: Path, description: str) -> list[Path]:
    code, _, err = run_cli(home, "synth", "segtiles", description, "--type", "surface", "--count", "3", "--out", out)
    assert code == 0, err
    return sorted((out / "masks").glob("*.png"))
