"""Accurate classifier: EfficientNet-Lite1 fine-tuned with augmentation suited to inspection images.

The early, high-resolution blocks stay frozen (they hold generic edges and textures and cost the
most on a CPU); BatchNorm keeps its ImageNet statistics because few-shot batches are too small to
estimate new ones. The head sees average- and max-pooled maps, so one small defect can carry a
decision that a plain average would dilute.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

from openinspect.models.backbone import HEAD_CHANNELS, LITE1, EfficientNetLite, Variant, load_pretrained, normalize
from openinspect.models.progress import Progress, Step

VARIANT = LITE1
"""The backbone Accurate fine-tunes. At its default 352 px Lite1 costs about Lite0's compute at 384 px and scored
above it on both tuning seeds (bench/README.md, "Accurate's backbone, test-time flips, EMA")."""
BATCH = 16
PSEUDO_BATCH = 4
"""Pseudo-labelled crops added to each optimiser step when training learns from unlabelled captures."""
CONFIDENCE = 0.9
"""The teacher's probability an unlabelled crop needs to be trained on as that class (a pseudo-label)."""


@dataclass(frozen=True)
class Augment:
    """Augmentations to apply while training; the geometric ones only where the user allowed them."""

    hflip: bool = False
    vflip: bool = False
    rotate90: bool = False
    brightness: float = 0.1
    """Largest additive change, as a fraction of the normalised range."""
    contrast: float = 0.2
    """Largest relative change of contrast around the image mean."""
    shift: float = 0.0625
    """Largest translation, as a fraction of the side; borders are reflected."""


@dataclass(frozen=True)
class Schedule:
    """Optimiser settings: AdamW with linear warm-up then cosine decay."""

    epochs: int = 30
    min_steps: int = 120
    max_steps: int = 480
    lr_head: float = 1e-3
    lr_backbone: float = 1e-4
    weight_decay: float = 1e-2
    label_smoothing: float = 0.1

    def steps(self, num_images: int) -> int:
        """Optimiser steps for a training set of ``num_images``."""
        return min(self.max_steps, max(self.min_steps, math.ceil(self.epochs * num_images / BATCH)))


@dataclass(frozen=True)
class PseudoLabels:
    """Unlabelled crops and the class a teacher gave each with confidence (self-training)."""

    images: np.ndarray
    """``(M, H, W, 3)`` uint8 RGB, at the model input size."""
    labels: np.ndarray
    """``(M,)`` int64 class indices."""
    offered: int
    """Unlabelled crops the teacher judged, confident or not."""

    @classmethod
    def confident(cls, images: np.ndarray, probs: np.ndarray, threshold: float = CONFIDENCE) -> PseudoLabels:
        """The crops whose largest teacher probability ``probs`` ``(M, C)`` reaches ``threshold``, as that class.

        >>> probs = np.array([[0.95, 0.05], [0.6, 0.4], [0.02, 0.98]])
        >>> PseudoLabels.confident(np.zeros((3, 2, 2, 3), np.uint8), probs).labels.tolist()
        [0, 1]
        """
        keep = probs.max(1) >= threshold
        return cls(images[keep], probs[keep].argmax(1).astype(np.int64), len(images))


class AccurateNet(nn.Module):
    """Images -> probabilities through the fine-tuned backbone and an avg+max pooled linear head."""

    def __init__(self, backbone: EfficientNetLite, num_classes: int) -> None:
        super().__init__()
        self.backbone = backbone
        self.dropout = nn.Dropout(0.2)
        self.linear = nn.Linear(2 * HEAD_CHANNELS, num_classes)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, 3, H, W)`` normalised float -> ``(N, C)`` logits."""
        head = self.backbone(x)[2]
        return self.linear(self.dropout(torch.cat([head.mean((2, 3)), head.amax((2, 3))], 1)))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """``(N, H, W, 3)`` uint8 RGB -> ``(N, C)`` float32 probabilities."""
        return self.logits(normalize(images)).softmax(1)


def augment(images: torch.Tensor, aug: Augment, gen: torch.Generator) -> torch.Tensor:
    """Randomly transform a training batch.

    Args:
        images: ``(B, H, W, 3)`` uint8 RGB.
        aug: which transforms and how strong.
        gen: the random source.

    Returns:
        ``(B, 3, H, W)`` float32, normalised like :func:`normalize`.
    """
    x = normalize(images)
    x = torch.stack([geometric(img, aug, gen) for img in x])
    return _shift(jitter(x, aug, gen), aug.shift, gen)


def jitter(x: torch.Tensor, aug: Augment, gen: torch.Generator) -> torch.Tensor:
    """Random brightness and contrast per image (shared with the segmenter).

    Args:
        x: ``(B, 3, H, W)`` float32 RGB, normalised like :func:`normalize`.
        aug: how strong.
        gen: the random source.

    Returns:
        The jittered batch, clamped to ``[-1, 1]``.
    """
    b = len(x)
    gain = 1 + (torch.rand(b, 1, 1, 1, generator=gen) * 2 - 1) * aug.contrast
    offset = (torch.rand(b, 1, 1, 1, generator=gen) * 2 - 1) * aug.brightness * 2
    mean = x.mean((1, 2, 3), keepdim=True)
    return ((x - mean) * gain + mean + offset).clamp(-1, 1)


def geometric(img: torch.Tensor, aug: Augment, gen: torch.Generator) -> torch.Tensor:
    """Random allowed flips and quarter turns of one ``(C, H, W)`` map; every channel moves alike (masks too)."""
    flips = [d for d, ok in ((2, aug.hflip), (1, aug.vflip)) if ok and torch.rand(1, generator=gen) < 0.5]
    if flips:
        img = img.flip(flips)
    if aug.rotate90 and img.shape[1] == img.shape[2]:
        img = img.rot90(int(torch.randint(4, (1,), generator=gen)), (1, 2))
    return img


def _shift(x: torch.Tensor, fraction: float, gen: torch.Generator) -> torch.Tensor:
    h, w = x.shape[2:]
    pad = max(1, round(fraction * min(h, w)))
    padded = F.pad(x, (pad, pad, pad, pad), mode="reflect")
    dy, dx = (int(v) for v in torch.randint(2 * pad + 1, (2,), generator=gen))
    return padded[:, :, dy : dy + h, dx : dx + w]


def _balanced_batches(labels: np.ndarray, steps: int, rng: np.random.Generator,
                      size: int = BATCH) -> list[np.ndarray]:
    """Index batches drawn so every class present is equally likely, whatever its count."""
    counts = np.bincount(labels)
    weights = 1.0 / counts[labels]
    return [rng.choice(len(labels), size, p=weights / weights.sum()) for _ in range(steps)]


def frozen_blocks(variant: Variant) -> int:
    """How many blocks are not trained: the stem's and every block at stride 8 or finer (Lite0: blocks ``0..4``).

    >>> from openinspect.models.backbone import LITE0
    >>> frozen_blocks(LITE0), frozen_blocks(LITE1)
    (5, 7)
    """
    return variant.pyramid_blocks[2] + 1


def _optimizer(net: AccurateNet, schedule: Schedule) -> torch.optim.Optimizer:
    late = net.backbone._blocks[frozen_blocks(net.backbone.variant):]
    trainable = [p for m in (*late, net.backbone._conv_head, net.backbone._bn1) for p in m.parameters()]
    groups: list[dict[str, Any]] = [
        {"params": trainable, "lr": schedule.lr_backbone},
        {"params": list(net.linear.parameters())},
    ]
    return torch.optim.AdamW(groups, lr=schedule.lr_head, weight_decay=schedule.weight_decay)


def _freeze(net: AccurateNet) -> None:
    """Freeze the early blocks and put every BatchNorm in eval mode (keeps ImageNet statistics)."""
    net.train()
    for module in net.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.eval()
    early = [net.backbone._conv_stem, net.backbone._bn0, *net.backbone._blocks[:frozen_blocks(net.backbone.variant)]]
    for module in early:
        module.requires_grad_(False)


def train_accurate(
    images: np.ndarray,
    labels: np.ndarray,
    num_classes: int,
    seed: int,
    aug: Augment,
    progress: Progress,
    schedule: Schedule | None = None,
    device: str = "cpu",
    pseudo: PseudoLabels | None = None,
    variant: Variant = VARIANT,
) -> AccurateNet:
    """Fine-tune the Accurate classifier, optionally also on pseudo-labelled unlabelled crops (self-training).

    Args:
        images: ``(N, H, W, 3)`` uint8 RGB, at the model input size.
        labels: ``(N,)`` int64 class indices in ``[0, num_classes)``; every class present.
        num_classes: number of classes.
        seed: seeds the head initialisation, the batches and the augmentations.
        aug: augmentations allowed.
        progress: called after every optimiser step with the fraction done, ``"fine-tuning"`` and the :class:`Step`.
        schedule: optimiser settings; the defaults suit 3 to a few hundred images.
        device: torch device to train on (``"cuda"`` where the station has a GPU).
        pseudo: unlabelled crops with a teacher's confident classes; each step adds :data:`PSEUDO_BATCH` of them,
            drawn class-balanced and augmented like the labelled ones, to its labelled batch.
        variant: the pretrained backbone to fine-tune.

    Returns:
        The trained network, on the CPU, in eval mode.
    """
    schedule = schedule or Schedule()
    torch.manual_seed(seed)
    net = AccurateNet(load_pretrained(variant), num_classes)
    _freeze(net)
    net.to(device)
    steps = schedule.steps(len(images))
    opt = _optimizer(net, schedule)
    lr_scale = torch.optim.lr_scheduler.LambdaLR(opt, _cosine(steps))
    gen = torch.Generator().manual_seed(seed)
    batches = _balanced_batches(labels, steps, np.random.default_rng(seed))
    extra = _balanced_batches(pseudo.labels, steps, np.random.default_rng(seed + 1), PSEUDO_BATCH) \
        if pseudo is not None and len(pseudo.labels) else None
    for step, idx in enumerate(batches):
        crops, targets = images[idx], labels[idx]
        if extra is not None and pseudo is not None:
            crops = np.concatenate([crops, pseudo.images[extra[step]]])
            targets = np.concatenate([targets, pseudo.labels[extra[step]]])
        x = augment(torch.from_numpy(crops), aug, gen).to(device)
        loss = F.cross_entropy(net.logits(x), torch.from_numpy(targets.astype(np.int64)).to(device),
                               label_smoothing=schedule.label_smoothing)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        lr_scale.step()
        progress((step + 1) / steps, "fine-tuning", step=Step.of(step + 1, steps, BATCH, len(images), loss.item()))
    return net.cpu().eval()


def _cosine(steps: int) -> Callable[[int], float]:
    warmup = max(1, steps // 20)

    def scale(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, steps - warmup)))

    return scale
