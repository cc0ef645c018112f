"""Contact sheets of the Defect Creator, one per kind: ``docs/defect-creator/<kind>.png``.

    python bench/contact_sheets.py [--out docs/defect-creator]

Also ``matched-magnetic-tile.png``: per magnetic-tile defect type, a real training example of the benchmark's seed 0
(k = 3, never a test image) with its painted mask outlined, then the same good training tile with the benchmark's
description drawn by the words alone and matched to that type's three training examples ("match my labelled
defects", ``synth --match``).

Each sheet has one row per host: two good magnetic tiles (gray) and the demo's bracket capture (colour, defects
inside its left nut's ROI and the plate below it). Columns: the real host, the synthetic result, and the result with
the mask outlined in red. The same seeds every run, so the committed sheets are what this script makes.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw

from openinspect.demo.captures import bracket_captures
from openinspect.synth import Kind, parse_description, render
from openinspect.synth.matching import render_matched

ROOT = Path(__file__).resolve().parents[1]
DATASET = ROOT.parent / "shared" / "datasets" / "magnetic-tile"
TEXT = {
    Kind.SCRATCH: "three thin light scratches", Kind.CRACK: "a long thin dark branching crack",
    Kind.DENT: "two obvious dents", Kind.STAIN: "a medium dark stain", Kind.SPILL: "a glue spill",
    Kind.SPLATTER: "red paint splatter", Kind.HOLE: "three small pits", Kind.BLOWHOLE: "two small blowholes",
    Kind.CHIP: "a chip at the bottom edge", Kind.BURN: "a large burn", Kind.DUST: "dust and fibres",
    Kind.MISSING: "missing material",
}
SIDE = 256


def hosts() -> list[tuple[str, np.ndarray, tuple[int, int, int, int] | None]]:
    tiles = sorted((DATASET / "MT_Free" / "Imgs").glob("*.jpg"))
    gray = [np.asarray(Image.open(tiles[i]).convert("L")) for i in (40, 400)]
    bracket = bracket_captures(1, seed=2)[0].image[40:360, 60:520]  # the left nut and the plate around it
    return [("tile", gray[0], None), ("tile", gray[1], None), ("bracket", bracket, (40, 20, 300, 300))]


def outlined(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    rgb = image if image.ndim == 3 else np.repeat(image[:, :, None], 3, 2)
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    return cv2.drawContours(rgb.copy(), contours, -1, (255, 0, 0), 1)


def fit(image: np.ndarray) -> np.ndarray:
    """Scale to SIDE px high, nearest (so the outline and the texture stay as they are)."""
    rgb = image if image.ndim == 3 else np.repeat(image[:, :, None], 3, 2)
    width = round(rgb.shape[1] * SIDE / rgb.shape[0])
    return cv2.resize(rgb, (width, SIDE), interpolation=cv2.INTER_AREA)


def sheet(kind: Kind, seed: int) -> Image.Image:
    spec = parse_description(TEXT[kind])
    rows = []
    for i, (_, host, region) in enumerate(hosts()):
        made = render(host, spec, seed=seed + i, region=region)
        rows.append(np.concatenate([fit(host), fit(made.image), fit(outlined(made.image, made.mask))], 1))
    width = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 4), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in rows]
    canvas = Image.fromarray(np.concatenate([np.full((24, width, 3), 255, np.uint8), *rows], 0))
    ImageDraw.Draw(canvas).text((6, 6), f'{kind.value}: "{TEXT[kind]}"  -  host | synthetic | mask outlined',
                                fill=(0, 0, 0))
    return canvas


def matched_sheet(seed: int = 0) -> Image.Image:
    """Real example | described | matched, one row per magnetic-tile defect type (benchmark seed ``seed``, k = 3)."""
    from defect_creator import DESCRIPTION_SETS, profiles, split_k  # bench modules: run from bench/ or the repo root
    from segmenter import DEFECTS, GOOD, load, samples

    train, _ = split_k(samples(DATASET), 3, 40, 200, seed)
    measured = profiles(train)
    goods = [s for s in train if s.kind == GOOD]
    rows = []
    for t, kind in enumerate(DEFECTS):
        real, mask = load(next(s for s in train if s.kind == kind))
        host, _ = load(goods[t])
        spec = parse_description(DESCRIPTION_SETS["one"][kind][0])
        plain = render(host, spec, seed=t)
        matched = render_matched(host, spec, measured[kind], seed=t)
        rows.append(np.concatenate([fit(outlined(real, mask > 0)), fit(outlined(plain.image, plain.mask)),
                                    fit(outlined(matched.image, matched.mask))], 1))
    width = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 4), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in rows]
    canvas = Image.fromarray(np.concatenate([np.full((24, width, 3), 255, np.uint8), *rows], 0))
    ImageDraw.Draw(canvas).text((6, 6), "real training example | description alone | matched to the 3 examples "
                                f"(rows: {', '.join(k[3:] for k in DEFECTS)})", fill=(0, 0, 0))
    return canvas


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "defect-creator")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for kind in Kind:
        path = args.out / f"{kind.value}.png"
        sheet(kind, seed=11).save(path, optimize=True)
        print(path)
    path = args.out / "matched-magnetic-tile.png"
    matched_sheet().save(path, optimize=True)
    print(path)


if __name__ == "__main__":
    main()
