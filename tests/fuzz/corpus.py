"""Hostile inputs for the station, generated (nothing downloaded): captures, recipes and raw request bodies.

Each case is ``(name, payload)``; the fuzz test sends them to a real server and checks the answer's shape and
time, and the server's memory after the lot.
"""

import io
import struct
import zlib

import numpy as np
from PIL import Image
from tests.unit.station.kit import RECIPE, part_png

PIL_CAP = Image.MAX_IMAGE_PIXELS
"""Pillow's decompression-bomb threshold in pixels (it warns above it and refuses above twice it)."""


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width: int, height: int, rows: int = 16, bit_depth: int = 8) -> bytes:
    """A valid-looking gray PNG of ``width`` x ``height`` px whose data holds only the first ``rows`` rows.

    A few KB that a decoder, trusting the header, would turn into width x height bytes: a decompression bomb.
    """
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, 0, 0, 0, 0)
    row = b"\0" * (1 + width * bit_depth // 8)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(row * rows, 9))
            + _chunk(b"IEND", b""))


def _encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _full_zero_png(width: int, height: int) -> bytes:
    """A complete gray PNG of zeros, streamed row by row so the test never holds the pixels (compresses ~1000:1)."""
    compressor = zlib.compressobj(9)
    row = b"\0" * (1 + width)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


def hostile_captures() -> list[tuple[str, bytes]]:
    """Captures a camera or client might send by mistake or on purpose."""
    good = part_png(False)
    pixels = np.asarray(Image.open(io.BytesIO(good)))
    gray = Image.fromarray(pixels[:, :, 0])
    side = int((PIL_CAP - 1) ** 0.5)  # just under Pillow's cap: decoded, if the station's own budget allows
    jpeg = _encode(Image.fromarray(pixels), "JPEG")
    return [
        ("bomb-50000x50000.png", png_declaring(50_000, 50_000)),
        ("bomb-65535x65535-16bit.png", png_declaring(65_535, 65_535, rows=2, bit_depth=16)),
        (f"under-cap-{side}x{side}.png", _full_zero_png(side, side)),
        ("truncated.png", good[: len(good) // 2]),
        ("header-only.png", good[:33]),
        ("truncated.jpg", jpeg[: len(jpeg) // 3]),
        ("zero-byte.png", b""),
        ("wrong-magic.png", b"\x89PNX" + good[4:]),
        ("text.png", b"this is not an image at all\n" * 10),
        ("16bit.png", _encode(Image.fromarray(pixels[:, :, 0].astype(np.uint16) * 257), "PNG")),
        ("cmyk.jpg", _encode(Image.fromarray(pixels).convert("CMYK"), "JPEG")),
        ("palette.png", _encode(Image.fromarray(pixels).convert("P"), "PNG")),
        ("1bit.png", _encode(gray.convert("1"), "PNG")),
        ("gray-alpha.png", _encode(gray.convert("LA"), "PNG")),
        ("1x1.png", _encode(Image.new("RGB", (1, 1)), "PNG")),
        ("anim.gif", _encode(Image.fromarray(pixels), "GIF")),
        ("icon.ico", _encode(Image.fromarray(pixels), "ICO")),
        ("layers.psd", b"8BPS\x00\x01" + b"\0" * 6 + struct.pack(">HIIHH", 3, 30_000, 30_000, 8, 3) + b"\0" * 64),
        ("huge.tiff", b"II*\x00\x08\x00\x00\x00" + struct.pack("<H", 2) + struct.pack("<HHII", 256, 4, 1, 60_000)
         + struct.pack("<HHII", 257, 4, 1, 60_000) + b"\0\0\0\0"),
        ("bmp-negative.bmp", b"BM" + struct.pack("<IHHI", 1000, 0, 0, 54) + struct.pack("<IiiHHIIiiII", 40, 40_000,
                                                                                          -40_000, 1, 24, 0, 0, 0, 0,
                                                                                          0, 0)),
    ]


def _nested(depth: int) -> str:
    return "name: deep\ntypes: " + "[" * depth + "]" * depth + "\nrois: []\n"


def hostile_recipes() -> list[tuple[str, bytes]]:
    """Recipe bodies (YAML or JSON) that are malformed, malicious or enormous."""
    laughs = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    laughs += [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)]
    return [(name, body.encode() if isinstance(body, str) else body) for name, body in [
        ("alias-bomb", "\n".join(laughs) + "\nname: *i\n"),
        ("alias-bomb-in-field", "\n".join(laughs) + "\n" + RECIPE.replace("profile: single-model", "profile: *i")),
        ("deep-nesting", _nested(5_000)),
        ("deep-mapping", "name: " + "{a: " * 3_000 + "1" + "}" * 3_000 + "\n"),
        ("huge-name", RECIPE.replace("name: plate", "name: " + "a" * 2**20, 1)),
        ("huge-string-field", RECIPE + "notes: '" + "x" * 2**20 + "'\n"),
        ("name-with-newline", RECIPE.replace("name: plate", 'name: "evil\\n"', 1)),
        ("name-trailing-newline", RECIPE.replace("name: plate", 'name: "plate3\\n"', 1)),
        ("name-traversal", RECIPE.replace("name: plate", "name: ../../etc", 1)),
        ("name-slash", RECIPE.replace("name: plate", "name: a/b", 1)),
        ("name-dotdot", RECIPE.replace("name: plate", "name: '..'", 1)),
        ("name-nul", RECIPE.replace("name: plate", 'name: "a\\0b"', 1)),
        ("wrong-types", "name: 5\ntypes: {a: 1}\nrois: nope\n"),
        ("rois-not-list", RECIPE.split("rois:")[0] + "rois: 12\n"),
        ("negative-roi", RECIPE.replace("w: 64", "w: -64")),
        ("top-level-list", "- a\n- b\n"),
        ("scalar", "42\n"),
        ("empty", ""),
        ("not-utf8", b"name: \xff\xfe\xfd\n"),
        ("binary", bytes(range(256)) * 16),
        ("bad-json", '{"name": "x", "types": [}'),
        ("json-wrong-types", '{"name": ["x"], "types": "y", "rois": {"a": 1}}'),
        ("tabs-and-tags", "name: !!python/object/apply:os.system ['true']\n"),
    ]]
