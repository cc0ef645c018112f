"""`openinspect synth --out` files and masks, `--add` into the data set; `train --no-synthetic` leaves synthetic
images out."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from tests.conftest import part_capture, png_bytes, run_cli

from openinspect.imaging import read_image
from openinspect.recipe import parse_recipe
from openinspect.store import Workspace
from openinspect.store.audit import AuditAction, AuditFilter, AuditLog

RECIPE = """
name: plate
types:
  - name: surface
    kind: classifier
    classes: [{name: good, pass: true}, {name: scratch, pass: false}]
rois:
  - {name: left, type: surface, x: 4, y: 8, w: 56, h: 80}
  - {name: right, type: surface, x: 68, y: 8, w: 56, h: 80}
"""


def _home(tmp_path: Path) -> Path:
    workspace = Workspace(tmp_path / "home")
    workspace.save_recipe(parse_recipe(RECIPE))
    for index in range(2):
        stored = workspace.add_image(png_bytes(part_capture(False, index)), f"good-{index}.png")
        for roi in ("left", "right"):
            workspace.set_label("plate", "surface", stored, roi, "good")
    workspace.engine.dispose()
    return workspace.home


def test_synth_prints_what_it_understood_then_writes_images_and_masks(tmp_path: Path) -> None:
    home = _home(tmp_path)
    code, out, err = run_cli(home, "synth", "plate", "three thin dark scratches zorbly", "--type", "surface",
                             "--roi", "left", "--count", "2", "--seed", "5", "--out", tmp_path / "made")
    assert code == 0, err
    assert out.index("kind: scratch") < out.index("made 2 image(s)") and "ignored: 'zorbly'" in out
    manifest = json.loads((tmp_path / "made" / "synth.json").read_text())
    assert [e["seed"] for e in manifest["images"]] == [5, 6] and manifest["spec"]["ignored"] == ["zorbly"]
    for entry in manifest["images"]:
        image, mask = read_image(tmp_path / "made" / entry["image"]), read_image(tmp_path / "made" / entry["mask"])
        host = part_capture(False, 0 if entry["host"] == "good-0.png" else 1)
        changed = (image != host).any(axis=2)
        assert changed.any() and np.array_equal(changed, mask[:, :, 0] == 255)  # the mask is what changed
    assert not Workspace(home).synthetic("plate")  # --out adds nothing


def test_synth_add_labels_flags_and_audits_and_train_can_leave_them_out(tmp_path: Path) -> None:
    home = _home(tmp_path)
    code, out, err = run_cli(home, "synth", "plate", "a long dark scratch", "--type", "surface", "--count", "2",
                             "--add", "--json")
    assert code == 0, err
    added = json.loads(out)
    workspace = Workspace(home)
    assert added["class"] == "scratch" and set(workspace.synthetic("plate")) == {i["image"] for i in added["images"]}
    assert AuditLog(workspace.engine).query(AuditFilter()).items[0].action is AuditAction.SYNTHETIC_ADD
    workspace.engine.dispose()
    code, _out, err = run_cli(home, "train", "plate", "--type", "surface", "--mode", "fast", "--no-synthetic")
    assert code != 0 and "scratch have no labelled images" in err  # the only scratches are synthetic
    code, _out, err = run_cli(home, "synth", "plate", "a long dark scratch", "--type", "surface", "--class", "good",
                              "--add")
    assert code != 0 and "'good' is a pass class" in err
