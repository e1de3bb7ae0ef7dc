"""Blurred, greyscale thumbnails made on the server: the sharp bytes never leave before a reveal.

A picture is decoded safely (size checked before pixels, reduced decoding), made grey, shrunk
to a few dozen pixels, blurred and scaled back up: shapes and tones stay, detail does not.
``strong`` keeps only blobs; ``hidden`` (and anything that is not a decodable picture) gives
a plain placeholder. Revealed pictures can be given in greyscale too.
"""

from __future__ import annotations

import io
import warnings
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFilter

from amparo.media.decode import DEFAULT_MAX_PIXELS, UndecodableImage, decode_for_pdq

STANDARD, STRONG, HIDDEN = "standard", "strong", "hidden"
LEVELS = (STANDARD, STRONG, HIDDEN)
SIDE = 192
# Side of the tiny picture each level keeps before blurring, and the blur radius on it.
_DETAIL = {STANDARD: (24, 1.2), STRONG: (8, 1.0)}
_PLACEHOLDER_GREY = 128


def blurred_thumbnail(data: bytes, kind: str, level: str) -> bytes:
    """A JPEG of at most ``SIDE`` pixels a side: blurred grey picture, or a placeholder."""
    if kind != "image" or level not in _DETAIL:
        return placeholder(kind, level)
    try:
        picture = _grey_picture(data)
    except UndecodableImage:
        return placeholder(kind, "undecodable")
    return _jpeg(_blur(picture, *_DETAIL[level]))


def _grey_picture(data: bytes) -> Image.Image:
    decoded = decode_for_pdq(data)
    picture = Image.fromarray(decoded.pixels)
    return picture if picture.mode == "L" else picture.convert("L")


def _blur(picture: Image.Image, detail: int, radius: float) -> Image.Image:
    width, height = picture.size
    scale = detail / max(width, height)
    small_size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small = picture.resize(small_size, Image.Resampling.BOX)
    small = small.filter(ImageFilter.GaussianBlur(radius))
    out_scale = SIDE / max(width, height)
    size = (max(1, round(width * out_scale)), max(1, round(height * out_scale)))
    return small.resize(size, Image.Resampling.BILINEAR).filter(ImageFilter.GaussianBlur(2))


@lru_cache(maxsize=16)
def placeholder(kind: str, why: str) -> bytes:
    """A plain grey tile with a mark: a triangle for video, a frame for the rest."""
    tile = Image.new("L", (SIDE, SIDE), _PLACEHOLDER_GREY)
    draw = ImageDraw.Draw(tile)
    if kind == "video":
        draw.polygon([(76, 60), (76, 132), (136, 96)], fill=200)
    else:
        draw.rectangle([56, 56, 136, 136], outline=200, width=4)
    if why == HIDDEN:
        draw.line([(40, 40), (152, 152)], fill=200, width=4)
    return _jpeg(tile)


def grey_view(data: bytes) -> bytes:
    """A revealed picture in greyscale (PNG), for categories where the user asked for it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            picture = Image.open(io.BytesIO(data))
            if picture.width * picture.height > DEFAULT_MAX_PIXELS:
                raise UndecodableImage("too large to show")
            grey = picture.convert("L")
        except UndecodableImage:
            raise
        except Exception as error:  # each format's decoder fails its own way
            raise UndecodableImage(f"cannot be shown: {error}") from error
    out = io.BytesIO()
    grey.save(out, format="PNG")
    return out.getvalue()


def _jpeg(picture: Image.Image) -> bytes:
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=80)
    return out.getvalue()
