"""Does the Defect Creator help? Segmenter and classifiers on magnetic-tile, with and without synthetic defects.

    python bench/defect_creator.py [--seeds 1] [--ks 0,3] [--models segmenter,fast,accurate]
                                   [--good 40] [--synthetic 8] [--test-good 200] [--side 256]
                                   [--seg-epochs E | --seg-steps N | --budget 150] [--accurate-epochs E]
                                   [--match] [--synthetic-types T1,T2] [--synthetic-only] [--json FILE] [--sheet FILE]
                                   [--descriptions one|varied|bold] [--mask-margin PX] [--painted [--painted-margin S]]

Split per seed: ``k`` real defect images per defect type (0 or 3) and ``--good`` good tiles train; every
other defect image and ``--test-good`` other good tiles (spread evenly over the rest) are the test set. The
synthetic images are drawn by the Defect Creator into the *training* good tiles, ``--synthetic`` per defect
type, from the descriptions in ``DESCRIPTION_SETS[--descriptions]`` (written from training images only); with
``--match`` (k > 0), matched to each type's training examples instead, as the product's ``synth --match`` does
(examples wider than half the tile left out; a type with only such examples gets none). ``--sheet`` draws each
type's real training examples beside its synthetic images, masks outlined. Each model trains on the same split
with and without them; "k = 0, no synthetic" has no defect at all and is not trained.

Segmenter: the protocol of ``bench/segmenter.py`` (its data, prediction and scoring helpers; ``min_blob_px``
chosen on the training split at <= 5 % false alarms there), at a smaller input side and time budget; also its
detection at the threshold on each image's largest blob that flags 5 % of the test's good tiles, so the runs with
and without synthetic images compare at equal false alarms. ``--seg-epochs`` / ``--accurate-epochs`` let the steps
grow with the training images, as the product's schedules do, so a run with synthetic images sees each real
defect as often as the run without them.
Classifiers: good (0) vs defect (1) through the exported ONNX model; detection and false alarms at the
product's decision (argmax), and detection at the threshold that flags 5 % of the test's good tiles (a
point of the ROC curve, for comparison only: no threshold is tuned on test for the other figures).
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import torch
from PIL import Image

from classifier import resized
from openinspect.errors import SynthError
from openinspect.imaging import resize_to
from openinspect.models.accurate import Augment, Schedule, train_accurate
from openinspect.models.classifier import TrainedClassifier, train_classifier
from openinspect.models.progress import no_progress
from openinspect.models.runtime import OnnxModel
from openinspect.models.segmenter import Schedule as SegmenterSchedule
from openinspect.models.segmenter import train_segmenter
from openinspect.synth import parse_description, render
from openinspect.synth.matching import DefectProfile, measure_defects, render_matched
from segmenter import (
    DATASET,
    DEFECTS,
    GOOD,
    Sample,
    choose_min_blob,
    input_size,
    load,
    onnx_predictor,
    run_over,
    samples,
    summary,
)

DESCRIPTION_SETS: dict[str, dict[str, tuple[str, ...]]] = {
    "one": {
        "MT_Blowhole": ("a small dark blowhole",),
        "MT_Break": ("a small dark chip at an edge",),
        "MT_Crack": ("a short dark crack",),
        "MT_Fray": ("a large dark stain",),
        "MT_Uneven": ("a large subtle dark stain near an edge",),
    },
    "varied": {
        "MT_Blowhole": ("a tiny dark blowhole", "a small dark blowhole", "two tiny dark blowholes"),
        "MT_Break": ("a small dark chip at a corner", "a small dark chip at the bottom edge",
                     "a small dark chip at the top edge", "two small dark chips at a corner"),
        "MT_Crack": ("a short thin dark vertical crack near the top edge",
                     "a short thin dark vertical crack near the bottom edge",
                     "a thin dark vertical crack near the bottom edge", "a short thin dark crack"),
        "MT_Fray": ("a medium dark stain at the bottom edge", "a medium dark stain at the top edge",
                    "a large dark stain"),
        "MT_Uneven": ("a large subtle dark stain near an edge", "a large subtle dark stain near the bottom edge",
                      "a large subtle dark stain near the top edge"),
    },
    "bold": {
        "MT_Blowhole": ("a tiny obvious dark blowhole", "a small obvious dark blowhole", "a tiny dark blowhole"),
        "MT_Break": ("a small subtle dark chip at a corner", "a small dark chip at a corner",
                     "two small subtle dark chips at the bottom edge", "a small subtle dark chip at the top edge"),
        "MT_Crack": ("a short dark vertical crack 2 px wide near the top edge",
                     "a short dark vertical crack 2 px wide near the bottom edge",
                     "a dark vertical crack 3 px wide near the bottom edge", "a short obvious dark crack 2 px wide"),
        "MT_Fray": ("a medium dark stain at the bottom edge", "a medium dark stain at the top edge",
                    "a large dark stain"),
        "MT_Uneven": ("a large subtle dark stain near an edge", "a large subtle dark stain near the bottom edge",
                      "a large subtle dark stain near the top edge"),
    },
}
"""Descriptions per defect type, the i-th synthetic image of a type drawn from its ``i % n``-th description.
``one``: one per type, checked against the sizes and contrast of the k = 3 training masks of the tuning seeds 1 and 2.
``varied``: several per type, written from the same training masks (never a test image of a reported seed): the
sizes, orientations and edges the real examples show (blowholes 3-4 % of the tile's shorter side, breaks at the
corners of the top or bottom edge, cracks 11-40 % long running up from the top or bottom edge, frays small at the
bottom edge or large, uneven shading in a band along the top or bottom edge). ``bold``: ``varied`` with darker
blowholes, paler breaks (the real ones are not black) and cracks 2-3 px wide, as the real ones are (``thin`` draws
1-1.6 px). With ``--match`` (k > 0) only the kind of the first is taken."""


PAINTER_MARGIN = 0.01
"""How far past a defect's edge a person painting it goes, as a share of the image's shorter side (3 px on a
300 px magnetic tile): ``--painted`` widens the Defect Creator's exact masks by it for training (tried at k = 0,
not adopted: ``bench/README.md``, Defect Creator, k = 0)."""


def as_painted(masks: np.ndarray, margin: float = PAINTER_MARGIN) -> np.ndarray:
    """Exact class maps widened by the margin a painter leaves: the training targets of synthetic images.

    A synthetic mask marks exactly the pixels the Defect Creator changed; painted masks run a little past the
    defect. Each pixel class grows by ``margin`` of the image's shorter side (at least one pixel) into the
    background around it; a class never overwrites another's pixels.

    Args:
        masks: ``(N, H, W)`` uint8 class maps (0 = background, k = the k-th pixel class).
        margin: the widening, as a share of ``min(H, W)``.
    """
    radius = max(1.0, margin * min(masks.shape[1:3]))
    out = masks.copy()
    for i, mask in enumerate(masks):
        for k in np.unique(mask[mask > 0]):
            gap = cv2.distanceTransform((mask != k).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
            out[i][(gap <= radius + 1e-6) & (out[i] == 0)] = k
    return out


def split_k(items: list[Sample], k: int, good: int, test_good: int, seed: int) -> tuple[list[Sample], list[Sample]]:
    """``k`` defect images per type and ``good`` good tiles train; the other defects and ``test_good`` tiles test."""
    rng = np.random.default_rng(seed)
    train: list[Sample] = []
    for kind, n in [*((d, k) for d in DEFECTS), (GOOD, good)]:
        pool = [s for s in items if s.kind == kind]
        train += [pool[i] for i in sorted(rng.choice(len(pool), n, replace=False))]
    chosen = set(train)
    rest = [s for s in items if s not in chosen]
    spare = [s for s in rest if s.kind == GOOD]
    keep = set(spare[:: max(1, len(spare) // test_good)][:test_good]) if test_good else set(spare)
    return train, [s for s in rest if s.kind != GOOD or s in keep]


def profiles(train: list[Sample]) -> dict[str, DefectProfile | None]:
    """Each defect type's training examples measured (the product's "match my labelled defects"); none at k = 0.

    A type whose examples matching refuses to imitate (each too wide: ``MAX_REGION_SIZE``) maps to ``None`` and gets
    no synthetic image, as the product's ``synth --match`` would make none.
    """
    out: dict[str, DefectProfile | None] = {}
    for kind in DEFECTS:
        # a few of the dataset's masks mark nothing (4 px or more): left out of the examples, as the product asks
        pairs = [(image, mask) for image, mask in (load(s) for s in train if s.kind == kind) if mask.sum() >= 4]
        if pairs:
            try:
                out[kind] = measure_defects([image for image, _ in pairs], [mask for _, mask in pairs])
            except SynthError as refused:
                print(f"{kind}: no synthetic image ({refused})", flush=True)
                out[kind] = None
    return out


def synthesize(hosts: list[Sample], per_type: int, seed: int, descriptions: dict[str, tuple[str, ...]],
               matched: dict[str, DefectProfile | None] | None = None) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """``per_type`` synthetic images per defect type from the good training tiles: (type, RGB image, 0/1 mask).

    With ``matched``, a type's defects take their sizes, contrast and place from its profile (its kind from the
    description); otherwise the description alone decides.
    """
    out = []
    for t, kind in enumerate(DEFECTS):
        specs = [parse_description(text) for text in descriptions[kind]]
        profile = matched.get(kind) if matched else None
        if matched and kind in matched and profile is None:
            continue  # matching refused this type's examples
        for i in range(per_type):
            host, _ = load(hosts[(t * per_type + i) % len(hosts)])
            at = seed * 100_000 + t * 1000 + i
            made = (render_matched(host, specs[0], profile, seed=at) if profile else
                    render(host, specs[i % len(specs)], seed=at))
            out.append((kind, made.image, made.mask.astype(np.uint8)))
    return out


def segmenter_arrays(train: list[Sample], synthetic: list, size: tuple[int, int],
                     margin: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Training images and 0/1 masks at ``size``; synthetic masks widened by ``margin`` px (a painter's margin)."""
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * margin + 1, 2 * margin + 1))
    pairs = [load(s) for s in train] + [(image, cv2.dilate(mask, disc) if margin else mask)
                                        for _, image, mask in synthetic]
    images = np.stack([resize_to(image, size) for image, _ in pairs])
    masks = np.stack([resize_to(mask[:, :, None].repeat(3, 2) * 255, size)[:, :, 0] >= 128 for _, mask in pairs])
    return images, masks.astype(np.uint8)


def at_5pct_false_alarms(score: np.ndarray, truth: np.ndarray) -> float:
    """Detection at the threshold that flags at most 5 % of the test's good images (a point of the ROC curve).

    ``score`` is per image, higher meaning more defective (a classifier's defect probability, a segmenter's
    largest blob in px); ``truth`` marks the defect images. For comparison at equal false alarms only.
    """
    return float((score[truth] > np.quantile(score[~truth], 0.95)).mean())


def run_segmenter(args: argparse.Namespace, train: list[Sample], test: list[Sample], synthetic: list,
                  workdir: Path, seed: int) -> dict:
    size = input_size(train, args.side)
    images, masks = segmenter_arrays(train, synthetic, size, args.mask_margin)
    if args.painted:  # the synthetic masks (after the real ones) widened at the input size; tried, not adopted
        masks[len(train):] = as_painted(masks[len(train):], args.painted_margin)
    start = time.perf_counter()
    steps = (SegmenterSchedule(epochs=args.seg_epochs, min_steps=1, max_steps=10_000) if args.seg_epochs else
             SegmenterSchedule(min_steps=args.seg_steps, max_steps=args.seg_steps) if args.seg_steps else None)
    model = train_segmenter(images, masks, 1, seed=seed, hflip=True, vflip=True,
                            time_budget_s=None if steps else args.budget, schedule=steps)
    seconds = time.perf_counter() - start
    model.export_onnx(workdir / "seg.onnx")
    predict = onnx_predictor(OnnxModel(workdir / "seg.onnx", 2))
    scored = run_over(test, predict)
    result = summary(scored, choose_min_blob(run_over(train, predict)))
    blob = np.array([s.largest_blob for s in scored])
    truth = np.array([s.kind != GOOD for s in scored])
    kinds = np.array([s.kind for s in scored])
    per_type = {k: at_5pct_false_alarms(blob[(kinds == k) | ~truth], truth[(kinds == k) | ~truth]) for k in DEFECTS}
    for k, v in per_type.items():
        result["per_type"][k]["detection_at_5pct_fa"] = v  # type: ignore[index]
    return {"train_images": len(images), "train_seconds": round(seconds, 1), **result,
            "train_steps": steps.steps(len(images)) if steps else None,
            "detection_at_5pct_fa": at_5pct_false_alarms(blob, truth)}


def run_classifier(args: argparse.Namespace, mode: str, train: list[Sample], test: list[Sample], synthetic: list,
                   workdir: Path, seed: int) -> dict:
    side = args.fast_size if mode == "fast" else args.accurate_size
    raw = [load(s)[0] for s in train] + [image for _, image, _ in synthetic]
    labels = np.array([s.kind != GOOD for s in train] + [True] * len(synthetic), dtype=np.int64)
    start = time.perf_counter()
    if mode == "accurate":  # the product's schedule with fewer steps: this CPU is shared
        steps = (Schedule(epochs=args.accurate_epochs, min_steps=1, max_steps=10_000) if args.accurate_epochs else
                 Schedule(min_steps=args.accurate_steps, max_steps=args.accurate_steps))
        net = train_accurate(resized(raw, side), labels, 2, seed, Augment(hflip=True, vflip=True), no_progress, steps)
        model = TrainedClassifier(net, (side, side))
    else:
        model = train_classifier(resized(raw, side), labels, 2, mode, seed=seed, hflip=True, vflip=True)
    seconds = time.perf_counter() - start
    model.export_onnx(workdir / f"{mode}.onnx")
    onnx = OnnxModel(workdir / f"{mode}.onnx", 2)
    test_images = resized([load(s)[0] for s in test], side)
    proba = np.concatenate([onnx.predict(test_images[i: i + 32]) for i in range(0, len(test_images), 32)])[:, 1]
    truth = np.array([s.kind != GOOD for s in test])
    kinds = np.array([s.kind for s in test])
    return {"train_images": len(raw), "train_seconds": round(seconds, 1),
            "train_steps": steps.steps(len(raw)) if mode == "accurate" else None,
            "detection": float((proba[truth] >= 0.5).mean()), "false_alarms": float((proba[~truth] >= 0.5).mean()),
            "detection_at_5pct_fa": at_5pct_false_alarms(proba, truth),
            "per_type": {k: float((proba[kinds == k] >= 0.5).mean()) for k in DEFECTS},
            "defect_images": int(truth.sum()), "good_images": int((~truth).sum())}


def sheet(train: list[Sample], synthetic: list, path: Path, per_row: int = 4) -> None:
    """Per defect type, a row: its real training examples, then up to ``per_row`` of its synthetic images.

    Each image is shown with its mask outlined in red, so what the models trained on can be judged beside the
    real defects they are meant to find.
    """
    def outlined(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
        tile = resize_to(image, (192, 192)).copy()
        small = resize_to(mask[:, :, None].repeat(3, 2) * 255, (192, 192))[:, :, 0] >= 128
        edge = small & ~cv2.erode(small.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        tile[edge] = (255, 0, 0)
        return tile

    blank = np.zeros((192, 192, 3), np.uint8)
    rows = []
    for kind in DEFECTS:
        real = [outlined(*load(s)) for s in train if s.kind == kind]
        made = [outlined(image, mask) for k, image, mask in synthetic if k == kind][:per_row]
        width = 3 + per_row
        tiles = [*real[:3], *[blank] * (3 - min(3, len(real))), *made, *[blank] * (width - 3 - len(made))]
        rows.append(np.concatenate(tiles, 1))
    Image.fromarray(np.concatenate(rows, 0)).save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=DATASET)
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--ks", default="0,3")
    parser.add_argument("--models", default="segmenter,fast,accurate")
    parser.add_argument("--good", type=int, default=40, help="good training tiles (also the synthetic hosts)")
    parser.add_argument("--synthetic", type=int, default=8, help="synthetic images per defect type")
    parser.add_argument("--test-good", type=int, default=200, help="good test tiles (0: all the others)")
    parser.add_argument("--side", type=int, default=256, help="segmenter's longest input side")
    parser.add_argument("--budget", type=float, default=150.0, help="segmenter training cap, seconds")
    parser.add_argument("--seg-steps", type=int, default=0,
                        help="segmenter: this many optimiser steps instead of the time cap (a shared CPU's load then "
                             "changes the time, not the model)")
    parser.add_argument("--seg-epochs", type=int, default=0,
                        help="segmenter: this many passes over the training images (steps grow with the images, as "
                             "the product's schedule does, but without its floor and cap); overrides --seg-steps")
    parser.add_argument("--descriptions", choices=sorted(DESCRIPTION_SETS), default="one",
                        help="which descriptions per type draw the synthetic defects (see DESCRIPTION_SETS)")
    parser.add_argument("--mask-margin", type=int, default=0,
                        help="segmenter: widen the synthetic masks by this many px (of the tile) before training, as "
                             "a painter paints past a defect's edge")
    parser.add_argument("--painted", action="store_true",
                        help="segmenter: widen the synthetic masks by PAINTER_MARGIN at the model's input size "
                             "(as_painted)")
    parser.add_argument("--painted-margin", type=float, default=PAINTER_MARGIN,
                        help="with --painted: the margin, as a share of the input's shorter side")
    parser.add_argument("--match", action="store_true",
                        help="at k > 0, match the synthetic defects to each type's training examples (sizes, "
                             "contrast, place) instead of the description's words")
    parser.add_argument("--synthetic-types", default=",".join(DEFECTS),
                        help="the defect types synthetic images are drawn for (the others get none)")
    parser.add_argument("--synthetic-only", action="store_true",
                        help="train only the runs with synthetic images (the ones without repeat exactly: tuning)")
    parser.add_argument("--fast-size", type=int, default=320)
    parser.add_argument("--accurate-size", type=int, default=224)
    parser.add_argument("--accurate-steps", type=int, default=60)
    parser.add_argument("--accurate-epochs", type=int, default=0,
                        help="Accurate: this many passes over the training images; overrides --accurate-steps")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (1 wastes less on a crowded CPU)")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--sheet", type=Path, help="write the synthetic training images of the first seed here")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    items = samples(args.dataset)
    results: dict = {"machine": f"{platform.machine()}, {args.threads} threads",
                     "descriptions": DESCRIPTION_SETS[args.descriptions],
                     "args": {k: v if isinstance(v, int | float | str) else str(v) for k, v in vars(args).items()},
                     "runs": []}
    print(f"{'seed':>4} {'k':>2} {'model':>9} {'synthetic':>9} | {'detection':>9} {'false al.':>9} "
          f"{'IoU':>6} {'det@5%FA':>8} | train s", flush=True)
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        for k in (int(v) for v in args.ks.split(",")):
            train, test = split_k(items, k, args.good, args.test_good, seed)
            synthetic = synthesize([s for s in train if s.kind == GOOD], args.synthetic, seed,
                                   DESCRIPTION_SETS[args.descriptions],
                                   profiles(train) if args.match else None)
            synthetic = [s for s in synthetic if s[0] in args.synthetic_types.split(",")]
            if args.sheet and seed == args.first_seed:
                sheet(train, synthetic, args.sheet)
            for model in args.models.split(","):
                for with_synthetic in (False, True):
                    if not with_synthetic and (k == 0 or args.synthetic_only):
                        continue
                    extra = synthetic if with_synthetic else []
                    with tempfile.TemporaryDirectory() as tmp:
                        if model == "segmenter":
                            row = run_segmenter(args, train, test, extra, Path(tmp), seed)
                        else:
                            row = run_classifier(args, model, train, test, extra, Path(tmp), seed)
                    row |= {"seed": seed, "k": k, "model": model, "synthetic": len(extra)}
                    results["runs"].append(row)
                    print(f"{seed:>4} {k:>2} {model:>9} {len(extra):>9} | {row['detection']:9.3f} "
                          f"{row['false_alarms']:9.3f} {row.get('iou', float('nan')):6.3f} "
                          f"{row.get('detection_at_5pct_fa', float('nan')):8.3f} | {row['train_seconds']}", flush=True)
                    if model == "segmenter":
                        print("      det@5%FA per type: " + ", ".join(
                            f"{t[3:]} {v['detection_at_5pct_fa']:.3f} (IoU {v['iou']:.3f})"
                            for t, v in row["per_type"].items()), flush=True)
                    if args.json:
                        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
