"""PDQ of an image prepared the ways other tools prepare it, to confirm matches at full precision.

The hash stage's fast PDQ (:mod:`amparo.media.decode`: JPEG ``draft`` decode, box filter to at
most 512 a side) lies a few bits from the reference's hash and up to dozens of bits from a hash
of the full-size decode. Hash sets are made by other software, each preparing pixels its own way:

- ``full``: the full-size decode converted to RGB, hashed by ``pdqhash`` as is (Meta's
  hasher-matcher-actioner and python-threatexchange's ``pdq_hasher``);
- ``threatexchange``: python-threatexchange's own array conversion, which differs from ``full``
  only for palette, CMYK and other unusual modes (it hashes ``numpy.asarray`` of the image as
  decoded: a palette image's indices, a CMYK image's first three channels); computed only then;
- ``resized``: the C++ reference's way (``pdq/cpp/io/pdqio.cpp``): an image over 512 pixels
  on either side is first resized to exactly 512 x 512, aspect ratio not kept, by CImg's default
  nearest-neighbour resize (corner-aligned: output pixel ``x`` takes input ``x * width // 512``).

EXIF orientation is not applied: none of these tools applies it.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image

from amparo.media.decode import DEFAULT_MAX_PIXELS, UndecodableImage
from amparo.media.pdq import pdq_hashes

FAST = "fast"
FULL = "full"
THREATEXCHANGE = "threatexchange"
RESIZED = "resized"
PREPARATIONS = (FAST, FULL, THREATEXCHANGE, RESIZED)
REFERENCE_DOWNSAMPLE_SIDE = 512
# Modes whose numpy array python-threatexchange hashes as the RGB conversion would be hashed.
_SAME_AS_RGB_MODES = frozenset({"RGB", "RGBA", "RGBX", "L", "LA"})


@dataclass(frozen=True)
class PreparedPdq:
    """The eight dihedral PDQ hashes (original first) of one preparation, and its quality."""

    preparation: str
    quality: int
    dihedral: tuple[str, ...]


def full_precision_pdq(data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> list[PreparedPdq]:
    """PDQ of ``data`` as other tools compute it, or :class:`UndecodableImage` saying why not."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        image = _open(data, max_pixels)
        try:
            rgb = np.asarray(image.convert("RGB"))
            foreign = None if image.mode in _SAME_AS_RGB_MODES else _threatexchange_array(image)
        except Exception as error:  # truncated or damaged: the fast hash stands alone
            raise UndecodableImage(f"full-size decode failed ({_detail(error)})") from error
    prepared = [_prepared(FULL, rgb), _prepared(RESIZED, reference_resized(rgb))]
    if foreign is not None:
        prepared.append(_prepared(THREATEXCHANGE, foreign))
    return prepared


def reference_resized(pixels: np.ndarray) -> np.ndarray:
    """``pixels`` as the C++ reference hashes them: nearest-neighbour to 512 x 512 if larger."""
    height, width = pixels.shape[:2]
    side = REFERENCE_DOWNSAMPLE_SIDE
    if height <= side and width <= side:
        return pixels
    rows = np.arange(side) * height // side
    columns = np.arange(side) * width // side
    return np.ascontiguousarray(pixels[rows][:, columns])


def _prepared(preparation: str, pixels: np.ndarray) -> PreparedPdq:
    hashes = pdq_hashes(pixels)
    return PreparedPdq(preparation, hashes.quality, hashes.dihedral)


def _threatexchange_array(image: Image.Image) -> np.ndarray | None:
    """The array python-threatexchange would hash, or None where ``pdqhash`` refuses it."""
    array = np.asarray(image)
    if array.dtype != np.uint8:
        return None  # pdqhash takes 8-bit samples only: that tool fails on this file
    if array.ndim == 2:
        return array
    return np.ascontiguousarray(array[:, :, :3]) if array.shape[2] >= 3 else None


def _open(data: bytes, max_pixels: int) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
    except Exception as error:  # unreadable, or over Pillow's own bomb limit
        raise UndecodableImage(f"image cannot be opened ({_detail(error)})") from error
    width, height = image.size
    if width * height > max_pixels:
        raise UndecodableImage(
            f"image of {width}x{height} pixels exceeds the {max_pixels / 1e6:g}-megapixel limit",
            size=image.size,
        )
    return image


def _detail(error: Exception) -> str:
    return (" ".join(str(error).split()) or type(error).__name__)[:200]
