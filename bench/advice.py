"""The application assistant against described applications with known answers (bench/advice_cases.yaml).

    python bench/advice.py [--part dev|held-out|fresh|fresh2|fresh3|all] [--show-misses]

A case is right when the recommended kinds are the expected ones (two kinds: a multi-model recipe), a vague one
also answers with confidence < 0.5 and questions, and an `error` case is refused with a message. Beside it, the
framework's own fallback ("unsure -> start with a classifier") as a baseline. The held-out third
was chosen by seed before any rule existed; misses there are listed only with --show-misses, which a rule writer
does not pass. The `fresh` cases were written after the rules were frozen and are reported on their own.
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

import yaml

from openinspect.advice import AdviceError, advise

CASES = Path(__file__).with_name("advice_cases.yaml")
SEED = 14
FRESH = ("fresh", "fresh2", "fresh3")
"""Batches written after the rules were frozen, each run once before any change for it."""


def load_cases() -> list[dict]:
    """The cases, after checking that the held-out flags are the seed's choice (nobody moved a case)."""
    cases = yaml.safe_load(CASES.read_text(encoding="utf-8"))
    ids = [c["id"] for c in cases if not any(c.get(p) for p in FRESH)]
    chosen = set(random.Random(SEED).sample(ids, len(ids) // 3))
    moved = [c["id"] for c in cases if c["held_out"] != (c["id"] in chosen)]
    if moved:
        raise SystemExit(f"held_out flags differ from random.Random({SEED}).sample for: {moved}")
    return cases


def judge(case: dict) -> tuple[bool, str]:
    """Whether the assistant answers the case as expected, and what it answered."""
    try:
        advice = advise(case["text"])
    except AdviceError as err:
        return case["expect"] == "error", f"error: {err}"
    kinds = sorted({t["kind"] for t in advice.types})
    answer = f"{'+'.join(kinds)} ({advice.confidence:.2f})"
    if case["expect"] == "error" or kinds != sorted(case["expect"]):
        return False, answer
    if case.get("vague"):
        return advice.confidence < 0.5 and bool(advice.ask), answer
    return True, answer


def baseline(case: dict) -> bool:
    """The framework's fallback as a baseline: "unsure -> start with a classifier", for every description."""
    return case["expect"] == ["classifier"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("dev", "held-out", *FRESH, "all"), default="dev")
    parser.add_argument("--show-misses", action="store_true", help="also list the held-out misses")
    args = parser.parse_args()
    cases = load_cases()
    parts = {"dev": [c for c in cases if not c["held_out"] and not any(c.get(p) for p in FRESH)],
             "held-out": [c for c in cases if c["held_out"]], **{p: [c for c in cases if c.get(p)] for p in FRESH}}
    names = ["dev", "held-out", *FRESH] if args.part == "all" else [args.part]
    for name in names:
        start = time.perf_counter()
        results = [(case, *judge(case)) for case in parts[name]]
        per_case_ms = 1000 * (time.perf_counter() - start) / len(results)
        right = sum(ok for _, ok, _ in results)
        base = sum(baseline(case) for case in parts[name])
        print(f"{name}: {right}/{len(results)} = {right / len(results):.1%} right ({per_case_ms:.2f} ms a case); "
              f"baseline 'always classifier' {base}/{len(results)} = {base / len(results):.1%}; "
              f"ratio {right / max(base, 1):.2f}")
        if name == "dev" or args.show_misses:
            for case, ok, answer in results:
                if not ok:
                    print(f"  miss {case['id']}: expected {case['expect']}, got {answer}: {case['text']}")


if __name__ == "__main__":
    main()
