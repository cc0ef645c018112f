"""The README's "Quickstart on real images", run as written in bash on a small subset of the real tiles.

What differs from a user's run, and only that: ``T`` is a folder holding 8 good and 8 defective real tiles laid out as
the dataset is, the split trains on 3 per class instead of 20 and leaves 2 unlabelled instead of 500, and Accurate
training takes 2 optimiser steps (the
``openinspect`` on ``PATH`` here patches that in), so the whole run takes a minute instead of ten. The figures the
README quotes come from ``python bench/quickstart.py``, which runs the same commands on the whole dataset.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bench.quickstart import quickstart_script
from tests.conftest import DATASET

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
DEFECTS = {"Blowhole": 2, "Break": 2, "Crack": 2, "Fray": 1, "Uneven": 1}
SHIM = """#!/bin/sh
exec "{python}" -c '
import sys
if "train" in sys.argv:  # Accurate: 2 optimiser steps instead of 120, the only change to the product
    from openinspect.models import accurate
    accurate.Schedule.steps = lambda self, num_images: 2
from openinspect.cli import main
sys.argv[0] = "openinspect"
sys.exit(main())' "$@"
"""


def _subset(folder: Path) -> Path:
    """8 good and 8 defective real tiles (with their masks beside them, as the dataset has them)."""
    for name, count in {"Free": 8, **DEFECTS}.items():
        target = folder / f"MT_{name}" / "Imgs"
        target.mkdir(parents=True)
        for jpg in sorted((DATASET / f"MT_{name}" / "Imgs").glob("*.jpg"))[:count]:
            shutil.copy(jpg, target)
            shutil.copy(jpg.with_suffix(".png"), target)
    return folder


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory):
    """Run the README block; returns (exit code, stdout, stderr, the folder it ran in)."""
    if not DATASET.is_dir():
        pytest.skip(f"magnetic-tile dataset not found at {DATASET}")
    base = tmp_path_factory.mktemp("quickstart")
    bin_dir = base / "bin"
    bin_dir.mkdir()
    (bin_dir / "openinspect").write_text(SHIM.format(python=sys.executable))
    (bin_dir / "openinspect").chmod(0o755)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    script = quickstart_script(readme, _subset(base / "magnetic-tile"))
    assert script.count("--train-per-class 20") == 1
    assert script.count("--unlabelled 500") == 1
    script = script.replace("--train-per-class 20", "--train-per-class 3").replace("--unlabelled 500", "--unlabelled 2")
    work = base / "work"
    work.mkdir()
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
           "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    env.pop("OPENINSPECT_HOME", None)
    done = subprocess.run(["bash", "-c", script], cwd=work, env=env, capture_output=True, text=True, timeout=1800,
                          check=False)
    return done.returncode, done.stdout, done.stderr, work


def test_every_command_of_the_quickstart_succeeds(quickstart):
    code, out, err, work = quickstart
    assert code == 0, err[-3000:]
    assert "tiles/train: good 3, defect 3" in out and "tiles/unlabelled: 2 without their class" in out
    assert "recipe 'tiles': 2 capture(s) added, 0 already there, 2 in all" in out
    assert "trained tiles/tile v1 (fast, for trying a set-up, not for production)" in out and "trained tiles/tile v2 (accurate)" in out
    assert "unlabelled captures used: 2 (" in out  # the two `label add` added, never a training or test tile
    assert (work.parent / "line-2" / "recipes" / "tiles" / "recipe.yaml").is_file()


def test_the_split_spreads_over_every_defect_folder_it_can(quickstart):
    work = quickstart[3]
    train, test, unlabelled = ({p.name for p in (work / "tiles" / part).rglob("*.jpg")}
                               for part in ("train", "test", "unlabelled"))
    assert len(list((work / "tiles" / "train" / "defect").iterdir())) == 3
    assert (len(train), len(test), len(unlabelled)) == (6, 8, 2) and not (train & test or unlabelled & (train | test))
    assert not list((work / "tiles").rglob("*.png"))  # the README's globs take the images, not the masks


def test_inspect_prints_json_lines_and_eval_reports_both_models(quickstart):
    _, out, err, _ = quickstart
    lines = [line for line in out.splitlines() if line.startswith("{")]
    assert len(lines) == 6 and all(json.loads(line)["rois"][0]["roi"] == "tile" for line in lines)
    assert "model v2 on tiles/test:" in out and "model v1 on tiles/test:" in out
    # Fast's leave-one-out validation and the two evals; Accurate on 3 per class cannot hold a fifth out, and says so
    assert out.count("balanced accuracy:") == 3
    assert "validation: not possible: Accurate validation holds out 20 % per class" in out
    assert "Traceback" not in err and "were in model" not in err  # the test tiles were never trained on
