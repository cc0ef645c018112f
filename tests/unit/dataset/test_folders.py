import numpy as np
import pytest
from tests.conftest import part_capture, write_png

from openinspect.dataset import import_class_folders
from openinspect.errors import DatasetError
from openinspect.recipe import parse_recipe

RECIPE = parse_recipe("""
name: plate
profile: single-model
types: [{name: surface, kind: classifier, classes: [{name: good, pass: true}, {name: scratch, pass: false}]}]
rois:
  - {name: left, type: surface, x: 0, y: 0, w: 64, h: 96}
  - {name: right, type: surface, x: 64, y: 0, w: 64, h: 96}
""")


def _folders(root, good=2, scratch=2):
    for i in range(good):
        write_png(root / "good" / f"g{i}.png", part_capture(False, i))
    for i in range(scratch):
        write_png(root / "scratch" / f"s{i}.png", part_capture(True, 100 + i))
    return root


def test_import_labels_every_roi_of_the_type(workspace, tmp_path):
    report = import_class_folders(workspace, RECIPE, "surface", _folders(tmp_path / "data"))
    assert report.added == {"good": 2, "scratch": 2}
    labels = workspace.labels("plate", "surface")
    assert len(labels) == 8
    assert {(lb.image.original_name, lb.roi, lb.class_name) for lb in labels} >= {
        ("s0.png", "left", "scratch"), ("s0.png", "right", "scratch"), ("g1.png", "left", "good")}


def test_reimport_does_not_duplicate(workspace, tmp_path):
    root = _folders(tmp_path / "data")
    import_class_folders(workspace, RECIPE, "surface", root)
    report = import_class_folders(workspace, RECIPE, "surface", root)
    assert report.added == {"good": 0, "scratch": 0} and report.already_present == 4
    assert len(workspace.labels("plate", "surface")) == 8


def test_unknown_class_folder_is_refused_naming_classes(workspace, tmp_path):
    root = _folders(tmp_path / "data")
    write_png(root / "scratchh" / "x.png", part_capture(True, 7))
    with pytest.raises(DatasetError, match=r"scratchh is not a class.*classes: good, scratch"):
        import_class_folders(workspace, RECIPE, "surface", root)
    assert workspace.labels("plate", "surface") == []


def test_bad_files_abort_import_with_all_listed_and_nothing_stored(workspace, tmp_path):
    root = _folders(tmp_path / "data")
    (root / "good" / "truncated.png").write_bytes((root / "good" / "g0.png").read_bytes()[:60])
    write_png(root / "scratch" / "small.png", np.zeros((50, 50, 3), np.uint8))
    with pytest.raises(DatasetError) as err:
        import_class_folders(workspace, RECIPE, "surface", root)
    message = str(err.value)
    assert "nothing imported: 2 file(s)" in message
    assert "truncated.png" in message
    assert "small.png: capture is 50x50 px but ROI 'left'" in message
    assert workspace.labels("plate", "surface") == []
    assert not (workspace.home / "images").exists()


def test_missing_folder_is_explained(workspace, tmp_path):
    with pytest.raises(DatasetError, match="is not a folder; expected"):
        import_class_folders(workspace, RECIPE, "surface", tmp_path / "nope")
