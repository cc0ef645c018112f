"""Tune the anomaly model on a TUNING split of magnetic-tile (seed 93+, never the reported seeds 0-2).

    python bench/anomaly_tune.py [--seed 93] [--n 20,60] [--test-good 100] [--test-defect 25] [--input 320]
                                 [--variants SUBSTRING|...] [--configs lite0:none,lite1:flat64,lite0:none:aug]

Per config (backbone, photometric step ``none``/``mean``/``std``/``hpK``/``flatK``, optionally ``aug``: flipped
training tiles), extracts the pyramid (strides 4-32) of a random tuning split once, then scores feature and bank
variants side by side on it: image AUROC, pixel AUROC (every 4th pixel each way), AUROC per defect type (against the
good test tiles), and the patch-search cost per 512 px ROI (patches x bank entries x dims). The test's good tiles follow
the largest N, so compare rows of one run only. Figures go to bench/README.md.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812
from sklearn.metrics import roc_auc_score

from anomaly import DEFECTS, PIXEL_STEP, load
from openinspect.models.anomaly import BAND_PATCHES, border_bands, remove_low_pass, set_contrast
from openinspect.models.backbone import VARIANTS as BACKBONES
from openinspect.models.backbone import load_pretrained, normalize, pyramid
from openinspect.models.heatmap import anomaly_score, heat_map

VARIANTS: dict[str, dict] = {
    "s8+s16 on s8 grid, cos, pool 4x (current)": {"layers": (8, 16), "grid": 8},
    "s8+s16 on s8 grid, cos, full greedy": {"layers": (8, 16), "grid": 8, "pool": 0},
    "s8+s16+s32 on s8 grid": {"layers": (8, 16, 32), "grid": 8},
    "s16+s32 on s16 grid": {"layers": (16, 32), "grid": 16},
    "s8+s16 on s16 grid": {"layers": (8, 16), "grid": 16},
    "s8+s16+s32 on s16 grid": {"layers": (8, 16, 32), "grid": 16},
    "s8+s16 on s8 grid, no 3x3 pool": {"layers": (8, 16), "grid": 8, "local": 1},
    "s8+s16 on s8 grid, 5x5 pool": {"layers": (8, 16), "grid": 8, "local": 5},
    "s8+s16 on s8 grid, proj 64": {"layers": (8, 16), "grid": 8, "proj": 64},
    "B: s8+s16+s32 on s16 grid, ratio 0.25": {"layers": (8, 16, 32), "grid": 16, "ratio": 0.25},
    "B: s8+s16+s32 on s16 grid, proj 96": {"layers": (8, 16, 32), "grid": 16, "proj": 96},
    "B: s4+s8+s16+s32 on s16 grid": {"layers": (4, 8, 16, 32), "grid": 16},
    "B: s8+s16+s32 on s16 grid + global": {"layers": (8, 16, 32), "grid": 16, "glob": 1.0},
    "C: s8+s16+s32 on s16 grid, ratio 0.05": {"layers": (8, 16, 32), "grid": 16, "ratio": 0.05},
    "C: s8+s16+s32 on s16 grid, ratio 0.05, proj 160": {"layers": (8, 16, 32), "grid": 16, "ratio": 0.05,
                                                        "proj": 160},
    "C: s8+s16+s32 on s16 grid, ratio 0.02": {"layers": (8, 16, 32), "grid": 16, "ratio": 0.02},
    "W: s8+s16+0.5 s32 on s16 grid": {"layers": (8, 16, 32), "grid": 16, "weights": (1.0, 1.0, 0.5)},
    "B: s8+s16+s32 on s16 grid, global alone": {"layers": (8, 16, 32), "grid": 16, "glob": 1.0, "only_glob": 1},
    "E: adopted (s8+s16+s32 on s16 grid)": {"layers": (8, 16, 32), "grid": 16},
    "E: s8+s16+s32 on s16 grid, raw features (each layer / its mean norm), Euclidean": {
        "layers": (8, 16, 32), "grid": 16, "raw": 1},
    "F: raw, bank ratio 0.25": {"layers": (8, 16, 32), "grid": 16, "raw": 1, "ratio": 0.25},
    "F: raw, s32 weighted 0.7": {"layers": (8, 16, 32), "grid": 16, "raw": 1, "weights": (1.0, 1.0, 0.7)},
    "F: raw, s8 and s16 weighted 1.4": {"layers": (8, 16, 32), "grid": 16, "raw": 1, "weights": (1.4, 1.4, 1.0)},
    "F: raw, 5x5 local averaging": {"layers": (8, 16, 32), "grid": 16, "raw": 1, "local": 5},
    "E: s8+s16+s32 on s16 grid, flips in bank": {"layers": (8, 16, 32), "grid": 16, "aug": 1},
    "E: s8+s16+s32 on s16 grid, whitened (Mahalanobis kNN)": {"layers": (8, 16, 32), "grid": 16, "white": 1e-2},
}


def prep(x: torch.Tensor, kind: str) -> torch.Tensor:
    """Photometric normalisation of ``normalize``d images: ``none``, ``mean``, ``std[T]`` (per image, to standard
    deviation T, 0.5 by default), ``hpK`` (minus a K px blur), ``flatK`` (``hpK`` then ``std``; the product's
    :func:`~openinspect.models.anomaly.flatten_shading` is ``flat64``, the same 9-cell blur as its 72 px)."""
    if kind == "none":
        return x
    if kind == "mean":
        return x - x.mean((1, 2, 3), keepdim=True)
    if kind.startswith(("flat", "hp")):
        x = remove_low_pass(x, int(kind.lstrip("flathp") or 31))
        if kind.startswith("hp"):
            return x
    return set_contrast(x, 0.5 if not kind.startswith("std") or len(kind) == 3 else float(kind[3:]))


@torch.inference_mode()
def maps_of(backbone, images: np.ndarray, kind: str = "none") -> dict[int, torch.Tensor]:
    out: dict[int, list[torch.Tensor]] = {4: [], 8: [], 16: [], 32: []}
    for i in range(0, len(images), 8):
        x = prep(normalize(torch.from_numpy(np.ascontiguousarray(images[i : i + 8]))), kind)
        _, s4, s8, s16, s32 = pyramid(backbone, x, levels=5)
        for k, m in zip((4, 8, 16, 32), (s4, s8, s16, s32), strict=True):
            out[k].append(m.half())
    return {k: torch.cat(v) for k, v in out.items()}


@torch.inference_mode()
def patches(maps: dict[int, torch.Tensor], index: np.ndarray, v: dict, proj: torch.Tensor | None,
            scales: dict[int, float] | None = None) -> torch.Tensor:
    """``(N, h, w, D)`` float32 patch features of the chosen images for variant ``v``."""
    grid, local = v["grid"], v.get("local", 3)
    parts = []
    for layer, weight in zip(v["layers"], v.get("weights", (1.0,) * len(v["layers"])), strict=True):
        m = maps[layer][torch.from_numpy(index)].float()
        if local > 1:
            m = F.avg_pool2d(m, local, 1, local // 2, count_include_pad=False)
        size = maps[grid].shape[2:]
        if m.shape[2:] != size:
            if layer < grid:
                m = F.adaptive_avg_pool2d(m, size)
            else:
                m = F.interpolate(m, size=size, mode="bilinear", align_corners=True)
        if scales is not None:
            parts.append(weight * m / scales[layer])
            continue
        parts.append(weight * F.normalize(m, dim=1))
    if scales is not None:
        return torch.cat(parts, 1).permute(0, 2, 3, 1)
    f = F.normalize(torch.cat(parts, 1), dim=1).permute(0, 2, 3, 1)
    if proj is not None:
        f = F.normalize(f @ proj, dim=-1)
    return f


def greedy(points: torch.Tensor, size: int, seed: int, pool: int) -> torch.Tensor:
    rng = np.random.default_rng(seed)
    idx = np.arange(len(points)) if not pool else np.sort(rng.choice(len(points), min(len(points), pool * size),
                                                                      replace=False))
    proj = points.numpy()[idx] @ rng.standard_normal((points.shape[1], 16), dtype=np.float32)
    chosen = np.empty(size, dtype=np.int64)
    chosen[0] = rng.integers(len(proj))
    nearest = ((proj - proj[chosen[0]]) ** 2).sum(1)
    for i in range(1, size):
        chosen[i] = int(nearest.argmax())
        nearest = np.minimum(nearest, ((proj - proj[chosen[i]]) ** 2).sum(1))
    return torch.from_numpy(idx[chosen])


@torch.inference_mode()
def run(maps, kinds, masks, train, test, v, seed, ratio, bank_max, aug=None) -> dict:
    d = sum(maps[k].shape[1] for k in v["layers"])
    proj = None
    if v.get("proj"):
        proj = torch.from_numpy(np.random.default_rng(seed).standard_normal((d, v["proj"]), dtype=np.float32))
        d = v["proj"]
    scales = None
    if v.get("raw"):
        scales = {k: float(maps[k][torch.from_numpy(train)].float().norm(dim=1).mean()) for k in v["layers"]}
    tr = patches(maps, train, v, proj, scales)
    if v.get("aug"):
        tr = torch.cat([tr, *(patches(maps, a, v, proj) for a in aug)])
    flat = tr.reshape(-1, tr.shape[-1])
    white = None
    if v.get("white"):
        mu = flat.mean(0)
        cov = torch.cov((flat - mu).T) + v["white"] * torch.eye(d)
        vals, vecs = torch.linalg.eigh(cov)
        white = (mu, vecs @ torch.diag(vals.rsqrt()) @ vecs.T)
        flat = (flat - mu) @ white[1]
    size = max(1, min(bank_max, round(v.get("ratio", ratio) * len(flat))))
    bank = flat[greedy(flat, size, seed, v.get("pool", 4))]
    size_px = masks.shape[1:]
    heats = []
    for i in range(0, len(test), 16):
        te = patches(maps, test[i : i + 16], v, proj, scales)
        if white is not None or scales is not None:
            q = te.reshape(-1, d) if white is None else (te.reshape(-1, d) - white[0]) @ white[1]
            sq = (q * q).sum(1, keepdim=True) + (bank * bank).sum(1) - 2 * q @ bank.T
            dist = sq.amin(1).clamp_min(0).sqrt()
        else:
            dist = 1.0 - (te.reshape(-1, d) @ bank.T).amax(1)
        for dm in dist.reshape(te.shape[:3]).numpy():
            heats.append(heat_map(dm, size_px))
    heats_a = np.stack(heats)
    scores = np.array([anomaly_score(h) for h in heats_a])
    if v.get("glob"):
        scores = combine(maps, train, test, tr, bank, flat, scores, v, size_px)
    truth = kinds[test] > 0
    row = {"auroc": roc_auc_score(truth, scores),
           "pixel": roc_auc_score(masks[test][:, ::PIXEL_STEP, ::PIXEL_STEP].ravel(),
                                  heats_a[:, ::PIXEL_STEP, ::PIXEL_STEP].ravel())}
    for k, name in enumerate(DEFECTS, start=1):
        sel = (kinds[test] == k) | ~truth
        row[name[3:].lower()] = roc_auc_score(kinds[test][sel] > 0, scores[sel])
    grid = v["grid"]
    row["search_mflop_512"] = (512 // grid) ** 2 * len(bank) * d / 1e6
    row["bank"] = len(bank)
    return row


def descriptor(maps, index) -> torch.Tensor:
    parts = [F.normalize(maps[k][torch.from_numpy(index)].float().mean((2, 3)), dim=1) for k in (16, 32)]
    return F.normalize(torch.cat(parts, 1), dim=1)


def combine(maps, train, test, tr, bank, flat, scores, v, size_px) -> np.ndarray:
    """Patch score and global score, each standardised by the training tiles' leave-one-out scores, summed."""
    g_train, g_test = descriptor(maps, train), descriptor(maps, test)
    sims = g_train @ g_train.T
    sims.fill_diagonal_(-2.0)
    g_loo = 1.0 - sims.amax(1).numpy()
    g_score = 1.0 - (g_test @ g_train.T).amax(1).numpy()
    if v.get("only_glob"):
        return g_score
    per = tr.shape[1] * tr.shape[2]
    owner = torch.arange(len(flat)) // per
    # bank rows' owners: match rows of bank to flat by nearest identity (bank rows are flat rows)
    bank_owner = owner[(bank @ flat.T).argmax(1)]
    p_loo = []
    for i in range(len(train)):
        sims_i = (tr[i].reshape(-1, tr.shape[-1]) @ bank.T).masked_fill(bank_owner[None, :] == i, -2.0)
        p_loo.append(anomaly_score(heat_map((1.0 - sims_i.amax(1)).reshape(tr.shape[1:3]).numpy(), size_px)))
    p_loo_a = np.array(p_loo)
    z = lambda x, ref: (x - ref.mean()) / (ref.std() + 1e-9)  # noqa: E731
    return z(scores, p_loo_a) + v["glob"] * z(g_score, g_loo)


def tuning_split(args) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[int], np.ndarray, np.ndarray]:
    """Tiles, masks, kinds, the N list, the largest N's good training tiles (each N takes its first N) and the test."""
    images, masks, kinds, _ = load(args.input)
    rng = np.random.default_rng(args.seed)
    sizes = [int(s) for s in args.n.split(",")]
    good = rng.permutation(np.flatnonzero(kinds == 0))
    train_all, test_good = good[: max(sizes)], good[max(sizes) : max(sizes) + args.test_good]
    test = np.concatenate([test_good, *[rng.choice(np.flatnonzero(kinds == k), args.test_defect, replace=False)
                                        for k in range(1, len(DEFECTS) + 1)]])
    return images, masks, kinds, sizes, train_all, test


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=93)
    parser.add_argument("--n", default="20,60")
    parser.add_argument("--test-good", type=int, default=100)
    parser.add_argument("--test-defect", type=int, default=25)
    parser.add_argument("--input", type=int, default=320)
    parser.add_argument("--ratio", type=float, default=0.1)
    parser.add_argument("--bank-max", type=int, default=4096)
    parser.add_argument("--variants", default="")
    parser.add_argument("--configs", default="lite0:none", help="backbone:prep[:aug],... (prep none, std, flat)")
    parser.add_argument("--operating", action="store_true", help="round 5: the product's pipeline, threshold too")
    parser.add_argument("--sources", default="torch", help="with --operating: features from torch, onnx-fp32, "
                        "int8-encoder (Conv, Clip, Add in int8), int8-all; ONNX sources run the first variant only")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.operating:
        operating(args)
        return
    images, masks, kinds, sizes, train_all, test = tuning_split(args)
    chosen = np.concatenate([train_all, test])
    flips = [images[train_all][:, ::-1], images[train_all][:, :, ::-1], images[train_all][:, ::-1, ::-1]]
    local = {int(i): j for j, i in enumerate(chosen)}
    sub_kinds, sub_masks = kinds[chosen], masks[chosen]
    test_local = np.array([local[int(i)] for i in test])
    names = [n for n in VARIANTS if not args.variants or any(s in n for s in args.variants.split("|"))]
    for config in args.configs.split(","):
        backbone, kind, *extra = config.split(":")
        started = time.perf_counter()
        model = load_pretrained(BACKBONES[backbone]).eval()
        stack = np.concatenate([images[chosen], *flips]) if extra else images[chosen]
        maps = maps_of(model, stack, kind)
        print(f"{config}: features of {len(stack)} tiles: {time.perf_counter() - started:.0f} s", flush=True)
        for n in sizes:
            train_local = np.array([local[int(i)] for i in train_all[:n]])
            aug = [len(chosen) + j * len(train_all) + np.arange(n) for j in range(3)]
            for name in names:
                if VARIANTS[name].get("aug") and not extra:
                    continue
                row = run(maps, sub_kinds, sub_masks, train_local, test_local, VARIANTS[name], args.seed,
                          args.ratio, args.bank_max, aug)
                print(f"N={n} | {config} | {name} | " + " | ".join(
                    f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items()), flush=True)



# --- Operating point (issue 12, round 5): the product's own bank, leave-one-out threshold and blob decision ---------

OPERATING: dict[str, dict] = {
    "base (product: bank 25 %, at most 4096)": {},
    "bank at most 2048": {"bank_max": 2048},
    "bank at most 1024": {"bank_max": 1024},
    "no s32 (encoder to stride 16)": {"blocks": (0, 1)},
    "PCA of the bank to 128 dims": {"pca": 128},
    "border cue channel x0.5": {"cue": 0.5},
    "border cue channel x1.0": {"cue": 1.0},
    "band-normalised (z by leave-one-out band mean/sd)": {"band": "z"},
    "band-normalised (ratio to leave-one-out band mean)": {"band": "ratio"},
    "position-normalised (z per patch position)": {"band": "position"},
}


@torch.inference_mode()
def unscaled_maps(images: np.ndarray, onnx_path=None) -> torch.Tensor:
    """``(N, D, h, w)`` float16: the product's three pooled maps (before its scales), torch or an ONNX graph."""
    from openinspect.models.anomaly import BACKBONE, AnomalyFeatures
    out = []
    if onnx_path is None:
        features = AnomalyFeatures(load_pretrained(BACKBONE)).eval()
        for i in range(0, len(images), 8):
            out.append(features.maps(torch.from_numpy(np.ascontiguousarray(images[i : i + 8]))).half())
    else:
        from openinspect.models.runtime import OnnxModel
        model = OnnxModel(onnx_path, 1)
        for i in range(0, len(images), 8):
            out.append(torch.from_numpy(model.predict(np.ascontiguousarray(images[i : i + 8]))).half())
    return torch.cat(out)


def export_feature_graphs(images: np.ndarray, calibration: np.ndarray, workdir) -> dict[str, object]:
    """fp32 and int8 (encoder operators only, or every operator) ONNX graphs of the product's unscaled feature maps."""
    from openinspect.models.anomaly import BACKBONE, AnomalyFeatures
    from openinspect.models.export import export_onnx
    from openinspect.models.quantize import quantize_int8
    features = AnomalyFeatures(load_pretrained(BACKBONE)).eval()
    fp32 = workdir / "features.onnx"
    export_onnx(features, images.shape[1:3], fp32, output_name="features")
    graphs: dict[str, object] = {"onnx-fp32": fp32}
    for name, ops in (("int8-encoder", ["Conv", "Clip", "Add"]), ("int8-all", None)):
        target = workdir / f"features_{len(graphs)}.onnx"
        quantize_int8(fp32, target, calibration, ops)
        graphs[name] = target
    return graphs


@torch.inference_mode()
def operating_run(maps: torch.Tensor, kinds, masks, train, test, v: dict, seed: int) -> dict:
    """One variant through the product's pipeline: bank, leave-one-out threshold, blob decision, on ``test``."""
    from anomaly import LOOSER_RATE, judge
    from openinspect.models.anomaly import BANK_MAX, BANK_RATIO, _leave_one_out, nearest_distances
    from openinspect.models.fast import coreset
    from openinspect.models.heatmap import threshold_for
    widths = [40, 112, 320]
    blocks = v.get("blocks", (0, 1, 2))
    grid = tuple(maps.shape[2:])
    size = masks.shape[1:]
    edges = np.cumsum([0, *widths])

    def patches_of(index: np.ndarray) -> torch.Tensor:
        m = maps[torch.from_numpy(index)].float()
        return torch.cat([m[:, edges[b] : edges[b + 1]] for b in blocks], 1).flatten(2).transpose(1, 2)

    tr = patches_of(train)
    scales = [tr[..., a:z].norm(dim=-1).mean() for a, z in
              zip(np.cumsum([0, *(widths[b] for b in blocks)])[:-1], np.cumsum([widths[b] for b in blocks]),
                  strict=True)]
    starts = np.cumsum([0, *(widths[b] for b in blocks)])

    def scaled(p: torch.Tensor) -> torch.Tensor:
        p = torch.cat([p[..., starts[k] : starts[k + 1]] / s for k, s in enumerate(scales)], -1)
        if v.get("cue"):
            cue = torch.from_numpy(border_bands(grid).astype(np.float32).ravel() / BAND_PATCHES) * v["cue"]
            p = torch.cat([p, cue.expand(p.shape[0], -1)[..., None]], -1)
        return p

    tr = scaled(tr)
    n, p, _ = tr.shape
    flat = tr.flatten(0, 1)
    keep = coreset(flat, max(1, min(v.get("bank_max", BANK_MAX), round(v.get("ratio", BANK_RATIO) * n * p))), seed)
    bank, owner = flat[keep], keep // p
    if v.get("pca"):
        mean = bank.mean(0)
        _, _, vt = torch.linalg.svd(bank - mean, full_matrices=False)
        basis = vt[: v["pca"]].T
        bank, tr = (bank - mean) @ basis, (tr - mean) @ basis
    loo = np.stack(_leave_one_out(tr, bank, owner, size))
    te = []
    for i in range(0, len(test), 32):
        q = scaled(patches_of(test[i : i + 32]))
        if v.get("pca"):
            q = (q - mean) @ basis
        te.append(nearest_distances(q, bank).reshape(-1, *grid).numpy())
    te_a = np.concatenate(te)
    if v.get("band"):
        bands = border_bands(grid)
        if v["band"] == "position":
            mu, sd = loo.mean(0), loo.std(0) + 1e-6
        else:
            mu, sd = np.zeros(grid, np.float32), np.ones(grid, np.float32)
            for b in range(BAND_PATCHES + 1):
                mu[bands == b], sd[bands == b] = loo[:, bands == b].mean(), loo[:, bands == b].std()
        if v["band"] == "ratio":
            loo, te_a = loo / mu * loo.mean(), te_a / mu * loo.mean()
        else:
            loo, te_a = (loo - mu) / sd, (te_a - mu) / sd
    good_scores = np.array([anomaly_score(heat_map(d, size)) for d in loo])
    heats = np.stack([heat_map(d, size) for d in te_a])
    scores = np.array([anomaly_score(h) for h in heats])
    truth = kinds[test] > 0
    row = {"auroc": roc_auc_score(truth, scores),
           "pixel": roc_auc_score(masks[test][:, ::PIXEL_STEP, ::PIXEL_STEP].ravel(),
                                  heats[:, ::PIXEL_STEP, ::PIXEL_STEP].ravel())}
    for rate in (0.01, LOOSER_RATE):
        fails, _ = judge(heats, threshold_for(good_scores, rate))
        row[f"det@{rate}"], row[f"fr@{rate}"] = fails[truth].mean(), fails[~truth].mean()
        if rate == LOOSER_RATE:
            for k, name in enumerate(DEFECTS, start=1):
                row[f"{name[3:].lower()}@{rate}"] = fails[kinds[test] == k].mean()
    row["bank"] = len(bank)
    return row


def operating(args) -> None:
    """Round 5: every :data:`OPERATING` variant (and the features through ONNX fp32 / int8) on the tuning split."""
    import tempfile
    from pathlib import Path
    images, masks, kinds, sizes, train_all, test = tuning_split(args)
    chosen = np.concatenate([train_all, test])
    local_test = np.arange(max(sizes), len(chosen))
    sources: dict[str, object] = {"torch": None}
    wanted = args.sources.split(",")
    if any(source != "torch" for source in wanted):
        calibration = images[train_all[np.linspace(0, min(sizes) - 1, min(32, min(sizes))).astype(int)]]
        sources |= export_feature_graphs(images[:1], calibration, Path(tempfile.mkdtemp()))
    sources = {name: path for name, path in sources.items() if name in wanted}
    names = [n for n in OPERATING if not args.variants or any(s in n for s in args.variants.split("|"))]
    for source, path in sources.items():
        started = time.perf_counter()
        maps = unscaled_maps(images[chosen], path)
        print(f"{source}: features of {len(chosen)} tiles {time.perf_counter() - started:.0f} s", flush=True)
        for n in sizes:
            for name in names if source == "torch" else names[:1]:
                row = operating_run(maps, kinds[chosen], masks[chosen], np.arange(n), local_test, OPERATING[name],
                                    args.seed)
                print(f"N={n} | {source} | {name} | " + " | ".join(
                    f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items()), flush=True)


if __name__ == "__main__":
    main()
