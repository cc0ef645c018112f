"""Plant scale: captures per second on Ray at 1 and 2 workers against the single-process path, in one run.

Two recipes on generated 256x256 PNG captures (a textured grey part; every fifth one scratched), each type with a
real Fast classifier (EfficientNet-Lite0 features + a linear model, trained here on 24 generated captures):

- ``one``: one classifier ROI (160x160);
- ``multi``: a multi-model recipe, two classifier types with their own models, three ROIs.

For each recipe, in this order and in the same run: the single-process path (``Inspector.inspect_file`` on every
capture, one ONNX Runtime thread, as ``openinspect inspect`` runs), then ``cluster.judge`` (what ``inspect --ray``
runs) on a local Ray instance of W CPUs with W model workers, one ONNX thread each, for W in ``--workers``. Each
configuration runs in its own process pinned to W cores (``sched_setaffinity``; Ray's processes inherit it), so
W workers use W cores and no more. Ray's time counts from the job's start (actors starting, models loading) to the
last result in order; starting the Ray instance itself is said apart.

Run from the repository root: ``python bench/scale.py [--count 20000] [--workers 1 2] [--recipes one multi]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from openinspect.dataset import import_class_folders
from openinspect.recipe import TrainingMode, parse_recipe
from openinspect.store import Workspace

RECIPES = {
    "one": """
name: one
types:
  - {name: surface, kind: classifier, mode: fast, classes: [{name: good, pass: true}, {name: scratch, pass: false}]}
rois:
  - {name: centre, type: surface, x: 48, y: 48, w: 160, h: 160}
""",
    "multi": """
name: multi
profile: multi-model
types:
  - {name: surface, kind: classifier, mode: fast, classes: [{name: good, pass: true}, {name: scratch, pass: false}]}
  - {name: edge, kind: classifier, mode: fast, classes: [{name: good, pass: true}, {name: scratch, pass: false}]}
rois:
  - {name: left, type: surface, x: 0, y: 64, w: 128, h: 128}
  - {name: right, type: surface, x: 128, y: 64, w: 128, h: 128}
  - {name: band, type: edge, x: 0, y: 96, w: 256, h: 64}
""",
}
DISTINCT = 64
"""Distinct generated parts, written in turn under every capture name (generating 20,000 would take longer)."""


def part(defect: bool, seed: int) -> np.ndarray:
    """A 256x256 textured grey part; a scratch is a dark band across it. ``(256, 256, 3)`` uint8 RGB."""
    rng = np.random.default_rng(seed)
    base = rng.normal(150, 12, (256, 256)).clip(0, 255)
    if defect:
        row = int(rng.integers(100, 156))
        base[row - 3 : row + 3, 10:246] = 40
    return np.repeat(base.astype(np.uint8)[:, :, None], 3, axis=2)


def png(pixels: np.ndarray, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path, format="PNG")


def prepare(folder: Path, count: int, recipes: list[str]) -> None:
    """Train each recipe's types (Fast) in one workspace and write ``count`` captures with a list file."""
    from openinspect.training import train_type  # torch: only to set the benchmark up

    workspace = Workspace(folder / "home")
    train = folder / "train"
    for i in range(12):
        png(part(False, 10_000 + i), train / "good" / f"g{i}.png")
        png(part(True, 20_000 + i), train / "scratch" / f"s{i}.png")
    for name in recipes:
        recipe = parse_recipe(RECIPES[name])
        workspace.save_recipe(recipe)
        for spec in recipe.types:
            import_class_folders(workspace, recipe, spec.name, train)
            started = time.perf_counter()
            train_type(workspace, recipe, spec.name, mode=TrainingMode.FAST)
            print(f"trained {name}/{spec.name} (Fast) in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    parts = []
    for i in range(DISTINCT):
        png(part(i % 5 == 0, i), folder / "parts" / f"{i}.png")
        parts.append((folder / "parts" / f"{i}.png").read_bytes())
    captures = folder / "captures"
    captures.mkdir()
    paths = [captures / f"c{i:06d}.png" for i in range(count)]
    for i, path in enumerate(paths):
        path.write_bytes(parts[i % DISTINCT])
    (folder / "captures.txt").write_text("".join(f"{p}\n" for p in paths))


def run(folder: Path, recipe: str, workers: int) -> dict:
    """One configuration, in this process (pinned by the caller): ``workers`` 0 is the single-process path."""
    os.sched_setaffinity(0, set(range(max(workers, 1))))
    from openinspect.station import Inspector
    from openinspect.station.pipeline import InspectorPlan

    plan = InspectorPlan.load(Workspace(folder / "home"), recipe)
    paths = (folder / "captures.txt").read_text().split()
    out: dict = {"recipe": recipe, "workers": workers, "count": len(paths)}
    if workers == 0:
        started = time.perf_counter()
        inspector = Inspector.of(plan, threads=1)
        verdicts = [inspector.inspect_file(Path(p)).passes for p in paths]
    else:
        from openinspect import cluster

        begin = time.perf_counter()
        joined = cluster.connect(None, cpus=workers)
        out["ray_start_s"] = time.perf_counter() - begin
        started = time.perf_counter()
        results = cluster.judge(plan, paths, cluster.JobOptions(workers=workers, threads=1, batch=32), joined)
        verdicts = [next(results).passes]
        first = time.perf_counter()
        out["first_s"] = first - started
        verdicts += [r.passes for r in results]
        out["steady_per_s"] = (len(paths) - 1) / (time.perf_counter() - first)
    out["seconds"] = time.perf_counter() - started
    out["per_s"] = len(paths) / out["seconds"]
    out["failed"] = verdicts.count(False)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--recipes", nargs="+", choices=sorted(RECIPES), default=["one", "multi"])
    parser.add_argument("--run", nargs=4, metavar=("FOLDER", "RECIPE", "WORKERS", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        Path(args.run[3]).write_text(json.dumps(run(Path(args.run[0]), args.run[1], int(args.run[2]))))
        return
    print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f} (shared machine: figures are noisy)")
    with tempfile.TemporaryDirectory(prefix="openinspect-scale-") as tmp:
        folder = Path(tmp)
        prepare(folder, args.count, args.recipes)
        for recipe in args.recipes:
            rows = []
            for workers in [0, *args.workers]:
                out = folder / f"{recipe}-{workers}.json"
                subprocess.run([sys.executable, __file__, "--run", str(folder), recipe, str(workers), str(out)],
                               check=True, stdout=subprocess.DEVNULL)
                rows.append(json.loads(out.read_text()))
                print(f"  {recipe} {'single-process' if workers == 0 else f'ray {workers} worker(s)'}: "
                      f"{rows[-1]['per_s']:.1f} captures/s", file=sys.stderr)
            report(rows)


def report(rows: list[dict]) -> None:
    single = rows[0]
    by_workers = {row["workers"]: row for row in rows[1:]}
    assert all(row["failed"] == single["failed"] for row in rows), "the paths disagree on the verdicts"
    print(f"\nrecipe {single['recipe']}: {single['count']} captures, {single['failed']} failing in every run")
    print("| path | captures/s, whole job | vs single-process | per worker vs 1 worker (linear = 1.00) | "
          "captures/s after the first result | its per worker vs 1 worker | first result after (s) | Ray start (s) |")
    print("|---|---|---|---|---|---|---|---|")
    print(f"| single process | {single['per_s']:.1f} | 1.00 | | {single['per_s']:.1f} | | | |")
    one = by_workers.get(1)
    for workers, row in sorted(by_workers.items()):
        linear = f"{row['per_s'] / (workers * one['per_s']):.2f}" if one else ""
        steady = f"{row['steady_per_s'] / (workers * one['steady_per_s']):.2f}" if one else ""
        print(f"| Ray, {workers} worker(s) | {row['per_s']:.1f} | {row['per_s'] / single['per_s']:.2f} | {linear} | "
              f"{row['steady_per_s']:.1f} | {steady} | {row['first_s']:.1f} | {row['ray_start_s']:.1f} |")
    if one:
        print(f"Ray overhead at 1 worker against the single process (target <= 15 %): whole job "
              f"{100 * (1 - one['per_s'] / single['per_s']):.1f} %, after the first result "
              f"{100 * (1 - one['steady_per_s'] / single['per_s']):.1f} %")


if __name__ == "__main__":
    main()
