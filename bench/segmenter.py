"""Benchmark the segmenter on magnetic-tile against a classical baseline, then time it beside the classifiers.

    python bench/segmenter.py [--parts accuracy,classical,latency,large-roi] [--budget 540]
                              [--threads 2] [--side 0] [--test-good 0] [--no-int8] [--arch legacy]
                              [--seed 0] [--json FILE]

``--arch`` names the segmenter's architecture (``models/segmenter.py`` ``ARCHITECTURES``); several,
comma-separated, are timed side by side with ``--parts latency`` alone.

Split (seed 0): 60 defect images, stratified over the five defect types in proportion to their
counts, and 60 good tiles train; every other image is the test set. Each whole image is the ROI:
decoded with ``read_image``, resized with ``resize_to`` to one model input for all (the product's
rule: the median training image size, longest side capped at 512, sides multiples of 32, or
``--side``), predicted through the exported ONNX model and resized back (nearest) before scoring
at the original size. ``min_blob_px`` is chosen on the training split (largest value keeping
false alarms on its good tiles <= 5 %), never on test.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import cv2
import numpy as np
import torch
from PIL import Image

from openinspect.imaging import model_input_size, read_image, resize_to
from openinspect.models.progress import Fold, Progress, Step
from openinspect.models.runtime import OnnxModel
from openinspect.models.segmenter import ARCHITECTURES

DATASET = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "magnetic-tile"
DEFECTS = ("MT_Blowhole", "MT_Break", "MT_Crack", "MT_Fray", "MT_Uneven")
GOOD = "MT_Free"
MAX_FALSE_ALARMS = 0.05
INT8_TOLERANCE = 0.02
"""int8 is offered when pooled and mean per-image IoU each lose at most this much against fp32."""


@dataclass(frozen=True)
class Sample:
    path: Path
    kind: str
    """Defect folder name, or ``MT_Free`` for good tiles."""


@dataclass(frozen=True)
class Scored:
    """One image's prediction against its truth, at the original size."""

    kind: str
    truth_px: int
    predicted_px: int
    overlap: int
    union: int
    largest_blob: int


# --- data ----------------------------------------------------------------------------------------


def samples(root: Path) -> list[Sample]:
    return [Sample(p, kind) for kind in (*DEFECTS, GOOD) for p in sorted((root / kind / "Imgs").glob("*.jpg"))]


def split(items: list[Sample], defects: int, good: int, seed: int) -> tuple[list[Sample], list[Sample]]:
    """Training set: ``defects`` defect images stratified by type (largest remainder), ``good`` good tiles."""
    rng = np.random.default_rng(seed)
    counts = {k: sum(s.kind == k for s in items) for k in DEFECTS}
    total = sum(counts.values())
    quota = {k: defects * n // total for k, n in counts.items()}
    by_remainder = sorted(DEFECTS, key=lambda k: -(defects * counts[k] % total))
    for k in by_remainder[: defects - sum(quota.values())]:
        quota[k] += 1
    quota[GOOD] = good
    train: list[Sample] = []
    for kind, n in quota.items():
        pool = [s for s in items if s.kind == kind]
        train += [pool[i] for i in sorted(rng.choice(len(pool), n, replace=False))]
    chosen = set(train)
    return train, [s for s in items if s not in chosen]


def load(sample: Sample) -> tuple[np.ndarray, np.ndarray]:
    """``(H, W, 3)`` uint8 RGB and the ``(H, W)`` uint8 0/1 mask (the masks' soft edges cut at 128)."""
    mask = np.asarray(Image.open(sample.path.with_suffix(".png")).convert("L")) >= 128
    return read_image(sample.path), mask.astype(np.uint8)


def input_size(train: list[Sample], side: int) -> tuple[int, int]:
    """The product's segmenter input: median training size, longest side capped at 512 (or ``side``)."""
    sizes = np.array([Image.open(s.path).size for s in train])
    width, height = (round(float(v)) for v in np.median(sizes, axis=0))
    return model_input_size(width, height, side or min(512, max(width, height)))


def model_arrays(items: list[Sample], size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    pairs = [load(s) for s in items]
    images = np.stack([resize_to(image, size) for image, _ in pairs])
    masks = np.stack([cv2.resize(m, size[::-1], interpolation=cv2.INTER_NEAREST) for _, m in pairs])
    return images, masks


# --- scoring -------------------------------------------------------------------------------------


def score(kind: str, truth: np.ndarray, predicted: np.ndarray) -> Scored:
    t, p = truth > 0, predicted > 0
    _, _, stats, _ = cv2.connectedComponentsWithStats(p.astype(np.uint8), connectivity=8)
    largest = int(stats[1:, cv2.CC_STAT_AREA].max()) if len(stats) > 1 else 0
    return Scored(kind, int(t.sum()), int(p.sum()), int((t & p).sum()), int((t | p).sum()), largest)


def run_over(items: list[Sample], predict: Callable[[np.ndarray], np.ndarray]) -> list[Scored]:
    """Predict each image (``(H, W, 3)`` -> ``(H, W)`` mask at the original size) and score it."""
    scored = []
    for sample in items:
        image, truth = load(sample)
        scored.append(score(sample.kind, truth, predict(image)))
    return scored


def onnx_predictor(model: OnnxModel) -> Callable[[np.ndarray], np.ndarray]:
    def predict(image: np.ndarray) -> np.ndarray:
        mask = model.predict(resize_to(image, model.input_size)[None])[0]
        return cv2.resize(mask, image.shape[1::-1], interpolation=cv2.INTER_NEAREST)

    return predict


def choose_min_blob(train_scored: list[Scored]) -> int:
    """Smallest blob size that flags at most 5 % of the training split's good tiles."""
    largest = sorted((s.largest_blob for s in train_scored if s.kind == GOOD), reverse=True)
    allowed = int(MAX_FALSE_ALARMS * len(largest))
    return largest[allowed] + 1 if allowed < len(largest) else 1


def summary(scored: list[Scored], min_blob_px: int) -> dict[str, float | int | dict]:
    defect = [s for s in scored if s.kind != GOOD]
    good = [s for s in scored if s.kind == GOOD]
    ratio = [abs(s.predicted_px - s.truth_px) / s.truth_px for s in defect if s.truth_px]
    out: dict[str, float | int | dict] = {
        **pixel_scores(scored),
        "detection": float(np.mean([s.largest_blob >= min_blob_px for s in defect])),
        "false_alarms": float(np.mean([s.largest_blob >= min_blob_px for s in good])) if good else float("nan"),
        "area_error_median": float(np.median(ratio)),
        "min_blob_px": min_blob_px, "defect_images": len(defect), "good_images": len(good),
    }
    out["per_type"] = {k: pixel_scores([s for s in defect if s.kind == k]) | {
        "detection": float(np.mean([s.largest_blob >= min_blob_px for s in defect if s.kind == k]))} for k in DEFECTS}
    return out


def pixel_scores(scored: list[Scored]) -> dict[str, float]:
    overlap = sum(s.overlap for s in scored)
    union = sum(s.union for s in scored)
    total = sum(s.truth_px + s.predicted_px for s in scored)
    per_image = [s.overlap / s.union for s in scored if s.truth_px]
    return {"iou": overlap / union if union else float("nan"), "f1": 2 * overlap / total if total else float("nan"),
            "mean_image_iou": float(np.mean(per_image)) if per_image else float("nan")}


# --- classical baseline --------------------------------------------------------------------------


@dataclass(frozen=True)
class Classical:
    """Deviation from a median-blurred background (darker only, or either way), thresholded, opened and closed."""

    blur: int
    k: float
    """Threshold in robust standard deviations of the deviation image."""
    open_px: int
    dark_only: bool

    def __call__(self, image: np.ndarray) -> np.ndarray:
        gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
        deviation = cv2.medianBlur(gray.astype(np.uint8), self.blur).astype(np.float32) - gray
        deviation = deviation if self.dark_only else np.abs(deviation)
        sigma = 1.4826 * float(np.median(np.abs(deviation - np.median(deviation)))) + 1.0
        mask = (deviation > self.k * sigma).astype(np.uint8)
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (self.open_px, self.open_px))
        return cv2.morphologyEx(cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel), cv2.MORPH_CLOSE, kernel)


def tune_classical(train: list[Sample]) -> Classical:
    """Grid search on the training split for the best pooled IoU."""
    grid = [Classical(b, k, o, d) for b in (15, 31, 51, 75) for k in (2.0, 3.0, 4.5, 6.0) for o in (1, 3, 5)
            for d in (False, True)]
    return max(grid, key=lambda c: pixel_scores(run_over(train, c))["iou"])


# --- latency -------------------------------------------------------------------------------------


def interleaved_ms(fns: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median ms of each call, timed in rounds (one call of each per round) so load changes hit all alike."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for fn in fns.values():
        fn()
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - start) * 1000)
    return {name: statistics.median(t) for name, t in times.items()}


class _LegacyGraph(torch.nn.Module):
    """The segmenter graph as exported before issue 18: full-resolution logits, then their argmax."""

    def __init__(self, net: torch.nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        from openinspect.models.backbone import normalize

        return self.net.logits(normalize(images)).argmax(1).to(torch.uint8)


BEFORE_ROW = "segmenter before issue 18 (LEGACY, old graph) ONNX fp32"
ACCURATE_ROW = "Accurate classifier ONNX"


def latency(net: torch.nn.Module | None, calibration: np.ndarray, tiles: tuple[np.ndarray, np.ndarray], threads: int,
            workdir: Path, repeats: int, int8: bool = True,
            archs: tuple[str, ...] = ("legacy",)) -> dict[str, dict[int, float]]:
    """ms per ROI (batch of 1) at 256 and 512 px square, every model timed in the same rounds.

    Rows: each segmenter of ``archs`` at the ROI's size (ONNX fp32 and int8; torch eager for the first, which is
    ``net`` when given, else untrained: timing alone, the weights cost the same), the segmenter as it was before
    issue 18 (its architecture and exported graph), both classifiers at their default input for the ROI
    (``DEFAULT_CLASSIFIER_SIDE``: a 512 px ROI runs Fast at 320 px, Accurate at 352 px); then each ONNX row's ratio
    to the Accurate classifier. ``calibration`` (training crops, ``(N, h, w, 3)`` uint8 RGB) calibrates the int8
    models; ``tiles`` (six ``(128, 128, 3)`` crops and 0/1 labels) train the Fast classifier.
    """
    from openinspect.models.accurate import VARIANT, AccurateNet
    from openinspect.models.backbone import load_pretrained
    from openinspect.models.classifier import TrainedClassifier, train_classifier
    from openinspect.models.export import export_onnx
    from openinspect.models.quantize import quantize_int8
    from openinspect.models.segmenter import LEGACY, MASK_OUTPUT, SegmenterNet, TrainedSegmenter
    from openinspect.recipe import TrainingMode
    from openinspect.training.service import DEFAULT_CLASSIFIER_SIDE

    torch.set_num_threads(threads)
    nets = {name: net if net is not None and i == 0 else SegmenterNet(load_pretrained(), 2, ARCHITECTURES[name])
            for i, name in enumerate(archs)}
    rows: dict[str, dict[int, float]] = {}
    for side in (256, 512):
        size = (side, side)
        crop = resize_to(calibration[0], size)
        paths: dict[str, Path] = {}
        for name, seg in nets.items():
            fp32 = paths[f"segmenter {name} ONNX fp32"] = workdir / f"{name}{side}.onnx"
            TrainedSegmenter(seg, size).export_onnx(fp32)
            if int8:
                int8_path = paths[f"segmenter {name} ONNX int8"] = workdir / f"{name}{side}.int8.onnx"
                quantize_int8(fp32, int8_path, np.stack([resize_to(c, size) for c in calibration[:16]]))
        paths[BEFORE_ROW] = workdir / f"before{side}.onnx"
        export_onnx(_LegacyGraph(SegmenterNet(load_pretrained(), 2, LEGACY)), size, paths[BEFORE_ROW],
                    output_name=MASK_OUTPUT)
        inputs = dict.fromkeys(paths, crop)
        for mode, row in ((TrainingMode.ACCURATE, ACCURATE_ROW), (TrainingMode.FAST, "Fast classifier ONNX")):
            at = model_input_size(side, side, min(DEFAULT_CLASSIFIER_SIDE[mode], side))
            paths[row] = workdir / f"{mode.value}{side}.onnx"
            inputs[row] = resize_to(crop, at)
            if mode is TrainingMode.ACCURATE:
                TrainedClassifier(AccurateNet(load_pretrained(VARIANT), 2), at).export_onnx(paths[row])
            else:
                small = np.stack([resize_to(t, at) for t in tiles[0]])
                train_classifier(small, tiles[1], 2, "fast").export_onnx(paths[row])
        calls: dict[str, Callable[[], object]] = {
            row: partial(OnnxModel(path, threads).predict, np.ascontiguousarray(inputs[row][None]))
            for row, path in paths.items()}
        first = archs[0]
        calls[f"segmenter {first} torch eager"] = partial(TrainedSegmenter(nets[first], size).predict_masks,
                                                          np.ascontiguousarray(crop[None]))
        timed = interleaved_ms(calls, repeats)
        for row, ms in timed.items():
            rows.setdefault(row, {})[side] = round(ms, 2)
        for row in paths:
            rows.setdefault(f"{row} / Accurate", {})[side] = round(timed[row] / timed[ACCURATE_ROW], 2)
    return rows


# --- the large-ROI case --------------------------------------------------------------------------


def large_roi(budget_s: float, workdir: Path, seed: int = 0, brightness: float = 0.8,
              arch: str = "legacy") -> dict[str, dict[str, float]]:
    """Found vs lost: 2 px cracks on 2000x512 ROIs, one model downscaled to 512 px, one on 512 px tiles.

    Each model trains through the product (workspace, masks, ``train_type``) on 12 generated sheets
    with a crack and 4 without, and inspects 20 new sheets with a crack and 20 without through
    ``Inspector``. A crack counts as found when the ROI fails and the predicted mask covers at least
    half of it (2 px tolerance); ``area_ratio`` is the median predicted / true crack area over the
    found cracks, in the ROI's pixels. ``arch`` stands in for the product's default architecture meanwhile.
    """
    from openinspect.models import segmenter

    default, segmenter.ARCHITECTURE = segmenter.ARCHITECTURE, ARCHITECTURES[arch]
    try:
        return _large_roi(budget_s, workdir, seed, brightness)
    finally:
        segmenter.ARCHITECTURE = default


def _large_roi(budget_s: float, workdir: Path, seed: int, brightness: float) -> dict[str, dict[str, float]]:
    from openinspect.recipe import parse_recipe
    from openinspect.station import Inspector, SegmenterRoiResult
    from openinspect.store import Workspace
    from openinspect.training.service import train_type

    rng = np.random.default_rng(seed)
    train = [_sheet(rng, i < 12, brightness) for i in range(16)]
    test = [_sheet(rng, i < 20, brightness) for i in range(40)]
    out = {}
    for tiling in (False, True):
        workspace = Workspace(workdir / f"tiling-{tiling}")
        recipe = parse_recipe(LARGE_RECIPE.format(tiling=str(tiling).lower()))
        workspace.save_recipe(recipe)
        for i, (image, mask) in enumerate(train):
            stored = workspace.add_image(cv2.imencode(".png", image)[1].tobytes(), f"sheet{i}.png")
            workspace.set_mask(recipe.name, "surface", stored, mask)
        train_type(workspace, recipe, "surface", seed=seed, time_budget_s=budget_s)
        inspector = Inspector.load(workspace, recipe.name)
        counts: dict[str, float] = {"found": 0, "lost": 0, "false_alarms": 0, "clean": 0}
        ratios = []
        for image, truth in test:
            result = inspector.inspect_image(image, "sheet")
            roi = result.rois[0]
            assert isinstance(roi, SegmenterRoiResult)
            if truth.any():
                near = cv2.dilate(roi.mask, np.ones((5, 5), np.uint8)) > 0
                found = not roi.passes and near[truth > 0].mean() >= 0.5
                counts["found" if found else "lost"] += 1
                if found:
                    ratios.append(float((roi.mask > 0).sum() / (truth > 0).sum()))
            else:
                counts["clean"] += 1
                counts["false_alarms"] += not roi.passes
        counts["area_ratio"] = round(float(np.median(ratios)), 2) if ratios else float("nan")
        out["tiling" if tiling else "downscale"] = counts
    return out


LARGE_RECIPE = """
name: sheet
types:
  - name: surface
    kind: segmenter
    pixel_classes: [{{name: crack, color: "#ff0000"}}]
    min_blob_px: 20
    tiling: {tiling}
    augment: {{hflip: true, vflip: true}}
rois: [{{name: sheet, type: surface}}]
"""


def _sheet(rng: np.random.Generator, crack: bool, brightness: float) -> tuple[np.ndarray, np.ndarray]:
    """A 2000x512 grained grey sheet; with ``crack``, a wandering 2 px crack 80-250 px long at ``brightness``.

    The grain (blurred noise, blobs of about 5 px, 12 grey levels) survives a 4x downscale while a 2 px
    line keeps at most half its contrast there, and the crack's 8 px kinks blur into it: the case where
    small defects vanish from a downscaled ROI.
    """
    shading = cv2.resize(rng.normal(0, 10, (5, 20)), (2000, 512), interpolation=cv2.INTER_CUBIC)
    grain = cv2.GaussianBlur(rng.normal(0, 1, (512, 2000)), (0, 0), 2.0)
    gray = (150 + shading + grain * 12 / grain.std() + rng.normal(0, 4, (512, 2000))).clip(0, 255).astype(np.uint8)
    mask = np.zeros((512, 2000), np.uint8)
    if crack:
        kinks = int(rng.integers(10, 32))
        xs = int(rng.integers(100, 1600)) + 8.0 * np.arange(kinks)
        ys = np.clip(int(rng.integers(60, 450)) + np.cumsum(rng.normal(0, 3, kinks)), 20, 490)
        cv2.polylines(mask, [np.stack([xs, ys], 1).astype(np.int32)], False, 1, 2)
        gray[mask > 0] = (gray[mask > 0] * brightness).astype(np.uint8)
    return cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR), mask


# --- main ----------------------------------------------------------------------------------------


def train_and_score(args: argparse.Namespace, train: list[Sample], test: list[Sample],
                    workdir: Path) -> tuple[dict, torch.nn.Module]:
    from openinspect.models.quantize import quantize_int8
    from openinspect.models.segmenter import train_segmenter

    size = input_size(train, args.side)
    images, masks = model_arrays(train, size)
    start = time.perf_counter()
    model = train_segmenter(images, masks, 1, seed=args.seed, hflip=True, vflip=True, rotate90=True,
                            time_budget_s=args.budget, progress=_log_every(50), arch=ARCHITECTURES[args.arch])
    seconds = time.perf_counter() - start
    model.export_onnx(workdir / "seg.onnx")
    report = {"input_size": list(size), "train_seconds": round(seconds, 1),
              "fp32": evaluate(OnnxModel(workdir / "seg.onnx", args.threads), train, test)}
    if not args.no_int8:
        quantize_int8(workdir / "seg.onnx", workdir / "seg8.onnx", images)
        report["int8"] = evaluate(OnnxModel(workdir / "seg8.onnx", args.threads), train, test)
        report["int8_offered"] = all(report["fp32"][k] - report["int8"][k] <= INT8_TOLERANCE
                                     for k in ("iou", "mean_image_iou"))
    return report, model.net


def evaluate(model: OnnxModel, train: list[Sample], test: list[Sample]) -> dict:
    """Test-set summary, with ``min_blob_px`` chosen on the model's predictions for the training split."""
    predict = onnx_predictor(model)
    return summary(run_over(test, predict), choose_min_blob(run_over(train, predict)))


def _log_every(steps: int) -> Progress:
    def log(fraction: float, status: str, *, step: Step | None = None, fold: Fold | None = None) -> None:
        if step is None:
            print(f"{fraction:5.1%} {status}", file=sys.stderr, flush=True)
        elif step.step % steps == 0:
            print(f"{fraction:5.1%} step {step.step} loss {step.loss:.3f}", file=sys.stderr, flush=True)

    return log


PARTS = ("accuracy", "classical", "latency", "large-roi")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=DATASET)
    parser.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated, of {', '.join(PARTS)}")
    parser.add_argument("--budget", type=float, default=540.0, help="training time cap in seconds")
    parser.add_argument("--large-budget", type=float, default=600.0, help="training cap per large-ROI model")
    parser.add_argument("--crack-brightness", type=float, default=0.8, help="large-ROI crack / sheet brightness")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--side", type=int, default=0, help="force the longest input side (0: product rule)")
    parser.add_argument("--train", type=int, default=60, help="defect and good images each in the training split")
    parser.add_argument("--test-good", type=int, default=0, help="cap on good test tiles (0: all)")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--no-int8", action="store_true")
    parser.add_argument("--arch", default="legacy",
                        help=f"segmenter architecture, of {', '.join(ARCHITECTURES)}: trained (accuracy, large-roi) "
                             "and timed (latency); comma-separated for latency alone, timed side by side")
    parser.add_argument("--json", type=Path, help="write the results here (after each part)")
    args = parser.parse_args()
    parts = args.parts.split(",")
    archs = tuple(args.arch.split(","))
    if unknown := [a for a in archs if a not in ARCHITECTURES]:
        parser.error(f"unknown --arch {', '.join(unknown)}; choose from {', '.join(ARCHITECTURES)}")
    if len(archs) > 1 and parts != ["latency"]:
        parser.error("several --arch values are for --parts latency alone; train one architecture at a time")
    torch.set_num_threads(args.threads)
    train, test = split(samples(args.dataset), args.train, args.train, args.seed)
    if args.test_good:
        good = [s for s in test if s.kind == GOOD]
        test = [s for s in test if s.kind != GOOD] + good[:: max(1, len(good) // args.test_good)][: args.test_good]
    results: dict = {"machine": f"{platform.machine()}, {args.threads} threads", "train": len(train), "test": len(test)}

    def record(key: str, value: object) -> None:
        results[key] = value
        print(json.dumps({key: value}, indent=1), flush=True)
        if args.json:
            args.json.write_text(json.dumps(results, indent=1))

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        net = None
        if "accuracy" in parts:
            report, net = train_and_score(args, train, test, workdir)
            record("segmenter", report)
        if "classical" in parts:
            baseline = tune_classical(train)
            min_blob = choose_min_blob(run_over(train, baseline))
            record("classical", {"params": baseline.__dict__, **summary(run_over(test, baseline), min_blob)})
        if "latency" in parts:
            tiles = model_arrays([s for s in train if s.kind == GOOD][:3] + [s for s in train if s.kind != GOOD][:3],
                                 (128, 128))[0], np.array([0, 0, 0, 1, 1, 1])
            images = model_arrays(train, input_size(train, args.side))[0]
            record("latency_ms", latency(net, images, tiles, args.threads, workdir, args.repeats, not args.no_int8,
                                         archs))
        if "large-roi" in parts:
            record("large_roi", large_roi(args.large_budget, workdir, args.seed, args.crack_brightness, archs[0]))


if __name__ == "__main__":
    main()
