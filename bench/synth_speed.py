"""Defect Creator speed: synthetic images of 512 x 512 per second, per kind, gray and colour (target >= 10/s).

    python bench/synth_speed.py [--repeats 20]

Hosts: a good magnetic-tile tile resized to 512 x 512 (gray) and the demo's bracket capture cropped to
512 x 512 (colour). Each kind is rendered ``--repeats`` times with different seeds; the figure is images per
second over those renders, by the wall clock and by the process's CPU time (one core's worth of work, which
holds on a machine shared with other jobs where the wall clock does not).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from openinspect.demo.captures import bracket_captures
from openinspect.synth import Kind, parse_description, render

DATASET = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "magnetic-tile"
TEXT = {Kind.SCRATCH: "three thin dark scratches", Kind.CRACK: "a branching crack", Kind.DENT: "two dents",
        Kind.STAIN: "a stain", Kind.SPILL: "a glue spill", Kind.SPLATTER: "red paint splatter",
        Kind.HOLE: "three pits", Kind.BLOWHOLE: "two blowholes", Kind.CHIP: "a chip", Kind.BURN: "a burn",
        Kind.DUST: "dust", Kind.MISSING: "a missing component"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    tile = np.asarray(Image.open(sorted((DATASET / "MT_Free" / "Imgs").glob("*.jpg"))[0]).convert("L"))
    hosts = {"gray": cv2.resize(tile, (512, 512), interpolation=cv2.INTER_AREA),
             "colour": bracket_captures(1, seed=0)[0].image[:, 144:656][:400]}
    hosts["colour"] = cv2.resize(hosts["colour"], (512, 512), interpolation=cv2.INTER_AREA)
    print(f"{'kind':>9} | {'gray img/s':>10} | {'colour img/s':>12} | {'gray img/CPU s':>14} | "
          f"{'colour img/CPU s':>16}")
    totals = {name: 0.0 for name in hosts}
    cpu = {name: 0.0 for name in hosts}
    for kind, text in TEXT.items():
        spec = parse_description(text)
        rates, cpu_rates = [], []
        for name, host in hosts.items():
            render(host, spec, seed=0)
            start, start_cpu = time.perf_counter(), time.process_time()
            for seed in range(args.repeats):
                render(host, spec, seed=seed)
            seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - start_cpu
            totals[name] += seconds
            cpu[name] += cpu_seconds
            rates.append(args.repeats / seconds)
            cpu_rates.append(args.repeats / cpu_seconds)
        print(f"{kind.value:>9} | {rates[0]:10.1f} | {rates[1]:12.1f} | {cpu_rates[0]:14.1f} | {cpu_rates[1]:16.1f}",
              flush=True)
    n = args.repeats * len(TEXT)
    print(f"{'all':>9} | {n / totals['gray']:10.1f} | {n / totals['colour']:12.1f} | {n / cpu['gray']:14.1f} | "
          f"{n / cpu['colour']:16.1f}   (target >= 10)")


if __name__ == "__main__":
    main()
