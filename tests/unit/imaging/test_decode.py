import io

import numpy as np
import pytest
from PIL import Image

from openinspect.errors import ImageError
from openinspect.imaging import decode_image, read_image


def _encode(img: Image.Image, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, format=fmt)
    return buffer.getvalue()


def test_decode_rgb_png_keeps_pixels_exactly():
    pixels = np.random.default_rng(0).integers(0, 256, (12, 17, 3), dtype=np.uint8)
    decoded = decode_image(_encode(Image.fromarray(pixels)))
    assert decoded.dtype == np.uint8 and decoded.shape == (12, 17, 3)
    np.testing.assert_array_equal(decoded, pixels)


def test_decode_grayscale_repeats_channel():
    gray = np.arange(0, 200, dtype=np.uint8).reshape(10, 20)
    decoded = decode_image(_encode(Image.fromarray(gray, mode="L")))
    assert decoded.shape == (10, 20, 3)
    for channel in range(3):
        np.testing.assert_array_equal(decoded[:, :, channel], gray)


def test_decode_16bit_png_scales_full_range_to_8bit():
    values = np.array([[0, 257 * 128, 65535]], dtype=np.uint16)
    img = Image.fromarray(values)
    assert img.mode.startswith("I;16")
    decoded = decode_image(_encode(img))
    assert decoded.dtype == np.uint8
    assert decoded[0, :, 0].tolist() == [0, 128, 255]


def test_decode_rgba_composites_on_white():
    rgba = np.zeros((4, 4, 4), dtype=np.uint8)
    rgba[..., 0] = 255  # red
    rgba[:2, :, 3] = 255  # top half opaque, bottom transparent
    decoded = decode_image(_encode(Image.fromarray(rgba, mode="RGBA")))
    assert decoded[0, 0].tolist() == [255, 0, 0]
    assert decoded[3, 3].tolist() == [255, 255, 255]


def test_decode_cmyk_jpeg_gives_rgb():
    cmyk = Image.new("CMYK", (16, 16), (0, 255, 255, 0))  # pure red in CMYK
    decoded = decode_image(_encode(cmyk, "JPEG"))
    assert decoded.shape == (16, 16, 3)
    red, green, blue = decoded[8, 8].astype(int)
    assert red > 200 and green < 60 and blue < 60


def test_decode_applies_exif_orientation():
    pixels = np.zeros((10, 30, 3), dtype=np.uint8)
    img = Image.fromarray(pixels)
    exif = img.getexif()
    exif[0x0112] = 6  # rotate 90° clockwise on display
    buffer = io.BytesIO()
    img.save(buffer, format="JPEG", exif=exif)
    assert decode_image(buffer.getvalue()).shape == (30, 10, 3)


def test_decode_truncated_jpeg_raises_image_error_naming_file():
    data = _encode(Image.fromarray(np.full((64, 64, 3), 90, np.uint8)), "JPEG")
    with pytest.raises(ImageError, match=r"part-7\.jpg.*corrupt, truncated"):
        decode_image(data[: len(data) // 2], "part-7.jpg")


def test_decode_garbage_raises_image_error():
    with pytest.raises(ImageError, match="not an image"):
        decode_image(b"this is not an image", "notes.txt")


def test_decode_refuses_a_gif_as_the_api_does():
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="GIF")
    with pytest.raises(ImageError, match=r"part\.gif is not an image the station takes \(PNG, JPEG, BMP, TIFF or WebP"):
        decode_image(buffer.getvalue(), "part.gif")


def test_read_missing_file_names_path(tmp_path):
    with pytest.raises(ImageError, match="missing.png"):
        read_image(tmp_path / "missing.png")
