"""Train a classifier (Fast or Accurate), predict with torch, export to ONNX.

Only training and export import this module: it imports torch. The station runs the exported
graph through :mod:`openinspect.models.runtime`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from openinspect.models.accurate import Augment, PseudoLabels, train_accurate
from openinspect.models.backbone import EfficientNetLite
from openinspect.models.export import export_onnx
from openinspect.models.fast import FastFeatures, FastNet, extract, fit_fast
from openinspect.models.progress import Progress, no_progress

MODES = ("fast", "accurate")
_PREDICT_BATCH = 16
FEATURE_SHARE = 0.6
"""Share of a one-model Fast training its backbone features take (the rest: memory banks and head)."""


class TrainedClassifier:
    """A trained network taking raw crops to class probabilities.

    Attributes:
        input_size: the ``(height, width)`` the network was trained at.
    """

    def __init__(self, net: nn.Module, input_size: tuple[int, int]) -> None:
        self.net = net.eval()
        self.input_size = input_size

    @property
    def backbone(self) -> str:
        """Name of the pretrained backbone variant the network is built on (``lite0``, ``lite1``, ``lite2``)."""
        return next(m.variant.name for m in self.net.modules() if isinstance(m, EfficientNetLite))

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
        export_onnx(self.net, self.input_size, path, traced=isinstance(self.net, FastNet))


class FoldTrainer:
    """Trains a run's models, each on a subset of one set of labelled crops: its validation folds and its final model.

    Fast computes the backbone features of every crop and mirrored view once (:meth:`prepare`), so each model costs
    only its memory banks and head, and its validation crops are judged from the same features; Accurate fine-tunes
    the backbone per model.

    Args:
        images: ``(N, H, W, 3)`` uint8 RGB in ``[0, 255]``, already resized to the model input size.
        labels: ``(N,)`` int64 class indices in ``[0, num_classes)``; every class needs an image.
        num_classes: number of classes, at least 2.
        mode: ``"fast"`` (frozen features, seconds) or ``"accurate"`` (fine-tuning, minutes).
        seed: makes training repeatable.
        augment: which flips and quarter turns keep the class (Accurate augments with them, Fast adds mirrored
            copies; quarter turns only on square inputs).
        device: torch device for Accurate fine-tuning (``"cuda"`` on a GPU); the result is always on the CPU.
        unlabelled: ``(M, H, W, 3)`` uint8 RGB crops nobody labelled, at the same size. Accurate learns from them by
            self-training: a Fast teacher, fitted on each model's labelled crops, gives every unlabelled crop a
            class, and those it is confident of (:class:`~openinspect.models.accurate.PseudoLabels`) join the
            fine-tuning. Fast ignores them. Never pass validation crops here.

    Raises:
        ValueError: bad mode, image array or labels.
    """

    def __init__(self, images: np.ndarray, labels: np.ndarray, num_classes: int, mode: str, *, seed: int = 0,
                 augment: Augment | None = None, device: str = "cpu", unlabelled: np.ndarray | None = None) -> None:
        _check_images(images, images.shape[1:3])
        _check_labels(labels, len(images), num_classes, mode)
        self.images, self.labels, self.num_classes, self.mode = images, labels, num_classes, mode
        self.seed, self.augment, self.device = seed, augment or Augment(), device
        self.unlabelled = unlabelled if unlabelled is not None and mode == "accurate" \
            else np.zeros((0, *images.shape[1:]), np.uint8)
        _check_images(self.unlabelled, images.shape[1:3])
        self._shared: FastFeatures | None = None
        self._unlabelled_features: FastFeatures | None = None
        self.pseudo: list[PseudoLabels] = []
        """The pseudo-labels each Accurate model fitted so far trained on, in order (none without unlabelled crops)."""

    @property
    def views(self) -> int:
        """Copies of each crop a Fast model learns from: the crop and one mirror image per allowed flip."""
        return 1 + int(self.augment.hflip) + int(self.augment.vflip)

    @property
    def shares_features(self) -> bool:
        """Whether :meth:`prepare` has work: Fast models, or the Fast teacher of Accurate with unlabelled crops."""
        return self.mode == "fast" or len(self.unlabelled) > 0

    def prepare(self, progress: Progress = no_progress) -> None:
        """Compute the backbone features every later model (Fast) or teacher (Accurate, unlabelled crops) shares."""
        if self.shares_features and self._shared is None:
            progress(0.0, "extracting features")
            views = len(self.images) * self.views
            share = views / (views + len(self.unlabelled))
            self._shared = FastFeatures.of(self.images, hflip=self.augment.hflip, vflip=self.augment.vflip,
                                           progress=lambda f, s, **_: progress(share * f, s))
            if len(self.unlabelled):
                done = [0]

                def described(count: int) -> None:
                    done[0] += count
                    progress(share + (1 - share) * done[0] / len(self.unlabelled), "describing unlabelled crops")

                glob, patches = extract(self._shared.features, self.unlabelled, described)
                self._unlabelled_features = FastFeatures(self._shared.features, glob, patches, len(self.unlabelled))

    def fit(self, indices: np.ndarray, progress: Progress = no_progress) -> TrainedClassifier:
        """Train a model on the crops ``indices`` (ascending); every class must be among them."""
        _check_labels(self.labels[indices], len(indices), self.num_classes, self.mode)
        torch.manual_seed(self.seed)
        net: nn.Module
        if self.mode == "fast":
            self.prepare()
            assert self._shared is not None
            net = fit_fast(self._shared, indices, self.labels[indices], self.num_classes, self.seed, progress)
        else:
            pseudo = self._pseudo_labels(indices)
            net = train_accurate(self.images[indices], self.labels[indices], self.num_classes, self.seed,
                                 self.augment, progress, device=self.device, pseudo=pseudo)
        return TrainedClassifier(net, (int(self.images.shape[1]), int(self.images.shape[2])))

    def _pseudo_labels(self, indices: np.ndarray) -> PseudoLabels | None:
        """A Fast teacher fitted on the crops ``indices`` classes the unlabelled crops; ``None`` without any."""
        if not len(self.unlabelled):
            return None
        self.prepare()
        assert self._shared is not None and self._unlabelled_features is not None
        teacher = fit_fast(self._shared, indices, self.labels[indices], self.num_classes, self.seed, no_progress)
        probs = self._unlabelled_features.predict(teacher, np.arange(len(self.unlabelled)))
        self.pseudo.append(PseudoLabels.confident(self.unlabelled, probs))
        return self.pseudo[-1]

    def predict_proba(self, model: TrainedClassifier, indices: np.ndarray) -> np.ndarray:
        """``(len(indices), C)`` float32 probabilities of the crops ``indices`` (Fast: from the shared features)."""
        if self._shared is not None and isinstance(model.net, FastNet):
            return self._shared.predict(model.net, indices)
        return model.predict_proba(self.images[indices])


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
    unlabelled: np.ndarray | None = None,
) -> TrainedClassifier:
    """Train a Fast or Accurate classifier on all the labelled crops (one model; :class:`FoldTrainer` for several).

    ``images``, ``labels``, ``num_classes``, ``mode``, ``seed``, ``device`` and ``unlabelled`` are as for
    :class:`FoldTrainer`;
    ``hflip``, ``vflip`` and ``rotate90`` say which flips and quarter turns keep the class. ``progress`` is called
    with the fraction done in ``[0, 1]`` and a short stage; Accurate adds each optimiser
    :class:`~openinspect.models.progress.Step` (Fast fits no loss: stages only).

    Raises:
        ValueError: bad mode, image array or labels.
    """
    trainer = FoldTrainer(images, labels, num_classes, mode, seed=seed, augment=Augment(hflip, vflip, rotate90),
                          device=device, unlabelled=unlabelled)
    report = progress or no_progress
    share = FEATURE_SHARE if mode == "fast" else 0.0
    trainer.prepare(lambda fraction, status, **_: report(share * fraction, status))
    model = trainer.fit(np.arange(len(images)),
                        lambda fraction, status, **kw: report(share + (1 - share) * fraction, status, **kw))
    report(1.0, "trained")
    return model


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
