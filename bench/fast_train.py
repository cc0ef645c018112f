"""Fast training of 40 magnetic tiles (20 good, 20 defect), validation folds included: before and after, one run.

    python bench/fast_train.py [--seed 0] [--record tests/unit/training/data/fast_job.json]

The quickstart's recipe (one whole-capture ROI, mirrored copies allowed) in a fresh workspace, 20 good and 20
defect tiles drawn at random. Before: every validation fold and the final model trains through
``train_classifier``, extracting the backbone features of its crops again, and ``torch.export`` writes the ONNX
file. After: ``train_type``, features once for every model, the traced export. Prints wall and CPU seconds
(the CPU is shared, so wall time depends on the load), their ratios, and how far apart the two runs' validation
probabilities are. ``--record`` stores the new run's progress reports with their times (test data for the
time-left estimate).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from openinspect.dataset.folders import import_class_folders
from openinspect.models.classifier import train_classifier
from openinspect.models.export import export_onnx
from openinspect.models.progress import Fold, Step
from openinspect.recipe import ClassifierType, Recipe, TrainingMode
from openinspect.store import Workspace
from openinspect.training.service import classification_set, train_type
from openinspect.training.validation import plan_validation

DATASET = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "magnetic-tile"
DEFECTS = ("MT_Blowhole", "MT_Break", "MT_Crack", "MT_Fray", "MT_Uneven")
RECIPE = {"name": "tiles", "profile": "single-model", "rois": [{"name": "tile", "type": "tile"}],
          "types": [{"name": "tile", "kind": "classifier", "mode": "fast", "augment": {"hflip": True, "vflip": True},
                     "classes": [{"name": "good", "pass": True}, {"name": "defect", "pass": False}]}]}


class Clock:
    """Wall and CPU seconds since it was made."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def read(self) -> tuple[float, float]:
        return time.perf_counter() - self.wall, time.process_time() - self.cpu


def workspace(root: Path, seed: int) -> Workspace:
    """A fresh workspace with the tiles recipe and 20 good + 20 defect tiles labelled."""
    rng = np.random.default_rng(seed)
    good = sorted((DATASET / "MT_Free" / "Imgs").glob("*.jpg"))
    bad = [p for d in DEFECTS for p in sorted((DATASET / d / "Imgs").glob("*.jpg"))]
    for name, paths in (("good", good), ("defect", bad)):
        (root / "train" / name).mkdir(parents=True)
        for path in rng.choice(np.array(paths), 20, replace=False):
            (root / "train" / name / f"{path.parent.parent.name}_{path.name}").write_bytes(path.read_bytes())
    ws = Workspace(root / "home")
    ws.save_recipe(Recipe.model_validate(RECIPE))
    import_class_folders(ws, ws.recipe("tiles"), "tile", root / "train")
    return ws


def before(ws: Workspace, seed: int, out: Path) -> tuple[tuple[float, float], dict[str, np.ndarray]]:
    """The training service as it was: a full ``train_classifier`` per fold and for the final model."""
    clock = Clock()
    recipe = ws.recipe("tiles")
    spec = recipe.inspection_type("tile")
    assert isinstance(spec, ClassifierType)
    data = classification_set(ws, recipe, spec, TrainingMode.FAST)
    plan = plan_validation(data.targets, spec.class_names(), TrainingMode.FAST, seed)
    fit = lambda idx: train_classifier(data.images[idx], data.targets[idx], 2, "fast", seed=seed,  # noqa: E731
                                       hflip=True, vflip=True)
    probabilities = {}
    for train_idx, val_idx in plan.folds:
        rows = fit(train_idx).predict_proba(data.images[val_idx])
        probabilities |= {data.sources[i].image: row for i, row in zip(val_idx, rows, strict=True)}
    final = fit(np.arange(len(data.targets)))
    export_onnx(final.net, final.input_size, out / "before.onnx")
    return clock.read(), probabilities


def after(ws: Workspace, seed: int) -> tuple[tuple[float, float], dict[str, np.ndarray], list[dict]]:
    """``train_type`` as it is now, recording every progress report with its time."""
    events: list[dict] = []
    clock = Clock()

    def record(fraction: float, status: str, *, step: Step | None = None, fold: Fold | None = None) -> None:
        wall, cpu = clock.read()
        events.append({"t": round(wall, 3), "cpu": round(cpu, 3), "fraction": round(fraction, 4), "status": status,
                       "fold": None if fold is None else [fold.index, fold.folds]})

    model = train_type(ws, ws.recipe("tiles"), "tile", mode=TrainingMode.FAST, seed=seed, progress=record)
    seconds = clock.read()
    events.append({"t": round(seconds[0], 3), "cpu": round(seconds[1], 3), "fraction": 1.0, "status": "published",
                   "fold": None})
    crops = json.loads((model.onnx_path.parent / "validation.json").read_text())["crops"]
    names = model.meta().classes
    return seconds, {c["image"]: np.array([c["probabilities"][n] for n in names]) for c in crops}, events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--record", type=Path, help="write the new run's timed progress reports here (JSON)")
    parser.add_argument("--after-only", action="store_true", help="skip the old path (to record progress only)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ws = workspace(root, args.seed)
        import torch  # loaded before either run, so neither pays for it

        torch.zeros(1)
        if not args.after_only:
            (old_wall, old_cpu), old_probs = before(ws, args.seed, root)
        (new_wall, new_cpu), new_probs, events = after(ws, args.seed)
    if args.record:
        args.record.parent.mkdir(parents=True, exist_ok=True)
        args.record.write_text(json.dumps({"what": "train_type, Fast, 40 magnetic tiles, seed "
                                           f"{args.seed}, hflip + vflip", "events": events}, indent=1) + "\n")
    print(f"after: {new_wall:.1f} s wall, {new_cpu:.1f} s CPU")
    if args.after_only:
        return
    diff = max(float(np.abs(old_probs[k] - new_probs[k]).max()) for k in old_probs)
    same = sum(int(old_probs[k].argmax() == new_probs[k].argmax()) for k in old_probs)
    print(f"40 tiles, seed {args.seed}, 5-fold validation + final model, hflip + vflip, incl. ONNX export")
    print(f"{'':28}{'wall s':>9}{'CPU s':>9}")
    print(f"{'before (features per model)':28}{old_wall:9.1f}{old_cpu:9.1f}")
    print(f"{'after (features once)':28}{new_wall:9.1f}{new_cpu:9.1f}")
    print(f"{'after / before':28}{new_wall / old_wall:9.2f}{new_cpu / old_cpu:9.2f}")
    print(f"validation crops: {len(old_probs)}; same predicted class: {same}; "
          f"largest probability difference {diff:.1e}")


if __name__ == "__main__":
    main()
