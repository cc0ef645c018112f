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
    """How many images of each class went to ``train/`` and to ``test/``."""

    train: dict[str, int]
    test: dict[str, int]


def split_images(sources: dict[str, list[Path]], out: Path, train_per_class: int, *, seed: int = 0,
                 test_per_class: int | None = None) -> SplitReport:
    """Copy ``train_per_class`` images per class, drawn at random, to ``out/train/<class>/``, the rest to ``out/test/``.

    Args:
        sources: class name -> image files, or folders whose image files (not sub-folders) all count.
        out: a folder that does not exist yet or is empty.
        train_per_class: training images per class.
        seed: the draw depends only on the seed and the set of files (their order on the command line does not).
        test_per_class: at most this many of the remaining images per class go to ``test/`` (default: all).

    Raises:
        DatasetError: a source is missing, a class has too few images, two files of a class share a name,
            or ``out`` holds files already.
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
        plan[name] = order[:train_per_class], order[train_per_class:][:test_per_class]
    for name, (train, test) in plan.items():
        for part, files in (("train", train), ("test", test)):
            target = out / part / name
            target.mkdir(parents=True, exist_ok=True)
            for file in files:
                shutil.copy2(file, target / file.name)
    return SplitReport({n: len(t) for n, (t, _) in plan.items()}, {n: len(t) for n, (_, t) in plan.items()})


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
    seen: dict[str, Path] = {}
    for file in files:
        if file.name in seen:
            raise DatasetError(f"class '{name}': {seen[file.name]} and {file} share a name and would land in one "
                               f"folder; rename one")
        seen[file.name] = file
    return files
