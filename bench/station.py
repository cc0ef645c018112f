"""Benchmark the station end to end through its real HTTP API, against a naive torch-eager baseline.

    python bench/station.py [--requests 200] [--seconds 5] [--clients 2] [--cases abcd] [--ranking]
    python bench/station.py --cases d            # the multi-model case only (--cases de: with fp32 models beside)
    python bench/station.py --cases '' --ranking # the per-ROI ranking only

Sets up a temporary workspace with four recipes on synthetic captures: (a) one classifier ROI and
(b) eight classifier ROIs of one type (128x128 px each) on 512x256 captures; (c) one 512x512 segmenter ROI
and (d) a multi-model recipe with (b)'s eight classifier ROIs plus (c)'s segmenter ROI, on 512x768
captures. One Fast classifier (trained once on generated labelled crops) and one segmenter (trained for
``--segmenter-budget`` seconds on generated scratches: its speed, not its accuracy, matters here) are
published to every recipe that uses them. Starts ``openinspect serve`` in a subprocess on a free
loopback port and drives it with httpx from this process:

- latency: sequential ``POST /api/v1/trigger`` uploads (PNG), trigger-to-result p50/p99 as the client sees it;
- throughput: ``--clients`` concurrent clients for ``--seconds``, results per second (busy answers counted apart);
- split: model time (``timing_ms.models``), the rest of the pipeline (decode, crop), and the station's
  overhead: HTTP, queueing, storing the record and archiving captures, publishing to the WebSocket hub;
- baseline: the same models in torch eager, one call per ROI crop, decode and crop included, in-process.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import httpx
import numpy as np

from openinspect.dataset import model_batch, roi_crops
from openinspect.imaging import decode_image, model_input_size
from openinspect.models.classifier import train_classifier
from openinspect.models.quantize import PrecisionChoice, choose_precision, quantize_int8
from openinspect.models.runtime import ThreadSettings, fast_int8
from openinspect.models.segmenter import train_segmenter
from openinspect.recipe import TrainingMode, parse_recipe, region_model_input
from openinspect.store import Workspace, write_json
from openinspect.store.files import encode_png
from openinspect.training import classification_set

SIZE = (256, 512)
ROI = 128
SURFACE = 512
GRID = [(x * ROI, y * ROI) for y in range(2) for x in range(4)]
TOKEN = "bench-token-0123456789"
PART = """  - name: part
    kind: classifier
    mode: fast
    classes: [{name: good, pass: true}, {name: scratch, pass: false}]"""
SURFACE_TYPE = """  - name: surface
    kind: segmenter
    pixel_classes: [{name: scratch, color: "#ff3b30"}]
    min_blob_px: 20"""
SURFACE_ROI = f"  - {{name: face, type: surface, x: 0, y: {SIZE[0]}, w: {SURFACE}, h: {SURFACE}}}"
CLASSIFIER_ROIS = [f"  - {{name: r{i}, type: part, x: {x}, y: {y}, w: {ROI}, h: {ROI}}}" for i, (x, y) in
                   enumerate(GRID)]
CASES = (
    # label, recipe, profile, types, ROIs, classifier ROIs in the captures, segmenter ROI in the captures
    ("(a) 1 classifier ROI", "one-roi", "single-model", [PART], CLASSIFIER_ROIS[:1], 1, False),
    ("(b) 8 classifier ROIs", "eight-rois", "single-model", [PART], CLASSIFIER_ROIS, 8, False),
    ("(c) 1 segmenter ROI, 512 px", "segmenter", "single-model", [SURFACE_TYPE], [SURFACE_ROI], 0, True),
    ("(d) multi-model: (b) + (c)", "multi", "multi-model", [PART, SURFACE_TYPE], [*CLASSIFIER_ROIS, SURFACE_ROI], 8,
     True),
    ("(e) = (d), fp32 models only (before int8)", "multi-fp32", "multi-model", [PART, SURFACE_TYPE],
     [*CLASSIFIER_ROIS, SURFACE_ROI], 8, True),
)


def capture(defects: set[int], seed: int) -> np.ndarray:
    """A 512x256 machined-looking grey part; ROIs in ``defects`` get a dark scratch. ``(H, W, 3)`` uint8 RGB."""
    rng = np.random.default_rng(seed)
    base = cv2.GaussianBlur(rng.normal(150, 25, SIZE).astype(np.float32), (0, 0), 3)
    for index in defects:
        x, y = GRID[index]
        row = int(rng.integers(y + 30, y + ROI - 30))
        cv2.line(base, (x + 20, row), (x + ROI - 20, row + int(rng.integers(-15, 15))), 50, 3)
    return np.repeat(base.clip(0, 255).astype(np.uint8)[:, :, None], 3, axis=2)


def surface(seed: int, scratched: bool) -> tuple[np.ndarray, np.ndarray]:
    """A 512x512 textured surface, with a thin dark scratch when ``scratched``; image and its class map."""
    rng = np.random.default_rng(seed)
    base = cv2.GaussianBlur(rng.normal(140, 20, (SURFACE, SURFACE)).astype(np.float32), (0, 0), 2)
    mask = np.zeros((SURFACE, SURFACE), np.uint8)
    if scratched:
        start, end = rng.integers(40, SURFACE - 40, 2), rng.integers(40, SURFACE - 40, 2)
        cv2.line(base, tuple(map(int, start)), tuple(map(int, end)), 60, 3)
        cv2.line(mask, tuple(map(int, start)), tuple(map(int, end)), 1, 3)
    return np.repeat(base.clip(0, 255).astype(np.uint8)[:, :, None], 3, axis=2), mask


def full_capture(defects: set[int], seed: int, scratched: bool) -> np.ndarray:
    """A 512x768 capture: the classifier parts on top, the segmenter's surface below."""
    return np.vstack([capture(defects, seed), surface(seed, scratched)[0]])


def setup(home: Path, segmenter_budget: float) -> dict[str, Callable[[np.ndarray], np.ndarray]]:
    """The four recipes, one Fast classifier and one segmenter, each trained once and published to its recipes.

    Returns:
        Per inspection type, the torch-eager prediction of the same model for one model-sized batch.
    """
    workspace = Workspace(home)
    for _, name, profile, types, rois, _, _ in CASES:
        document = f"name: {name}\nprofile: {profile}\ntypes:\n" + "\n".join(types) + "\nrois:\n" + "\n".join(rois)
        workspace.save_recipe(parse_recipe(document))
    for seed in range(8):
        defects = {seed % 8, (seed * 3 + 1) % 8}
        stored = workspace.add_image(encode_png(capture(defects, seed)), f"train-{seed}.png")
        for index in range(8):
            workspace.set_label("eight-rois", "part", stored, f"r{index}", "scratch" if index in defects else "good")
    recipe = workspace.recipe("eight-rois")
    data = classification_set(workspace, recipe, recipe.types[0])
    classifier = train_classifier(data.images, data.targets, 2, "fast", seed=0)
    pairs = [surface(100 + seed, seed % 2 == 0) for seed in range(8)]
    segmenter = train_segmenter(np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs]), 1, seed=0,
                                time_budget_s=segmenter_budget)
    exported = Path(tempfile.mkdtemp(prefix="openinspect-bench-models-"))
    choices = {}  # as training publishes a model: an int8 copy where this CPU has VNNI/AMX and it scores within 0.02
    labelled = {"part": (data.images, data.targets), "surface": (np.stack([p[0] for p in pairs]),
                                                                 np.stack([p[1] for p in pairs]))}
    for type_name, model, kind in (("part", classifier, "classifier"), ("surface", segmenter, "segmenter")):
        model.export_onnx(exported / f"{type_name}.onnx")
        if kind == "classifier":  # as training: a classifier learns every labelled crop, none is left to check int8
            choices[type_name] = PrecisionChoice("fp32", "classifiers stay fp32")
            continue
        choices[type_name] = choose_precision(exported / f"{type_name}.onnx", exported / f"{type_name}.int8.onnx",
                                              *labelled[type_name], kind, fast_int8())
        print(f"{type_name}: {choices[type_name].precision} ({choices[type_name].reason})", flush=True)
    for _, name, *_ in CASES:
        for spec in workspace.recipe(name).types:
            model = classifier if spec.name == "part" else segmenter
            choice = choices[spec.name] if name != "multi-fp32" else None
            with workspace.new_model_version(name, spec.name, "fast" if spec.name == "part" else "accurate") as folder:
                shutil.copy(exported / f"{spec.name}.onnx", folder / "model.onnx")
                if choice is not None and choice.precision == "int8":
                    shutil.copy(exported / f"{spec.name}.int8.onnx", folder / "model.int8.onnx")
                write_json(folder / "meta.json", {"classes": spec.class_names(), "input_size": list(model.input_size),
                                                  "metrics": {}, "precision": choice.precision if choice else "fp32"})
    shutil.rmtree(exported, ignore_errors=True)
    workspace.engine.dispose()
    return {"part": classifier.predict_proba, "surface": segmenter.predict_masks}


@contextlib.contextmanager
def station(home: Path) -> Iterator[str]:
    """``openinspect serve`` in a subprocess; yields its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "OPENINSPECT_TOKENS": f'{{"{TOKEN}": "engineer"}}', "OPENINSPECT_QUEUE_LIMIT": "4"}
    command = [sys.executable, "-c", "from openinspect.cli import main; raise SystemExit(main())",
               "--home", str(home), "serve", "--port", str(port), "--recipe", "one-roi"]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{base}/health").status_code == 200:
                    break
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("the station did not start")
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(30)


def captures(count: int, rois: int, segmenter: bool) -> list[bytes]:
    """Test captures, 1 in 5 with a defect in one of the recipe's classifier ROIs and 1 in 5 with a scratch."""
    made = []
    for i in range(count):
        defects = {i % rois} if rois and i % 5 == 0 else set()
        image = full_capture(defects, 1000 + i, i % 5 == 2) if segmenter else capture(defects, 1000 + i)
        made.append(encode_png(image))
    return made


def latency(client: httpx.Client, recipe: str, images: list[bytes]) -> dict[str, float]:
    """Sequential triggers: client-side trigger-to-result latency and the station's own split."""
    e2e, models, pipeline = [], [], []
    for index, data in enumerate(images):
        started = time.perf_counter()
        response = client.post("/trigger", params={"recipe": recipe}, files={"image": (f"{index}.png", data)})
        e2e.append((time.perf_counter() - started) * 1000)
        timing = response.raise_for_status().json()["timing_ms"]
        models.append(timing["models"])
        pipeline.append(timing["total"])
    p50 = float(np.percentile(e2e, 50))
    model = float(np.median(models))
    total = float(np.median(pipeline))
    return {"p50": p50, "p99": float(np.percentile(e2e, 99)), "model": model, "decode_crop": total - model,
            "overhead": p50 - total, "sequential_per_s": 1000 / float(np.mean(e2e))}


def throughput(base: str, recipe: str, images: list[bytes], clients: int, seconds: float) -> tuple[float, int]:
    """``clients`` concurrent clients for ``seconds``: judged results per second, and busy answers."""
    done, busy = [0] * clients, [0] * clients
    stop = time.perf_counter() + seconds

    def run(slot: int) -> None:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as client:
            index = slot
            while time.perf_counter() < stop:
                response = client.post("/trigger", params={"recipe": recipe},
                                       files={"image": ("t.png", images[index % len(images)])})
                done[slot] += response.status_code == 200
                busy[slot] += response.status_code == 503
                index += clients

    started = time.perf_counter()
    threads = [threading.Thread(target=run, args=(slot,)) for slot in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.perf_counter() - started), sum(busy)


def eager_baseline(
    eager: dict[str, Callable[[np.ndarray], np.ndarray]], sizes: dict[str, tuple[int, int]], recipe_text: str,
    images: list[bytes],
) -> float:
    """Median ms per capture: decode, crop, then one torch-eager model call per ROI (no batching, no ONNX)."""
    recipe = parse_recipe(recipe_text)
    times = []
    for data in images:
        started = time.perf_counter()
        image = decode_image(data, "capture.png")
        for roi, crop in zip(recipe.rois, roi_crops(image, recipe, recipe.rois, "capture.png"), strict=True):
            eager[roi.type](model_batch([crop], sizes[roi.type]))
        times.append((time.perf_counter() - started) * 1000)
    return float(np.median(times))


RANK_SIDES = (256, 512)
RANK_TYPES = (  # label, recipe type YAML
    ("segmenter", '  - {name: t, kind: segmenter, pixel_classes: [{name: scratch, color: "#ff3b30"}]}'),
    *((f"{mode.title()} classifier",
       f"  - {{name: t, kind: classifier, mode: {mode}, "
       "classes: [{name: good, pass: true}, {name: bad, pass: false}]}")
      for mode in ("fast", "accurate")),
)


def ranking_models(side: int, folder: Path) -> dict[str, tuple[Path, tuple[int, int]]]:
    """Each type's default model for a ``side`` px square ROI, exported to ONNX: its file and input size.

    Fast learns 32 generated crops (its memory banks scale with the crops, as on a line); the segmenter trains
    2 s and Accurate not at all: their time does not depend on their weights.
    """
    from openinspect.models.accurate import VARIANT, AccurateNet
    from openinspect.models.backbone import load_pretrained
    from openinspect.models.classifier import TrainedClassifier
    from openinspect.training.service import DEFAULT_CLASSIFIER_SIDE

    made: dict[str, tuple[Path, tuple[int, int]]] = {}
    seg_type = parse_recipe(f"name: s\ntypes:\n{RANK_TYPES[0][1]}\nrois: [{{name: r, type: t}}]").types[0]
    seg_size = region_model_input(seg_type, side, side)  # type: ignore[arg-type]  # a segmenter, as written
    pairs = [surface(200 + seed, seed % 2 == 0) for seed in range(4)]
    images = np.stack([cv2.resize(p[0], seg_size[::-1]) for p in pairs])
    masks = np.stack([cv2.resize(p[1], seg_size[::-1], interpolation=cv2.INTER_NEAREST) for p in pairs])
    made["segmenter"] = (folder / f"seg{side}.onnx", seg_size)
    train_segmenter(images, masks, 1, seed=0, time_budget_s=2).export_onnx(made["segmenter"][0])
    for label, mode in (("Fast classifier", TrainingMode.FAST), ("Accurate classifier", TrainingMode.ACCURATE)):
        size = model_input_size(side, side, min(DEFAULT_CLASSIFIER_SIDE[mode], side))
        path = folder / f"{mode.value}{side}.onnx"
        if mode is TrainingMode.FAST:
            crops = np.stack([cv2.resize(capture({i % 8} if i % 2 else set(), i)[:ROI, :ROI], size[::-1])
                              for i in range(32)])
            train_classifier(crops, np.arange(32) % 2, 2, "fast", seed=0).export_onnx(path)
        else:
            TrainedClassifier(AccurateNet(load_pretrained(VARIANT), 2), size).export_onnx(path)
        made[label] = (path, size)
    return made


Ranked = tuple[str, int, tuple[int, int], dict[str, float]]


def ranking(repeats: int, threads: int | None) -> list[Ranked]:
    """Per ROI of 256 and 512 px, each type at its default input: through the product and the bare network.

    *Product*: ``Inspector.inspect_image`` on a decoded capture that is the ROI (crop, resize, model, decision),
    its ``timing_ms.models`` apart; *bare*: the same ONNX file in a plain ``InferenceSession`` (the same session
    options) on the already resized crop. All timed interleaved, medians.
    """
    import onnxruntime as ort

    from openinspect.station import Inspector

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        workspace = Workspace(home / "ws")
        runs: list[tuple[str, int, tuple[int, int], Inspector, ort.InferenceSession, np.ndarray, np.ndarray]] = []
        for side in RANK_SIDES:
            models = ranking_models(side, home)
            for (base, type_yaml), precision in itertools.product(RANK_TYPES, ("fp32", "int8")):
                label = base if precision == "fp32" else f"{base} int8"
                name = f"{base.split()[0].lower()}-{side}-{precision}"
                workspace.save_recipe(parse_recipe(f"name: {name}\ntypes:\n{type_yaml}\nrois:\n"
                                                   f"  - {{name: r, type: t, x: 0, y: 0, w: {side}, h: {side}}}"))
                fp32, size = models[base]
                path = fp32
                if precision == "int8":  # calibrated on generated surfaces: its speed, not its accuracy, counts
                    path = fp32.with_suffix(".int8.onnx")
                    quantize_int8(fp32, path, model_batch([surface(9 + i, i % 2 == 0)[0] for i in range(8)], size))
                spec = workspace.recipe(name).types[0]
                with workspace.new_model_version(name, "t", "accurate") as folder:
                    shutil.copy(fp32, folder / "model.onnx")
                    if precision == "int8":
                        shutil.copy(path, folder / "model.int8.onnx")
                    write_json(folder / "meta.json", {"classes": spec.class_names(), "input_size": list(size),
                                                      "precision": precision})
                # the product's session options: with ONNX Runtime's defaults the bare sessions' threads spin
                # after each call and slow whichever call comes next (measured: the 512 px segmenter 143 vs 61 ms)
                bare = ort.InferenceSession(str(path), ThreadSettings.of(threads).session_options(),
                                            providers=["CPUExecutionProvider"])
                image = np.repeat(cv2.resize(surface(7, True)[0], (side, side))[:, :, :1], 3, axis=2)
                runs.append((label, side, size, Inspector.load(workspace, name, threads), bare, image,
                             model_batch([image], size)))
        times: list[dict[str, list[float]]] = [{"product": [], "model": [], "bare": []} for _ in runs]
        # interleaved: every configuration sees the same load; 3 warm-up rounds. Product and bare take turns
        # going first: the second call of a pair finds the model's weights in the cache the first one warmed.
        for round_ in range(repeats + 3):
            for index, (_, _, _, inspector, bare, image, batch) in enumerate(runs):
                for part in ("bare", "product") if round_ % 2 else ("product", "bare"):
                    if part == "product":
                        result = inspector.inspect_image(image, "roi.png")
                        times[index]["product"].append(result.timing_ms["total"])
                        times[index]["model"].append(result.timing_ms["models"])
                    else:
                        started = time.perf_counter()
                        bare.run(None, {"image": batch})
                        times[index]["bare"].append((time.perf_counter() - started) * 1000)
        for index, (label, side, size, *_rest) in enumerate(runs):
            rows.append((label, side, size, {k: float(np.median(v[3:])) for k, v in times[index].items()}))
        workspace.engine.dispose()
    return rows


def report_ranking(rows: list[Ranked], repeats: int) -> None:
    """The per-ROI table, the guidance's order and the product's cost over the bare network."""
    print(f"\nPer ROI, each type at its default input (median of {repeats}, interleaved; load average "
          f"{os.getloadavg()[0]:.1f}):\n")
    print("| per ROI | model input | product ms (model ms) | bare ONNX Runtime ms | product / bare |")
    print("|---|---|---|---|---|")
    for label, side, size, f in rows:
        print(f"| {label}, {side} px | {size[1]}x{size[0]} | {f['product']:.1f} ({f['model']:.1f}) | {f['bare']:.1f} "
              f"| {f['product'] / f['bare']:.2f}x |")
    for side in RANK_SIDES:
        model = {label: f["model"] for label, s, _, f in rows if s == side}
        for suffix in ("", " int8"):
            seg, fast, accurate = (model[f"{base}{suffix}"] for base, _ in RANK_TYPES)
            order = seg < fast <= accurate
            print(f"- {side} px{suffix or ' fp32'}: segmenter {seg:.1f} < Fast {fast:.1f} <= Accurate {accurate:.1f} "
                  f"ms (model time): {'holds' if order else 'does NOT hold'}; "
                  f"segmenter / Accurate {seg / accurate:.2f} (target <= 0.6)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="sequential triggers per case (after 20 warm-up)")
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of the throughput run per case")
    parser.add_argument("--clients", type=int, default=2, help="concurrent clients in the throughput run")
    parser.add_argument("--segmenter-budget", type=float, default=20.0, help="seconds of segmenter training")
    parser.add_argument("--cases", default="abcde", help="which cases to run, e.g. ab; d: the multi-model case only; "
                                                        "'' none")
    parser.add_argument("--ranking", action="store_true", help="also the per-ROI ranking of the model types at 256 "
                                                               "and 512 px, product vs bare ONNX Runtime")
    parser.add_argument("--repeats", type=int, default=30, help="calls per configuration in the ranking")
    args = parser.parse_args()
    threads = int(os.environ["OPENINSPECT_THREADS"]) if os.environ.get("OPENINSPECT_THREADS") else None
    if args.ranking:
        report_ranking(ranking(args.repeats, threads), args.repeats)
    if not args.cases:
        return
    home = Path(tempfile.mkdtemp(prefix="openinspect-bench-"))
    try:
        print("training the Fast classifier and the segmenter once on generated data ...", flush=True)
        eager = setup(home, args.segmenter_budget)
        sizes = {"part": (ROI, ROI), "surface": (SURFACE, SURFACE)}
        rows = []
        for label, recipe, _, _, _, rois, segmenter in CASES:
            if label[1] not in args.cases:
                continue
            images = captures(args.requests, rois, segmenter)
            with station(home) as base, httpx.Client(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"},
                                                     timeout=30) as client:
                latency(client, recipe, images[:20])
                figures = latency(client, recipe, images)
                figures["in_station"] = client.get("/status").json()["latency_ms"]["p50"]
                rate, busy = throughput(base, recipe, images, args.clients, args.seconds)
            recipe_text = (home / "recipes" / recipe / "recipe.yaml").read_text()
            rows.append((label, figures, rate, busy, eager_baseline(eager, sizes, recipe_text, images[:20])))
        report(rows, args)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def report(rows: list[tuple[str, dict[str, float], float, int, float]], args: argparse.Namespace) -> None:
    print(f"\n{platform.processor() or platform.machine()}, {os.cpu_count()} CPU(s), {args.requests} sequential "
          f"triggers, {args.clients} clients x {args.seconds:g} s for throughput\n")
    print(f"load average during the run: {os.getloadavg()[0]:.1f}\n")
    print("| case | p50 ms | p99 ms | model ms | decode+crop ms | station overhead ms (% of model): HTTP + queue/store "
          "| sequential /s | sustained /s (busy) | torch eager per capture ms | eager / station p50 |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for label, f, rate, busy, eager in rows:
        http, inside = f["p50"] - f["in_station"], f["in_station"] - f["model"] - f["decode_crop"]
        print(f"| {label} | {f['p50']:.1f} | {f['p99']:.1f} | {f['model']:.1f} | {f['decode_crop']:.1f} "
              f"| {f['overhead']:.1f} ({f['overhead'] / f['model']:.0%}): {http:.1f} + {inside:.1f} "
              f"| {f['sequential_per_s']:.0f} | {rate:.0f} ({busy}) | {eager:.1f} | {eager / f['p50']:.1f}x |")
    print()
    for label, f, *_ in rows:  # the measure: everything but the models, against the models
        rest = f["p50"] - f["model"]
        target = " (target p50 <= 60 ms)" if label.startswith("(d)") else ""
        print(f"- {label}: p50 {f['p50']:.1f} ms{target}; p50 - model time = {rest:.1f} ms = {rest / f['model']:.0%} "
              f"of the model time {f['model']:.1f} ms (target <= 15 %)")


if __name__ == "__main__":
    main()
