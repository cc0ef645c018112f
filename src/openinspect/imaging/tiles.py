"""Cover a large crop with overlapping full-resolution tiles and stitch per-tile masks back together."""

from __future__ import annotations

import numpy as np


def tile_origins(length: int, tile: int, overlap: int) -> list[int]:
    """Start offsets of tiles of size ``tile`` covering ``length`` with at least ``overlap`` px overlap.

    >>> tile_origins(1000, 512, 64)
    [0, 244, 488]
    >>> tile_origins(300, 512, 64)
    [0]
    """
    if length <= tile:
        return [0]
    stride = tile - overlap
    count = -(-(length - tile) // stride) + 1
    return [round(i * (length - tile) / (count - 1)) for i in range(count)]


def cut_tiles(image: np.ndarray, tile: tuple[int, int], overlap: int) -> tuple[list[np.ndarray], list[tuple[int, int]]]:
    """Cut ``(H, W, ...)`` into tiles of ``tile = (h, w)`` (the image is padded when smaller).

    Returns:
        The tiles and their ``(y, x)`` origins.

    """
    padded = _pad_to(image, tile)
    origins = [(y, x) for y in tile_origins(padded.shape[0], tile[0], overlap)
               for x in tile_origins(padded.shape[1], tile[1], overlap)]
    return [padded[y : y + tile[0], x : x + tile[1]] for y, x in origins], origins


def stitch(tiles: list[np.ndarray], origins: list[tuple[int, int]], size: tuple[int, int]) -> np.ndarray:
    """Join ``(h, w)`` tile masks into one ``size = (H, W)`` mask.

    Where tiles overlap, each pixel comes from the tile whose centre is nearest, so every pixel is
    predicted with as much context around it as possible.
    """
    tile_h, tile_w = tiles[0].shape[:2]
    full_h, full_w = max(size[0], tile_h), max(size[1], tile_w)
    out = np.zeros((full_h, full_w), tiles[0].dtype)
    best = np.full((full_h, full_w), np.inf)
    ys, xs = np.mgrid[0:tile_h, 0:tile_w]
    centre_distance = np.maximum(np.abs(ys - (tile_h - 1) / 2), np.abs(xs - (tile_w - 1) / 2))
    for mask, (y, x) in zip(tiles, origins, strict=True):
        window = (slice(y, y + tile_h), slice(x, x + tile_w))
        closer = centre_distance < best[window]
        out[window][closer] = mask[closer]
        best[window][closer] = centre_distance[closer]
    return out[: size[0], : size[1]]


def _pad_to(image: np.ndarray, tile: tuple[int, int]) -> np.ndarray:
    pad_h, pad_w = max(0, tile[0] - image.shape[0]), max(0, tile[1] - image.shape[1])
    if not pad_h and not pad_w:
        return image
    widths = [(0, pad_h), (0, pad_w)] + [(0, 0)] * (image.ndim - 2)
    return np.pad(image, widths, mode="reflect" if min(image.shape[:2]) > 1 else "edge")
