"""Copies of a picture as they circulate: re-encoded, resized, cropped, rotated, mirrored.

Every variant is a new file with new bytes. Perceptual variants are re-encoded as JPEG, so
even a rotation changes the pixels a little; ``metadata_edit`` keeps the pixels and changes
only a comment in the file, so its PDQ hash is the source's exactly.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageOps

from amparo.demo.images import MediaItem, Picture

METADATA_EDIT = "metadata_edit"
JPEG_QUALITIES = (55, 96)  # [low, high)
RESIZE_SCALES = (0.6, 0.9)
CROP_SHARES = (0.03, 0.08)  # of each side, split between its two edges
PNG_IHDR_END = 8 + 4 + 4 + 13 + 4  # signature, then the IHDR chunk's length, type, data, CRC
EDIT_COMMENT = b"edited with a photo app"

Reshape = Callable[[Picture, np.random.Generator], Picture]


def _unchanged(picture: Picture, rng: np.random.Generator) -> Picture:
    return picture


def _resized(picture: Picture, rng: np.random.Generator) -> Picture:
    scale = rng.uniform(*RESIZE_SCALES)
    width, height = (max(1, round(side * scale)) for side in picture.size)
    return picture.resize((width, height), Image.Resampling.LANCZOS)


def _cropped(picture: Picture, rng: np.random.Generator) -> Picture:
    width, height = picture.size
    cut_x, cut_y = (round(side * rng.uniform(*CROP_SHARES)) for side in (width, height))
    left, top = int(rng.integers(0, cut_x + 1)), int(rng.integers(0, cut_y + 1))
    return picture.crop((left, top, width - (cut_x - left), height - (cut_y - top)))


def _rotation(transpose: Image.Transpose) -> Reshape:
    return lambda picture, rng: picture.transpose(transpose)


def _mirrored(picture: Picture, rng: np.random.Generator) -> Picture:
    return ImageOps.mirror(picture)


RESHAPES: dict[str, Reshape] = {
    "jpeg_requality": _unchanged,
    "resize": _resized,
    "crop": _cropped,
    "rotate_90": _rotation(Image.Transpose.ROTATE_90),
    "rotate_180": _rotation(Image.Transpose.ROTATE_180),
    "rotate_270": _rotation(Image.Transpose.ROTATE_270),
    "mirror": _mirrored,
}
PERCEPTUAL_TRANSFORMS = tuple(RESHAPES)


def decode(data: bytes) -> Picture:
    with Image.open(io.BytesIO(data)) as picture:
        return picture.convert("RGB")


def perceptual_variant(source: MediaItem, transform: str, rng: np.random.Generator) -> MediaItem:
    """``source`` reshaped by ``transform`` and saved as a JPEG of a random quality."""
    picture = RESHAPES[transform](decode(source.data), rng)
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=int(rng.integers(*JPEG_QUALITIES)))
    return MediaItem.from_bytes(buffer.getvalue(), "jpg")


def metadata_edit(source: MediaItem) -> MediaItem:
    """``source`` with a comment added: other bytes, the very same pixels."""
    if source.extension == "jpg":
        return MediaItem.from_bytes(_jpeg_with_comment(source.data, EDIT_COMMENT), "jpg")
    return MediaItem.from_bytes(_png_with_text(source.data, EDIT_COMMENT), source.extension)


def _jpeg_with_comment(data: bytes, comment: bytes) -> bytes:
    """A COM segment right after the start-of-image marker."""
    segment = b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment
    return data[:2] + segment + data[2:]


def _png_with_text(data: bytes, text: bytes) -> bytes:
    """A ``tEXt`` chunk right after IHDR."""
    return data[:PNG_IHDR_END] + png_chunk(b"tEXt", b"Comment\0" + text) + data[PNG_IHDR_END:]


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
