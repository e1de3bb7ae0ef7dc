"""Benign picture factory: variants of scikit-image's sample photos and generated pictures.

Everything here is harmless by construction (landscapes, a cat, coins, gradients, shapes,
text cards) and comes from the bundled sample data or numpy/Pillow; nothing is downloaded.
Pictures are small (64-320 px) so thousands can be made in seconds.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
import skimage.data
from PIL import Image, ImageDraw, ImageFont, ImageOps

SAMPLE_PHOTO_NAMES = (
    "astronaut", "camera", "coffee", "chelsea", "rocket", "coins", "moon", "horse",
    "hubble_deep_field", "immunohistochemistry", "logo", "colorwheel", "clock", "page", "text",
)  # fmt: skip
MIN_SIDE = 64
MAX_SIDE = 320
CACHED_PHOTO_SIDE = 512
OTHER_FILE_SHARE = 0.04
PHOTO_SHARE = 0.6
BENIGN_CAPTIONS = (
    "Happy birthday!", "See you at 5", "Lisbon 2024", "Team lunch", "Beach day",
    "Homework p. 42", "Bus stop", "Good morning", "Recipe: paella", "Football final",
)  # fmt: skip
BENIGN_NOTES = (
    "Shopping list: bread, milk, tomatoes, rice.",
    "Remember to water the plants on Tuesday.",
    "Train leaves at 08:15 from platform 3.",
    "Library books due next Friday.",
    "Call the plumber about the kitchen tap.",
)

Picture = Image.Image
Recolour = Callable[[Picture, np.random.Generator], Picture]


@dataclass(frozen=True)
class MediaItem:
    """One distinct file of the media pool: its bytes, extension and digests."""

    data: bytes
    extension: str
    sha256: str
    md5: str
    sha1: str

    @classmethod
    def from_bytes(cls, data: bytes, extension: str) -> MediaItem:
        return cls(
            data=data,
            extension=extension,
            sha256=hashlib.sha256(data).hexdigest(),
            md5=hashlib.md5(data).hexdigest(),
            sha1=hashlib.sha1(data).hexdigest(),
        )

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def is_picture(self) -> bool:
        return self.extension in {"jpg", "png"}


def build_media_pool(count: int, rng: np.random.Generator) -> tuple[MediaItem, ...]:
    """``count`` media items with pairwise distinct bytes."""
    pool: dict[str, MediaItem] = {}
    while len(pool) < count:
        item = random_media_item(rng)
        pool.setdefault(item.sha256, item)
    return tuple(pool.values())


def random_media_item(rng: np.random.Generator) -> MediaItem:
    """Mostly photo variants and generated pictures, with the odd non-picture file."""
    if rng.random() < OTHER_FILE_SHARE:
        return other_file(rng)
    return random_picture_item(rng)


def random_picture_item(rng: np.random.Generator) -> MediaItem:
    """A photo variant (mostly JPEG) or a generated picture (mostly PNG)."""
    if rng.random() < PHOTO_SHARE:
        return encode_picture(photo_variant(rng), rng, jpeg_share=0.85)
    return encode_picture(generated_picture(rng), rng, jpeg_share=0.4)


def encode_picture(picture: Picture, rng: np.random.Generator, *, jpeg_share: float) -> MediaItem:
    buffer = io.BytesIO()
    if rng.random() < jpeg_share:
        picture.save(buffer, "JPEG", quality=int(rng.integers(60, 96)))
        return MediaItem.from_bytes(buffer.getvalue(), "jpg")
    picture.save(buffer, "PNG", compress_level=1)
    return MediaItem.from_bytes(buffer.getvalue(), "png")


def other_file(rng: np.random.Generator) -> MediaItem:
    """A small non-picture upload: a text note or a few random bytes."""
    if rng.random() < 0.5:
        lines = rng.choice(BENIGN_NOTES, size=int(rng.integers(1, 4)))
        return MediaItem.from_bytes(("\n".join(lines) + "\n").encode(), "txt")
    return MediaItem.from_bytes(rng.bytes(int(rng.integers(64, 513))), "bin")


@cache
def sample_photo(name: str) -> Picture:
    """A scikit-image sample photo as RGB, shrunk once so later variants are cheap."""
    photo = _as_rgb_picture(getattr(skimage.data, name)())
    photo.thumbnail((CACHED_PHOTO_SIDE, CACHED_PHOTO_SIDE))
    return photo


def _as_rgb_picture(array: np.ndarray) -> Picture:
    if array.dtype == bool:
        array = array.astype(np.uint8) * 255
    picture = Image.fromarray(array)
    if picture.mode == "RGBA":
        background = Image.new("RGBA", picture.size, "white")
        picture = Image.alpha_composite(background, picture)
    return picture.convert("RGB")


def photo_variant(rng: np.random.Generator) -> Picture:
    """A random crop of a sample photo, resized and recoloured."""
    photo = sample_photo(str(rng.choice(SAMPLE_PHOTO_NAMES)))
    picture = _random_crop(photo, rng)
    picture = resize_longest_side(picture, int(rng.integers(MIN_SIDE, MAX_SIDE + 1)))
    recolour = RECOLOURS[int(rng.integers(len(RECOLOURS)))]
    return recolour(picture, rng)


def _random_crop(picture: Picture, rng: np.random.Generator) -> Picture:
    width, height = picture.size
    crop_width = int(width * rng.uniform(0.5, 1.0))
    crop_height = int(height * rng.uniform(0.5, 1.0))
    left = int(rng.integers(0, width - crop_width + 1))
    top = int(rng.integers(0, height - crop_height + 1))
    return picture.crop((left, top, left + crop_width, top + crop_height))


def resize_longest_side(picture: Picture, side: int) -> Picture:
    scale = side / max(picture.size)
    width, height = (max(1, round(length * scale)) for length in picture.size)
    return picture.resize((width, height), Image.Resampling.BILINEAR, reducing_gap=2.0)


def _unchanged(picture: Picture, rng: np.random.Generator) -> Picture:
    return picture


def _grayscale(picture: Picture, rng: np.random.Generator) -> Picture:
    return picture.convert("L")


def _tinted(picture: Picture, rng: np.random.Generator) -> Picture:
    dark, light = (tuple(int(v) for v in rng.integers(0, 256, size=3)) for _ in range(2))
    return ImageOps.colorize(picture.convert("L"), black=dark, white=light)


def _channels_swapped(picture: Picture, rng: np.random.Generator) -> Picture:
    order = rng.permutation(3)
    bands = picture.split()
    return Image.merge("RGB", [bands[int(index)] for index in order])


def _inverted(picture: Picture, rng: np.random.Generator) -> Picture:
    return ImageOps.invert(picture)


def _posterized(picture: Picture, rng: np.random.Generator) -> Picture:
    return ImageOps.posterize(picture, int(rng.integers(2, 5)))


def _mirrored(picture: Picture, rng: np.random.Generator) -> Picture:
    return ImageOps.mirror(picture)


RECOLOURS: tuple[Recolour, ...] = (
    _unchanged, _grayscale, _tinted, _channels_swapped, _inverted, _posterized, _mirrored,
)  # fmt: skip


def generated_picture(rng: np.random.Generator) -> Picture:
    """A synthetic picture: gradient, shapes, smooth noise, text card or stripes."""
    width, height = (int(side) for side in rng.integers(MIN_SIDE, MAX_SIDE + 1, size=2))
    draw = PICTURE_GENERATORS[int(rng.integers(len(PICTURE_GENERATORS)))]
    return draw(width, height, rng)


def _random_colour(rng: np.random.Generator) -> tuple[int, int, int]:
    red, green, blue = (int(value) for value in rng.integers(0, 256, size=3))
    return red, green, blue


def _gradient(width: int, height: int, rng: np.random.Generator) -> Picture:
    angle = rng.uniform(0, 2 * np.pi)
    ys, xs = np.mgrid[0:height, 0:width]
    ramp = xs / width * np.cos(angle) + ys / height * np.sin(angle)
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-9)
    start, end = (np.array(_random_colour(rng), dtype=float) for _ in range(2))
    pixels = start + ramp[..., None] * (end - start)
    return Image.fromarray(pixels.astype(np.uint8), "RGB")


def _shapes(width: int, height: int, rng: np.random.Generator) -> Picture:
    picture = Image.new("RGB", (width, height), _random_colour(rng))
    draw = ImageDraw.Draw(picture)
    for _ in range(int(rng.integers(3, 12))):
        x0, x1 = sorted(int(x) for x in rng.integers(0, width, size=2))
        y0, y1 = sorted(int(y) for y in rng.integers(0, height, size=2))
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape((x0, y0, x1, y1), fill=_random_colour(rng))
    return picture


def _smooth_noise(width: int, height: int, rng: np.random.Generator) -> Picture:
    coarse = rng.integers(0, 256, size=(int(rng.integers(3, 9)), int(rng.integers(3, 9)), 3))
    picture = Image.fromarray(coarse.astype(np.uint8), "RGB")
    return picture.resize((width, height), Image.Resampling.BICUBIC)


def _text_card(width: int, height: int, rng: np.random.Generator) -> Picture:
    picture = Image.new("RGB", (width, height), _random_colour(rng))
    caption = str(rng.choice(BENIGN_CAPTIONS))
    position = (int(rng.integers(2, max(3, width // 4))), int(rng.integers(2, height // 2)))
    font = default_font(max(10, min(28, height // 6)))
    ImageDraw.Draw(picture).text(position, caption, fill=_random_colour(rng), font=font)
    return picture


@cache
def default_font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    return ImageFont.load_default(size)


def _stripes(width: int, height: int, rng: np.random.Generator) -> Picture:
    period = int(rng.integers(4, 33))
    xs = np.arange(width)[None, :] + np.arange(height)[:, None] * int(rng.integers(0, 3))
    on = (xs // period) % 2 == 0
    pixels = np.where(on[..., None], _random_colour(rng), _random_colour(rng))
    return Image.fromarray(pixels.astype(np.uint8), "RGB")


PICTURE_GENERATORS: tuple[Callable[[int, int, np.random.Generator], Picture], ...] = (
    _gradient, _shapes, _smooth_noise, _text_card, _stripes,
)  # fmt: skip
