"""Fast classifier: frozen Lite0 features, a patch memory bank per class, and a linear head.

A defect is local, so a global average dilutes it. Besides the pooled global features, every
image gets, per class, the distance of its most unusual patch to that class's memory bank of
training patches (PatchCore-style). For training images the distance is computed leave-one-image-out,
so train and test features mean the same thing. The whole chain, memory-bank matmul included,
is one torch module that exports to ONNX as is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812
from sklearn.linear_model import LogisticRegression
from torch import nn

from openinspect.models.backbone import EfficientNetLite, load_pretrained, normalize
from openinspect.models.progress import Progress, no_progress

BANK_SIZE = 1024
"""Patches kept per class by the greedy coreset: bounds the matmul at inference."""
REGULARISATION = 0.1
"""Inverse L2 strength of the logistic head on standardised features."""
KNN_WEIGHT = 3.0
"""Patch-distance features are scaled up after standardising so L2 shrinks them less than the many global ones."""
_BATCH = 8


class PatchFeatures(nn.Module):
    """Frozen backbone -> a global vector and L2-normalised stride-16 patch embeddings."""

    def __init__(self, backbone: EfficientNetLite) -> None:
        super().__init__()
        self.backbone = backbone.eval().requires_grad_(False)

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Describe a batch.

        Args:
            images: ``(N, H, W, 3)`` uint8 RGB.

        Returns:
            ``(N, G)`` global features (avg and max pooled stride-16 and head maps) and
            ``(N, P, D)`` patch embeddings, ``P = H/16 * W/16``.
        """
        s8, s16, head = self.backbone(normalize(images))
        glob = torch.cat([head.mean((2, 3)), head.amax((2, 3)), s16.mean((2, 3)), s16.amax((2, 3))], 1)
        local = torch.cat([F.normalize(F.avg_pool2d(s8, 2), dim=1), F.normalize(s16, dim=1)], 1)
        local = F.avg_pool2d(local, 3, 1, 1, count_include_pad=False)
        return glob, F.normalize(local, dim=1).flatten(2).transpose(1, 2)


def knn_distances(patches: torch.Tensor, bank: torch.Tensor) -> torch.Tensor:
    """Cosine distance of every patch to its nearest bank entry: ``(N, P, D), (M, D) -> (N, P)``."""
    return 1.0 - (patches @ bank.T).amax(-1)


def patch_scores(distances: torch.Tensor) -> torch.Tensor:
    """Summarise per-patch distances ``(N, P)`` into ``(N, 2)``: the largest and the mean."""
    return torch.stack([distances.amax(1), distances.mean(1)], 1)


class FastNet(nn.Module):
    """Images -> probabilities: features, per-class patch-bank scores, standardised linear head, softmax."""

    def __init__(self, features: PatchFeatures, banks: list[torch.Tensor], linear: nn.Linear) -> None:
        super().__init__()
        self.features = features
        self.banks = nn.ParameterList([nn.Parameter(b, requires_grad=False) for b in banks])
        self.linear = linear

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """``(N, H, W, 3)`` uint8 RGB -> ``(N, C)`` float32 probabilities."""
        return self.head(*self.features(images))

    def head(self, glob: torch.Tensor, patches: torch.Tensor) -> torch.Tensor:
        """Probabilities from :class:`PatchFeatures` outputs ``(N, G), (N, P, D)`` -> ``(N, C)``."""
        scores = [patch_scores(knn_distances(patches, bank)) for bank in self.banks]
        return self.linear(torch.cat([glob, *scores], 1)).softmax(1)


@torch.inference_mode()
def extract(features: PatchFeatures, images: np.ndarray,
            done: Callable[[int], None] | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Run :class:`PatchFeatures` over ``(N, H, W, 3)`` uint8 RGB images in small batches.

    ``done`` is told how many images each batch described, as it ends.
    """
    parts = []
    for i in range(0, len(images), _BATCH):
        parts.append(features(torch.from_numpy(images[i : i + _BATCH])))
        if done is not None:
            done(len(images[i : i + _BATCH]))
    return torch.cat([g for g, _ in parts]), torch.cat([p for _, p in parts])


@dataclass(frozen=True)
class FastFeatures:
    """The backbone's view of a set of crops and of their mirrored copies, computed once.

    Every model a training run fits on a subset of the crops (its validation folds and its final model)
    takes its rows from here: the backbone, by far the dearest part of Fast training, runs once per crop
    and view instead of once per crop, view and model.
    """

    features: PatchFeatures
    glob: torch.Tensor
    """``(V * N, G)`` global features, view-major: the crops, then each mirrored view in turn."""
    patches: torch.Tensor
    """``(V * N, P, D)`` patch embeddings, in the same order."""
    count: int
    """``N``, the crops (without their mirrored views)."""

    @classmethod
    def of(cls, images: np.ndarray, *, hflip: bool = False, vflip: bool = False,
           progress: Progress = no_progress) -> FastFeatures:
        """Describe ``(N, H, W, 3)`` uint8 RGB crops and their mirror images for each flip that keeps the class.

        ``progress`` gets the fraction of crops and views described after every batch.
        """
        features = PatchFeatures(load_pretrained())
        flipped = flipped_views(images, hflip, vflip)
        total, described = len(images) * len(flipped), [0]

        def done(count: int) -> None:
            described[0] += count
            progress(described[0] / total, "extracting features")

        views = [extract(features, view, done) for view in flipped]
        return cls(features, torch.cat([g for g, _ in views]), torch.cat([p for _, p in views]), len(images))

    def rows(self, indices: np.ndarray) -> torch.Tensor:
        """Rows of ``indices`` (into the crops) in every view, view-major, as a training set is laid out."""
        views = len(self.glob) // self.count
        return torch.cat([torch.from_numpy(indices) + v * self.count for v in range(views)])

    @torch.inference_mode()
    def predict(self, net: FastNet, indices: np.ndarray) -> np.ndarray:
        """``(len(indices), C)`` float32 probabilities of the crops (not their mirrored views) through ``net``."""
        parts = [net.head(self.glob[indices[i : i + _BATCH]], self.patches[indices[i : i + _BATCH]])
                 for i in range(0, len(indices), _BATCH)]
        return torch.cat(parts).numpy().astype(np.float32)


def coreset(points: torch.Tensor, size: int, seed: int) -> torch.Tensor:
    """Indices of a greedy k-centre subset of ``points`` ``(M, D)``, computed on a random 16-d projection.

    The loop runs in numpy: a thousand tiny steps are much slower through torch's thread pool.
    """
    if len(points) <= size:
        return torch.arange(len(points))
    rng = np.random.default_rng(seed)
    # Greedy over a random pool of 4x the budget: near-coreset coverage at a bounded cost.
    pool = np.sort(rng.choice(len(points), min(len(points), 4 * size), replace=False))
    proj = points.numpy()[pool] @ rng.standard_normal((points.shape[1], 16), dtype=np.float32)
    chosen = np.empty(size, dtype=np.int64)
    chosen[0] = rng.integers(len(proj))
    # squared distances through einsum into reused buffers: 2.2-2.4x faster than square().sum(1), same picks
    offset, distance = np.empty_like(proj), np.empty(len(proj), dtype=proj.dtype)
    np.subtract(proj, proj[chosen[0]], out=offset)
    nearest = np.einsum("ij,ij->i", offset, offset)
    for i in range(1, size):
        chosen[i] = int(nearest.argmax())
        np.subtract(proj, proj[chosen[i]], out=offset)
        np.minimum(nearest, np.einsum("ij,ij->i", offset, offset, out=distance), out=nearest)
    return torch.from_numpy(pool[chosen])


def loo_scores(
    patches: torch.Tensor, owners: torch.Tensor, bank: torch.Tensor, bank_owner: torch.Tensor
) -> torch.Tensor:
    """Training-image scores against ``bank``, never matching an image's patches to its own bank entries.

    Args:
        patches: ``(N, P, D)`` embeddings of the training images.
        owners: ``(N,)`` index of each training image.
        bank: ``(M, D)`` bank entries; ``bank_owner`` ``(M,)`` the image each came from.
        bank_owner: see ``bank``.

    Returns:
        ``(N, 2)`` scores as :func:`patch_scores`.
    """
    parts = []
    for i in range(0, len(patches), _BATCH):
        own = owners[i : i + _BATCH, None, None] == bank_owner[None, None, :]
        sims = (patches[i : i + _BATCH] @ bank.T).masked_fill(own, -2.0)
        parts.append(patch_scores(1.0 - sims.amax(-1)))
    return torch.cat(parts)


def _fit_head(x: np.ndarray, labels: np.ndarray, num_glob: int, seed: int) -> nn.Linear:
    """Fit the logistic head on standardised features and fold the standardisation into one ``nn.Linear``."""
    mean, std = x.mean(0), x.std(0) + 1e-6
    std[num_glob:] /= KNN_WEIGHT
    clf = LogisticRegression(C=REGULARISATION, class_weight="balanced", max_iter=3000, random_state=seed)
    clf.fit((x - mean) / std, labels)
    weight, bias = clf.coef_ / std, clf.intercept_ - (clf.coef_ / std) @ mean
    if len(clf.classes_) == 2:  # sklearn keeps one row for two classes
        weight, bias = np.stack([-weight[0] / 2, weight[0] / 2]), np.array([-bias[0] / 2, bias[0] / 2])
    linear = nn.Linear(x.shape[1], len(weight))
    linear.weight.data = torch.from_numpy(weight).float()
    linear.bias.data = torch.from_numpy(bias).float()
    return linear


def flipped_views(images: np.ndarray, hflip: bool, vflip: bool) -> list[np.ndarray]:
    """The images, then their mirror images for each flip that keeps the class (training views)."""
    views = [images]
    if hflip:
        views.append(np.ascontiguousarray(images[:, :, ::-1]))
    if vflip:
        views.append(np.ascontiguousarray(images[:, ::-1]))
    return views


def fit_fast(shared: FastFeatures, indices: np.ndarray, labels: np.ndarray, num_classes: int, seed: int,
             progress: Progress) -> FastNet:
    """Fit the Fast classifier's memory banks and head on the crops ``indices`` of ``shared``.

    Each allowed flip adds a mirrored copy of every training image, to the head's training set and to the
    memory banks (on magnetic-tile, k=20, tuning seeds: balanced accuracy 0.775 -> 0.789; k=100 unchanged);
    a copy never counts as a neighbour of its own image in the leave-one-image-out scores.

    Args:
        shared: the backbone features of every crop and view (:meth:`FastFeatures.of`).
        indices: ``(n,)`` the training crops, ascending.
        labels: ``(n,)`` int64 their class indices in ``[0, num_classes)``; every class present.
        num_classes: number of classes.
        seed: makes the coreset choice repeatable.
        progress: called with the fraction done and the stage (memory banks, head).

    Returns:
        The trained network, in eval mode.
    """
    rows = shared.rows(indices)
    glob, patches = shared.glob[rows], shared.patches[rows]
    views = len(rows) // len(indices)
    owners = torch.arange(len(indices)).repeat(views)
    labels = np.tile(labels, views)
    banks, scores = [], []
    for c in range(num_classes):
        progress(c / (num_classes + 1), f"memory bank {c + 1} of {num_classes}")
        members = torch.from_numpy(np.flatnonzero(labels == c))
        flat = patches[members].flatten(0, 1)
        keep = coreset(flat, BANK_SIZE, seed + c)
        banks.append(flat[keep])
        bank_owner = owners[members].repeat_interleave(patches.shape[1])[keep]
        scores.append(loo_scores(patches, owners, flat[keep], bank_owner))
    progress(num_classes / (num_classes + 1), "fitting the head")
    x = torch.cat([glob, *scores], 1).numpy().astype(np.float64)
    linear = _fit_head(x, labels, glob.shape[1], seed)
    return FastNet(shared.features, banks, linear).eval()
