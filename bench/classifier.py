"""Benchmark the Fast and Accurate classifiers against HOG + RBF-SVM on magnetic-tile, then time inference.

    python bench/classifier.py [--seeds 5] [--ks 5,20,100] [--size 320] [--modes fast,accurate,hog] [--quick]
                               [--unlabelled 0,200,all]

For each k: k training images per class drawn at random (per seed), every other image is the test
set; balanced accuracy through the exported ONNX model, the way the station runs it. Then inference
time per ROI crop (224 px unless --latency-size): OnnxModel vs torch eager, 1 and 8 ROIs per capture, int8.

With --unlabelled, each seed's other images are split in two halves: a pool of unlabelled tiles Accurate may
learn from (the first 0, 200 or all of it, per count asked for) and the test set, the same for every mode and count.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from functools import partial
from pathlib import Path

import numpy as np
import torch
from skimage.feature import hog
from sklearn.metrics import balanced_accuracy_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from openinspect.imaging import read_image, resize_to
from openinspect.models.accurate import Augment, Schedule, train_accurate
from openinspect.models.classifier import TrainedClassifier, train_classifier
from openinspect.models.progress import no_progress
from openinspect.models.quantize import quantize_int8
from openinspect.models.runtime import OnnxModel

DATASET = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "magnetic-tile"
DEFECTS = ("MT_Blowhole", "MT_Break", "MT_Crack", "MT_Fray", "MT_Uneven")


def load() -> tuple[list[np.ndarray], np.ndarray]:
    """All tiles decoded as the product does; label 0 = good, 1 = defect."""
    paths = sorted((DATASET / "MT_Free" / "Imgs").glob("*.jpg"))
    good = len(paths)
    for name in DEFECTS:
        paths += sorted((DATASET / name / "Imgs").glob("*.jpg"))
    return [read_image(p) for p in paths], (np.arange(len(paths)) >= good).astype(np.int64)


def resized(raw: list[np.ndarray], size: int) -> np.ndarray:
    return np.stack([resize_to(img, (size, size)) for img in raw])


def split(labels: np.ndarray, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    train = np.concatenate([rng.choice(np.flatnonzero(labels == c), k, replace=False) for c in (0, 1)])
    return train, np.setdiff1d(np.arange(len(labels)), train)


def pool_split(rest: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Split the tiles outside a seed's training set into an unlabelled pool (in draw order) and the test set."""
    drawn = np.random.default_rng(seed + 10_000).permutation(rest)
    return drawn[: len(rest) // 2], np.sort(drawn[len(rest) // 2 :])


def onnx_predict(model: TrainedClassifier, images: np.ndarray, workdir: Path, calibration=None) -> np.ndarray:
    path = workdir / "model.onnx"
    model.export_onnx(path)
    if calibration is not None:
        quantize_int8(path, workdir / "int8.onnx", calibration)
        path = workdir / "int8.onnx"
    onnx = OnnxModel(path)
    return np.concatenate([onnx.predict(images[i : i + 32]) for i in range(0, len(images), 32)]).argmax(1)


def hog_features(images: np.ndarray) -> np.ndarray:
    return np.stack(
        [hog(img[:, :, 0], orientations=9, pixels_per_cell=(16, 16), cells_per_block=(2, 2)) for img in images]
    )


def run_hog(hog_images, labels, train, test, seed):
    start = time.perf_counter()
    svm = make_pipeline(StandardScaler(), SVC(C=10, gamma="scale", class_weight="balanced", random_state=seed))
    svm.fit(hog_features(hog_images[train]), labels[train])
    seconds = time.perf_counter() - start
    return svm.predict(hog_features(hog_images[test])), seconds


def run_model(mode, images, labels, train, test, seed, workdir, device, unlabelled=()):
    start = time.perf_counter()
    # Flips keep a tile's class; quarter turns do not (the texture runs vertically), so they stay off.
    model = train_classifier(
        images[train], labels[train], 2, mode.removesuffix("-int8"), seed=seed, hflip=True, vflip=True, device=device,
        unlabelled=images[np.asarray(unlabelled, dtype=np.int64)],
    )
    seconds = time.perf_counter() - start
    if device != "cpu":
        return device_predict(model, images[test], device), seconds
    calibration = images[train] if mode.endswith("-int8") else None
    return onnx_predict(model, images[test], workdir, calibration), seconds


@torch.inference_mode()
def device_predict(model: TrainedClassifier, images: np.ndarray, device: str) -> np.ndarray:
    """Predict in torch on ``device`` (a GPU run skips the export; ONNX parity is covered by the tests)."""
    net = model.net.to(device)
    chunks = [net(torch.from_numpy(images[i : i + 64]).to(device)).argmax(1).cpu() for i in range(0, len(images), 64)]
    return torch.cat(chunks).numpy()


def accuracy_table(raw, labels, ks, seeds, modes, sizes, workdir, device, unlabelled=None):
    """Scores per ``(k, mode)``; with ``unlabelled`` counts (``None``: all the pool) Accurate modes run once per count,
    as ``accurate u=N``, and every mode is tested on the half of the other tiles outside the pool."""
    rows = {}
    by_size = {size: resized(raw, size) for size in set(sizes.values())}
    for k in ks:
        runs = [(mode, count) for mode in modes
                for count in (unlabelled if unlabelled and mode.startswith("accurate") else [0])]
        for mode, count in runs:
            name = f"{mode} u={'all' if count is None else count}" if unlabelled and mode.startswith("accurate") \
                else mode
            scores, times = [], []
            for seed in seeds:
                train, test = split(labels, k, seed)
                pool = np.array([], dtype=np.int64)
                if unlabelled:
                    pool, test = pool_split(test, seed)
                images = by_size[sizes[mode]]
                if mode == "hog":
                    pred, seconds = run_hog(images, labels, train, test, seed)
                else:
                    pred, seconds = run_model(mode, images, labels, train, test, seed, workdir, device,
                                              pool[:count])
                scores.append(balanced_accuracy_score(labels[test], pred))
                times.append(seconds)
                print(f"  k={k} {name} seed={seed}: bal.acc {scores[-1]:.3f}, train {seconds:.1f} s, "
                      f"{len(pool[:count])} unlabelled, {len(test)} test", flush=True)
            rows[(k, name)] = (scores, times)
    return rows


def print_accuracy(rows, ks):
    modes = list(dict.fromkeys(mode for _, mode in rows))
    print(f"\n{'k':>4} | " + " | ".join(f"{m:>24}" for m in modes) + " | ratios vs hog")
    for k in ks:
        cells = []
        for mode in modes:
            scores, times = rows[(k, mode)]
            std = statistics.pstdev(scores) if len(scores) > 1 else 0.0
            cells.append(f"{np.mean(scores):.3f}±{std:.3f} {np.mean(times):6.1f}s n={len(scores)}")
        base = np.mean(rows[(k, "hog")][0]) if "hog" in modes else None
        ratios = ", ".join(f"{m} {np.mean(rows[(k, m)][0]) / base:.2f}" for m in modes if m != "hog" and base)
        print(f"{k:>4} | " + " | ".join(cells) + f" | {ratios}")


def median_ms(fn, repeats: int) -> float:
    fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1e3)
    return statistics.median(samples)


def quick_model(mode, images, labels):
    """Speed does not depend on the weights: the Accurate model gets two optimiser steps only."""
    if mode == "fast":
        return train_classifier(images, labels, 2, mode)
    net = train_accurate(images, labels, 2, 0, Augment(), no_progress, Schedule(min_steps=2, max_steps=2))
    return TrainedClassifier(net, images.shape[1:3])


def latency(raw, labels, size, workdir, repeats):
    crops = resized(raw[:8], size)
    train, _ = split(labels, 5, 123)
    train_images = resized([raw[i] for i in train], size)
    print(f"\nInference at {size}x{size} px, median of {repeats} repeats (ms):")
    header = ("model", "ORT 1 ROI", "ORT 8 ROIs", "torch 1 ROI", "torch 8 ROIs")
    print(" | ".join(f"{h:>{w}}" for h, w in zip(header, (16, 9, 10, 11, 12), strict=True)) + " | ORT/torch")
    for mode in ("fast", "accurate"):
        model = quick_model(mode, train_images, labels[train])
        path = workdir / f"{mode}.onnx"
        model.export_onnx(path)
        onnx = OnnxModel(path)
        ort1 = median_ms(partial(onnx.predict, crops[:1]), repeats)
        ort8 = median_ms(partial(onnx.predict, crops), repeats)
        t1 = median_ms(partial(model.predict_proba, crops[:1]), repeats)
        t8 = median_ms(partial(model.predict_proba, crops), repeats)
        print(f"{mode:>16} | {ort1:9.2f} | {ort8:10.2f} | {t1:11.2f} | {t8:12.2f} | {ort1 / t1:.2f}")
        int8_path = workdir / f"{mode}-int8.onnx"
        quantize_int8(path, int8_path, train_images)
        q = OnnxModel(int8_path)
        q1 = median_ms(partial(q.predict, crops[:1]), repeats)
        q8 = median_ms(partial(q.predict, crops), repeats)
        print(f"{mode + ' int8':>16} | {q1:9.2f} | {q8:10.2f} | {'':>11} | {'':>12} | int8/fp32 {q1 / ort1:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--ks", default="5,20,100")
    parser.add_argument("--fast-size", type=int, default=320, help="Fast model input side in px")
    parser.add_argument("--accurate-size", type=int, default=352, help="Accurate model input side in px")
    parser.add_argument("--latency-size", type=int, default=224)
    parser.add_argument("--modes", default="fast,fast-int8,accurate,accurate-int8,hog", help="hog runs on 128 px crops")
    parser.add_argument("--quick", action="store_true", help="1 seed, k=5,20, latency with few repeats")
    parser.add_argument("--no-latency", action="store_true")
    parser.add_argument("--device", default="cpu", help="e.g. cuda: train and predict there, no ONNX")
    parser.add_argument("--unlabelled", default="",
                        help="e.g. 0,200,all: unlabelled tiles Accurate learns from, from a pool outside the test set")
    parser.add_argument("--threads", type=int, default=2,
                        help="torch threads (1 on a machine shared with other jobs: idle threads spin there)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.quick:
        args.seeds, args.ks = 1, "5,20"
    ks = [int(k) for k in args.ks.split(",") if k]
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    modes = args.modes.split(",")
    print(f"machine: {platform.processor() or platform.machine()}, torch threads {torch.get_num_threads()}")
    raw, labels = load()
    sizes = {"fast": args.fast_size, "fast-int8": args.fast_size, "accurate": args.accurate_size,
             "accurate-int8": args.accurate_size, "hog": 128}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if ks and modes:
            counts = [None if c == "all" else int(c) for c in args.unlabelled.split(",") if c]
            rows = accuracy_table(raw, labels, ks, seeds, modes, sizes, workdir, args.device, counts)
            print_accuracy(rows, ks)
        if not args.no_latency:
            latency(raw, labels, args.latency_size, workdir, 20 if args.quick else 100)


if __name__ == "__main__":
    main()
