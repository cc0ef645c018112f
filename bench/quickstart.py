"""Run the README's "Quickstart on real images" commands as written, per split seed, and print what eval says.

    python bench/quickstart.py [--seeds 7,0,1,2,3] [--accurate-seeds 7] [--workdir bench/out/quickstart]

The commands are taken from README.md itself, so the figures are those a user sees. Only three things change:
``T`` points at the dataset beside the repository, ``openinspect`` is this checkout's, and the split's
``--seed 7`` becomes each seed. A seed not in ``--accurate-seeds`` skips the Accurate training (minutes on a CPU)
and the lines that use its version 2; the Fast model's eval line runs for every seed.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATASET = ROOT.parent / "shared" / "datasets" / "magnetic-tile"
README_SEED = "--seed 7"


def quickstart_block(readme: str) -> str:
    """The bash block of the README's "Quickstart on real images" section."""
    section = readme[readme.index("## Quickstart on real images"):]
    start = section.index("```bash\n") + len("```bash\n")
    return section[start:section.index("\n```", start)]


def quickstart_script(readme: str, dataset: Path, *, seed: int = 7, accurate: bool = True) -> str:
    """The quickstart's commands with ``T`` set to ``dataset`` and the split drawn with ``seed``.

    Without ``accurate`` the Accurate training and the commands on its version 2 are left out, so version 1
    (Fast) is the deployed one. Raises ``ValueError`` when the README no longer has a line this relies on.
    """
    lines = []
    for line in quickstart_block(readme).splitlines():
        if line.startswith(". .venv/bin/activate"):
            continue
        if line.startswith("T="):
            line = f"T={dataset}"
        if not accurate and _uses_accurate(line):
            continue
        lines.append(line)
    script = "\n".join(lines)
    if script.count(README_SEED) != 1 or f"T={dataset}" not in script:
        raise ValueError(f"the README's quickstart no longer has one `{README_SEED}` and a `T=` line")
    return "set -e\n" + script.replace(README_SEED, f"--seed {seed}") + "\n"


def _uses_accurate(line: str) -> bool:
    trains_accurate = line.startswith("openinspect train ") and "--mode fast" not in line
    plain_eval = line.startswith("openinspect eval ") and "--model-version" not in line
    return trains_accurate or plain_eval or "--version 2" in line or "--model-version 2" in line


FIGURE = re.compile(r"^model v(\d+) on .*?\n.*?balanced accuracy: ([\d.]+)%", re.MULTILINE)


def run_seed(readme: str, seed: int, accurate: bool, workdir: Path, openinspect_bin: Path) -> dict[int, float]:
    """Run the quickstart for one seed in its own folder; returns model version -> balanced accuracy."""
    folder = workdir / f"seed-{seed}" / "work"
    subprocess.run(["rm", "-rf", str(folder.parent)], check=True)
    folder.mkdir(parents=True)
    env = {**os.environ, "PATH": f"{openinspect_bin}{os.pathsep}{os.environ['PATH']}"}
    started = time.perf_counter()
    done = subprocess.run(["bash", "-c", quickstart_script(readme, DATASET, seed=seed, accurate=accurate)],
                          cwd=folder, env=env, capture_output=True, text=True, check=False)
    (folder.parent / "stdout.txt").write_text(done.stdout)
    (folder.parent / "stderr.txt").write_text(done.stderr)
    if done.returncode:
        sys.exit(f"seed {seed}: the quickstart failed ({done.returncode}):\n{done.stderr[-3000:]}")
    figures = {int(v): float(p) / 100 for v, p in FIGURE.findall(done.stdout)}
    print(f"seed {seed}: {', '.join(f'v{v} {b:.3f}' for v, b in sorted(figures.items()))} "
          f"({time.perf_counter() - started:.0f} s)", flush=True)
    return figures


def main() -> None:
    """Run the seeds and print mean ± standard deviation per model."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="7,0,1,2,3")
    parser.add_argument("--accurate-seeds", default="7")
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench" / "out" / "quickstart")
    parser.add_argument("--bin", type=Path, default=Path(sys.executable).parent,
                        help="folder holding the `openinspect` to run (default: this Python's)")
    args = parser.parse_args()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    accurate_seeds = {int(s) for s in args.accurate_seeds.split(",") if s}
    fast, accurate = [], []
    for seed in map(int, args.seeds.split(",")):
        figures = run_seed(readme, seed, seed in accurate_seeds, args.workdir, args.bin)
        fast.append(figures[1])
        if 2 in figures:
            accurate.append(figures[2])
    for name, values in (("Fast (v1)", fast), ("Accurate (v2)", accurate)):
        if values:
            spread = f" ± {statistics.stdev(values):.3f}" if len(values) > 1 else ""
            print(f"{name}: balanced accuracy {statistics.mean(values):.3f}{spread} over {len(values)} seed(s), "
                  f"range {min(values):.3f}-{max(values):.3f}")


if __name__ == "__main__":
    main()
