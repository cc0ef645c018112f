from __future__ import annotations

import torch

from openinspect.models.backbone import EfficientNetLite0, load_pretrained, normalize, weights_path


def test_backbone_keys_match_weights_file_except_fc() -> None:
    stored = set(torch.load(weights_path(), map_location="cpu", weights_only=True))
    ours = set(EfficientNetLite0().state_dict())
    assert stored - ours == {"_fc.weight", "_fc.bias"}
    assert ours <= stored


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
