"""Train a classifier (Fast or Accurate), predict with torch, export to ONNX.

Only training and export import this module: it imports torch. The station runs the exported
graph through :mod:`openinspect.models.runtime`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from openinspect.models.accurate import Augment, train_accurate
from openinspect.models.export import export_onnx
from openinspect.models.fast import train_fast
from openinspect.models.progress import Progress, no_progress

MODES = ("fast", "accurate")
_PREDICT_BATCH = 16


class TrainedClassifier:
    """A trained network taking raw crops to class probabilities.

    Attributes:
        input_size: the ``(height, width)`` the network was trained at.
    """

    def __init__(self, net: nn.Module, input_size: tuple[int, int]) -> None:
        self.net = net.eval()
        self.input_size = input_size

    @torch.inference_mode()
    def predict_proba(self, images: np.ndarray) -> np.ndarray:
        """Class probabilities through torch.

        Args:
            images: ``(N, H, W, 3)`` uint8 RGB in ``[0, 255]``, ``(H, W) == input_size``.

        Returns:
            ``(N, C)`` float32; each row sums to 1.
        """
        _check_images(images, self.input_size)
        starts = range(0, len(images), _PREDICT_BATCH)
        chunks = [self.net(torch.from_numpy(images[i : i + _PREDICT_BATCH])) for i in starts]
        return torch.cat(chunks).numpy().astype(np.float32)

    def export_onnx(self, path: Path) -> None:
        """Write one self-contained ONNX file (input ``image`` uint8 NHWC, output ``probs``), atomically."""
        export_onnx(self.net, self.input_size, path)


def train_classifier(
    images: np.ndarray,
    labels: np.ndarray,
    num_classes: int,
    mode: str,
    *,
    seed: int = 0,
    hflip: bool = False,
    vflip: bool = False,
    rotate90: bool = False,
    progress: Progress | None = None,
    device: str = "cpu",
) -> TrainedClassifier:
    """Train a Fast or Accurate classifier on labelled crops.

    Args:
        images: ``(N, H, W, 3)`` uint8 RGB in ``[0, 255]``, already resized to the model input size.
        labels: ``(N,)`` int64 class indices in ``[0, num_classes)``; every class needs an image.
        num_classes: number of classes, at least 2.
        mode: ``"fast"`` (frozen features, seconds) or ``"accurate"`` (fine-tuning, minutes).
        seed: makes training repeatable.
        hflip: horizontal flips preserve the class (Accurate augments with them, Fast adds mirrored copies).
        vflip: vertical flips preserve the class.
        rotate90: quarter turns preserve the class (used only on square inputs).
        progress: called with the fraction done in ``[0, 1]`` and a short stage; Accurate adds each optimiser
            :class:`~openinspect.models.progress.Step` (Fast fits no loss: stages only).
        device: torch device for Accurate fine-tuning (``"cuda"`` on a GPU); the result is always on the CPU.

    Returns:
        The trained classifier.

    Raises:
        ValueError: bad mode, image array or labels.
    """
    _check_images(images, images.shape[1:3])
    _check_labels(labels, len(images), num_classes, mode)
    report = progress or no_progress
    torch.manual_seed(seed)
    net: nn.Module
    if mode == "fast":
        net = train_fast(images, labels, num_classes, seed, report, hflip=hflip, vflip=vflip)
    else:
        net = train_accurate(images, labels, num_classes, seed, Augment(hflip, vflip, rotate90), report, device=device)
    report(1.0, "done")
    return TrainedClassifier(net, (int(images.shape[1]), int(images.shape[2])))


def _check_images(images: np.ndarray, size: tuple[int, int]) -> None:
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[3] != 3 or images.shape[1:3] != tuple(size):
        raise ValueError(f"expected (N, {size[0]}, {size[1]}, 3) uint8 RGB, got {images.shape} {images.dtype}")


def _check_labels(labels: np.ndarray, count: int, num_classes: int, mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if num_classes < 2:
        raise ValueError(f"need at least 2 classes, got {num_classes}")
    if labels.shape != (count,) or labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(f"labels must be ({count},) ints in [0, {num_classes}), got shape {labels.shape}")
    missing = sorted(set(range(num_classes)) - set(labels.tolist()))
    if missing:
        raise ValueError(f"every class needs at least one training image; none for classes {missing}")
