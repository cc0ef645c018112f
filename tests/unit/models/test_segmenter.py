from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import onnx
import pytest
import torch
from PIL import Image
from tests.conftest import DATASET

from openinspect.imaging import read_image, resize_to
from openinspect.models.accurate import Augment
from openinspect.models.backbone import LITE0, load_pretrained, normalize, pyramid
from openinspect.models.progress import Step
from openinspect.models.runtime import OnnxModel
from openinspect.models.segmenter import (
    ARCHITECTURE,
    LEGACY,
    STRIDE8,
    STRIDE8_CONTEXT,
    Architecture,
    Schedule,
    SegmenterNet,
    _augment,
    _cut_patches,
    _draw,
    _draw_weights,
    _prepare,
    train_segmenter,
)

SIZE = (128, 160)
PARITY = 0.999
FEW_STEPS = Schedule(min_steps=8, max_steps=8)


@pytest.fixture(scope="module")
def real_tiles() -> tuple[np.ndarray, np.ndarray]:
    """Four defective magnetic tiles (one per defect type) and a good one: ``(5, 128, 160, 3)`` and class maps."""
    if not DATASET.is_dir():
        pytest.skip(f"magnetic-tile dataset not found at {DATASET}; the ONNX parity test needs real images")
    folders = ("MT_Blowhole", "MT_Crack", "MT_Break", "MT_Uneven", "MT_Free")
    paths = [sorted((DATASET / name / "Imgs").glob("*.jpg"))[3] for name in folders]
    images = np.stack([resize_to(read_image(p), SIZE) for p in paths])
    masks = [np.asarray(Image.open(p.with_suffix(".png")).convert("L")) >= 128 for p in paths]
    return images, np.stack([cv2.resize(m.astype(np.uint8), SIZE[::-1], interpolation=cv2.INTER_NEAREST) for m in masks])


def _scratched(seed: int, size: tuple[int, int] = (64, 96)) -> tuple[np.ndarray, np.ndarray]:
    """A grey textured part with one dark scratch: ``(H, W, 3)`` uint8 RGB and its 0/1 class map."""
    rng = np.random.default_rng(seed)
    gray = rng.normal(150, 10, size).clip(0, 255).astype(np.uint8)
    mask = np.zeros(size, np.uint8)
    y0, y1 = rng.integers(5, size[0] - 5, 2)
    cv2.line(mask, (8, int(y0)), (size[1] - 8, int(y1)), 1, 3)
    gray[mask > 0] = 60
    return np.repeat(gray[:, :, None], 3, axis=2), mask


def _set(seeds: range) -> tuple[np.ndarray, np.ndarray]:
    pairs = [_scratched(s) for s in seeds]
    return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])


@pytest.mark.slow
def test_onnx_mask_matches_torch_on_real_tiles(real_tiles, tmp_path: Path) -> None:
    images, masks = real_tiles
    model = train_segmenter(images, masks, 1, seed=0, hflip=True, schedule=FEW_STEPS)
    model.export_onnx(tmp_path / "seg.onnx")
    onnx_model = OnnxModel(tmp_path / "seg.onnx", threads=2)
    expected = model.predict_masks(images)
    got = onnx_model.predict(images)
    assert onnx_model.input_size == SIZE and got.shape == (5, *SIZE) and got.dtype == np.uint8
    assert 0 < (expected == 1).mean() < 1, "a model marking no pixel, or all, would make parity vacuous"
    assert (got == expected).mean() >= PARITY
    assert (onnx_model.predict(images[:1]) == expected[:1]).mean() >= PARITY
    assert [o.name for o in onnx.load(tmp_path / "seg.onnx").graph.output] == ["mask"]
    assert [p.name for p in tmp_path.iterdir()] == ["seg.onnx"]


@pytest.mark.slow
def test_segmenter_learns_thin_scratches_from_three_images() -> None:
    images, masks = _set(range(3))
    model = train_segmenter(images, masks, 1, seed=0, hflip=True, vflip=True,
                            schedule=Schedule(min_steps=60, max_steps=60))
    test_images, truth = _set(range(100, 104))
    predicted = model.predict_masks(test_images) == 1
    iou = (predicted & (truth == 1)).sum() / (predicted | (truth == 1)).sum()
    assert iou > 0.5


@pytest.mark.slow
def test_segmenter_predicts_every_pixel_class_value() -> None:
    images, masks = _set(range(3))
    masks[1][masks[1] == 1] = 2
    model = train_segmenter(images, masks, 2, schedule=FEW_STEPS)
    predicted = model.predict_masks(images)
    assert predicted.shape == masks.shape and predicted.dtype == np.uint8 and predicted.max() <= 2


@pytest.mark.slow
def test_time_budget_stops_training_and_progress_ends_at_one() -> None:
    images, masks = _set(range(3))
    seen: list[float] = []
    steps: list[Step] = []

    def record(fraction: float, _status: str, *, step: Step | None = None, fold: object = None) -> None:
        seen.append(fraction)
        steps.extend([step] if step else [])

    train_segmenter(images, masks, 1, time_budget_s=0.5, progress=record,
                    schedule=Schedule(min_steps=10_000, max_steps=10_000))
    assert len(seen) < 1000 and seen[-1] == 1.0 and seen == sorted(seen)
    assert [s.step for s in steps] == list(range(1, len(steps) + 1))
    assert steps[-1].steps == steps[-1].step < 10_000   # the budget's end, not the schedule's, is the planned end
    assert steps[-1].epoch == steps[-1].step * 8 / 3    # 8 patches a step over 3 crops


def test_augment_moves_mask_with_image() -> None:
    images, masks = _set(range(4))
    x, target = _augment(images, masks, Augment(hflip=True, vflip=True), torch.Generator().manual_seed(3))
    assert x.shape == (4, 3, 64, 96) and target.shape == (4, 64, 96) and target.dtype == torch.int64
    dark = x.mean(1) < x.mean((1, 2, 3))[:, None, None] - 0.2
    assert (dark == (target == 1)).float().mean() > 0.99


def test_rare_defect_crops_are_drawn_as_often_as_clean_ones() -> None:
    images, masks = _set(range(10))
    masks[1:] = 0   # like the tiles of a large ROI: one holds the defect
    drawn = _draw(images, masks, _draw_weights(masks), 4000, np.random.default_rng(0))[1]
    assert 0.45 < drawn.reshape(4000, -1).any(1).mean() < 0.55
    masks[0] = 0
    assert np.allclose(_draw_weights(masks), 0.1)   # all clean (or all defective): uniform


def test_patches_hold_the_defect_and_the_model_runs_at_the_crop_size() -> None:
    images, masks = _set(range(3))
    images, masks = np.pad(images, ((0, 0), (0, 64), (0, 96), (0, 0))), np.pad(masks, ((0, 0), (0, 64), (0, 96)))
    masks[2] = 0
    cut_images, cut_masks = _cut_patches(images, masks, 64, np.random.default_rng(0))
    assert cut_images.shape == (3, 64, 64, 3) and cut_masks.shape == (3, 64, 64)
    assert cut_masks[0].any() and cut_masks[1].any() and not cut_masks[2].any()
    model = train_segmenter(images, masks, 1, schedule=FEW_STEPS, patch=64)
    assert model.input_size == (128, 192) and model.predict_masks(images).shape == (3, 128, 192)
    with pytest.raises(ValueError, match="patch must be a multiple of 32 within the crops' \\(128, 192\\), got 160"):
        train_segmenter(images, masks, 1, schedule=FEW_STEPS, patch=160)


def test_pyramid_returns_maps_at_strides_2_to_32() -> None:
    with torch.inference_mode():
        maps = pyramid(load_pretrained().eval(), torch.zeros(1, 3, 64, 96))
    assert [tuple(m.shape) for m in maps] == [(1, c, 64 >> s, 96 >> s) for s, c in enumerate(LITE0.pyramid_channels, 1)]


@pytest.mark.parametrize(("images", "masks", "classes", "message"), [
    (np.zeros((2, 64, 96, 3), np.uint8), np.full((2, 64, 96), 3, np.uint8), 2, r"mask values must lie in \[0, 2\], found 3"),
    (np.zeros((2, 60, 96, 3), np.uint8), np.zeros((2, 60, 96), np.uint8), 1, "sides multiple of 32"),
    (np.zeros((2, 64, 96), np.uint8), np.zeros((2, 64, 96), np.uint8), 1, r"expected \(N, 64, 96, 3\) uint8 RGB"),
    (np.zeros((2, 64, 96, 3), np.uint8), np.zeros((2, 64, 64), np.uint8), 1, r"expected masks \(2, 64, 96\) uint8"),
    (np.zeros((2, 64, 96, 3), np.uint8), np.zeros((2, 64, 96), np.uint8), 0, "at least 1 pixel class"),
])
def test_train_segmenter_rejects_bad_input_with_what_it_got(images, masks, classes, message) -> None:
    with pytest.raises(ValueError, match=message):
        train_segmenter(images, masks, classes)


@pytest.mark.parametrize("arch", [ARCHITECTURE, LEGACY, STRIDE8, STRIDE8_CONTEXT],
                         ids=["default", "legacy", "stride8-cut", "stride8-cut-context"])
def test_exported_forward_is_the_argmax_of_the_trained_logits(arch: Architecture) -> None:
    """The fused head (bilinear upsampling folded into a 3x3 convolution at the logits' stride) changes no pixel."""
    torch.manual_seed(0)
    net = SegmenterNet(load_pretrained(), 3, arch).eval()
    for layer in (net.coarse, net.head):   # large random head weights: every pixel's classes differ
        torch.nn.init.normal_(layer.weight, std=0.5)
        torch.nn.init.normal_(layer.bias, std=0.5)
    images = torch.from_numpy(np.random.default_rng(0).integers(0, 256, (2, 64, 96, 3), dtype=np.uint8))
    with torch.inference_mode():
        logits = net.logits(normalize(images))
        got = net(images)
    top2 = logits.topk(2, dim=1).values
    decided = top2[:, 0] - top2[:, 1] > 1e-4   # leave out float ties
    assert got.shape == (2, 64, 96) and got.dtype == torch.uint8
    assert len(got.unique()) == 3 and decided.float().mean() > 0.99
    assert torch.equal(got[decided], logits.argmax(1).to(torch.uint8)[decided])


@pytest.mark.parametrize(("arch", "first_tuned"), [(LEGACY, 5), (STRIDE8, 3)], ids=["legacy", "stride8-cut"])
def test_training_tunes_the_deepest_stage_an_encoder_cut_runs(arch: Architecture, first_tuned: int) -> None:
    """Blocks 0-4 stay ImageNet's, unless the encoder stops at stride 8: then its last stage (blocks 3-4) learns."""
    net = SegmenterNet(load_pretrained(), 2, arch)
    _prepare(net, Schedule())
    tuned = [i for i, block in enumerate(net.encoder._blocks) if all(p.requires_grad for p in block.parameters())]
    assert tuned[0] == first_tuned and tuned == list(range(first_tuned, len(net.encoder._blocks)))
    assert not any(p.requires_grad for p in net.encoder._conv_stem.parameters())


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"levels": 4, "widths": (48, 32, 24), "out_stride": 4, "encoder_scale": 2}, r"need 4 decoder widths"),
    ({"levels": 3, "widths": (32, 24), "out_stride": 2, "encoder_scale": 2}, "bad segmenter architecture"),
    ({"levels": 6, "widths": (8,) * 5, "out_stride": 4}, "bad segmenter architecture"),
])
def test_architecture_rejects_shapes_the_encoder_cannot_give(kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        Architecture(**kwargs)
