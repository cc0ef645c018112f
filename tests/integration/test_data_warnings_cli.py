"""Through the real command line, on real tiles: `train` warns about data that will not generalise, `eval` about
captures the model trained on."""

import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from tests.conftest import DATASET, run_cli

pytestmark = pytest.mark.slow
RECIPE = """name: tiles
types:
  - name: tile
    kind: classifier
    mode: fast
    input_size: 64          # small: these tests are about the data, not the model
    classes:
      - {name: good, pass: true}
      - {name: defect, pass: false}
rois:
  - {name: tile, type: tile}
"""


def _tiles(folder: str, count: int, start: int = 0) -> list[Path]:
    return sorted((DATASET / folder / "Imgs").glob("*.jpg"))[start:start + count]


def _copy(src: Path, dst: Path) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(src, dst)
    return dst


def _resaved_darker(src: Path, dst: Path) -> Path:
    """The tile saved again as JPEG (quality 90) and 5 % darker: a copy a user would not notice."""
    pixels = np.asarray(Image.open(src).convert("RGB")).astype(np.float32) * 0.95
    buffer = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8)).save(buffer, "JPEG", quality=90)
    dst.write_bytes(buffer.getvalue())
    return dst


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """6 good tiles (one a re-saved copy of another) and 1 defect, trained once (one class of 1 image: no validation
    folds, so one fit); returns (home, folder, stdout, stderr, the good tiles)."""
    if not DATASET.is_dir():
        pytest.skip(f"magnetic-tile dataset not found at {DATASET}")
    folder = tmp_path_factory.mktemp("warnings")
    good = [_copy(p, folder / "train" / "good" / p.name) for p in _tiles("MT_Free", 5)]
    _resaved_darker(good[3], folder / "train" / "good" / f"copy-of-{good[3].name}")
    _copy(_tiles("MT_Crack", 1)[0], folder / "train" / "defect" / _tiles("MT_Crack", 1)[0].name)
    (folder / "tiles.yaml").write_text(RECIPE)
    home = folder / "home"
    assert run_cli(home, "recipe", "add", folder / "tiles.yaml")[0] == 0
    assert run_cli(home, "label", "import", "tiles", "--type", "tile", "--folders", folder / "train")[0] == 0
    code, out, err = run_cli(home, "train", "tiles", "--type", "tile")
    assert code == 0, err
    return home, folder, out, err, good


def test_train_names_the_near_duplicate_the_small_class_and_the_imbalance(trained):
    _, _, out, err, good = trained
    assert "trained tiles/tile v1 (fast, for trying a set-up, not for production)" in out
    warnings = [line for line in err.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 3, err
    assert "warning: 1 pair(s) of near-duplicate training images" in warnings[0]
    assert good[3].name in warnings[0] and f"copy-of-{good[3].name}" in warnings[0]
    assert "remove one of each pair" in warnings[0]
    assert warnings[1].startswith("warning: class 'defect' has 1 labelled crop(s): fewer than 3")
    assert warnings[2].startswith("warning: classes are imbalanced: 'good' has 6 labelled crops, 'defect' 1 (6.0:1")


def test_the_warnings_are_kept_with_the_model_version(trained):
    home, _, _, err, _ = trained
    meta = json.loads((home / "models" / "tiles" / "tile" / "v1" / "meta.json").read_text())
    assert [f"warning: {w}" for w in meta["warnings"]] == [
        line for line in err.splitlines() if line.startswith("warning: ")]
    assert len(meta["images"]) == 7  # every training capture, by content


def test_eval_on_training_captures_says_which_and_that_the_figure_is_optimistic(trained, tmp_path):
    home, folder, _, _, good = trained
    shutil.copytree(home, tmp_path / "home")
    _copy(good[0], tmp_path / "test" / "good" / "renamed.jpg")  # the same content under another name
    _copy(folder / "train" / "defect" / _tiles("MT_Crack", 1)[0].name, tmp_path / "test" / "defect" / "c.jpg")
    for p in _tiles("MT_Free", 2, start=500) + _tiles("MT_Break", 2):
        _copy(p, tmp_path / "test" / ("good" if "Free" in str(p) else "defect") / p.name)
    code, out, err = run_cli(tmp_path / "home", "eval", "tiles", "--type", "tile", "--folders", tmp_path / "test")
    assert code == 0 and "balanced accuracy" in out
    test = tmp_path / "test"
    assert err.strip() == (f"warning: 2 of the 6 evaluated captures were in model v1's training set (same content): "
                           f"{test / 'defect' / 'c.jpg'}, {test / 'good' / 'renamed.jpg'}; the figures are optimistic: "
                           f"evaluate on captures the model has not seen")
    code, out, err = run_cli(tmp_path / "home", "eval", "tiles", "--type", "tile", "--folders", test, "--json")
    assert code == 0 and "were in model v1's training set" in err
    assert json.loads(out)["trained_on"] == [str(test / "defect" / "c.jpg"), str(test / "good" / "renamed.jpg")]


def test_eval_on_unseen_captures_warns_of_nothing(trained, tmp_path):
    home = trained[0]
    for p in _tiles("MT_Free", 2, start=600) + _tiles("MT_Uneven", 2):
        _copy(p, tmp_path / "test" / ("good" if "Free" in str(p) else "defect") / p.name)
    code, out, err = run_cli(home, "eval", "tiles", "--type", "tile", "--folders", tmp_path / "test")
    assert code == 0 and "balanced accuracy" in out and err == ""
