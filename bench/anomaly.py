"""Benchmark the anomaly type on magnetic-tile: trained on good tiles only, tested on the rest and every defect.

    python bench/anomaly.py [--sizes 20,100,400] [--seeds 0,1,2] [--input 320] [--baselines fast,accurate]
                            [--no-latency] [--test-good N] [--bank-ratio 0.25] [--bank-max 4096] [--precision fp32]

Per N and seed: N good tiles (``MT_Free``) drawn at random train the model (threshold from those good tiles only,
leave-one-out, ``false_reject_rate`` 0.01, and a second at 0.05 from the same scores); the test set is every other good
tile and every defective tile, judged through the exported ONNX model and the same numpy post-processing the station
runs, in the precision the product chooses on this processor (``--precision product``, the default: int8 where
:func:`~openinspect.models.runtime.fast_int8` and the keep-rule of
:func:`~openinspect.models.anomaly.choose_int8_encoder` say so, its int8 copy judging; ``--precision fp32``: fp32
whatever the processor). Reported: image AUROC; detection and false rejects at the automatic thresholds (a tile fails
when its anomalous region has a blob of at least 20 px, as the station decides); pixel AUROC and pooled IoU against the
masks; detection per defect type; training time (and, for int8 models, the time publishing adds to write the int8 copy).
Side by side in the same run: the Fast classifier's good-bank score alone (its memory bank of the same N good tiles, max
patch distance, 320 px), and the Accurate classifier at k = 20 tiles per class (which, unlike the anomaly model, sees
defects). Then model time per 512 px ROI: anomaly (fp32 and, where the product keeps it, int8) vs Accurate (fp32 and its
int8 copy), ONNX Runtime. Tiles are resized to ``--input`` px squares (their median side is about 300 px). Seeds 90+
were used for tuning.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import torch
from PIL import Image
from sklearn.metrics import balanced_accuracy_score, roc_auc_score

from classifier import median_ms  # bench/classifier.py: the same timing in every benchmark
from openinspect.imaging import read_image, resize_to
from openinspect.models.accurate import Augment, Schedule, train_accurate
from openinspect.models.anomaly import BANK_MAX, BANK_RATIO, train_anomaly
from openinspect.models.backbone import load_pretrained
from openinspect.models.classifier import TrainedClassifier, train_classifier
from openinspect.models.fast import BANK_SIZE, PatchFeatures, coreset, extract, knn_distances
from openinspect.models.heatmap import anomalous_region, anomaly_score, heat_map, threshold_for
from openinspect.models.progress import no_progress
from openinspect.models.quantize import quantize_int8
from openinspect.models.runtime import OnnxModel, fast_int8
from openinspect.station.measure import find_blobs
from openinspect.training.service import DEFAULT_CLASSIFIER_SIDE, TrainingMode

DATASET = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "magnetic-tile"
DEFECTS = ("MT_Blowhole", "MT_Break", "MT_Crack", "MT_Fray", "MT_Uneven")
MIN_BLOB_PX = 20
PIXEL_STEP = 4
"""Pixel AUROC on every 4th pixel each way: the same ranking, 16x less sorting."""
LOOSER_RATE = 0.05
"""A second automatic threshold, ``false_reject_rate`` 0.05 (the issue's bound), from the same good tiles."""


def load(size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray]]:
    """Tiles at ``size`` px, their masks (bool), defect type (0 = good, k = DEFECTS[k-1]) and the raw tiles."""
    raw, masks, kinds = [], [], []
    for kind, folder in enumerate(("MT_Free", *DEFECTS)):
        for path in sorted((DATASET / folder / "Imgs").glob("*.jpg")):
            image = read_image(path)
            raw.append(image)
            mask = np.asarray(Image.open(path.with_suffix(".png")).convert("L")) > 127
            masks.append(cv2.resize(mask.astype(np.uint8), (size, size), interpolation=cv2.INTER_NEAREST) > 0)
            kinds.append(kind)
    return np.stack([resize_to(img, (size, size)) for img in raw]), np.stack(masks), np.array(kinds), raw


def export(model, workdir: Path, name: str = "anomaly") -> tuple[OnnxModel, float]:
    """The graph the station runs (the int8 copy for an int8 model), and the seconds the int8 copy took to write."""
    path = workdir / f"{name}.onnx"
    model.export_onnx(path)
    if model.int8 is None:
        return OnnxModel(path, 1), 0.0
    started = time.perf_counter()
    model.export_int8(path, workdir / f"{name}.int8.onnx")
    return OnnxModel(workdir / f"{name}.int8.onnx", 1, "int8"), time.perf_counter() - started


def onnx_heat(onnx: OnnxModel, images: np.ndarray) -> np.ndarray:
    size = images.shape[1:3]
    return np.stack([heat_map(d, size) for i in range(0, len(images), 8) for d in onnx.predict(images[i : i + 8])])


def judge(heats: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Per tile: fails (a blob of the region >= MIN_BLOB_PX) and the region."""
    regions = np.stack([anomalous_region(h, threshold) for h in heats])
    fails = np.array([bool(find_blobs(r, ["anomalous"], MIN_BLOB_PX)) for r in regions])
    return fails, regions


def anomaly_run(images, masks, kinds, n, seed, workdir, args) -> dict:
    rng = np.random.default_rng(seed)
    train = rng.choice(np.flatnonzero(kinds == 0), n, replace=False)
    test = np.setdiff1d(np.arange(len(kinds)), train)
    if args.test_good:
        good_rest = np.setdiff1d(np.flatnonzero(kinds == 0), train)
        test = np.concatenate([rng.choice(good_rest, min(args.test_good, len(good_rest)), replace=False),
                               np.flatnonzero(kinds > 0)])
    started = time.perf_counter()
    model = train_anomaly(images[train], seed=seed, bank_ratio=args.bank_ratio, bank_max=args.bank_max,
                          int8=args.int8)
    train_s = time.perf_counter() - started
    onnx, copy_s = export(model, workdir)
    heats = onnx_heat(onnx, images[test])
    scores = np.array([anomaly_score(h) for h in heats])
    truth = kinds[test] > 0
    fails, regions = judge(heats, model.threshold)
    defective = truth.nonzero()[0]
    inter = sum(int((regions[i] & masks[test][i]).sum()) for i in defective)
    union = sum(int((regions[i] | masks[test][i]).sum()) for i in defective)
    pix_truth = masks[test][:, ::PIXEL_STEP, ::PIXEL_STEP].ravel()
    pix_score = heats[:, ::PIXEL_STEP, ::PIXEL_STEP].ravel()
    row = {"n": n, "seed": seed, "auroc": roc_auc_score(truth, scores), "detect": fails[truth].mean(),
           "false_reject": fails[~truth].mean(), "pixel_auroc": roc_auc_score(pix_truth, pix_score),
           "iou": inter / max(union, 1), "train_s": train_s, "bank": len(model.net.bank),
           "precision": model.precision.precision, "int8_copy_s": copy_s}
    for k, name in enumerate(DEFECTS, start=1):
        row[name[3:].lower()] = fails[kinds[test] == k].mean()
    looser, _ = judge(heats, threshold_for(model.good_scores, LOOSER_RATE))
    row |= {"detect_05": looser[truth].mean(), "false_reject_05": looser[~truth].mean(),
            **{f"{name[3:].lower()}_05": looser[kinds[test] == k].mean() for k, name in enumerate(DEFECTS, start=1)}}
    if "fast" in args.baselines:
        row["fast_bank_auroc"] = fast_bank_auroc(images, kinds, train, test, seed, args.fast_input)
    return row


def fast_bank_auroc(images, kinds, train, test, seed, size) -> float:
    """The Fast classifier's good-bank feature alone: max distance of a tile's patches to the good tiles' bank."""
    features = PatchFeatures(load_pretrained())
    scaled = np.stack([resize_to(img, (size, size)) for img in images]) if size != images.shape[1] else images
    _, patches = extract(features, scaled[train])
    flat = patches.flatten(0, 1)
    bank = flat[coreset(flat, BANK_SIZE, seed)]
    scores = []
    for i in range(0, len(test), 16):
        _, p = extract(features, scaled[test[i : i + 16]])
        scores.append(knn_distances(p, bank).amax(1))
    return float(roc_auc_score(kinds[test] > 0, torch.cat(scores).numpy()))


def accurate_run(images, kinds, seed, workdir, k=20, size=DEFAULT_CLASSIFIER_SIDE[TrainingMode.ACCURATE]) -> dict:
    """The Accurate classifier at k tiles per class (good vs any defect), every other tile the test set."""
    labels = (kinds > 0).astype(np.int64)
    rng = np.random.default_rng(seed)
    train = np.concatenate([rng.choice(np.flatnonzero(labels == c), k, replace=False) for c in (0, 1)])
    test = np.setdiff1d(np.arange(len(labels)), train)
    scaled = np.stack([resize_to(img, (size, size)) for img in images])
    started = time.perf_counter()
    model = train_classifier(scaled[train], labels[train], 2, "accurate", seed=seed, hflip=True, vflip=True)
    train_s = time.perf_counter() - started
    path = workdir / "accurate.onnx"
    model.export_onnx(path)
    onnx = OnnxModel(path)
    probs = np.concatenate([onnx.predict(scaled[test[i : i + 16]]) for i in range(0, len(test), 16)])
    return {"seed": seed, "auroc": roc_auc_score(labels[test], probs[:, 1]),
            "balanced_accuracy": balanced_accuracy_score(labels[test], probs.argmax(1)), "train_s": train_s,
            "detect": (probs.argmax(1)[labels[test] == 1] == 1).mean(),
            "false_reject": (probs.argmax(1)[labels[test] == 0] == 1).mean()}


def latency(raw, kinds, workdir, repeats, bank_max, int8) -> None:
    """Model time for one 512 px ROI: the anomaly model at 512 px (its largest bank; fp32, and its int8 copy where the
    product keeps one) vs Accurate at its default input (fp32, and the int8 copy the product runs instead on a
    processor with a fast int8 dot product)."""
    good = np.flatnonzero(kinds == 0)[:8]
    crops512 = np.stack([resize_to(raw[i], (512, 512)) for i in good])
    anomaly = train_anomaly(crops512, bank_ratio=1.0, bank_max=bank_max, int8=int8)  # the largest bank it may have
    a_int8, _ = export(anomaly, workdir, "a512")
    a_onnx = OnnxModel(workdir / "a512.onnx", 1)
    side = DEFAULT_CLASSIFIER_SIDE[TrainingMode.ACCURATE]
    crops = np.stack([resize_to(raw[i], (side, side)) for i in good])
    labels = np.array([0, 1] * 4)
    net = train_accurate(crops, labels, 2, 0, Augment(), no_progress, Schedule(min_steps=2, max_steps=2))
    TrainedClassifier(net, (side, side)).export_onnx(workdir / "accurate.onnx")
    quantize_int8(workdir / "accurate.onnx", workdir / "accurate.int8.onnx", crops)
    c_onnx, c_int8 = OnnxModel(workdir / "accurate.onnx", 1), OnnxModel(workdir / "accurate.int8.onnx", 1, "int8")

    def anomaly_roi(model: OnnxModel) -> None:
        heat = heat_map(model.predict(crops512[:1])[0], (512, 512))
        find_blobs(anomalous_region(heat, anomaly.threshold), ["anomalous"], MIN_BLOB_PX)

    def accurate_roi(model: OnnxModel) -> None:
        model.predict(np.stack([resize_to(crops512[0], (side, side))]))

    f_ms, c_ms = median_ms(lambda: anomaly_roi(a_onnx), repeats), median_ms(lambda: accurate_roi(c_onnx), repeats)
    i_ms = median_ms(lambda: accurate_roi(c_int8), repeats)
    a_ms = median_ms(lambda: anomaly_roi(a_int8), repeats) if a_int8 is not a_onnx else f_ms
    print(f"\nmodel time per 512 px ROI, median of {repeats} (ms): anomaly {a_ms:.1f} as the product runs it "
          f"({anomaly.precision.precision}: {anomaly.precision.reason}; fp32 {f_ms:.1f}; bank {len(anomaly.net.bank)}, "
          f"ONNX + heat map + blobs) | Accurate ({side} px input, incl. resize) fp32 {c_ms:.1f}, int8 {i_ms:.1f} | "
          f"ratio {a_ms / c_ms:.2f} (fp32), {a_ms / i_ms:.2f} (int8)", flush=True)


def summarise(rows: list[dict], keys: list[str]) -> str:
    out = []
    for key in keys:
        values = [r[key] for r in rows if key in r]
        if values:
            spread = f"±{statistics.stdev(values):.3f}" if len(values) > 1 else ""
            out.append(f"{key} {statistics.mean(values):.3f}{spread}")
    return ", ".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20,100,400")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--input", type=int, default=320)
    parser.add_argument("--fast-input", type=int, default=320)
    parser.add_argument("--baselines", default="fast,accurate")
    parser.add_argument("--test-good", type=int, default=0, help="tuning: test on this many held-out good tiles")
    parser.add_argument("--bank-ratio", type=float, default=BANK_RATIO)
    parser.add_argument("--bank-max", type=int, default=BANK_MAX)
    parser.add_argument("--no-latency", action="store_true")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--precision", choices=("product", "fp32"), default="product",
                        help="product: int8 where this processor has a fast int8 dot product and the keep-rule agrees")
    args = parser.parse_args()
    args.int8 = args.precision == "product" and fast_int8()
    torch.set_num_threads(max(1, torch.get_num_threads()))
    images, masks, kinds, raw = load(args.input)
    seeds = [int(s) for s in args.seeds.split(",")]
    keys = ["auroc", "detect", "false_reject", "pixel_auroc", "iou", *(d[3:].lower() for d in DEFECTS), "train_s",
            "int8_copy_s", "bank", "fast_bank_auroc", "detect_05", "false_reject_05",
            *(f"{d[3:].lower()}_05" for d in DEFECTS)]
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if not args.no_latency:
            latency(raw, kinds, workdir, args.repeats, args.bank_max, args.int8)
        for n in (int(s) for s in args.sizes.split(",")):
            rows = []
            for seed in seeds:
                rows.append(anomaly_run(images, masks, kinds, n, seed, workdir, args))
                print("  " + ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
                                       for k, v in rows[-1].items()), flush=True)
            print(f"anomaly N={n} ({len(seeds)} seeds): {summarise(rows, keys)}", flush=True)
        if "accurate" in args.baselines:
            acc = [accurate_run(raw, kinds, seed, workdir) for seed in seeds]
            print(f"Accurate k=20 ({len(seeds)} seeds): "
                  f"{summarise(acc, ['auroc', 'balanced_accuracy', 'detect', 'false_reject', 'train_s'])}", flush=True)


if __name__ == "__main__":
    main()
