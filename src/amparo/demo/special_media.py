"""Files with a special part to play: a harmless meme a hash set marks non-pertinent, and bad
media no one can decode safely (a truncated JPEG, a "pixel bomb" PNG)."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import ImageDraw

from amparo.demo.images import (
    MediaItem,
    Picture,
    default_font,
    generated_picture,
    resize_longest_side,
    sample_photo,
)

MEME_PHOTOS = ("chelsea", "coffee", "astronaut", "rocket", "horse")
MEME_CAPTIONS = ("WHEN IT'S MONDAY", "ME AFTER ONE COFFEE", "WEEKEND MODE: ON", "BRB, NAPPING")
MEME_SIDE = 320
BOMB_SIDE = 30_000
TINY_SIDE = 8
IHDR_SIZE_SLICE = slice(16, 24)  # width and height, right after the chunk's length and type
IHDR_CRC_SLICE = slice(29, 33)
IHDR_CHECKED_SLICE = slice(12, 29)  # chunk type and data


def meme(rng: np.random.Generator) -> MediaItem:
    """A sample photo with a white caption band on top, as a JPEG."""
    picture = resize_longest_side(sample_photo(str(rng.choice(MEME_PHOTOS))), MEME_SIDE)
    band = max(24, picture.height // 6)
    draw = ImageDraw.Draw(picture)
    draw.rectangle((0, 0, picture.width, band), fill="white")
    caption = str(rng.choice(MEME_CAPTIONS))
    draw.text((8, band // 4), caption, fill="black", font=default_font(band // 2))
    return _jpeg(picture, quality=85)


def truncated_jpeg(rng: np.random.Generator) -> MediaItem:
    """A generated picture's JPEG cut in half: its header is fine, its scan data ends early."""
    data = _jpeg(generated_picture(rng), quality=90).data
    return MediaItem.from_bytes(data[: len(data) // 2], "jpg")


def pixel_bomb(rng: np.random.Generator) -> MediaItem:
    """A tiny PNG whose header claims ``BOMB_SIDE`` x ``BOMB_SIDE`` pixels (900 MP)."""
    buffer = io.BytesIO()
    generated_picture(rng).resize((TINY_SIDE, TINY_SIDE)).save(buffer, "PNG")
    data = bytearray(buffer.getvalue())
    data[IHDR_SIZE_SLICE] = struct.pack(">II", BOMB_SIDE, BOMB_SIDE)
    data[IHDR_CRC_SLICE] = struct.pack(">I", zlib.crc32(data[IHDR_CHECKED_SLICE]))
    return MediaItem.from_bytes(bytes(data), "png")


def _jpeg(picture: Picture, *, quality: int) -> MediaItem:
    buffer = io.BytesIO()
    picture.convert("RGB").save(buffer, "JPEG", quality=quality)
    return MediaItem.from_bytes(buffer.getvalue(), "jpg")
