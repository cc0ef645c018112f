"""`dataset split`: a random draw per class with a fixed seed, the rest to test, and clear refusals."""

import numpy as np
import pytest
from tests.conftest import write_png

from openinspect.dataset.split import split_images
from openinspect.errors import DatasetError


def _images(folder, prefix, count):
    return [write_png(folder / f"{prefix}{i:02d}.png", np.full((8, 8, 3), i, np.uint8)) for i in range(count)]


def _names(folder):
    return sorted(p.name for p in folder.iterdir())


def test_split_draws_per_class_at_random_and_sends_the_rest_to_test(tmp_path):
    good = _images(tmp_path / "src" / "good", "g", 12)
    bad = _images(tmp_path / "src" / "a", "a", 5) + _images(tmp_path / "src" / "b", "b", 5)
    report = split_images({"good": good, "bad": bad}, tmp_path / "out", 4, seed=7)
    assert (report.train, report.test) == ({"good": 4, "bad": 4}, {"good": 8, "bad": 6})
    train = _names(tmp_path / "out" / "train" / "good")
    assert train != [f"g{i:02d}.png" for i in range(4)]  # not the first by name
    assert sorted(train + _names(tmp_path / "out" / "test" / "good")) == [p.name for p in good]


def test_the_same_seed_and_files_give_the_same_split_in_any_order_and_another_seed_another(tmp_path):
    files = _images(tmp_path / "src", "t", 20)
    split_images({"c": files}, tmp_path / "one", 5, seed=3)
    split_images({"c": files[::-1]}, tmp_path / "two", 5, seed=3)
    split_images({"c": files}, tmp_path / "three", 5, seed=4)
    first = _names(tmp_path / "one" / "train" / "c")
    assert first == _names(tmp_path / "two" / "train" / "c") != _names(tmp_path / "three" / "train" / "c")


def test_test_per_class_caps_the_test_images_and_a_folder_counts_its_images(tmp_path):
    _images(tmp_path / "src", "t", 10)
    (tmp_path / "src" / "notes.txt").write_text("not an image")
    report = split_images({"c": [tmp_path / "src"]}, tmp_path / "out", 3, test_per_class=2)
    assert (report.train, report.test) == ({"c": 3}, {"c": 2})


def test_unlabelled_draws_over_every_class_after_the_same_training_draw_and_the_test_is_the_rest(tmp_path):
    good = _images(tmp_path / "src" / "good", "g", 12)
    bad = _images(tmp_path / "src" / "bad", "b", 10)
    plain = split_images({"good": good, "bad": bad}, tmp_path / "plain", 4, seed=5)
    report = split_images({"good": good, "bad": bad}, tmp_path / "out", 4, seed=5, unlabelled=6)
    assert (report.train, report.unlabelled) == (plain.train, 6) and sum(report.test.values()) == 14 - 6
    for name in ("good", "bad"):  # the training draw does not move
        assert _names(tmp_path / "out" / "train" / name) == _names(tmp_path / "plain" / "train" / name)
    unlabelled = _names(tmp_path / "out" / "unlabelled")
    assert len(unlabelled) == 6 and {n[0] for n in unlabelled} == {"g", "b"}  # no class folders, both classes
    test = _names(tmp_path / "out" / "test" / "good") + _names(tmp_path / "out" / "test" / "bad")
    assert not set(test) & set(unlabelled)
    assert sorted(test + unlabelled) == sorted(_names(tmp_path / "plain" / "test" / "good")
                                               + _names(tmp_path / "plain" / "test" / "bad"))
    with pytest.raises(DatasetError, match="--unlabelled 15 asks for more images than the 14 left"):
        split_images({"good": good, "bad": bad}, tmp_path / "many", 4, unlabelled=15)
    assert not (tmp_path / "many").exists()


@pytest.mark.parametrize(("case", "message"), [
    ("few", "class 'c' has 3 image(s): 3 to train leave none to test; lower --train-per-class or add images"),
    ("clash", "share a name and would land in one folder; rename one"),
    ("missing", "does not exist"),
    ("not-empty", "is not empty; name a new folder or remove it first (nothing was copied)"),
])
def test_refusals_name_the_problem_and_copy_nothing(tmp_path, case, message):
    files = _images(tmp_path / "src", "t", 3)
    if case == "clash":
        files += _images(tmp_path / "other", "t", 1)
    if case == "missing":
        files.append(tmp_path / "gone.png")
    if case == "not-empty":
        (tmp_path / "out").mkdir()
        (tmp_path / "out" / "keep.txt").write_text("mine")
    with pytest.raises(DatasetError, match=message.replace("(", r"\(").replace(")", r"\)")):
        split_images({"c": files}, tmp_path / "out", 3 if case == "few" else 1)
    assert not (tmp_path / "out" / "train").exists()
