"""Split labelled images into training and test folders at random, with a fixed seed.

Taking the first images in name order trains on one stretch of a production run (often one
batch, one lighting) and tests on another; a random draw spreads both over the data.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from openinspect.errors import DatasetError
from openinspect.imaging.formats import IMAGE_SUFFIXES


@dataclass(frozen=True)
class SplitReport:
    """How many images of each class went to ``train/`` and to ``test/``, and how many to ``unlabelled/``."""

    train: dict[str, int]
    test: dict[str, int]
    unlabelled: int = 0


def split_images(sources: dict[str, list[Path]], out: Path, train_per_class: int, *, seed: int = 0,
                 test_per_class: int | None = None, unlabelled: int = 0) -> SplitReport:
    """Copy ``train_per_class`` images per class, drawn at random, to ``out/train/<class>/``, the rest to ``out/test/``.

    With ``unlabelled``, that many of the images left after the training draw, drawn at random over every class
    together, go to ``out/unlabelled/`` without their class instead (captures nobody labelled, as a station
    collects them); the test images are drawn from the rest.

    Args:
        sources: class name -> image files, or folders whose image files (not sub-folders) all count.
        out: a folder that does not exist yet or is empty.
        train_per_class: training images per class.
        seed: the draw depends only on the seed and the set of files (their order on the command line does not).
        test_per_class: at most this many of the remaining images per class go to ``test/`` (default: all).
        unlabelled: images for ``unlabelled/``.

    Raises:
        DatasetError: a source is missing, a class has too few images, two files of a class (or two unlabelled
            files) share a name, fewer images are left than ``unlabelled`` asks, or ``out`` holds files already.
    """
    if out.exists() and any(out.iterdir()):
        raise DatasetError(f"{out} is not empty; name a new folder or remove it first (nothing was copied)")
    rng = np.random.default_rng(seed)
    plan: dict[str, tuple[list[Path], list[Path]]] = {}
    for name, paths in sources.items():
        files = _images(name, paths)
        if len(files) <= train_per_class:
            raise DatasetError(f"class '{name}' has {len(files)} image(s): {train_per_class} to train leave none "
                               f"to test; lower --train-per-class or add images")
        order = [files[i] for i in rng.permutation(len(files))]
        plan[name] = order[:train_per_class], order[train_per_class:]
    unlabelled_files = _draw_unlabelled(plan, unlabelled, rng)
    for name, (train, rest) in plan.items():
        test = [file for file in rest if file not in unlabelled_files][:test_per_class]
        plan[name] = train, test
        for part, files in (("train", train), ("test", test)):
            _copy(files, out / part / name)
    if unlabelled_files:
        _copy(sorted(unlabelled_files), out / "unlabelled")
    return SplitReport({n: len(t) for n, (t, _) in plan.items()}, {n: len(t) for n, (_, t) in plan.items()},
                       len(unlabelled_files))


def _draw_unlabelled(plan: dict[str, tuple[list[Path], list[Path]]], count: int,
                     rng: np.random.Generator) -> set[Path]:
    """``count`` of the images left after the training draw, at random over every class; refuses name clashes."""
    if count <= 0:
        return set()
    pool = sorted({file for _, rest in plan.values() for file in rest})
    if count > len(pool):
        raise DatasetError(f"--unlabelled {count} asks for more images than the {len(pool)} left after the training "
                           f"draw; lower it or add images (nothing was copied)")
    drawn = [pool[i] for i in rng.permutation(len(pool))[:count]]
    _refuse_shared_names(drawn, folder=", unlabelled/", tail=" (nothing was copied)")
    return set(drawn)


def _copy(files: list[Path], target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for file in files:
        shutil.copy2(file, target / file.name)


def _images(name: str, paths: list[Path]) -> list[Path]:
    """The image files of one class, sorted by path; refuses a missing path and two files of one name."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += [p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
                      and not p.name.startswith(".")]
        elif path.is_file():
            files.append(path)
        else:
            raise DatasetError(f"class '{name}': {path} does not exist")
    files = sorted(set(files))
    _refuse_shared_names(files, context=f"class '{name}': ")
    return files


def _refuse_shared_names(files: list[Path], *, context: str = "", folder: str = "", tail: str = "") -> None:
    """Refuses two of ``files`` with one name: they would land in one folder, one overwriting the other."""
    seen: dict[str, Path] = {}
    for file in files:
        if file.name in seen:
            raise DatasetError(f"{context}{seen[file.name]} and {file} share a name and would land in one "
                               f"folder{folder}; rename one{tail}")
        seen[file.name] = file
