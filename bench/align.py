"""Alignment speed and accuracy on generated 800x600 captures: `python bench/align.py`.

The part (the same one the alignment tests use) is shifted, turned and relit at random; the
script prints the median and 95th percentile wall time of ``Aligner.locate``, its median CPU time
(all threads; what it costs when other work shares the cores) and the worst errors.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.unit.imaging.scenes import TEMPLATE, scene, truth

from openinspect.imaging import Aligner, Rect

RUNS = 60


def main() -> None:
    rng = np.random.default_rng(0)
    for template, max_angle in [(TEMPLATE, 15.0), (TEMPLATE, 0.0), (Rect(400, 280, 120, 110), 15.0)]:
        aligner = Aligner(scene(), template, max_angle=max_angle)
        times, cpu, shift_err, angle_err = [], [], [], []
        for run in range(RUNS):
            dx, dy = rng.uniform(-60, 60, 2)
            angle = float(rng.uniform(-max_angle, max_angle)) if max_angle else 0.0
            capture = scene(dx, dy, angle, gain=rng.uniform(0.6, 1.3), offset=rng.uniform(-30, 30), seed=run)
            started, cpu_started = time.perf_counter(), time.process_time()
            pose = aligner.locate(capture)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
            centre = np.array([[template.x + template.w / 2, template.y + template.h / 2]])
            expected = centre @ truth(dx, dy, angle)[:, :2].T + truth(dx, dy, angle)[:, 2]
            shift_err.append(float(np.abs(pose.map_points(centre) - expected).max()))
            angle_err.append(abs(pose.angle - angle))
        print(f"template {template.w}x{template.h}, max_angle {max_angle:g}: median {np.median(times):.1f} ms, "
              f"p95 {np.percentile(times, 95):.1f} ms, CPU median {np.median(cpu):.1f} ms; "
              f"worst centre error {max(shift_err):.2f} px, "
              f"worst angle error {max(angle_err):.2f} deg")


if __name__ == "__main__":
    main()
