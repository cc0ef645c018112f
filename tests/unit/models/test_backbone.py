from __future__ import annotations

import pytest
import torch

from openinspect.models.backbone import (
    LITE0,
    LITE2,
    VARIANTS,
    EfficientNetLite,
    load_pretrained,
    normalize,
    pyramid,
    weights_path,
)


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_backbone_keys_and_shapes_match_each_weights_file_except_fc(name: str) -> None:
    stored = torch.load(weights_path(VARIANTS[name]), map_location="cpu", weights_only=True)
    ours = EfficientNetLite(VARIANTS[name]).state_dict()
    assert set(stored) - set(ours) == {"_fc.weight", "_fc.bias"}
    assert {k: tuple(v.shape) for k, v in ours.items()} == {k: tuple(stored[k].shape) for k in ours}


def test_larger_variant_pyramid_has_its_own_channels_at_the_same_strides() -> None:
    net = load_pretrained(LITE2).eval()
    with torch.inference_mode():
        maps = pyramid(net, torch.zeros(1, 3, 64, 96))
    assert [tuple(m.shape) for m in maps] == [(1, c, 64 >> s, 96 >> s) for s, c in enumerate(LITE2.pyramid_channels, 1)]
    assert LITE2.pyramid_channels != LITE0.pyramid_channels


def test_backbone_returns_stride_8_16_32_maps() -> None:
    net = load_pretrained().eval()
    with torch.inference_mode():
        s8, s16, head = net(torch.zeros(1, 3, 64, 96))
    assert s8.shape == (1, 40, 8, 12)
    assert s16.shape == (1, 112, 4, 6)
    assert head.shape == (1, 1280, 2, 3)


def test_normalize_maps_uint8_nhwc_to_centred_nchw() -> None:
    images = torch.tensor([[[[127, 255, 0]]]], dtype=torch.uint8)
    out = normalize(images)
    assert out.shape == (1, 3, 1, 1)
    assert torch.allclose(out.flatten(), torch.tensor([0.0, 1.0, -127 / 128]))
