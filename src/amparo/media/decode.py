"""Safe image decoding for hashing: the size checked before any pixel, reduced decoding, reasons.

Pillow decodes. The size a header declares is checked against a pixel limit before any pixel
is decoded (decompression bombs). Truncated or damaged files are refused, never loaded as if
complete: ``ImageFile.LOAD_TRUNCATED_IMAGES`` stays False. Nothing here raises for bad input
but :class:`UndecodableImage`, whose reason is written for an investigator.

PDQ needs little: the reference implementation reduces every image to at most 512 pixels a
side before its 64 x 64 filter, and hashes luma only. So JPEGs are decoded by libjpeg at 1/2,
1/4 or 1/8 scale (``draft``), by default as luma alone (JPEG's Y has PDQ's luma weights; colour
conversion skipped), which is most of the speed; then every image is reduced to at most 512 a
side with a box filter. Pixels are hashed as stored, like the reference: EXIF orientation is
reported, not applied.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import PIL
import pillow_heif
from PIL import Image, ImageFile, JpegImagePlugin, UnidentifiedImageError

from amparo.errors import AmparoError
from amparo.media.exif import exif_metadata

DEFAULT_MAX_PIXELS = 100_000_000
PDQ_MAX_SIDE = 512
REDUCTION_FILTER = Image.Resampling.BOX
_GREY_MODES = frozenset({"1", "L", "LA", "La"})
_SIXTEEN_BIT_MODES = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N"})
_DETAIL_CHARS = 200
# How Pillow's decoders and libheif say that the data ended early.
_TRUNCATION_SIGNS = ("truncated", "end of file", "premature end")

pillow_heif.register_heif_opener()


class UndecodableImage(AmparoError):
    """An image that cannot be decoded safely; ``size`` is the declared one, when known."""

    def __init__(self, reason: str, *, size: tuple[int, int] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.size = size


@dataclass(frozen=True)
class DecodedImage:
    """An image ready for PDQ: its declared size, reduced pixels, how they were had, its EXIF.

    ``pixels`` is uint8 luma (height x width) or RGB (height x width x 3), at most
    ``PDQ_MAX_SIDE`` a side; ``preparation`` says how they were obtained; ``jpeg_luma`` that
    they are a colour JPEG's own luma channel rather than luma of its decoded RGB.
    """

    mime_type: str | None
    width: int
    height: int
    pixels: np.ndarray
    preparation: str
    jpeg_luma: bool
    exif: dict[str, Any]


def decode_for_pdq(
    data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS, jpeg_luma: bool = True
) -> DecodedImage:
    """Decode ``data`` for hashing, or raise :class:`UndecodableImage` saying why.

    ``jpeg_luma=False`` decodes colour JPEGs to RGB, as the reference does: slower, and the
    same hash but for rounding, which matters only for near-flat (low-quality) images.

    Pillow refuses on its own anything above twice ``Image.MAX_IMAGE_PIXELS`` (about 179
    megapixels), so a ``max_pixels`` above that needs Pillow's limit raised as well.
    """
    with warnings.catch_warnings():
        # Pillow warns about the input's oddities (and about bombs between its limit and
        # ours); none of it is actionable here, and the bomb check is ours.
        warnings.simplefilter("ignore")
        image = _open(data, max_pixels)
        _check_pixel_count(image.size, max_pixels)
        return _decode(image, "L" if jpeg_luma else "RGB")


def _open(data: bytes, max_pixels: int) -> ImageFile.ImageFile:
    try:
        return Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as error:
        size = _declared_size(data)
        raise UndecodableImage(_bomb_reason(size, max_pixels), size=size) from error
    except UnidentifiedImageError as error:
        raise UndecodableImage("not an image format Amparo can read") from error
    except Exception as error:  # a damaged header makes each format's parser fail its own way
        raise UndecodableImage(f"image is damaged or truncated ({_detail(error)})") from error


def _check_pixel_count(size: tuple[int, int], max_pixels: int) -> None:
    if size[0] * size[1] > max_pixels:
        raise UndecodableImage(_bomb_reason(size, max_pixels), size=size)


def _bomb_reason(size: tuple[int, int] | None, max_pixels: int) -> str:
    limit = f"the {max_pixels / 1_000_000:g}-megapixel limit (decompression bomb)"
    if size is None:
        return f"image exceeds {limit}"
    return f"image of {size[0]}x{size[1]} pixels exceeds {limit}"


def _declared_size(data: bytes) -> tuple[int, int] | None:
    """The size the header declares, read by the format's parser without Pillow's bomb check.

    Only to word the reason when Pillow refused the image itself, which hides the size.
    """
    Image.init()
    for format_id in Image.ID:
        factory, accept = Image.OPEN[format_id]
        accepted = accept(data[:16]) if accept else True
        if accepted and not isinstance(accepted, str):
            with contextlib.suppress(Exception):
                return factory(io.BytesIO(data), "").size
    return None


def _decode(image: ImageFile.ImageFile, draft_mode: str) -> DecodedImage:
    width, height, mode = image.width, image.height, image.mode
    format_name = image.format or "image"
    try:
        pixels, preparation = _reduced_pixels(image, draft_mode)
    except Exception as error:  # truncated, damaged, or over a decoder limit: no hash
        raise UndecodableImage(_decode_failure(error, format_name), size=(width, height)) from error
    return DecodedImage(
        mime_type=image.get_format_mimetype(),
        width=width,
        height=height,
        pixels=pixels,
        preparation=preparation,
        jpeg_luma=mode != "L" and image.mode == "L",
        exif=exif_metadata(image),
    )


def _reduced_pixels(image: ImageFile.ImageFile, draft_mode: str) -> tuple[np.ndarray, str]:
    steps = [f"pillow {PIL.__version__}", f"{image.format} {image.mode} {_size_text(image.size)}"]
    target = _pdq_size(image.size)
    # JPEG only: other formats' draft() swaps in an embedded thumbnail, which a file can make
    # show another picture than the image itself.
    if isinstance(image, JpegImagePlugin.JpegImageFile):
        declared_width = image.width
        image.draft(draft_mode, target)
        scale = round(declared_width / image.width)
        steps.append(f"jpeg draft 1/{scale} -> {_size_text(image.size)} {image.mode}")
    reduced = _eight_bit(image)
    if reduced.size != target:
        reduced = reduced.resize(target, REDUCTION_FILTER)
        steps.append(f"{REDUCTION_FILTER.name} -> {_size_text(target)}")
    steps.append("luma" if reduced.mode == "L" else "rgb")
    return np.asarray(reduced), "; ".join(steps)


def _pdq_size(size: tuple[int, int]) -> tuple[int, int]:
    scale = min(1.0, PDQ_MAX_SIDE / max(size))
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def _eight_bit(image: Image.Image) -> Image.Image:
    """The image as 8-bit luma or RGB, decoded (this is where truncation shows)."""
    if image.mode in _SIXTEEN_BIT_MODES:
        # Pillow's own conversion clips 16-bit values at 255, which would hash a white image.
        wide = np.asarray(image, dtype=np.float32) / 257.0
        return Image.fromarray(np.clip(np.rint(wide), 0, 255).astype(np.uint8))
    converted = image.convert("L" if image.mode in _GREY_MODES else "RGB")
    converted.load()
    return converted


def _decode_failure(error: Exception, format_name: str) -> str:
    if isinstance(error, MemoryError):
        return "not enough memory to decode this image"
    if isinstance(error, Image.DecompressionBombError):
        return f"image is refused by Pillow's decompression-bomb limit ({_detail(error)})"
    if isinstance(error, EOFError) or any(sign in str(error).lower() for sign in _TRUNCATION_SIGNS):
        return f"image is truncated ({format_name} data ends early)"
    return f"image is damaged ({format_name} decoder: {_detail(error)})"


def _detail(error: Exception) -> str:
    return (" ".join(str(error).split()) or type(error).__name__)[:_DETAIL_CHARS]


def _size_text(size: tuple[int, int]) -> str:
    return f"{size[0]}x{size[1]}"
