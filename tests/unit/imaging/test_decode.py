import io
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from tests.conftest import png_declaring

import openinspect
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


def test_decode_refuses_50000_px_square_bomb_from_its_header_at_once():
    bomb = png_declaring(50000, 50000)
    assert len(bomb) < 100
    started = time.perf_counter()
    with pytest.raises(ImageError, match=r"bomb\.png.*OPENINSPECT_MAX_PIXELS"):
        decode_image(bomb, "bomb.png")
    assert time.perf_counter() - started < 0.5


def test_decode_refuses_image_over_the_given_pixel_budget_and_names_the_size():
    data = _encode(Image.new("L", (200, 100)))
    assert decode_image(data, "small.png", max_pixels=20_000).shape == (100, 200, 3)
    with pytest.raises(ImageError, match=r"big\.png declares 200 x 100 px \(20,000 pixels\), over the 19,999 a capture"):
        decode_image(data, "big.png", max_pixels=19_999)


def test_decode_error_names_the_given_name_never_a_python_repr():
    with pytest.raises(ImageError) as caught:
        decode_image(b"\x89PNG\r\n\x1a\n not really", "upload.png")
    assert "upload.png" in str(caught.value)
    assert "BytesIO" not in str(caught.value) and "0x" not in str(caught.value)


def test_decode_rgba_keeps_partial_alpha_as_blend_on_white():
    rgba = np.array([[[0, 0, 0, 128], [200, 100, 0, 0], [10, 20, 30, 255]]], dtype=np.uint8)
    decoded = decode_image(_encode(Image.fromarray(rgba, mode="RGBA")))
    assert decoded[0].tolist() == [[127, 127, 127], [255, 255, 255], [10, 20, 30]]


_PEAK_SCRIPT = """
import sys
from pathlib import Path
from openinspect.imaging import decode_image

def high_water():  # this process's peak resident memory (ru_maxrss would include the parent's, kept across exec)
    line = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024

data = Path(sys.argv[1]).read_bytes()
before = high_water()
image = decode_image(data, "capture.png")
print((high_water() - before) / image.nbytes)
"""


@pytest.mark.parametrize("mode", ["I;16", "RGBA", "RGB"])
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads peak memory from Linux's /proc")
def test_decode_peak_memory_stays_within_a_few_times_the_decoded_capture(tmp_path, mode):
    rng = np.random.default_rng(0)
    if mode == "I;16":
        img = Image.fromarray(rng.integers(0, 65535, (1500, 2000), dtype=np.uint16))
    else:
        img = Image.fromarray(rng.integers(0, 255, (1500, 2000, len(mode)), dtype=np.uint8), mode=mode)
    path = tmp_path / "capture.png"
    img.save(path, compress_level=1)
    src = str(Path(openinspect.__file__).parents[1])
    out = subprocess.run([sys.executable, "-c", _PEAK_SCRIPT, str(path)], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": src})
    assert float(out.stdout) < 4.5  # before: 16-bit 9.4x (float64 copies), RGBA 8.7x, RGB 6.0x


def test_read_image_errors_name_the_file_never_its_folder(tmp_path):
    broken = tmp_path / "workspace" / "images" / "ab12.png"
    broken.parent.mkdir(parents=True)
    broken.write_bytes(b"\x89PNG\r\n\x1a\n broken")
    for path in (broken, broken.with_name("gone.png")):
        with pytest.raises(ImageError) as caught:
            read_image(path)
        assert path.name in str(caught.value) and str(tmp_path) not in str(caught.value)


@pytest.mark.parametrize("mode", ["RGB", "L"])
def test_plain_png_through_the_fast_decoder_gives_pillows_pixels(mode):
    shape = (33, 47, 3) if mode == "RGB" else (33, 47)
    pixels = np.random.default_rng(1).integers(0, 256, shape, dtype=np.uint8)
    data = _encode(Image.fromarray(pixels, mode=mode))
    decoded = decode_image(data)
    expected = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    assert decoded.flags["C_CONTIGUOUS"] and decoded.dtype == np.uint8
    np.testing.assert_array_equal(decoded, expected)


def test_truncated_plain_png_is_an_image_error_not_a_partial_image():
    pixels = np.random.default_rng(2).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    data = _encode(Image.fromarray(pixels))
    with pytest.raises(ImageError, match="capture.png"):
        decode_image(data[: len(data) // 2], "capture.png")
