import sqlite3

import numpy as np
import pytest
from tests.conftest import png_bytes

from openinspect.errors import ImageError, ModelNotFoundError, NotFoundError
from openinspect.recipe import parse_recipe
from openinspect.store import ModelMeta, Workspace

RECIPE = parse_recipe("""
name: r1
types: [{name: t, kind: classifier, classes: [{name: good, pass: true}, {name: bad, pass: false}]}]
rois: [{name: whole, type: t}]
""")


def test_database_is_sqlite_in_wal_mode(workspace):
    workspace.labels("r1", "t")
    with sqlite3.connect(workspace.home / "openinspect.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_adding_same_image_twice_stores_it_once(workspace):
    data = png_bytes(np.zeros((8, 8, 3), np.uint8))
    first = workspace.add_image(data, "a.png")
    second = workspace.add_image(data, "copy-of-a.png")
    assert first == second
    assert len(list((workspace.home / "images").rglob("*.png"))) == 1
    workspace.set_label("r1", "t", first, "whole", "good")
    workspace.set_label("r1", "t", second, "whole", "bad")
    labels = workspace.labels("r1", "t")
    assert [(lb.roi, lb.class_name) for lb in labels] == [("whole", "bad")]


def test_corrupt_image_is_not_stored(workspace):
    with pytest.raises(ImageError):
        workspace.add_image(b"\x89PNG\r\n\x1a\nbroken", "broken.png")
    assert not (workspace.home / "images").exists() or not any((workspace.home / "images").rglob("*.png"))


def test_recipe_round_trip_and_unknown_recipe_lists_known(workspace):
    workspace.save_recipe(RECIPE)
    assert workspace.recipe("r1") == RECIPE
    assert workspace.recipe_names() == ["r1"]
    with pytest.raises(NotFoundError, match="no recipe named 'r2'.*known recipes: r1"):
        workspace.recipe("r2")


def test_model_versions_count_up_and_latest_wins(workspace):
    for expected in (1, 2):
        with workspace.new_model_version("r1", "t", "fast") as folder:
            (folder / "model.onnx").write_bytes(b"onnx")
            ModelMeta(["good", "bad"], metrics={"accuracy": expected / 2}).write(folder)
    latest = workspace.latest_model("r1", "t")
    assert latest.version == 2 and latest.metrics == {"accuracy": 1.0}
    assert latest.onnx_path == workspace.home / "models" / "r1" / "t" / "v2" / "model.onnx"


def test_failed_model_write_leaves_nothing_behind(workspace):
    with pytest.raises(RuntimeError), workspace.new_model_version("r1", "t", "fast") as folder:
        (folder / "model.onnx").write_bytes(b"half")
        raise RuntimeError("export crashed")
    assert not list((workspace.home / "models" / "r1" / "t").iterdir())
    with pytest.raises(ModelNotFoundError, match="train one with `openinspect train r1 --type t`"):
        workspace.latest_model("r1", "t")


def test_workspace_reopened_sees_everything(tmp_path):
    first = Workspace(tmp_path / "home")
    stored = first.add_image(png_bytes(np.ones((4, 4, 3), np.uint8)), "x.png")
    first.set_label("r1", "t", stored, "whole", "good")
    first.engine.dispose()
    again = Workspace(tmp_path / "home")
    assert [lb.image.sha256 for lb in again.labels("r1", "t")] == [stored.sha256]


def test_writes_in_a_transaction_are_kept_all_or_none(workspace):
    image = workspace.add_image(png_bytes(np.ones((4, 4, 3), np.uint8)), "x.png")
    with pytest.raises(RuntimeError), workspace.transaction():
        workspace.set_label("r1", "t", image, "whole", "good")
        assert len(workspace.labels("r1", "t")) == 1  # the transaction sees its own writes
        raise RuntimeError("a later step failed")
    assert workspace.labels("r1", "t") == []
    with workspace.transaction():
        workspace.set_label("r1", "t", image, "whole", "good")
        workspace.set_label("r1", "t", image, "other", "bad")
    assert len(workspace.labels("r1", "t")) == 2
