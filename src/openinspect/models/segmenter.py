"""Segmenter: a light U-Net decoder on the pretrained Lite0 encoder; training, torch prediction, ONNX export.

The shape is an :class:`Architecture`. The default is still :data:`LEGACY` (full-resolution encoder to
stride 32, logits at stride 2), which takes 1.1x the Accurate classifier's time per ROI at 256 px and 2.2x at
512 px (where the Accurate classifier runs at 352 px). The faster shapes measured for issue 18 lose accuracy on
magnetic-tile: :data:`HALF_RES` (encoder on the image downscaled 2x) loses thin cracks, and :data:`STRIDE8`
(encoder cut at stride 8, still 0.8-1.1x the Accurate classifier at 512 px) loses more (bench/README.md,
"Segmenter speed" and "Encoder cut at stride 8"); they stay selectable for the benchmark. Either way the exported
head needs no float map at full resolution.

Only training and export import this module (it imports torch). The exported graph takes
``(N, h, w, 3)`` uint8 RGB and returns the ``(N, h, w)`` uint8 class map (0 = background, k = the
k-th pixel class), so the station only resizes around it (:mod:`openinspect.models.runtime`).

Training draws batches of whole crops (model inputs are at most 512 px a side), crops with defect pixels
as often as crops without (the tiles of a large ROI rarely hold a defect); the full-resolution tiles of a
large ROI train on smaller squares cut over their defects (``patch``). Defects often cover
under 1 % of a crop, so the loss adds soft Dice over the pixel classes, pooled over the batch, to the
cross-entropy. Both choices were measured on magnetic-tile (bench/README.md, segmenter tuning): whole
crops instead of 256 px patches centred on defects lifted pooled IoU from 0.47 to 0.62 at the same
step count, and a plain cross-entropy instead of one weighing defect pixels 3x cut false alarms
from 9 % to 5 %.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

from openinspect.models.accurate import Augment, geometric, jitter
from openinspect.models.backbone import PYRAMID_LEVELS, EfficientNetLite, load_pretrained, normalize, pyramid
from openinspect.models.export import export_onnx
from openinspect.models.progress import Progress, Step, no_progress

MASK_OUTPUT = "mask"
"""Name of the graph's one output: ``(N, h, w)`` uint8 class map."""
BATCH = 8
FROZEN_BLOCKS = 5
"""Stem and blocks ``0..4`` (strides 2 to 8) keep their ImageNet weights: generic edges and textures, and
three quarters of the training time if they learned. An encoder cut at stride 8 still tunes its last stage
(blocks 3 and 4): frozen whole, it left the decoder a fixed ImageNet feature map (magnetic-tile tuning split:
pooled IoU 0.156 against 0.627 for :data:`LEGACY`; bench/README.md, "Encoder cut at stride 8")."""
_PREDICT_BATCH = 4


@dataclass(frozen=True)
class Schedule:
    """Optimiser settings: AdamW, linear warm-up then cosine decay over steps or the time budget."""

    epochs: int = 40
    """Passes over the crops before ``min_steps``/``max_steps`` bound the count."""
    min_steps: int = 150
    max_steps: int = 800
    lr_decoder: float = 2e-3
    lr_encoder: float = 5e-4
    weight_decay: float = 1e-4
    warmup: float = 0.05
    """Share of training spent warming up."""

    def steps(self, num_images: int) -> int:
        """Optimiser steps for ``num_images`` training crops."""
        return min(self.max_steps, max(self.min_steps, math.ceil(self.epochs * num_images / BATCH)))


def _conv_bn(cin: int, cout: int, kernel: int, groups: int = 1) -> list[nn.Module]:
    conv = nn.Conv2d(cin, cout, kernel, padding=kernel // 2, groups=groups, bias=False)
    return [conv, nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


def _upsample(x: torch.Tensor, factor: int = 2) -> torch.Tensor:
    return F.interpolate(x, scale_factor=float(factor), mode="bilinear", align_corners=False)


@dataclass(frozen=True)
class Architecture:
    """The segmenter's shape: how deep the encoder runs, the decoder's widths, where the logits are.

    Attributes:
        levels: encoder maps used, finest first (3: up to the encoder's stride 8, 4: 16, 5: 32; the encoder's
            strides are ``encoder_scale`` times finer than the ROI's).
        widths: decoder width at each level from the deepest one down to ``out_stride``.
        out_stride: stride of the logits (2 or 4); a sub-pixel head adds what is finer.
        early_mix: mix the coarser map with a 1x1 before upsampling it (the same function as mixing the
            concatenation after: upsampling and a 1x1 commute; 4x fewer operations for that part).
        encoder_scale: the encoder sees the image downscaled by this factor (1 or 2); the raw pixels still
            reach the logits' level through the fold.
        context: add the deepest map's global average (through a 1x1) to every position of the decoder's
            first level: the whole crop's context for an encoder cut early (a small receptive field).
    """

    levels: int
    widths: tuple[int, ...]
    out_stride: int = 2
    early_mix: bool = True
    encoder_scale: int = 1
    context: bool = False

    @property
    def finest(self) -> int:
        """Index in the encoder's pyramid of the map at the logits' stride."""
        return self.out_stride.bit_length() - self.encoder_scale.bit_length() - 1

    def __post_init__(self) -> None:
        ok = self.out_stride in (2, 4) and self.encoder_scale in (1, 2) and self.finest >= 0
        if not ok or not 2 <= self.levels - self.finest <= PYRAMID_LEVELS - self.finest:
            raise ValueError(f"bad segmenter architecture {self}")
        if len(self.widths) != self.levels - self.finest:
            raise ValueError(f"need {self.levels - self.finest} decoder widths, got {self.widths}")


LEGACY = Architecture(levels=5, widths=(96, 64, 40, 24, 16), out_stride=2, early_mix=False)
"""The architecture of every segmenter trained so far (encoder to stride 32, decoder to stride 2): the default."""
HALF_RES = Architecture(levels=4, widths=(48, 32, 24, 16), out_stride=4, encoder_scale=2)
"""Issue 18's candidate: the encoder on the half-size image to its stride 16 (stride 32 of the ROI), logits at
stride 4. The fastest variant timed (bench/README.md, "Segmenter speed"): cutting the full-resolution encoder
at stride 8 still cost 0.5-0.8x the Accurate classifier, since Lite0's blocks at strides 2 to 8 take half its
time. Measured on the segmenter benchmark (``--arch half-res``): -0.10 detection, so not the default."""
STRIDE8 = Architecture(levels=3, widths=(32, 24), out_stride=4)
"""Issue 18's candidate: the full-resolution encoder cut at stride 8 (where small defects still resolve),
decoder 32-24, logits at stride 4. Measured on magnetic-tile's tuning split: pooled IoU 0.323 (0.378 with
:data:`STRIDE8_CONTEXT`) against :data:`LEGACY`'s 0.627, detection 0.443 (0.434) against 0.684; not the default."""
STRIDE8_CONTEXT = Architecture(levels=3, widths=(32, 24), out_stride=4, context=True)
""":data:`STRIDE8` with the crop's global context added at stride 8 (Lite0's receptive field there is about 70 px)."""
STRIDE16 = Architecture(levels=4, widths=(48, 32, 24), out_stride=4)
"""The full-resolution encoder cut at stride 16, decoder 48-32-24, logits at stride 4."""
ARCHITECTURE = LEGACY
ARCHITECTURES = {"legacy": LEGACY, "half-res": HALF_RES, "stride8": STRIDE8, "stride8-context": STRIDE8_CONTEXT,
                 "stride16": STRIDE16}
"""Named architectures, for the benchmark's ``--arch``."""


class _Up(nn.Module):
    """One decoder level: upsample x2, merge the encoder's skip, mix (1x1, depthwise 3x3, 1x1)."""

    def __init__(self, cin: int, cskip: int, cout: int, early_mix: bool) -> None:
        super().__init__()
        self.early_mix = early_mix
        if early_mix:
            self.coarse = nn.Conv2d(cin, cout, 1, bias=False)
            self.skip = nn.Sequential(*_conv_bn(cskip, cout, 1)[:2])
            self.mix = nn.Sequential(nn.ReLU(inplace=True), *_conv_bn(cout, cout, 3, cout), *_conv_bn(cout, cout, 1))
        else:
            self.mix = nn.Sequential(*_conv_bn(cin + cskip, cout, 1), *_conv_bn(cout, cout, 3, cout),
                                     *_conv_bn(cout, cout, 1))

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        """Merge the coarser decoder map ``x`` with the encoder map ``skip`` of twice its size."""
        if self.early_mix:
            return self.mix(_upsample(self.coarse(x)) + self.skip(skip))
        return self.mix(torch.cat([_upsample(x), skip], 1))


class SegmenterNet(nn.Module):
    """Images -> class map: Lite0 encoder cut at ``arch.levels``, decoder with skips, logits at ``out_stride``.

    Nothing runs at full resolution but upsampling the logits in training, and unfolding the class map
    in :meth:`forward` (a small depthwise head at full resolution took 30 % of the inference time in ONNX
    Runtime). The logits are upsampled
    bilinearly, and a sub-pixel head adds the detail finer than their stride: the finest level also sees
    each ``s x s`` block of raw pixels (a learned stride-``s`` fold) and predicts a correction for each pixel
    of its block, which a pixel shuffle unfolds. With the shuffle alone (the earlier head) an undertrained
    model marked thin cracks as stripes, every other column, which blob rules then split into specks;
    on magnetic-tile's tuning split the bilinear base raised image-level detection from 0.59 to 0.68
    (cracks 0.25 to 0.42) at equal pooled IoU (bench/README.md, segmenter head).
    """

    def __init__(self, encoder: EfficientNetLite, num_outputs: int, arch: Architecture | None = None) -> None:
        super().__init__()
        arch = arch or ARCHITECTURE
        self.encoder = encoder
        self.levels = arch.levels
        self.stride = arch.out_stride
        self.scale = arch.encoder_scale
        self.finest = finest = arch.finest
        fold = 3 * arch.out_stride**2
        channels = encoder.variant.pyramid_channels
        skips = [channels[i] + (fold if i == finest else 0) for i in range(arch.levels - 2, finest - 1, -1)]
        widths = arch.widths
        self.lateral = nn.Sequential(*_conv_bn(channels[arch.levels - 1], widths[0], 1))
        self.context = nn.Conv2d(channels[arch.levels - 1], widths[0], 1, bias=False) if arch.context else None
        self.ups = nn.ModuleList(_Up(widths[i], skips[i], widths[i + 1], arch.early_mix) for i in range(len(skips)))
        self.fold = nn.Conv2d(3, fold, arch.out_stride, stride=arch.out_stride)
        self.coarse = nn.Conv2d(widths[-1], num_outputs, 1)
        self.head = nn.Conv2d(widths[-1], num_outputs * arch.out_stride**2, 1)

    def _decode(self, x: torch.Tensor) -> torch.Tensor:
        """The decoder's finest map, at ``stride``."""
        small = F.avg_pool2d(x, self.scale) if self.scale > 1 else x
        maps = pyramid(self.encoder, small, self.levels)[self.finest :]
        maps[0] = torch.cat([maps[0], self.fold(x)], 1)
        y = self.lateral(maps[-1])
        if self.context is not None:
            y = y + self.context(maps[-1].mean((2, 3), keepdim=True))
        for up, skip in zip(self.ups, maps[-2::-1], strict=True):
            y = up(y, skip)
        return y

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, 3, H, W)`` normalised float -> ``(N, 1 + K, H, W)`` logits (background first); what training fits."""
        y = self._decode(x)
        return _upsample(self.coarse(y), self.stride) + F.pixel_shuffle(self.head(y), self.stride)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """``(N, H, W, 3)`` uint8 RGB -> ``(N, H, W)`` uint8 class map: the argmax of :meth:`logits`.

        Computed without any float map at full resolution: the bilinear upsampling of the coarse logits is,
        for each pixel of an ``s x s`` block, a fixed 3x3 filter (edge-padded, as the upsampling clamps at
        the border), so it folds with the sub-pixel head into one 3x3 convolution giving every pixel's
        logits at ``stride``; the argmax runs there, and only the uint8 class map is unfolded.
        """
        y = F.pad(self._decode(normalize(images)), (1, 1, 1, 1), mode="replicate")
        weight, bias = self._fused_head()
        logits = F.conv2d(y, weight, bias)
        n, _, h, w = logits.shape
        s = self.stride
        classes = logits.reshape(n, -1, s, s, h, w).argmax(1).to(torch.uint8)
        return classes.permute(0, 3, 1, 4, 2).reshape(n, h * s, w * s)

    def _fused_head(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The 3x3 kernel and bias equal to the coarse logits upsampled bilinearly plus the pixel-shuffled head.

        Output channel ``o * s * s + p * s + q`` is class ``o`` at offset ``(p, q)`` in each ``s x s`` block.
        """
        s = self.stride
        taps = torch.zeros(s, 3)  # 1-D bilinear weights over rows Y-1, Y, Y+1 for each offset p
        for p in range(s):
            delta = (p + 0.5) / s - 0.5
            taps[p, 1] = 1 - abs(delta)
            taps[p, 0 if delta < 0 else 2] = abs(delta)
        coarse = self.coarse.weight[:, None, None, :, :, 0]  # (O, 1, 1, C, 1)
        spread = taps[:, None, None, :, None] * taps[None, :, None, None, :]  # (s, s, 1, 3, 3)
        weight = (coarse[..., None] * spread[None]).reshape(-1, coarse.shape[3], 3, 3)
        weight = weight.clone()
        weight[:, :, 1, 1] += self.head.weight[:, :, 0, 0]
        assert self.coarse.bias is not None and self.head.bias is not None
        bias = self.coarse.bias.repeat_interleave(s * s) + self.head.bias
        return weight, bias


class TrainedSegmenter:
    """A trained network taking raw crops to class maps.

    Attributes:
        input_size: the ``(height, width)`` the network runs at (and is exported for).
    """

    def __init__(self, net: SegmenterNet, input_size: tuple[int, int]) -> None:
        self.net = net.eval()
        self.input_size = input_size

    @property
    def backbone(self) -> str:
        """Name of the pretrained encoder's variant (``lite0``: every segmenter so far)."""
        return self.net.encoder.variant.name

    @torch.inference_mode()
    def predict_masks(self, images: np.ndarray) -> np.ndarray:
        """Class maps through torch.

        Args:
            images: ``(N, H, W, 3)`` uint8 RGB in ``[0, 255]``, ``(H, W) == input_size``.

        Returns:
            ``(N, H, W)`` uint8: 0 = background, k = the k-th pixel class.
        """
        check_crops(images, self.input_size)
        starts = range(0, len(images), _PREDICT_BATCH)
        return torch.cat([self.net(torch.from_numpy(images[i : i + _PREDICT_BATCH])) for i in starts]).numpy()

    def export_onnx(self, path: Path) -> None:
        """Write one self-contained ONNX file (input ``image`` uint8 NHWC, output ``mask`` uint8), atomically."""
        export_onnx(self.net, self.input_size, path, output_name=MASK_OUTPUT)


def train_segmenter(
    images: np.ndarray,
    masks: np.ndarray,
    num_pixel_classes: int,
    *,
    seed: int = 0,
    hflip: bool = False,
    vflip: bool = False,
    rotate90: bool = False,
    progress: Progress | None = None,
    time_budget_s: float | None = None,
    schedule: Schedule | None = None,
    patch: int | None = None,
    arch: Architecture | None = None,
) -> TrainedSegmenter:
    """Train a segmenter on crops and their class maps.

    Args:
        images: ``(N, h, w, 3)`` uint8 RGB in ``[0, 255]``, resized to the model input; ``h`` and ``w``
            multiples of 32.
        masks: ``(N, h, w)`` uint8 class maps: 0 = background, k = the k-th pixel class.
        num_pixel_classes: ``K``, the pixel classes besides background; at least 1.
        seed: makes training repeatable (given the same number of steps).
        hflip: horizontal flips keep the labels valid.
        vflip: vertical flips keep the labels valid.
        rotate90: quarter turns keep the labels valid (applied to square crops only).
        progress: called with the fraction done in ``[0, 1]`` and a short stage; after every optimiser step
            with ``"training"`` and the :class:`Step` (under a time budget, its ``steps`` estimate the end).
        time_budget_s: cap on training time; the schedule then ends early and the model trained so far is kept.
        schedule: optimiser settings; the defaults suit 3 to a few hundred crops.
        patch: train on ``patch`` px squares cut from the drawn crops instead of whole crops (a multiple of
            32, at most the crops' sides), placed over a random defect pixel where the crop has one. Steps
            get cheaper in proportion (full-resolution tiles of a large ROI); the model still runs at ``(h, w)``.
        arch: the network's shape; :data:`ARCHITECTURE` when ``None``.

    Returns:
        The trained segmenter, running at ``(h, w)``.

    Raises:
        ValueError: bad image or mask arrays, ``num_pixel_classes < 1``, or a bad ``patch``.
    """
    check_crops(images, images.shape[1:3])
    if patch is not None and (patch % 32 or not 32 <= patch <= min(images.shape[1:3])):
        raise ValueError(f"patch must be a multiple of 32 within the crops' {images.shape[1:3]}, got {patch}")
    _check_masks(masks, images.shape[:3], num_pixel_classes)
    schedule = schedule or Schedule()
    report = progress or no_progress
    torch.manual_seed(seed)
    net = SegmenterNet(load_pretrained(), 1 + num_pixel_classes, arch)
    steps = schedule.steps(len(images))
    plan = _Plan(schedule, steps, time_budget_s, patch)
    _fit(net, (images, masks), Augment(hflip, vflip, rotate90), plan, seed, report)
    report(1.0, "done")
    return TrainedSegmenter(net.eval(), (int(images.shape[1]), int(images.shape[2])))


@dataclass(frozen=True)
class _Plan:
    schedule: Schedule
    steps: int
    time_budget_s: float | None
    patch: int | None = None

    def done(self, step: int, elapsed: float) -> float:
        """Fraction of training done: by steps, or by time when the budget runs out first."""
        by_time = elapsed / self.time_budget_s if self.time_budget_s else 0.0
        return min(1.0, max(step / self.steps, by_time))

    def lr_scale(self, fraction: float) -> float:
        """Linear warm-up, then cosine decay to zero."""
        warmup = self.schedule.warmup
        if fraction < warmup:
            return (fraction + 1 / self.steps) / warmup
        return 0.5 * (1 + math.cos(math.pi * (fraction - warmup) / (1 - warmup)))


def _draw(images: np.ndarray, masks: np.ndarray, weights: np.ndarray, count: int,
          rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``count`` crops drawn at random with :func:`_draw_weights`, with their class maps."""
    picks = rng.choice(len(images), size=count, p=weights)
    return images[picks], masks[picks]


def _draw_weights(masks: np.ndarray) -> np.ndarray:
    """Draw probabilities: crops with some defect pixel as often as crops without, when there are both.

    A large ROI cut into full-resolution tiles has defects in a few tiles only; drawn uniformly, most
    batches would hold no defect pixel at all.
    """
    defective = masks.reshape(len(masks), -1).any(1)
    if defective.all() or not defective.any():
        return np.full(len(masks), 1 / len(masks))
    return np.where(defective, 0.5 / defective.sum(), 0.5 / (~defective).sum())


def _cut_patches(images: np.ndarray, masks: np.ndarray, side: int,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A ``side`` px square of each crop: over a random defect pixel (anywhere in the square) if there is one."""
    height, width = masks.shape[1:]
    cut_images, cut_masks = [], []
    for image, mask in zip(images, masks, strict=True):
        ys, xs = np.nonzero(mask)
        if len(ys):
            pick = rng.integers(len(ys))
            top, left = ys[pick] - rng.integers(side), xs[pick] - rng.integers(side)
        else:
            top, left = rng.integers(height - side + 1), rng.integers(width - side + 1)
        top, left = int(np.clip(top, 0, height - side)), int(np.clip(left, 0, width - side))
        cut_images.append(image[top : top + side, left : left + side])
        cut_masks.append(mask[top : top + side, left : left + side])
    return np.stack(cut_images), np.stack(cut_masks)


def _augment(images: np.ndarray, masks: np.ndarray, aug: Augment,
             gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Flip/turn image and mask together, then jitter brightness and contrast; returns normalised NCHW and masks."""
    x = normalize(torch.from_numpy(images))
    joint = torch.cat([x, torch.from_numpy(masks)[:, None].float()], 1)
    joint = torch.stack([geometric(sample, aug, gen) for sample in joint])
    return jitter(joint[:, :3], aug, gen), joint[:, 3].round().long()


def _loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Cross-entropy plus soft Dice over the pixel classes, pooled over the batch."""
    ce = F.cross_entropy(logits, target)
    probs = logits.softmax(1)[:, 1:]
    truth = F.one_hot(target, logits.shape[1]).permute(0, 3, 1, 2)[:, 1:].float()
    overlap = (probs * truth).sum((0, 2, 3))
    total = probs.sum((0, 2, 3)) + truth.sum((0, 2, 3))
    return ce + (1 - (2 * overlap + 1) / (total + 1)).mean()


def _prepare(net: SegmenterNet, schedule: Schedule) -> torch.optim.Optimizer:
    """Freeze the early encoder, keep the encoder's BatchNorm statistics, and build the optimiser."""
    net.train()
    encoder = net.encoder
    for module in encoder.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.eval()  # few-shot batches cannot re-estimate ImageNet statistics
    deepest_stage = encoder.variant.pyramid_blocks[net.levels - 2] + 1  # first block of the deepest map's stage
    for module in (encoder._conv_stem, encoder._bn0, *encoder._blocks[: min(FROZEN_BLOCKS, deepest_stage)]):
        module.requires_grad_(False)
    tuned = [p for p in encoder.parameters() if p.requires_grad]
    decoder = [p for name, p in net.named_parameters() if not name.startswith("encoder.")]
    groups = [{"params": tuned, "lr": schedule.lr_encoder}, {"params": decoder, "lr": schedule.lr_decoder}]
    return torch.optim.AdamW(groups, weight_decay=schedule.weight_decay)


def _fit(net: SegmenterNet, data: tuple[np.ndarray, np.ndarray], aug: Augment, plan: _Plan, seed: int,
         report: Progress) -> None:
    _layout(net, torch.channels_last)  # mkldnn's fast path on CPUs: about 1.6x faster steps
    opt = _prepare(net, plan.schedule)
    base = [group["lr"] for group in opt.param_groups]
    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(seed)
    weights = _draw_weights(data[1])
    started, step, fraction = time.perf_counter(), 0, 0.0
    while fraction < 1.0:
        for group, lr in zip(opt.param_groups, base, strict=True):
            group["lr"] = lr * plan.lr_scale(fraction)
        drawn = _draw(*data, weights, BATCH, rng)
        x, target = _augment(*(_cut_patches(*drawn, plan.patch, rng) if plan.patch else drawn), aug, gen)
        x = x.contiguous(memory_format=torch.channels_last)
        loss = _loss(net.logits(x), target)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        fraction = plan.done(step, time.perf_counter() - started)
        planned = round(step / fraction)  # the schedule's steps, or where the time budget will end them sooner
        report(fraction * 0.99, "training", step=Step.of(step, planned, BATCH, len(data[0]), loss.item()))
    _layout(net, torch.contiguous_format)


def _layout(net: nn.Module, memory_format: torch.memory_format) -> None:
    net.to(memory_format=memory_format)  # type: ignore[call-overload]  # torch accepts it; its stubs do not


def check_crops(images: np.ndarray, size: tuple[int, ...]) -> None:
    """Raise ``ValueError`` unless ``images`` is a non-empty ``(N, *size, 3)`` uint8 batch, sides multiples of 32."""
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[3] != 3 or images.shape[1:3] != tuple(size):
        raise ValueError(f"expected (N, {size[0]}, {size[1]}, 3) uint8 RGB, got {images.shape} {images.dtype}")
    if not len(images) or size[0] % 32 or size[1] % 32:
        raise ValueError(f"expected at least one crop with sides multiple of 32, got {images.shape}")


def _check_masks(masks: np.ndarray, shape: tuple[int, ...], num_pixel_classes: int) -> None:
    if num_pixel_classes < 1:
        raise ValueError(f"need at least 1 pixel class, got {num_pixel_classes}")
    if masks.dtype != np.uint8 or masks.shape != shape:
        raise ValueError(f"expected masks {shape} uint8, got {masks.shape} {masks.dtype}")
    if masks.max() > num_pixel_classes:
        raise ValueError(f"mask values must lie in [0, {num_pixel_classes}], found {int(masks.max())}")
