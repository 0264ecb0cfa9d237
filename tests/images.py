"""Checks on image files that the tests share: is it a PNG, how many colours does it show."""

from __future__ import annotations

import io
import struct

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's header; fails unless ``data`` starts as a PNG does."""
    assert data[:8] == PNG_MAGIC, "not a PNG file"
    length, chunk, width, height = struct.unpack(">I4sII", data[8:24])
    assert (length, chunk) == (13, b"IHDR"), "a PNG starts with its IHDR chunk"
    return width, height


def distinct_colours(data: bytes) -> int:
    """How many different colours a PNG shows: 1 or 2 for a blank image, hundreds for a plot."""
    import numpy as np
    from matplotlib.image import imread

    pixels = np.round(imread(io.BytesIO(data), format="png") * 255).astype(np.uint32)
    flat = pixels.reshape(-1, pixels.shape[-1])
    packed = np.zeros(len(flat), dtype=np.uint32)
    for channel in range(flat.shape[1]):
        packed = (packed << np.uint32(8)) | flat[:, channel]
    return len(np.unique(packed))
